// Differential fuzz target for the torchvision/detectron2 box decoder: box_coder_decode (SIMD
// exp, every architecture, 1 or 3 threads) against reference::box_coder_decode (C library exp).
// Both are documented to agree within 4 ulp of the box's largest coordinate (x1 = cx - w/2
// cancels); the returned flag says whether every anchor coordinate is finite.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include <locuskit/coder.hpp>

#include "fuzz_support.hpp"

namespace {
using namespace locuskit;

template <class T>
void run(FuzzedDataProvider& in) {
  const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 40);
  const std::size_t k = in.ConsumeIntegralInRange<std::size_t>(1, 3);
  const std::vector<T> anchors = fuzz::boxes<T>(in, n);
  std::vector<T> deltas(4 * n * k);
  for (auto& d : deltas) {
    const std::uint8_t kind = in.ConsumeIntegral<std::uint8_t>();
    d = kind < 240 ? static_cast<T>(in.ConsumeFloatingPointInRange<double>(-8.0, 8.0)) : fuzz::coordinate<T>(in);
  }
  DeltaWeights w;
  if (in.ConsumeBool()) w = DeltaWeights{10, 10, 5, 5};
  const double clamp = in.ConsumeBool() ? default_scale_clamp : in.ConsumeFloatingPointInRange<double>(-20.0, 100.0);
  const int threads = in.ConsumeBool() ? 1 : 3;

  std::vector<T> ref(deltas.size()), out(deltas.size());
  reference::box_coder_decode(deltas.data(), anchors.data(), n, k, ref.data(), w, clamp);
  const bool finite = box_coder_decode(deltas.data(), anchors.data(), n, k, out.data(), w, clamp, Parallel{threads});
  bool anchors_finite = true;
  for (const T v : anchors) anchors_finite &= std::isfinite(v);
  FUZZ_CHECK(finite == anchors_finite, "box_coder_decode returned %d but the anchors are %sall finite", finite,
             anchors_finite ? "" : "not ");
  for (std::size_t row = 0; row < ref.size(); row += 4) {
    T scale = T(1);
    bool ref_finite = true;
    for (std::size_t c = 0; c < 4; ++c) {
      scale = std::max(scale, std::fabs(ref[row + c]));
      ref_finite &= std::isfinite(ref[row + c]);
    }
    if (!ref_finite || !std::isfinite(scale)) {
      // NaN where the oracle has NaN (a NaN delta propagates), unless an infinity is involved:
      // at the overflow boundary the last exp ulp decides inf (then inf - inf = NaN) or not.
      bool any_inf = false;
      for (std::size_t c = 0; c < 4; ++c) any_inf |= std::isinf(ref[row + c]) || std::isinf(out[row + c]);
      if (!any_inf)
        for (std::size_t c = 0; c < 4; ++c)
          FUZZ_CHECK(std::isnan(out[row + c]) == std::isnan(ref[row + c]), "decode[%zu][%zu] = %g, reference %g",
                     row / 4, c, static_cast<double>(out[row + c]), static_cast<double>(ref[row + c]));
      continue;
    }
    // exp's ulp error is amplified by |w| * exp(dw); scale bounds |pcx ± w/2| from above.
    const T tol = 4 * std::numeric_limits<T>::epsilon() * scale;
    for (std::size_t c = 0; c < 4; ++c)
      FUZZ_CHECK(std::fabs(out[row + c] - ref[row + c]) <= tol, "decode[%zu][%zu] = %.17g, reference %.17g (tol %g)",
                 row / 4, c, static_cast<double>(out[row + c]), static_cast<double>(ref[row + c]),
                 static_cast<double>(tol));
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  locuskit::fuzz::pick_arch(in);
  if (in.ConsumeBool()) run<float>(in);
  else run<double>(in);
  return 0;
}
