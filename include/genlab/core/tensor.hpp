// Tensor: a cheap shared handle to (storage, offset, shape, strides, dtype, device)
// plus autograd state, with torch.Tensor semantics: copying a Tensor shares data;
// views share storage; contiguous()/clone() copy.
//
// Differentiable methods (reshape, permute, +, matmul ...) are declared here and
// defined with their op in ops/; include <genlab/genlab.hpp> to get them all.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "genlab/core/allocator.hpp"
#include "genlab/core/device.hpp"
#include "genlab/core/dtype.hpp"
#include "genlab/core/shape.hpp"

namespace genlab {

namespace autograd { struct Node; }

// A block of memory on one device. Owned memory goes back to the caching
// allocator; external memory (an mmap'd file) is released by `release`.
struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  Device device;
  std::function<void()> release;  // set for external memory
  // Bumped by every in-place write to any view of this memory (copy_, fill_,
  // optimizer steps): autograd compares it with the value an op saw in its
  // forward pass and refuses to backward through data changed since.
  std::atomic<uint64_t> version{0};
  Storage(size_t n, Device d) : nbytes(n), device(d) { data = device_alloc(d, n); }
  Storage(void* p, size_t n, Device d, std::function<void()> rel) : data(p), nbytes(n), device(d), release(std::move(rel)) {}
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage() {
    if (release) release();
    else if (data) device_free(device, data, nbytes);
  }
};

class Tensor;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements
  Shape shape;
  Strides strides;
  DType dtype = DType::f32;
  bool requires_grad = false;
  std::shared_ptr<Tensor> grad;
  std::shared_ptr<autograd::Node> grad_fn;
};

struct TensorOptions {
  DType dtype = DType::f32;
  Device device = Device::cpu();
  bool requires_grad = false;
  TensorOptions() = default;
  TensorOptions(DType t) : dtype(t) {}  // NOLINT: Tensor::zeros({2}, DType::f64) reads well
  TensorOptions(DType t, Device d, bool rg = false) : dtype(t), device(d), requires_grad(rg) {}
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories (core/tensor.cpp) ----
  static Tensor empty(const Shape& shape, TensorOptions o = {});
  static Tensor zeros(const Shape& shape, TensorOptions o = {});
  static Tensor ones(const Shape& shape, TensorOptions o = {});
  static Tensor full(const Shape& shape, double value, TensorOptions o = {});
  static Tensor arange(int64_t n, TensorOptions o = {});
  static Tensor randn(const Shape& shape, TensorOptions o = {});  // N(0, 1), Philox
  static Tensor rand(const Shape& shape, TensorOptions o = {});   // U(0, 1), Philox
  static Tensor scalar(double v, TensorOptions o = {});
  // Copies `values` (converted to o.dtype) into a new tensor of `shape`.
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape, TensorOptions o = dtype_of<T>());
  // Wraps external memory without copying; `release` runs when the last view dies.
  static Tensor from_blob(void* data, const Shape& shape, DType dtype, std::function<void()> release = nullptr,
                          Device device = Device::cpu());

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Strides& strides() const { return impl().strides; }
  int64_t dim() const { return int64_t(impl().shape.size()); }
  int64_t size(int64_t d) const { return impl().shape[size_t(wrap_dim(d, dim(), "size"))]; }
  int64_t numel() const { return numel_of(impl().shape); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device; }
  int64_t storage_offset() const { return impl().offset; }
  size_t nbytes() const { return size_t(numel()) * dtype_size(dtype()); }
  bool is_contiguous() const;
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }
  TensorImpl* unsafe_impl() const { return impl_.get(); }
  // True when no other Tensor handle or view shares this tensor's data.
  bool is_sole_owner() const { return impl_.use_count() == 1 && impl().storage.use_count() == 1; }
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }
  // Handles (Tensor copies) sharing this tensor's metadata; views are not counted.
  long handle_count() const { return impl_.use_count(); }
  // The in-place write counter of this tensor's memory, shared by every view
  // (PyTorch's `_version`). Code that writes through data<T>() bumps it.
  uint64_t version() const { return impl().storage->version.load(std::memory_order_relaxed); }
  void bump_version() const { impl().storage->version.fetch_add(1, std::memory_order_relaxed); }

  void* raw_data() const {
    return static_cast<char*>(impl().storage->data) + impl().offset * int64_t(dtype_size(dtype()));
  }
  // Typed pointer to the first element; checks the dtype.
  template <class T>
  T* data() const {
    GENLAB_CHECK(dtype_of<T>() == dtype(), "data<", dtype_name(dtype_of<T>()), ">() called on a ", dtype_name(dtype()),
                 " tensor of shape ", shape_str(shape()));
    return static_cast<T*>(raw_data());
  }
  // Value of a one-element tensor, converted to T.
  template <class T = double>
  T item() const;
  // All values in row-major order, converted to T.
  template <class T>
  std::vector<T> to_vector() const;

  // ---- copies and conversion (core/tensor.cpp; no autograd) ----
  Tensor contiguous() const;            // self if already contiguous (differentiable, ops/view.hpp)
  Tensor clone() const;                 // differentiable copy (ops/view.hpp)
  Tensor to(DType t) const;             // differentiable for float->float (ops/view.hpp)
  Tensor to(Device d) const;            // differentiable (ops/view.hpp)
  // In-place writes, no autograd: refused (genlab::Error) on a tensor that
  // requires grad while grad mode is on; bump version() otherwise.
  void copy_(const Tensor& src);        // with broadcasting and dtype conversion; overlapping src is handled
  void fill_(double v);
  void zero_() { fill_(0.0); }
  // A view with explicit geometry sharing this storage, no autograd.
  Tensor as_strided(const Shape& shape, const Strides& strides, int64_t offset) const;

  // ---- views (ops/view.hpp) ----
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const { return reshape(shape); }
  Tensor flatten(int64_t start = 0, int64_t end = -1) const;
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t a, int64_t b) const;
  Tensor t() const;  // transpose of a 2-D tensor; a 0-d or 1-D tensor as it is (torch.t)
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor expand(const Shape& shape) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze(int64_t dim) const;

  // ---- autograd (autograd/) ----
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& requires_grad_(bool on = true);
  Tensor grad() const { return impl().grad ? *impl().grad : Tensor(); }
  void set_grad(const Tensor& g);
  const std::shared_ptr<autograd::Node>& grad_fn() const { return impl().grad_fn; }
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  Tensor detach() const;  // shares storage, no history
  // Replaces this leaf's data (storage, geometry, dtype, device) by src's,
  // keeping its identity: every handle to it, such as a module's field and the
  // optimizer's list, sees the new data (torch's `param.data = ...`). The grad
  // is dropped: it described the old data.
  void set_data(const Tensor& src);
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;

  // ---- math sugar (ops/) ----
  Tensor sum() const;
  Tensor mean() const;
  Tensor matmul(const Tensor& o) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor pow(double e) const;

  std::string str() const;  // PyTorch-style printout

 private:
  // Refuses an in-place write autograd could not see; bumps version().
  void check_inplace(const char* op) const;
  TensorImpl& impl() const {
    GENLAB_CHECK(impl_ != nullptr, "use of an undefined Tensor");
    return *impl_;
  }
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Element-wise conversion between any two storage types.
template <class To, class From>
inline To convert(From v) {
  if constexpr (std::is_same_v<From, Half> || std::is_same_v<From, BFloat16>) return convert<To>(float(v));
  else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>) return To(float(v));
  else return static_cast<To>(v);
}

