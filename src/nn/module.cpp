#include "genlab/nn/module.hpp"

#include <unordered_set>

#include "genlab/io/safetensors.hpp"
#include "genlab/ops/ops.hpp"

namespace genlab::nn {

Tensor Module::forward(const Tensor&) {
  GENLAB_FAIL("this module has no single-input forward(); call its own forward signature");
}

Parameter Module::register_parameter(const std::string& name, Tensor t, bool requires_grad) {
  for (auto& [n, p] : params_) GENLAB_CHECK(n != name, "register_parameter: '", name, "' already registered");
  if (requires_grad) t.requires_grad_(true);
  params_.emplace_back(name, t);
  return t;
}
Tensor Module::register_buffer(const std::string& name, Tensor t) {
  buffers_.emplace_back(name, t);
  return t;
}

// Own entries first, then each child's under "<child>.", as torch.nn.Module orders them.
std::vector<std::pair<std::string, Tensor>> Module::named(const std::string& prefix, bool buffers) const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (auto& [n, t] : buffers ? buffers_ : params_) out.emplace_back(prefix + n, t);
  for (auto& [n, c] : children_) {
    auto sub = c->named(prefix + n + ".", buffers);
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}
namespace {
// Keeps the first name of each tensor: a tied (shared) parameter is one parameter,
// as in torch's named_parameters(remove_duplicate=True).
std::vector<std::pair<std::string, Tensor>> unique(std::vector<std::pair<std::string, Tensor>> all) {
  std::unordered_set<const void*> seen;
  std::vector<std::pair<std::string, Tensor>> out;
  for (auto& e : all)
    if (seen.insert(e.second.unsafe_impl()).second) out.push_back(std::move(e));
  return out;
}
}  // namespace
std::vector<std::pair<std::string, Tensor>> Module::named_parameters(const std::string& prefix) const {
  return unique(named(prefix, false));
}
std::vector<std::pair<std::string, Tensor>> Module::named_buffers(const std::string& prefix) const {
  return unique(named(prefix, true));
}
std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, p] : named_parameters()) out.push_back(p);
  return out;
}
// Every name, tied ones too, as torch's state_dict: checkpoints name both.
std::map<std::string, Tensor> Module::state_dict() const {
  std::map<std::string, Tensor> out;
  for (auto& [n, p] : named("", false)) out[n] = p;
  for (auto& [n, b] : named("", true)) out[n] = b;
  return out;
}

void Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict) {
  auto mine = state_dict();
  std::string missing, unexpected;
  for (auto& [n, t] : mine)
    if (!state.count(n)) missing += " " + n;
  for (auto& [n, t] : state)
    if (!mine.count(n)) unexpected += " " + n;
  GENLAB_CHECK(!strict || (missing.empty() && unexpected.empty()), "load_state_dict: missing keys:[", missing,
               " ], unexpected keys:[", unexpected, " ]");
  autograd::NoGradGuard ng;
  for (auto& [n, dst] : mine) {
    auto it = state.find(n);
    if (it == state.end()) continue;
    GENLAB_CHECK(it->second.shape() == dst.shape(), "load_state_dict: '", n, "' has shape ", shape_str(it->second.shape()),
                 " in the checkpoint but ", shape_str(dst.shape()), " in the model");
    Tensor d = dst;
    d.copy_(it->second);
  }
}

void Module::save(const std::string& path) const { io::save_safetensors(path, state_dict()); }
Module& Module::to(Device device) {
  autograd::NoGradGuard ng;
  for (auto* list : {&params_, &buffers_})
    for (auto& [name, t] : *list)
      if (t.device() != device) t.set_data(t.detach().to(device));
  for (auto& [name, child] : children_) child->to(device);
  return *this;
}

void Module::load(const std::string& path, bool strict) { load_state_dict(io::SafeTensors::open(path).all(), strict); }

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, c] : children_) c->train(on);
}
void Module::zero_grad() {
  for (auto& p : parameters()) p.set_grad(Tensor());
}
int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace genlab::nn
