#include "genlab/optim/optim.hpp"

#include <charconv>
#include <cmath>
#include <unordered_set>

#include "genlab/io/checkpoint.hpp"
#include "genlab/io/safetensors.hpp"
#include "genlab/ops/ops.hpp"

namespace genlab::optim {

Optimizer::Optimizer(std::vector<Tensor> params, double lr)
    : params_(std::move(params)), lr_(lr), param_step_(params_.size(), 0), state_(params_.size()) {
  std::unordered_set<const void*> seen;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    GENLAB_CHECK(p.defined(), "optimizer: parameter ", i, " is an undefined tensor");
    GENLAB_CHECK(p.requires_grad(), "optimizer: parameter ", i, " of shape ", shape_str(p.shape()), " does not require grad");
    // A view or result of an op never gets .grad, so stepping it would silently do nothing.
    GENLAB_CHECK(p.is_leaf(), "optimizer: can't optimize a non-leaf Tensor (parameter ", i, " of shape ",
                 shape_str(p.shape()), " was made by ", p.grad_fn()->name, "); pass the leaf it was computed from");
    GENLAB_CHECK(p.is_contiguous(), "optimizer: parameter ", i, " of shape ", shape_str(p.shape()), " must be contiguous");
    // The same tensor twice would be stepped twice (tied weights: use Module::parameters(), which dedups).
    GENLAB_CHECK(seen.insert(p.unsafe_impl()).second, "optimizer: parameter ", i, " of shape ", shape_str(p.shape()),
                 " appears more than once in the parameter list");
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
  for (size_t i = 0; i < state_.size(); ++i) {
    for (auto& [n, t] : state_[i]) out[std::to_string(i) + "." + n] = t;
    if (param_step_[i] > 0) out[std::to_string(i) + ".step"] = Tensor::from_vector(std::vector<int64_t>{param_step_[i]}, {1});
  }
  out["step"] = Tensor::from_vector(std::vector<int64_t>{step_}, {1});
  return out;
}

namespace {
// A step count stored as a one-element integer tensor.
int64_t step_value(const std::string& key, const Tensor& t) {
  GENLAB_CHECK(t.numel() == 1 && (t.dtype() == DType::i64 || t.dtype() == DType::i32), "optimizer state: '", key,
               "' must hold one integer, got ", dtype_name(t.dtype()), " ", shape_str(t.shape()));
  const int64_t v = t.to(DType::i64).item<int64_t>();
  GENLAB_CHECK(v >= 0, "optimizer state: '", key, "' is negative (", v, ")");
  return v;
}
}  // namespace

void Optimizer::load_state_dict(const std::map<std::string, Tensor>& state) {
  for (auto& [key, t] : state) {
    if (key == "step") { step_ = step_value(key, t); continue; }
    // "<param index>.<slot>" with a decimal index and a non-empty slot name
    const size_t dot = key.find('.');
    size_t i = 0;
    const char *b = key.data(), *e = key.data() + (dot == std::string::npos ? key.size() : dot);
    auto [end, ec] = std::from_chars(b, e, i);
    GENLAB_CHECK(dot != std::string::npos && dot > 0 && dot + 1 < key.size() && ec == std::errc() && end == e,
                 "optimizer state: malformed key '", key, "' (expected 'step' or '<param index>.<slot>')");
    GENLAB_CHECK(i < params_.size(), "optimizer state: key '", key, "' names parameter ", i, " but there are ",
                 params_.size());
    const std::string name = key.substr(dot + 1);
    if (name == "step") { param_step_[i] = step_value(key, t); continue; }
    Tensor& dst = slot(i, name);
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
  bump_updated();
}

// The kernels write through raw pointers: tell autograd, so a retained graph that
// saved these weights refuses a later backward instead of using the new values.
void Optimizer::bump_updated() const {
  for (auto& p : params_)
    if (p.grad().defined()) p.bump_version();
}

Adam::Adam(std::vector<Tensor> params, AdamOptions o, bool decoupled)
    : Optimizer(std::move(params), o.lr), options(o), decoupled(decoupled) {}

void Adam::load_state_dict(const std::map<std::string, Tensor>& state) {
  Optimizer::load_state_dict(state);
  for (size_t i = 0; i < params_.size(); ++i)
    if (state_[i].count("exp_avg") && !state.count(std::to_string(i) + ".step")) param_step_[i] = step_;
}

void Adam::step() {
  ++step_;
  // Parameters grouped by their own step count t (usually one group): each group
  // gets the bias correction of its t, as PyTorch's per-parameter state['step'].
  struct Group {
    std::vector<cpu::AdamParam<float>> f32, gpu;
    std::vector<cpu::AdamParam<double>> f64;
  };
  std::map<int64_t, Group> groups;
  std::vector<Tensor> grads;  // keeps contiguous copies of strided grads alive
  // AdamW decays the weights (p *= 1 - lr*wd); Adam adds wd*p to the gradient.
  const double decay = decoupled ? 1 - lr_ * options.weight_decay : 1, l2 = decoupled ? 0 : options.weight_decay;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].grad().defined()) continue;
    const Tensor& g = grads.emplace_back(ops::detail::dense(params_[i].grad()));
    Tensor& m = slot(i, "exp_avg");
    Tensor& v = slot(i, "exp_avg_sq");
    Group& grp = groups[++param_step_[i]];
    if (params_[i].device().is_cuda()) {
      ops::detail::check_cuda_f32("Adam", params_[i]);
      grp.gpu.push_back({params_[i].data<float>(), g.data<float>(), m.data<float>(), v.data<float>(), params_[i].numel()});
      continue;
    }
    dispatch_float(params_[i].dtype(), "Adam", [&]<class T>() {
      cpu::AdamParam<T> q{params_[i].data<T>(), g.data<T>(), m.data<T>(), v.data<T>(), params_[i].numel()};
      if constexpr (std::is_same_v<T, float>) grp.f32.push_back(q);
      else grp.f64.push_back(q);
    });
  }
  for (auto& [t, grp] : groups) {
    const double bc1 = 1 - std::pow(options.beta1, double(t)), bc2 = 1 - std::pow(options.beta2, double(t));
    auto run = [&]<class T>(const std::vector<cpu::AdamParam<T>>& ps) {
      if (!ps.empty())
        cpu::adam_step<T>(ps, T(options.beta1), T(options.beta2), T(options.eps), T(lr_ / bc1), T(1 / std::sqrt(bc2)),
                          T(decay), T(l2));
    };
    run(grp.f32);
    run(grp.f64);
    if (!grp.gpu.empty())
      cuda::adam_step(grp.gpu, float(options.beta1), float(options.beta2), float(options.eps), float(lr_ / bc1),
                      float(1 / std::sqrt(bc2)), float(decay), float(l2));
  }
  bump_updated();
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
