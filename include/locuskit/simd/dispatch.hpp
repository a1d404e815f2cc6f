#pragma once
/// \file simd/dispatch.hpp
/// The one dispatch point for SIMD kernels.
///
/// A kernel is a functor with `template <class Arch, ...> R operator()(Arch, ...) const noexcept`
/// (xsimd's pattern). `locuskit::simd::dispatch(kernel, args...)` calls it:
/// - header-only use: with `xsimd::default_arch`, the best architecture the compiler flags allow;
/// - compiled use (`LOCUSKIT_RUNTIME_DISPATCH`, set by CMake for the Python module, tests and
///   benchmarks): with the best architecture compiled into `src/dispatch/` that the CPU supports,
///   chosen once and cached. `set_forced_arch` pins one (for tests and benchmarks).
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <xsimd/xsimd.hpp>

namespace locuskit::simd {

/// Architectures a compiled locuskit may carry, best first.
enum class arch_id : int { scalar = 0, sse2 = 1, avx2 = 2, avx512 = 3 };

inline const char* arch_name(arch_id a) noexcept {
  switch (a) {
    case arch_id::sse2: return "sse2";
    case arch_id::avx2: return "avx2";
    case arch_id::avx512: return "avx512";
    default: return "scalar";
  }
}

/// Explicit instantiation lists. A kernel header defines
/// `#define MY_KERNEL_INSTANCES(EXTERN, Arch) EXTERN template R my_kernel::operator()<Arch, float>(Arch, ...) const noexcept;`
/// and writes `LOCUSKIT_FOR_EACH_DISPATCH_ARCH(MY_KERNEL_INSTANCES)`: `extern` declarations for every
/// compiled architecture (nothing in header-only builds). Its `src/dispatch/<area>.cpp` writes
/// `LOCUSKIT_INSTANTIATE_FOR_THIS_ARCH(MY_KERNEL_INSTANCES)` inside `namespace locuskit`.
#if defined(LOCUSKIT_RUNTIME_DISPATCH)
#if defined(LOCUSKIT_DISPATCH_HAS_SSE2)
#define LOCUSKIT_DISPATCH_SSE2_(M) M(extern, xsimd::sse2)
#else
#define LOCUSKIT_DISPATCH_SSE2_(M)
#endif
#if defined(LOCUSKIT_DISPATCH_HAS_AVX2)
#define LOCUSKIT_DISPATCH_AVX2_(M) M(extern, xsimd::fma3<xsimd::avx2>)
#else
#define LOCUSKIT_DISPATCH_AVX2_(M)
#endif
#if defined(LOCUSKIT_DISPATCH_HAS_AVX512)
#define LOCUSKIT_DISPATCH_AVX512_(M) M(extern, xsimd::avx512bw)
#else
#define LOCUSKIT_DISPATCH_AVX512_(M)
#endif
#define LOCUSKIT_FOR_EACH_DISPATCH_ARCH(M) \
  LOCUSKIT_DISPATCH_SSE2_(M) LOCUSKIT_DISPATCH_AVX2_(M) LOCUSKIT_DISPATCH_AVX512_(M)
#else
#define LOCUSKIT_FOR_EACH_DISPATCH_ARCH(M)
#endif

/// In a src/dispatch/ translation unit: instantiate one kernel list for the unit's architecture.
#define LOCUSKIT_INSTANTIATE_FOR_THIS_ARCH(M) M(, LOCUSKIT_DISPATCH_ARCH)

namespace detail {
inline std::atomic<int>& forced_arch_slot() noexcept {
  static std::atomic<int> slot{-1};
  return slot;
}

inline arch_id detect_best_arch() noexcept {
#if defined(LOCUSKIT_RUNTIME_DISPATCH)
  const auto avail = xsimd::available_architectures();
#if defined(LOCUSKIT_DISPATCH_HAS_AVX512)
  if (avail.avx512bw) return arch_id::avx512;
#endif
#if defined(LOCUSKIT_DISPATCH_HAS_AVX2)
  if (avail.avx2 && avail.fma3_avx2) return arch_id::avx2;
#endif
#if defined(LOCUSKIT_DISPATCH_HAS_SSE2)
  if (avail.sse2) return arch_id::sse2;
#endif
  (void)avail;
#endif
  return arch_id::scalar;
}
}  // namespace detail

/// Architectures compiled in and supported by this CPU, best first.
inline std::vector<arch_id> available_archs() {
  std::vector<arch_id> out;
  const int best = static_cast<int>(detail::detect_best_arch());
  for (int a = best; a >= 1; --a) {
#if defined(LOCUSKIT_RUNTIME_DISPATCH)
    if (a == 3) {
#if defined(LOCUSKIT_DISPATCH_HAS_AVX512)
      out.push_back(arch_id::avx512);
#endif
    } else if (a == 2) {
#if defined(LOCUSKIT_DISPATCH_HAS_AVX2)
      out.push_back(arch_id::avx2);
#endif
    } else {
#if defined(LOCUSKIT_DISPATCH_HAS_SSE2)
      out.push_back(arch_id::sse2);
#endif
    }
#endif
  }
  return out;
}

/// The architecture dispatch uses now: the forced one if set, else the best available.
/// `LOCUSKIT_SIMD_ARCH=sse2|avx2|avx512` in the environment pins it at first use.
inline arch_id active_arch() noexcept {
  const int forced = detail::forced_arch_slot().load(std::memory_order_relaxed);
  if (forced >= 0) return static_cast<arch_id>(forced);
  static const arch_id best = [] {
    arch_id b = detail::detect_best_arch();
    if (const char* env = std::getenv("LOCUSKIT_SIMD_ARCH")) {
      for (int a = static_cast<int>(b); a >= 1; --a)
        if (std::strcmp(env, arch_name(static_cast<arch_id>(a))) == 0) return static_cast<arch_id>(a);
    }
    return b;
  }();
  return best;
}

/// Pins the architecture (must be one of available_archs()); `arch_id::scalar` or a negative
/// value via reset_forced_arch() returns to automatic choice. Returns false if not available.
inline bool set_forced_arch(arch_id a) {
  for (arch_id x : available_archs())
    if (x == a) {
      detail::forced_arch_slot().store(static_cast<int>(a));
      return true;
    }
  return false;
}
inline void reset_forced_arch() noexcept { detail::forced_arch_slot().store(-1); }

/// Calls `kernel(Arch{}, args...)` with the active architecture (see file comment).
template <class Kernel, class... Args>
decltype(auto) dispatch(const Kernel& kernel, Args&&... args) {
#if defined(LOCUSKIT_RUNTIME_DISPATCH)
  switch (active_arch()) {
#if defined(LOCUSKIT_DISPATCH_HAS_AVX512)
    case arch_id::avx512: return kernel(xsimd::avx512bw{}, std::forward<Args>(args)...);
#endif
#if defined(LOCUSKIT_DISPATCH_HAS_AVX2)
    case arch_id::avx2: return kernel(xsimd::fma3<xsimd::avx2>{}, std::forward<Args>(args)...);
#endif
    default: return kernel(xsimd::sse2{}, std::forward<Args>(args)...);
  }
#else
  return kernel(xsimd::default_arch{}, std::forward<Args>(args)...);
#endif
}

}  // namespace locuskit::simd
