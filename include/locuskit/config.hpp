#pragma once
/// \file config.hpp
/// Version and the few user-visible macros.

// The one version source: CMake's project(), the Python package metadata (pyproject.toml's regex
// provider), `locuskit.__version__` and `locuskit --version` all read these three lines.
#define LOCUSKIT_VERSION_MAJOR 0
#define LOCUSKIT_VERSION_MINOR 1
#define LOCUSKIT_VERSION_PATCH 0

#define LOCUSKIT_DETAIL_STR2(x) #x
#define LOCUSKIT_DETAIL_STR(x) LOCUSKIT_DETAIL_STR2(x)
/// "MAJOR.MINOR.PATCH", e.g. "0.1.0".
#define LOCUSKIT_VERSION_STRING                                              \
  LOCUSKIT_DETAIL_STR(LOCUSKIT_VERSION_MAJOR) "." LOCUSKIT_DETAIL_STR(     \
      LOCUSKIT_VERSION_MINOR) "." LOCUSKIT_DETAIL_STR(LOCUSKIT_VERSION_PATCH)

/// Marks geometry that must compute the same bits on host and device (CUDA).
#if defined(__CUDACC__)
#define LOCUSKIT_HOST_DEVICE __host__ __device__
#else
#define LOCUSKIT_HOST_DEVICE
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LOCUSKIT_FORCEINLINE inline __attribute__((always_inline))
#else
#define LOCUSKIT_FORCEINLINE inline
#endif

/// Inner-loop assertions: on in debug builds only (public entry points use LOCUSKIT_CHECK).
#if !defined(NDEBUG) && !defined(__CUDACC__)
#include <cassert>
#define LOCUSKIT_DEBUG_ASSERT(cond) assert(cond)
#else
#define LOCUSKIT_DEBUG_ASSERT(cond) ((void)0)
#endif

/// GCC 12's AVX-512 intrinsics (avx512fintrin.h) trip -Wuninitialized/-Wmaybe-uninitialized on their
/// own `_mm512_undefined_*()` placeholders once inlined into a kernel (GCC bug 105593, fixed in GCC
/// 13). The headers holding SIMD kernels wrap their code in these, so the two warnings are off for
/// that code only (GCC honours the pragmas along the inlining chain) and stay on for the user's.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#define LOCUSKIT_SIMD_WARNINGS_BEGIN                                \
  _Pragma("GCC diagnostic push")                                    \
  _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")             \
  _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define LOCUSKIT_SIMD_WARNINGS_END _Pragma("GCC diagnostic pop")
#else
#define LOCUSKIT_SIMD_WARNINGS_BEGIN
#define LOCUSKIT_SIMD_WARNINGS_END
#endif
