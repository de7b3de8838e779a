// Module: owns named Parameters, buffers and child modules, with PyTorch's dotted
// state_dict names ("0.weight", "encoder.layer.0.attention.self.query.bias"), so
// real checkpoints load by name. Parameters are Tensor handles shared with the
// member fields of the subclass; load_state_dict copies into them in place.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "genlab/core/tensor.hpp"

namespace genlab::nn {

// A parameter is a Tensor that a Module registered with register_parameter
// (requires_grad on); the alias only documents intent, as torch.nn.Parameter does.
using Parameter = Tensor;

class Module {
 public:
  virtual ~Module() = default;
  // Single-input modules (layers, activations, Sequential) override this.
  virtual Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }

  // Each tensor once, under its first name: a tied (shared) parameter is one
  // parameter to optimizers and clipping, as in PyTorch.
  std::vector<std::pair<std::string, Tensor>> named_parameters(const std::string& prefix = "") const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(const std::string& prefix = "") const;
  std::vector<Tensor> parameters() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const { return children_; }
  // Parameters and buffers by dotted name; a tied tensor appears under each of its names.
  std::map<std::string, Tensor> state_dict() const;
  // Copies values in by name; strict: every name must match both ways, shapes always.
  void load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true);
  // Model weights as safetensors (atomic write).
  void save(const std::string& path) const;
  void load(const std::string& path, bool strict = true);

  // Moves every parameter and buffer to `device` in place (set_data): the
  // module's fields and an optimizer built on parameters() follow. Returns *this.
  Module& to(Device device);

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad();
  int64_t num_parameters() const;

 protected:
  Parameter register_parameter(const std::string& name, Tensor t, bool requires_grad = true);
  Tensor register_buffer(const std::string& name, Tensor t);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }

 private:
  std::vector<std::pair<std::string, Tensor>> named(const std::string& prefix, bool buffers) const;
  std::vector<std::pair<std::string, Tensor>> params_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace genlab::nn
