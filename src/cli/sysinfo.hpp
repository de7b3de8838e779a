#pragma once
namespace genlab::cli {
// Prints the machine facts genlab acts on (CPU features, threads, BLAS kernels,
// CUDA, energy counters); returns the exit code.
int sysinfo();
}  // namespace genlab::cli
