#include "genlab/optim/optim.hpp"

#include <cmath>

#include "genlab/io/checkpoint.hpp"
#include "genlab/io/safetensors.hpp"
#include "genlab/ops/ops.hpp"

namespace genlab::optim {

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(lr), state_(params_.size()) {
  for (size_t i = 0; i < params_.size(); ++i) {
    GENLAB_CHECK(params_[i].requires_grad(), "optimizer: parameter ", i, " of shape ", shape_str(params_[i].shape()),
                 " does not require grad");
    GENLAB_CHECK(params_[i].is_contiguous(), "optimizer: parameter ", i, " of shape ", shape_str(params_[i].shape()),
                 " must be contiguous");
  }
}

void Optimizer::zero_grad() {
  for (auto& p : params_) p.set_grad(Tensor());
}

Tensor& Optimizer::slot(size_t i, const std::string& name) {
  Tensor& t = state_[i][name];
  const Tensor& p = params_[i];
  if (!t.defined()) t = Tensor::zeros(p.shape(), TensorOptions(p.dtype(), p.device()));
  else if (t.device() != p.device()) t = t.to(p.device());  // the model moved (Module::to): its state follows
  return t;
}

std::map<std::string, Tensor> Optimizer::state_dict() const {
  std::map<std::string, Tensor> out;
  for (size_t i = 0; i < state_.size(); ++i)
    for (auto& [n, t] : state_[i]) out[std::to_string(i) + "." + n] = t;
  out["step"] = Tensor::from_vector(std::vector<int64_t>{step_}, {1});
  return out;
}

void Optimizer::load_state_dict(const std::map<std::string, Tensor>& state) {
  for (auto& [key, t] : state) {
    if (key == "step") { step_ = t.item<int64_t>(); continue; }
    size_t dot = key.find('.');
    GENLAB_CHECK(dot != std::string::npos, "optimizer state: malformed key '", key, "'");
    size_t i = std::stoul(key.substr(0, dot));
    GENLAB_CHECK(i < params_.size(), "optimizer state: key '", key, "' names parameter ", i, " but there are ",
                 params_.size());
    Tensor& dst = slot(i, key.substr(dot + 1));
    GENLAB_CHECK(dst.shape() == t.shape(), "optimizer state: '", key, "' has shape ", shape_str(t.shape()), ", expected ",
                 shape_str(dst.shape()));
    dst.copy_(t);
  }
}

SGD::SGD(std::vector<Tensor> params, SGDOptions o) : Optimizer(std::move(params), o.lr), options(o) {
  GENLAB_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0), "SGD: Nesterov needs momentum > 0 and dampening 0");
}

void SGD::step() {
  ++step_;
  std::vector<Tensor> grads;  // keeps contiguous copies of strided grads alive
  std::vector<cpu::SgdParam<float>> f32, gpu;
  std::vector<cpu::SgdParam<double>> f64;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].grad().defined()) continue;
    const Tensor& g = grads.emplace_back(ops::detail::dense(params_[i].grad()));
    // As in PyTorch, the momentum buffer starts as the first gradient this parameter gets.
    const bool first = options.momentum != 0 && !state_[i].count("momentum_buffer");
    Tensor* buf = options.momentum != 0 ? &slot(i, "momentum_buffer") : nullptr;
    if (params_[i].device().is_cuda()) {
      ops::detail::check_cuda_f32("SGD", params_[i]);
      gpu.push_back({params_[i].data<float>(), g.data<float>(), buf ? buf->data<float>() : nullptr, params_[i].numel(), first});
      continue;
    }
    dispatch_float(params_[i].dtype(), "SGD", [&]<class T>() {
      cpu::SgdParam<T> q{params_[i].data<T>(), g.data<T>(), buf ? buf->data<T>() : nullptr, params_[i].numel(), first};
      if constexpr (std::is_same_v<T, float>) f32.push_back(q);
      else f64.push_back(q);
    });
  }
  auto run = [&]<class T>(const std::vector<cpu::SgdParam<T>>& group) {
    if (!group.empty())
      cpu::sgd_step<T>(group, T(lr_), T(options.weight_decay), T(options.momentum), T(options.dampening), options.nesterov);
  };
  run(f32);
  run(f64);
  if (!gpu.empty())
    cuda::sgd_step(gpu, float(lr_), float(options.weight_decay), float(options.momentum), float(options.dampening),
                   options.nesterov);
}

