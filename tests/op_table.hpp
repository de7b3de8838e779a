// The op table, like ggml's test-backend-ops: every op with its input
// generators, which inputs are differentiable and which backends have a kernel.
// Case names match tests/parity/make_fixtures.py, which computes the PyTorch
// reference for each. Used by test_ops (parity, grad, torch parity) and the
// genlab_ops program (modes parity | grad | perf | table).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <genlab/genlab.hpp>

namespace genlab::testing {

struct InputSpec {
  enum Kind { normal, positive, uniform, index } kind;
  Shape shape;
  int64_t high = 0;  // index: values in [0, high)
};

struct OpCase {
  std::string name, group;
  std::vector<InputSpec> inputs;
  std::vector<bool> differentiable;
  std::function<Tensor(const std::vector<Tensor>&)> fn;
  bool cuda = false;  // the op's kernels exist on CUDA (checked by parity mode where a GPU exists)
};

const std::vector<OpCase>& op_table();
// Draws inputs for a case in the given float dtype (indices stay int64).
std::vector<Tensor> make_inputs(const OpCase& c, DType dtype, uint64_t seed);

}  // namespace genlab::testing

namespace genlab::testing {
inline void PrintTo(const OpCase& c, std::ostream* os) { *os << c.name; }
}  // namespace genlab::testing
