// The backward engine and gradcheck.
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "genlab/autograd/autograd.hpp"
#include "genlab/ops/ops.hpp"

namespace genlab::autograd {

void record(const char* name, Tensor& out, std::vector<Tensor> inputs, BackwardFn fn, Saves saves,
            const std::vector<Tensor>& also_saved) {
  auto node = std::make_shared<Node>();
  node->name = name;
  node->inputs = std::move(inputs);
  node->backward = std::move(fn);
  if (saves == Saves::inputs || saves == Saves::inputs_and_output) {
    for (size_t i = 0; i < node->inputs.size(); ++i) {
      const Tensor& t = node->inputs[i];
      if (t.defined()) node->saved.push_back({t.storage(), t.version(), int(i), {}});
    }
  }
  if (saves == Saves::output || saves == Saves::inputs_and_output)
    node->saved.push_back({out.storage(), out.version(), SavedVersion::kOutput, out.shape()});
  for (const Tensor& t : also_saved)
    if (t.defined()) node->saved.push_back({t.storage(), t.version(), SavedVersion::kOther, t.shape()});
  out.unsafe_impl()->grad_fn = std::move(node);
  out.unsafe_impl()->requires_grad = true;
}

Node::~Node() {
  // Detach the nodes only this one keeps alive and free them from a work list:
  // each is destroyed with its inputs already taken, so nothing recurses.
  std::vector<std::shared_ptr<Node>> pending;
  auto take_inputs = [&pending](Node& n) {
    n.backward = nullptr;  // its captures may share the inputs' handles
    for (Tensor& t : n.inputs) {
      if (!t.defined()) continue;
      long here = 0;  // a tensor used twice (t * t) has a handle in each slot
      for (const Tensor& u : n.inputs) here += u.defined() && u.is_same(t);
      if (t.handle_count() != here) continue;
      std::shared_ptr<Node>& fn = t.unsafe_impl()->grad_fn;
      if (fn && fn.use_count() == 1) pending.push_back(std::move(fn));
    }
    n.inputs.clear();
  };
  take_inputs(*this);
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    take_inputs(*n);
  }
}

