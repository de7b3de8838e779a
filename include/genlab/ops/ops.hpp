// All differentiable ops. Each op validates, dispatches on device, runs its
// kernel and records its backward in one place.
#pragma once
#include "genlab/ops/compare.hpp"
#include "genlab/ops/einsum.hpp"
#include "genlab/ops/conv.hpp"
#include "genlab/ops/elementwise.hpp"
#include "genlab/ops/index.hpp"
#include "genlab/ops/linalg.hpp"
#include "genlab/ops/loss.hpp"
#include "genlab/ops/loss_pointwise.hpp"
#include "genlab/ops/nn.hpp"
#include "genlab/ops/norm.hpp"
#include "genlab/ops/pool.hpp"
#include "genlab/ops/reduce.hpp"
#include "genlab/ops/scatter.hpp"
#include "genlab/ops/shape.hpp"
#include "genlab/ops/sort.hpp"
#include "genlab/ops/view.hpp"