Adam::Adam(std::vector<Tensor> params, AdamOptions o, bool decoupled)
    : Optimizer(std::move(params), o.lr), options(o), decoupled(decoupled) {}

void Adam::step() {
  ++step_;
  const double bc1 = 1 - std::pow(options.beta1, double(step_)), bc2 = 1 - std::pow(options.beta2, double(step_));
  std::vector<Tensor> grads;  // keeps contiguous copies of strided grads alive
  std::vector<cpu::AdamParam<float>> f32, gpu;
  std::vector<cpu::AdamParam<double>> f64;
  // AdamW decays the weights (p *= 1 - lr*wd); Adam adds wd*p to the gradient.
  const double decay = decoupled ? 1 - lr_ * options.weight_decay : 1, l2 = decoupled ? 0 : options.weight_decay;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].grad().defined()) continue;
    const Tensor& g = grads.emplace_back(ops::detail::dense(params_[i].grad()));
    Tensor& m = slot(i, "exp_avg");
    Tensor& v = slot(i, "exp_avg_sq");
    if (params_[i].device().is_cuda()) {
      ops::detail::check_cuda_f32("Adam", params_[i]);
      gpu.push_back({params_[i].data<float>(), g.data<float>(), m.data<float>(), v.data<float>(), params_[i].numel()});
      continue;
    }
    dispatch_float(params_[i].dtype(), "Adam", [&]<class T>() {
      cpu::AdamParam<T> q{params_[i].data<T>(), g.data<T>(), m.data<T>(), v.data<T>(), params_[i].numel()};
      if constexpr (std::is_same_v<T, float>) f32.push_back(q);
      else f64.push_back(q);
    });
  }
  auto run = [&]<class T>(const std::vector<cpu::AdamParam<T>>& group) {
    if (!group.empty())
      cpu::adam_step<T>(group, T(options.beta1), T(options.beta2), T(options.eps), T(lr_ / bc1), T(1 / std::sqrt(bc2)),
                        T(decay), T(l2));
  };
  run(f32);
  run(f64);
  if (!gpu.empty())
    cuda::adam_step(gpu, float(options.beta1), float(options.beta2), float(options.eps), float(lr_ / bc1),
                    float(1 / std::sqrt(bc2)), float(decay), float(l2));
}

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
  autograd::NoGradGuard ng;
  double total = 0;  // squared norms summed per gradient, on its device and in its dtype, as torch does
  for (auto& p : params) {
    Tensor g = p.grad();
    if (g.defined()) total += ops::sum(ops::mul(g, g)).item<double>();
  }
  total = std::sqrt(total);
  const double scale = max_norm / (total + 1e-6);
  if (scale < 1) {
    for (auto& p : params) {
      Tensor g = p.grad();
      if (g.defined()) g.copy_(ops::mul(g, scale));
    }
  }
  return total;
}

double warmup_cosine_lr(int64_t step, int64_t warmup, int64_t total, double base_lr, double min_lr) {
  if (warmup > 0 && step < warmup) return base_lr * double(step + 1) / double(warmup);
  if (step >= total) return min_lr;
  double progress = double(step - warmup) / double(std::max<int64_t>(1, total - warmup));
  return min_lr + 0.5 * (base_lr - min_lr) * (1 + std::cos(M_PI * progress));
}

}  // namespace genlab::optim

namespace genlab::io {

void save_checkpoint(const std::string& path, const nn::Module& model, const optim::Optimizer* opt,
                     const std::map<std::string, std::string>& metadata) {
  std::map<std::string, Tensor> all;
  for (auto& [n, t] : model.state_dict()) all["model." + n] = t;
  if (opt)
    for (auto& [n, t] : opt->state_dict()) all["optim." + n] = t;
  save_safetensors(path, all, metadata);
}

std::map<std::string, std::string> load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer* opt) {
  SafeTensors f = SafeTensors::open(path);
  std::map<std::string, Tensor> m, o;
  for (auto& [n, t] : f.all()) {
    if (n.rfind("model.", 0) == 0) m[n.substr(6)] = t;
    else if (n.rfind("optim.", 0) == 0) o[n.substr(6)] = t;
  }
  GENLAB_CHECK(!m.empty(), "load_checkpoint: '", path, "' holds no 'model.*' tensors");
  model.load_state_dict(m);
  if (opt) {
    GENLAB_CHECK(!o.empty(), "load_checkpoint: '", path, "' holds no optimizer state ('optim.*')");
    opt->load_state_dict(o);
  }
  return f.metadata();
}

}  // namespace genlab::io
