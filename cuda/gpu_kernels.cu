// Every listed kernel (genlab/backend/cuda_kernels.inc) instantiated for the
// GPU: impl::name<Gpu> from its group's file, launched by gpu_launch.cuh.
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
#include "gpu_launch.cuh"

namespace genlab::cuda::impl {
#define GENLAB_CUDA_KERNEL(name, params, args) template void name<Gpu> params;
#include "genlab/backend/cuda_kernels.inc"
#undef GENLAB_CUDA_KERNEL
}  // namespace genlab::cuda::impl
