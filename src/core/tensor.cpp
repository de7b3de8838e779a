// Tensor factories, copies, conversion and printing (no autograd here).
#include <cmath>
#include <iomanip>
#include <sstream>

#include "genlab/autograd/node.hpp"
#include "genlab/backend/cpu.hpp"
#include "genlab/backend/cuda.hpp"
#include "genlab/core/core.hpp"

namespace genlab {

Tensor Tensor::empty(const Shape& shape, TensorOptions o) {
  int64_t nonzero = 1;
  for (auto d : shape) {
    GENLAB_CHECK(d >= 0, "empty: negative dimension in shape ", shape_str(shape));
    GENLAB_CHECK(d == 0 || nonzero <= (int64_t(1) << 48) / d, "empty: shape ", shape_str(shape), " is too large");
    if (d) nonzero *= d;
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(size_t(numel_of(shape)) * dtype_size(o.dtype), o.device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = o.dtype;
  impl->requires_grad = o.requires_grad;
  return Tensor(impl);
}

Tensor Tensor::full(const Shape& shape, double value, TensorOptions o) {
  Tensor t = empty(shape, TensorOptions(o.dtype, o.device));
  t.fill_(value);
  if (o.requires_grad) t.requires_grad_(true);
  return t;
}
Tensor Tensor::zeros(const Shape& shape, TensorOptions o) { return full(shape, 0.0, o); }
Tensor Tensor::ones(const Shape& shape, TensorOptions o) { return full(shape, 1.0, o); }
Tensor Tensor::scalar(double v, TensorOptions o) { return full({}, v, o); }

Tensor Tensor::arange(int64_t n, TensorOptions o) {
  std::vector<double> v(static_cast<size_t>(std::max<int64_t>(n, 0)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = double(i);
  return from_vector(v, {int64_t(v.size())}, o);
}

namespace {
// Fills a CPU tensor from Philox: element i uses block (offset + i/4), lane i%4.
Tensor random_fill(const Shape& shape, TensorOptions o, bool normal) {
  GENLAB_CHECK(is_floating(o.dtype), normal ? "randn" : "rand", ": needs a floating dtype, got ", dtype_name(o.dtype));
  for (int64_t d : shape) GENLAB_CHECK(d >= 0, normal ? "randn" : "rand", ": negative dimension in shape ", shape_str(shape));
  const int64_t n = numel_of(shape);
  Generator& g = default_generator();
  const uint64_t seed = g.seed(), base = g.reserve(uint64_t((n + 3) / 4));
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t blk = 0; blk * 4 < n; ++blk) {
    auto r = Philox::block(seed, base + uint64_t(blk));
    if (normal) {  // Box-Muller on lanes (0,1) and (2,3)
      for (int k = 0; k < 4; k += 2) {
        double u1 = Philox::to_unit(r[size_t(k)]), u2 = Philox::to_unit(r[size_t(k + 1)]);
        double rad = std::sqrt(-2.0 * std::log(u1)), th = 2.0 * M_PI * u2;
        if (blk * 4 + k < n) v[size_t(blk * 4 + k)] = rad * std::cos(th);
        if (blk * 4 + k + 1 < n) v[size_t(blk * 4 + k + 1)] = rad * std::sin(th);
      }
    } else {
      for (int k = 0; k < 4 && blk * 4 + k < n; ++k) v[size_t(blk * 4 + k)] = Philox::to_unit(r[size_t(k)]) - 0x1p-24;
    }
  }
  return Tensor::from_vector(v, shape, o);
}
}  // namespace

Tensor Tensor::randn(const Shape& shape, TensorOptions o) { return random_fill(shape, o, true); }
Tensor Tensor::rand(const Shape& shape, TensorOptions o) { return random_fill(shape, o, false); }

Tensor Tensor::from_blob(void* data, const Shape& shape, DType dtype, std::function<void()> release, Device device) {
  auto impl = std::make_shared<TensorImpl>();
  size_t nbytes = size_t(numel_of(shape)) * dtype_size(dtype);
  impl->storage = std::make_shared<Storage>(data, nbytes, device, release ? std::move(release) : [] {});
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(impl);
}

bool Tensor::is_contiguous() const {
  int64_t acc = 1;
  for (size_t i = shape().size(); i-- > 0;) {
    if (shape()[i] == 1) continue;
    if (strides()[i] != acc) return false;
    acc *= shape()[i];
  }
  return true;
}

Tensor Tensor::as_strided(const Shape& shape, const Strides& strides, int64_t offset) const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = storage();
  impl->offset = offset;
  impl->shape = shape;
  impl->strides = strides;
  impl->dtype = dtype();
  return Tensor(impl);
}

Tensor Tensor::detach() const {
  return as_strided(shape(), strides(), storage_offset());
}

void Tensor::set_data(const Tensor& src) {
  GENLAB_CHECK(is_leaf(), "set_data on a non-leaf tensor of shape ", shape_str(shape()), "; detach() it first");
  GENLAB_CHECK(!src.requires_grad() || src.is_leaf(), "set_data: the source must be data, not part of a graph");
  bump_version();  // a graph that saved the old data must not run on the new
  impl().storage = src.storage();
  impl().offset = src.storage_offset();
  impl().shape = src.shape();
  impl().strides = src.strides();
  impl().dtype = src.dtype();
  impl().grad.reset();
}

Tensor& Tensor::requires_grad_(bool on) {
  GENLAB_CHECK(!on || is_floating(dtype()), "requires_grad_: only floating tensors can require grad, got ",
               dtype_name(dtype()));
  GENLAB_CHECK(on || is_leaf(), "requires_grad_(false) on a non-leaf tensor; use detach()");
  impl().requires_grad = on;
  return *this;
}

void Tensor::set_grad(const Tensor& g) {
  if (!g.defined()) { impl().grad.reset(); return; }
  GENLAB_CHECK(g.shape() == shape(), "set_grad: gradient shape ", shape_str(g.shape()), " does not match tensor shape ",
               shape_str(shape()));
  impl().grad = std::make_shared<Tensor>(g);
}

void Tensor::backward(const Tensor& grad, bool retain_graph) const {
  autograd::run_backward(*this, grad, retain_graph);
}

namespace {
// The first and one-past-last element offsets a view of one element or more can touch.
std::pair<int64_t, int64_t> offset_range(const Tensor& t) {
  int64_t lo = t.storage_offset(), hi = t.storage_offset();
  for (size_t i = 0; i < t.shape().size(); ++i) {
    const int64_t span = (t.shape()[i] - 1) * t.strides()[i];
    (span < 0 ? lo : hi) += span;
  }
  return {lo, hi + 1};
}
// A host copy of the CUDA memory a view spans, viewed with the same geometry.
Tensor host_span(const Tensor& t) {
  if (t.numel() == 0) return Tensor::empty(t.shape(), t.dtype());
  const auto [lo, hi] = offset_range(t);
  const int64_t es = int64_t(dtype_size(t.dtype()));
  Tensor buf = Tensor::empty({hi - lo}, t.dtype());
  cuda::memcpy_d2h(buf.raw_data(), static_cast<const char*>(t.storage()->data) + lo * es, size_t((hi - lo) * es));
  return buf.as_strided(t.shape(), t.strides(), t.storage_offset() - lo);
}
bool partially_overlaps(const Tensor& dst, const Tensor& src) {
  if (dst.storage() != src.storage() || dst.numel() == 0 || src.numel() == 0) return false;
  if (dst.storage_offset() == src.storage_offset() && dst.strides() == src.strides() && dst.shape() == src.shape())
    return false;  // the same elements: copying onto itself is a no-op
  auto [dl, dh] = offset_range(dst);
  auto [sl, sh] = offset_range(src);
  return dl < sh && sl < dh;
}
}  // namespace

void Tensor::check_inplace(const char* op) const {
  if (autograd::grad_mode_enabled() && requires_grad()) {
    GENLAB_CHECK(!is_leaf(), op, ": in-place write to a leaf tensor of shape ", shape_str(shape()),
                 " that requires grad; wrap the update in NoGradGuard (as optimizers and nn::init do)");
    GENLAB_FAIL(op, ": in-place write to a tensor of shape ", shape_str(shape()), " that is part of an autograd graph (",
                grad_fn()->name, "); genlab records no history for in-place ops: compute it out of place");
  }
  for (size_t i = 0; i < shape().size() && numel() > 0; ++i)
    GENLAB_CHECK(strides()[i] != 0 || shape()[i] <= 1, op, ": the destination of shape ", shape_str(shape()),
                 " is an expanded view (dim ", i, " has stride 0), so several of its elements share one memory location");
  bump_version();
}

void Tensor::copy_(const Tensor& src) {
  Shape bs = broadcast_shapes(shape(), src.shape(), "copy_");
  GENLAB_CHECK(bs == shape(), "copy_: source of shape ", shape_str(src.shape()), " does not broadcast to ",
               shape_str(shape()));
  check_inplace("copy_");
  GENLAB_CHECK(!autograd::grad_mode_enabled() || !src.requires_grad(), "copy_: the source of shape ", shape_str(src.shape()),
               " requires grad, but copy_ records no history, so its gradient would be lost; build the value with "
               "cat/stack/where, or copy src.detach()");
  if (numel() == 0) return;
  // A source overlapping the destination (z[1:].copy_(z[:-1])) would be read
  // after it was overwritten: copy it out first.
  if (partially_overlaps(*this, src)) {
    Tensor staged = empty(src.shape(), TensorOptions(src.dtype(), src.device()));
    staged.copy_(src);
    return copy_(staged);
  }
  // broadcast the source's strides to our shape
  Strides ss(shape().size(), 0);
  size_t off = shape().size() - src.shape().size();
  for (size_t i = 0; i < src.shape().size(); ++i) ss[off + i] = src.shape()[i] == 1 ? 0 : src.strides()[i];
  if (device().is_cpu() && src.device().is_cpu()) {
    cpu::copy_strided(src.storage()->data, src.dtype(), ss, src.storage_offset(), storage()->data, dtype(), strides(),
                      storage_offset(), shape());
    return;
  }
  // On the GPU, float32 to float32: the strided copy kernel (views, broadcasts).
  const bool f32 = dtype() == DType::f32 && src.dtype() == DType::f32;
  if (device().is_cuda() && src.device().is_cuda() && f32) {
    cuda::copy_strided(src.data<float>(), ss, data<float>(), strides(), shape());
    return;
  }
  // Otherwise (across devices, or a dtype conversion) stage through the host,
  // where broadcasting and conversion happen. A float32 CUDA view goes through
  // a contiguous device buffer (the kernel above); other dtypes move the device
  // memory the view spans and apply its geometry on the host.
  Tensor s = src;
  if (s.device().is_cuda()) {
    if (!s.is_contiguous() && s.dtype() == DType::f32) {
      Tensor d = empty(s.shape(), TensorOptions(s.dtype(), s.device()));
      d.copy_(s);
      s = d;
    }
    s = host_span(s);
  }
  if (device().is_cpu()) {
    copy_(s);
    return;
  }
  if (is_contiguous()) {
    Tensor h = empty(shape(), dtype());
    h.copy_(s);
    cuda::memcpy_h2d(raw_data(), h.raw_data(), h.nbytes());
    return;
  }
  if (dtype() != DType::f32) {
    Tensor span = host_span(*this);  // read back what the view does not cover, then write the whole span
    span.copy_(s);
    const auto [lo, hi] = offset_range(*this);
    const size_t es = dtype_size(dtype());
    if (hi > lo) cuda::memcpy_h2d(static_cast<char*>(storage()->data) + lo * int64_t(es), span.storage()->data, size_t(hi - lo) * es);
    return;
  }
  Tensor h = empty(shape(), dtype());
  h.copy_(s);
  Tensor d = empty(shape(), TensorOptions(dtype(), device()));
  cuda::memcpy_h2d(d.raw_data(), h.raw_data(), h.nbytes());
  copy_(d);
}

void Tensor::fill_(double v) {
  check_inplace("fill_");
  if (device().is_cuda()) {
    Tensor h = full(shape(), v, dtype());
    copy_(h);
    return;
  }
  dispatch_all(dtype(), [&]<class T>() {
    T val = convert<T>(v);
    T* p = static_cast<T*>(storage()->data);
    for_each_offset(shape(), strides(), storage_offset(), [&](int64_t, int64_t off) { p[off] = val; });
  });
}

// ---- printing, in the style of torch.Tensor.__repr__ ----
namespace {
void print_rec(std::ostream& os, const std::vector<double>& v, const Shape& s, size_t d, int64_t base,
               const Strides& cs, bool is_int, int width, int indent, bool summarize) {
  if (s.empty()) {
    os << std::setw(width) << v[size_t(base)];
    return;
  }
  os << "[";
  const int64_t n = s[d];
  const int64_t edge = 3;
  for (int64_t i = 0; i < n; ++i) {
    if (summarize && n > 2 * edge && i == edge) {
      os << (d + 1 == s.size() ? " ...," : "\n" + std::string(size_t(indent + 1), ' ') + "...,");
      i = n - edge;
    }
    if (d + 1 == s.size()) {
      double x = v[size_t(base + i * cs[d])];
      os << std::setw(width);
      if (is_int) os << int64_t(x);
      else os << x;
    } else {
      print_rec(os, v, s, d + 1, base + i * cs[d], cs, is_int, width, indent + 1, summarize);
    }
    if (i + 1 < n) os << (d + 1 == s.size() ? ", " : ",\n" + std::string(s.size() - d - 1, '\n').substr(1) +
                                                         std::string(size_t(indent + 1), ' '));
  }
  os << "]";
}
}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  std::vector<double> v = to_vector<double>();
  const bool is_int = !is_floating(dtype());
  const bool summarize = numel() > 1000;
  std::ostringstream num;
  if (!is_int) num << std::fixed << std::setprecision(4);
  int width = 1;
  for (double x : v) {
    std::ostringstream one;
    one.flags(num.flags());
    one.precision(num.precision());
    if (is_int) one << int64_t(x);
    else one << x;
    width = std::max(width, int(one.str().size()));
  }
  std::ostringstream os;
  os.flags(num.flags());
  os.precision(num.precision());
  os << "tensor(";
  if (shape().empty()) {
    if (is_int) os << int64_t(v[0]);
    else os << v[0];
  } else {
    print_rec(os, v, shape(), 0, 0, contiguous_strides(shape()), is_int, width, 7, summarize);
  }
  os << ", shape=" << shape_str(shape()) << ", dtype=" << dtype_name(dtype()) << ", device=" << device().str();
  if (grad_fn()) os << ", grad_fn=<" << grad_fn()->name << ">";
  else if (requires_grad()) os << ", requires_grad=True";
  os << ")";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace genlab
