// gradcheck: compares the analytic gradient of sum(f(inputs) * r), for a fixed
// random r, with central finite differences in float64, like torch.autograd.gradcheck.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "genlab/core/tensor.hpp"

namespace genlab::autograd {

struct GradcheckResult {
  bool ok = true;
  double max_abs_err = 0, max_rel_err = 0;
  std::string message;  // names the input and element of the worst mismatch
};

struct GradcheckOptions {
  double eps = 1e-6, atol = 1e-5, rtol = 1e-3;
};

// `inputs` must be float64; those with requires_grad are checked.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, GradcheckOptions opt = {});

}  // namespace genlab::autograd