// Calls fn(linear_index, storage_offset) for every element of `t` in row-major order.
template <class F>
void for_each_offset(const Shape& shape, const Strides& strides, int64_t base, F&& fn) {
  int64_t n = numel_of(shape);
  if (n == 0) return;
  size_t nd = shape.size();
  std::vector<int64_t> idx(nd, 0);
  int64_t off = base;
  for (int64_t i = 0; i < n; ++i) {
    fn(i, off);
    for (size_t d = nd; d-- > 0;) {
      if (++idx[d] < shape[d]) { off += strides[d]; break; }
      off -= strides[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape, TensorOptions o) {
  GENLAB_CHECK(int64_t(values.size()) == numel_of(shape), "from_vector: ", values.size(), " values for shape ",
               shape_str(shape), " (", numel_of(shape), " elements)");
  Tensor cpu = empty(shape, TensorOptions(o.dtype));
  dispatch_all(o.dtype, [&]<class D>() {
    D* p = cpu.data<D>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = convert<D>(values[i]);
  });
  Tensor r = o.device.is_cpu() ? cpu : cpu.to(o.device);
  if (o.requires_grad) r.requires_grad_(true);
  return r;
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor c = device().is_cpu() ? *this : to(Device::cpu());
  std::vector<T> out(static_cast<size_t>(c.numel()));
  dispatch_all(c.dtype(), [&]<class S>() {
    const S* p = static_cast<const S*>(c.storage()->data);
    for_each_offset(c.shape(), c.strides(), c.storage_offset(),
                    [&](int64_t i, int64_t off) { out[size_t(i)] = convert<T>(p[off]); });
  });
  return out;
}

template <class T>
T Tensor::item() const {
  GENLAB_CHECK(numel() == 1, "item(): tensor of shape ", shape_str(shape()), " has ", numel(), " elements, not 1");
  return to_vector<T>()[0];
}

}  // namespace genlab
