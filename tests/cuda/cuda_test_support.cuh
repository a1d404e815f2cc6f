// What every GPU test program in tests/cuda shares: the check counters, a CUDA error check that
// reports, the skip without a device (exit code 77: ctest's SKIP_RETURN_CODE, scripts/gpu-check)
// and the summary line with the exit status.
#pragma once

#include <cuda_runtime.h>

#include <cstdio>

namespace locuskit::cuda_test {

inline int failures = 0, checks = 0;

/// True on cudaSuccess; otherwise prints the error with `what` (the caller counts the failure).
inline bool ok(cudaError_t e, const char* what) {
  if (e != cudaSuccess) std::printf("CUDA error in %s: %s\n", what, cudaGetErrorString(e));
  return e == cudaSuccess;
}

/// The exit code of a program that finds no CUDA device (it prints why), or 0 when one is present.
inline int skip_without_device() {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("no CUDA device: skipped\n");
    return 77;
  }
  return 0;
}

/// Prints "<what>N checks, M failures" and returns the program's exit status.
inline int report(const char* what) {
  std::printf("%s%d checks, %d failures\n", what, checks, failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace locuskit::cuda_test
