#pragma once
/// \file config.hpp
/// Version and the few user-visible macros.

#define LOCUSKIT_VERSION_MAJOR 0
#define LOCUSKIT_VERSION_MINOR 1
#define LOCUSKIT_VERSION_PATCH 0
#define LOCUSKIT_VERSION_STRING "0.1.0"

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
