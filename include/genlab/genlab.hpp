// genlab: everything. Each folder also has its own umbrella header.
#pragma once
#include "genlab/autograd/autograd.hpp"
#include "genlab/backend/blas_core.hpp"
#include "genlab/core/core.hpp"
#include "genlab/data/data.hpp"
#include "genlab/energy/meter.hpp"
#include "genlab/io/io.hpp"
#include "genlab/models/mlp.hpp"
#include "genlab/nn/nn.hpp"
#include "genlab/ops/ops.hpp"
#include "genlab/optim/optim.hpp"
#include "genlab/train/trainer.hpp"
