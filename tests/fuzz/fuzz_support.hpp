#pragma once
// Helpers shared by the libFuzzer targets: turning bytes into boxes, ids and thresholds, picking
// a SIMD architecture, and a check that stops the run (libFuzzer then saves the input).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>
#include <locuskit/simd/dispatch.hpp>

// A differential mismatch or a broken invariant: print and abort (libFuzzer reports a crash and
// writes the input to crash-<sha1>).
#define FUZZ_CHECK(cond, ...)                                                   \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n  ", __FILE__,     \
                   __LINE__, #cond);                                            \
      std::fprintf(stderr, __VA_ARGS__);                                        \
      std::fprintf(stderr, "\n");                                               \
      std::abort();                                                             \
    }                                                                           \
  } while (0)

namespace locuskit::fuzz {

/// Equal bit for bit, or both NaN (any payload).
template <class T>
bool same_value(T a, T b) noexcept {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

/// Prints n boxes (for the message of a failed check).
template <class T>
void print_boxes(const char* name, const std::vector<T>& b) {
  std::fprintf(stderr, "%s (%zu boxes):\n", name, b.size() / 4);
  for (std::size_t i = 0; i < b.size(); i += 4)
    std::fprintf(stderr, "  [%.17g, %.17g, %.17g, %.17g]\n", static_cast<double>(b[i]), static_cast<double>(b[i + 1]),
                 static_cast<double>(b[i + 2]), static_cast<double>(b[i + 3]));
}

/// Pins one of the architectures available here, chosen by the input (so every dispatched kernel
/// is fuzzed, not only the best one).
inline void pick_arch(FuzzedDataProvider& in) {
  const auto archs = simd::available_archs();
  if (archs.empty()) return;
  simd::set_forced_arch(archs[in.ConsumeIntegralInRange<std::size_t>(0, archs.size() - 1)]);
}

/// A coordinate: mostly small integers and halves (exact ties, exact thresholds, touching and
/// zero-area boxes), sometimes an arbitrary bit pattern (NaN, ±inf, subnormals, huge values).
template <class T>
T coordinate(FuzzedDataProvider& in) {
  const std::uint8_t kind = in.ConsumeIntegral<std::uint8_t>();
  if (kind < 160) return static_cast<T>(static_cast<int>(kind % 32) - 4);
  if (kind < 200) return static_cast<T>(in.ConsumeIntegralInRange<int>(-64, 1024)) / T(2);
  if (kind < 240) return static_cast<T>(in.ConsumeFloatingPointInRange<double>(-100.0, 100.0));
  if (kind < 250) return static_cast<T>(in.ConsumeFloatingPoint<double>());
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  const Bits bits = in.ConsumeIntegral<Bits>();
  T v;
  std::memcpy(&v, &bits, sizeof(T));
  return v;
}

/// n xyxy boxes; with `ordered` most have x1 <= x2 and y1 <= y2 (the valid case), else anything.
template <class T>
std::vector<T> boxes(FuzzedDataProvider& in, std::size_t n) {
  std::vector<T> out(4 * n);
  for (std::size_t i = 0; i < n; ++i) {
    T* b = out.data() + 4 * i;
    const std::uint8_t shape = in.ConsumeIntegral<std::uint8_t>();
    if (shape < 32 && i > 0) {  // duplicate of an earlier box: exact ties
      const std::size_t j = in.ConsumeIntegralInRange<std::size_t>(0, i - 1);
      std::memcpy(b, out.data() + 4 * j, 4 * sizeof(T));
      continue;
    }
    for (int c = 0; c < 4; ++c) b[c] = coordinate<T>(in);
    if (shape < 224) {  // mostly valid boxes (x1 <= x2, y1 <= y2)
      if (b[2] < b[0]) std::swap(b[0], b[2]);
      if (b[3] < b[1]) std::swap(b[1], b[3]);
    }
  }
  return out;
}

/// n scores: mostly few distinct values (ties), sometimes arbitrary (NaN, ±inf, -0.0).
template <class T>
std::vector<T> scores(FuzzedDataProvider& in, std::size_t n) {
  std::vector<T> out(n);
  for (auto& s : out) {
    const std::uint8_t kind = in.ConsumeIntegral<std::uint8_t>();
    if (kind < 200) s = static_cast<T>(kind % 16) / T(16);
    else if (kind < 250) s = static_cast<T>(in.ConsumeProbability<double>());
    else s = coordinate<T>(in);
  }
  return out;
}

/// A threshold: usually a round value in [-0.25, 1.25], sometimes any double (never NaN here;
/// NaN is an error the callers test separately).
inline double threshold(FuzzedDataProvider& in) {
  const std::uint8_t kind = in.ConsumeIntegral<std::uint8_t>();
  double t;
  if (kind < 200) t = static_cast<double>(static_cast<int>(kind % 24) - 4) / 16.0;
  else t = in.ConsumeFloatingPoint<double>();
  return std::isnan(t) ? 0.5 : t;
}

/// Largest |class id| drawn: the whole int64 range (issue 10 defect 1 was a class range wider
/// than INT64_MAX; its reproducer is in corpus/fuzz_nms/).
inline constexpr std::int64_t max_abs_class_id = std::numeric_limits<std::int64_t>::max();

/// n int64 class ids: small ones mostly, sometimes extreme (±max_abs_class_id, sparse ranges).
inline std::vector<std::int64_t> class_ids(FuzzedDataProvider& in, std::size_t n) {
  std::vector<std::int64_t> out(n);
  for (auto& c : out) {
    const std::uint8_t kind = in.ConsumeIntegral<std::uint8_t>();
    if (kind < 220) c = static_cast<std::int64_t>(kind % 6) - 1;
    else if (kind < 240) c = in.ConsumeIntegralInRange<std::int64_t>(-max_abs_class_id, max_abs_class_id);
    else c = (kind & 1) ? max_abs_class_id : -max_abs_class_id;
  }
  return out;
}

}  // namespace locuskit::fuzz