namespace {
// Raises if a tensor `node` saved in its forward pass was written in place since.
void check_saved_versions(const Node& node) {
  for (const SavedVersion& s : node.saved) {
    const bool is_input = s.input >= 0;
    const Storage* now = is_input ? node.inputs[size_t(s.input)].storage().get() : s.storage.get();
    const uint64_t v = now->version.load(std::memory_order_relaxed);
    if (now == s.storage.get() && v == s.version) continue;
    std::ostringstream what;
    if (is_input) what << "input " << s.input;
    else what << (s.input == SavedVersion::kOutput ? "output" : "saved tensor (indices, mask or target)");
    const Shape& shape = is_input ? node.inputs[size_t(s.input)].shape() : s.shape;
    GENLAB_FAIL("backward through ", node.name, ": its ", what.str(), " of shape ", shape_str(shape),
                " was modified by an in-place operation after the forward pass (version ", s.version, ", now ",
                now == s.storage.get() ? std::to_string(v) : std::string("replaced by set_data"),
                "); compute it out of place, or run backward before modifying it");
  }
}

// Leaves may be shared by graphs whose backward runs on several threads at once
// (PyTorch locks each AccumulateGrad the same way).
std::mutex g_accumulate_mutex;

void accumulate_leaf(const Tensor& leaf, Tensor g) {
  GENLAB_CHECK(g.shape() == leaf.shape(), "autograd: gradient of shape ", shape_str(g.shape()),
               " for a leaf of shape ", shape_str(leaf.shape()));
  GENLAB_CHECK(g.dtype() == leaf.dtype(), "autograd: gradient of dtype ", dtype_name(g.dtype()), " for a leaf of dtype ",
               dtype_name(leaf.dtype()), " and shape ", shape_str(leaf.shape()));
  std::lock_guard<std::mutex> lock(g_accumulate_mutex);
  Tensor cur = leaf.grad();
  if (!cur.defined()) {
    // Adopt a gradient nothing else references (PyTorch "steals" it too); copy
    // one that another node or view may still hand out, so that later in-place
    // accumulation cannot change it.
    if (g.is_sole_owner() && g.is_contiguous() && g.storage_offset() == 0 && g.dtype() == leaf.dtype()) {
      const_cast<Tensor&>(leaf).set_grad(g);
      return;
    }
    Tensor own = Tensor::empty(leaf.shape(), TensorOptions(leaf.dtype(), leaf.device()));
    own.copy_(g);
    const_cast<Tensor&>(leaf).set_grad(own);
  } else {
    ops::add_(cur, g);
  }
}

// Nodes reachable from root, inputs before their consumers. Owning pointers:
// freeing a node's inputs after its backward must not free nodes still to run.
std::vector<std::shared_ptr<Node>> topo_order(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<Node*> seen{root.get()};
  std::vector<std::pair<std::shared_ptr<Node>, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const Tensor& in = node->inputs[next++];
      std::shared_ptr<Node> child = in.defined() ? in.grad_fn() : nullptr;
      if (child && seen.insert(child.get()).second) stack.push_back({child, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  return order;
}
}  // namespace

void run_backward(const Tensor& root, const Tensor& grad_in, bool retain_graph) {
  GENLAB_CHECK(root.requires_grad(), "backward: the tensor of shape ", shape_str(root.shape()),
               " does not require grad and has no grad_fn");
  Tensor grad = grad_in;
  if (!grad.defined()) {
    GENLAB_CHECK(root.numel() == 1, "backward: grad can be implicit only for a one-element output, got shape ",
                 shape_str(root.shape()));
    grad = Tensor::ones(root.shape(), TensorOptions(root.dtype(), root.device()));
  }
  GENLAB_CHECK(grad.shape() == root.shape(), "backward: grad of shape ", shape_str(grad.shape()),
               " for an output of shape ", shape_str(root.shape()));
  GENLAB_CHECK(grad.device() == root.device(), "backward: grad on ", grad.device().str(), " for an output on ",
               root.device().str());
  GENLAB_CHECK(is_floating(grad.dtype()), "backward: grad of dtype ", dtype_name(grad.dtype()), " for an output of dtype ",
               dtype_name(root.dtype()), "; gradients are floating point");
  if (grad.dtype() != root.dtype()) grad = grad.detach().to(root.dtype());  // as PyTorch: cast to the output's dtype
  NoGradGuard no_grad;
  if (root.is_leaf()) { accumulate_leaf(root, grad); return; }

  std::vector<std::shared_ptr<Node>> order = topo_order(root.grad_fn());
  std::unordered_map<Node*, Tensor> grads{{root.grad_fn().get(), grad}};
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = it->get();
    auto git = grads.find(node);
    if (git == grads.end()) continue;
    Tensor g = git->second;
    grads.erase(git);
    GENLAB_CHECK(node->backward != nullptr, "backward through ", node->name,
                 " a second time: its saved tensors were freed; pass retain_graph=true the first time");
    check_saved_versions(*node);
    std::vector<Tensor> outs = node->backward(g);
    GENLAB_CHECK(outs.size() == node->inputs.size(), node->name, " returned ", outs.size(), " gradients for ",
                 node->inputs.size(), " inputs");
    for (size_t i = 0; i < outs.size(); ++i) {
      const Tensor& inp = node->inputs[i];
      if (!outs[i].defined() || !inp.defined() || !inp.requires_grad()) continue;
      GENLAB_CHECK(outs[i].shape() == inp.shape() && outs[i].dtype() == inp.dtype(), node->name, " returned a ",
                   dtype_name(outs[i].dtype()), " gradient of shape ", shape_str(outs[i].shape()), " for its input ", i,
                   ", a ", dtype_name(inp.dtype()), " tensor of shape ", shape_str(inp.shape()));
      if (inp.grad_fn()) {
        Tensor& acc = grads[inp.grad_fn().get()];
        acc = acc.defined() ? ops::add(acc, outs[i]) : outs[i];
      } else {
        accumulate_leaf(inp, std::move(outs[i]));
      }
    }
    if (!retain_graph) {
      node->backward = nullptr;
      node->inputs.clear();
      node->saved.clear();
    }
  }
}

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Tensor>& inputs,
                          GradcheckOptions opt) {
  for (const auto& x : inputs)
    GENLAB_CHECK(!x.defined() || !x.requires_grad() || x.dtype() == DType::f64,
                 "gradcheck: inputs that require grad must be float64, got ", dtype_name(x.dtype()));
  // analytic: d/dx sum(f(x) * r)
  std::vector<Tensor> xs;
  for (const auto& x : inputs) {
    if (!x.defined()) { xs.push_back(x); continue; }
    Tensor c = x.detach().clone();
    if (x.requires_grad()) c.requires_grad_(true);
    xs.push_back(c);
  }
  Tensor out = f(xs);
  Tensor r = Tensor::from_vector(
      [&] {
        std::vector<double> v(static_cast<size_t>(out.numel()));
        for (size_t i = 0; i < v.size(); ++i) v[i] = 0.5 + 0.37 * double((i * 7919) % 11) / 11.0;
        return v;
      }(),
      out.shape(), DType::f64);
  GradcheckResult res;
  if (!out.requires_grad()) {
    res.ok = false;
    res.message = "output does not require grad";
    return res;
  }
  ops::sum(ops::mul(out, r)).backward();

  auto loss_at = [&](const std::vector<Tensor>& in) {
    NoGradGuard ng;
    return ops::sum(ops::mul(f(in), r)).item<double>();
  };
  for (size_t k = 0; k < xs.size(); ++k) {
    if (!xs[k].defined() || !xs[k].requires_grad()) continue;
    std::vector<double> analytic = xs[k].grad().defined() ? xs[k].grad().to_vector<double>()
                                                          : std::vector<double>(size_t(xs[k].numel()), 0.0);
    std::vector<Tensor> probe;
    for (const auto& x : xs) probe.push_back(x.defined() ? x.detach().clone() : x);
    double* p = probe[k].data<double>();
    for (int64_t i = 0; i < probe[k].numel(); ++i) {
      const double orig = p[i];
      p[i] = orig + opt.eps;
      const double lp = loss_at(probe);
      p[i] = orig - opt.eps;
      const double lm = loss_at(probe);
      p[i] = orig;
      const double numeric = (lp - lm) / (2 * opt.eps), a = analytic[size_t(i)];
      const double err = std::abs(numeric - a);
      res.max_abs_err = std::max(res.max_abs_err, err);
      res.max_rel_err = std::max(res.max_rel_err, err / std::max(std::abs(numeric), 1e-12));
      if (err > opt.atol + opt.rtol * std::abs(numeric) && res.ok) {
        res.ok = false;
        std::ostringstream os;
        os << "input " << k << " (shape " << shape_str(xs[k].shape()) << ") element " << i << ": analytic " << a
           << " vs numeric " << numeric;
        res.message = os.str();
      }
    }
  }
  return res;
}

}  // namespace genlab::autograd
