// Optimizers with torch.optim semantics (SGD with momentum/Nesterov/weight decay,
// Adam with L2 weight decay, AdamW with decoupled weight decay), grad-norm
// clipping and a warmup + cosine learning-rate schedule. Updates run in place
// on the parameters' storage without recording autograd history.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "genlab/core/tensor.hpp"

namespace genlab::optim {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params, double lr);
  virtual ~Optimizer() = default;
  virtual void step() = 0;
  void zero_grad();  // sets grads to undefined (PyTorch's set_to_none)
  double lr() const { return lr_; }
  void set_lr(double lr) { lr_ = lr; }
  int64_t steps() const { return step_; }  // calls of step()
  // Updates parameter i has had (PyTorch's state[p]['step']): Adam's bias
  // correction uses it, so a parameter whose first gradient comes late starts at 1.
  int64_t param_steps(size_t i) const { return param_step_.at(i); }
  // State tensors by name ("<param index>.<slot>"), "<param index>.step" for each
  // parameter updated at least once, and the optimizer-wide "step", for checkpoints.
  std::map<std::string, Tensor> state_dict() const;
  virtual void load_state_dict(const std::map<std::string, Tensor>& state);

 protected:
  Tensor& slot(size_t param, const std::string& name);  // zero-initialised on first use
  void bump_updated() const;  // bumps the version of every parameter with a gradient (after a step)
  std::vector<Tensor> params_;
  double lr_;
  int64_t step_ = 0;
  std::vector<int64_t> param_step_;  // per parameter; only optimizers that need it advance it
  std::vector<std::map<std::string, Tensor>> state_;
};

struct SGDOptions {
  double lr = 0.01, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
};
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions o);
  void step() override;
  SGDOptions options;
};

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
};
class Adam : public Optimizer {
 public:
  // decoupled = true gives AdamW.
  Adam(std::vector<Tensor> params, AdamOptions o, bool decoupled = false);
  void step() override;
  // Files written before per-parameter steps existed lack "<i>.step": a parameter
  // with moments then takes the optimizer-wide step, what those files assumed.
  void load_state_dict(const std::map<std::string, Tensor>& state) override;
  AdamOptions options;
  bool decoupled;
};
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamOptions o) : Adam(std::move(params), o, true) {}
};

// Scales grads so their global L2 norm is at most max_norm; returns the norm before.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm);

// Linear warmup for `warmup` steps, then cosine decay from base_lr to min_lr at `total`.
double warmup_cosine_lr(int64_t step, int64_t warmup, int64_t total, double base_lr, double min_lr = 0);

}  // namespace genlab::optim
