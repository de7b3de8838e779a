// Define-by-run autograd. An op whose inputs require grad records a Node on its
// output: the inputs and a closure computing their gradients from the output's.
// Tensor::backward() walks the nodes in reverse topological order, accumulating
// into leaf tensors' .grad(). Backward closures run under NoGradGuard (no
// double backward); a node drops its closure after use unless retain_graph.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "genlab/core/tensor.hpp"

namespace genlab::autograd {

using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  std::string name;             // e.g. "MatmulBackward", shown in printouts
  std::vector<Tensor> inputs;   // same order as the gradients BackwardFn returns
  BackwardFn backward;
};

bool grad_mode_enabled();
void set_grad_mode(bool on);

// Disables recording in a scope, like torch.no_grad().
class NoGradGuard {
 public:
  NoGradGuard() : prev_(grad_mode_enabled()) { set_grad_mode(false); }
  ~NoGradGuard() { set_grad_mode(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;
 private:
  bool prev_;
};

// True when grad mode is on and any input requires grad.
inline bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!grad_mode_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t && t->defined() && t->requires_grad()) return true;
  return false;
}
inline bool needs_grad(const Tensor& a) { return needs_grad({&a}); }
inline bool needs_grad(const Tensor& a, const Tensor& b) { return needs_grad({&a, &b}); }

// Attaches a Node to `out`; `fn` returns one gradient per input (undefined = none).
void record(const char* name, Tensor& out, std::vector<Tensor> inputs, BackwardFn fn);

void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph);

}  // namespace genlab::autograd
