// Every listed kernel (genlab/backend/cuda_kernels.inc) instantiated for the
// emulated device: impl::name<Emulated> from its group's file, launched by
// emulated.hpp. Host C++, built with or without nvcc.
#include "conv.cuh"
#include "elementwise.cuh"
#include "index.cuh"
#include "interp.cuh"
#include "loss.cuh"
#include "norm.cuh"
#include "optim.cuh"
#include "reduce.cuh"
#include "rnn.cuh"
#include "softmax.cuh"
#include "sort.cuh"
#include "emulated.hpp"

namespace genlab::cuda::impl {
#define GENLAB_CUDA_KERNEL(name, params, args) template void name<Emulated> params;
#include "genlab/backend/cuda_kernels.inc"
#undef GENLAB_CUDA_KERNEL
}  // namespace genlab::cuda::impl
