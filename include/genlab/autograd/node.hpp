// Define-by-run autograd. An op whose inputs require grad records a Node on its
// output: the inputs and a closure computing their gradients from the output's.
// Tensor::backward() walks the nodes in reverse topological order, accumulating
// into leaf tensors' .grad(). Backward closures run under NoGradGuard (no
// double backward); a node drops its closure after use unless retain_graph.
// In-place writes (Tensor::copy_, fill_, optimizer steps) bump a version counter
// on the tensor's memory; backward through a node whose saved tensors changed
// raises, as PyTorch does, instead of using the new values silently.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "genlab/core/tensor.hpp"

namespace genlab::autograd {

using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

// What a node's backward may read, checked against in-place writes made
// between the forward pass and backward (Tensor::version()).
enum class Saves { nothing, inputs, output, inputs_and_output };

// The version a tensor's memory had when its op ran: input `input` of the node
// (input >= 0), its output (kOutput), or another tensor its backward reads,
// such as indices or a mask (kOther).
struct SavedVersion {
  std::shared_ptr<Storage> storage;
  uint64_t version = 0;
  static constexpr int kOutput = -1, kOther = -2;
  int input = kOutput;
  Shape shape;  // the output's or other's (an input's is read from Node::inputs)
};

struct Node {
  std::string name;             // e.g. "MatmulBackward", shown in printouts
  std::vector<Tensor> inputs;   // same order as the gradients BackwardFn returns
  BackwardFn backward;
  std::vector<SavedVersion> saved;
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // Frees the graph behind it iteratively: a chain of 10^6 nodes must not
  // recurse 10^6 destructors deep.
  ~Node();
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
// By default the versions of the inputs and of `out` are saved, so backward
// raises if any was written in place since; ops whose backward reads only
// their inputs (mul, matmul, linear ...) pass Saves::inputs, those that read
// only their result (softmax) Saves::output, and ops that read none of them
// (views, add, sum, max, index_select ...) Saves::nothing, as PyTorch saves.
// `also_saved` lists other tensors the backward reads (indices, masks, targets),
// so writing them in place is caught too (PyTorch raises there as well).
void record(const char* name, Tensor& out, std::vector<Tensor> inputs, BackwardFn fn,
            Saves saves = Saves::inputs_and_output, const std::vector<Tensor>& also_saved = {});

void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph);

}  // namespace genlab::autograd
