#pragma once
/// \file anchor/ssd_priors.hpp
/// SSD prior ("default") boxes with torchvision `DefaultBoxGenerator` semantics.
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "../error.hpp"

namespace locuskit {

/// torchvision's default SSD scales: `min_ratio + (max_ratio - min_ratio)·k/(L-1)` for k < L,
/// then 1.0 (L + 1 values); for L == 1, `{min_ratio, max_ratio}`.
inline std::vector<double> ssd_scales(std::size_t n_levels, double min_ratio = 0.15, double max_ratio = 0.9) {
  LOCUSKIT_CHECK(n_levels > 0, std::invalid_argument, "ssd_scales: need at least one level");
  std::vector<double> s;
  if (n_levels > 1) {
    const double range = max_ratio - min_ratio;
    for (std::size_t k = 0; k < n_levels; ++k)
      s.push_back(min_ratio + range * static_cast<double>(k) / (static_cast<double>(n_levels) - 1.0));
    s.push_back(1.0);
  } else {
    s = {min_ratio, max_ratio};
  }
  return s;
}

/// Number of priors per location of a level with `n_ratios` aspect ratios: 2 + 2·n_ratios.
inline std::size_t ssd_priors_per_location(std::size_t n_ratios) noexcept { return 2 + 2 * n_ratios; }

/// The (w, h) pairs of level k, relative to the image, as torchvision `_generate_wh_pairs`:
/// `[s_k, s_k]`, `[s', s']` with `s' = sqrt(s_k·s_{k+1})`, then for each ar `[s_k·√ar, s_k/√ar]`
/// and its swap (the "flip"). Computed in double and rounded to float32, as torchvision stores them;
/// clipped to [0, 1] when `clip`. `scales` needs k + 2 entries. `out_wh` (2 + 2·n_ratios, 2).
inline void ssd_wh_pairs(const double* scales, std::size_t k, const double* aspect_ratios,
                         std::size_t n_ratios, bool clip, float* out_wh) {
  const double s_k = scales[k];
  const double s_prime = std::sqrt(scales[k] * scales[k + 1]);
  std::size_t p = 0;
  auto put = [&](double w, double h) {
    float fw = static_cast<float>(w), fh = static_cast<float>(h);
    if (clip) {
      fw = fw < 0.f ? 0.f : (fw > 1.f ? 1.f : fw);
      fh = fh < 0.f ? 0.f : (fh > 1.f ? 1.f : fh);
    }
    out_wh[2 * p] = fw;
    out_wh[2 * p + 1] = fh;
    ++p;
  };
  put(s_k, s_k);
  put(s_prime, s_prime);
  for (std::size_t r = 0; r < n_ratios; ++r) {
    const double sq = std::sqrt(aspect_ratios[r]);
    const double w = scales[k] * sq, h = scales[k] / sq;
    put(w, h);
    put(h, w);
  }
}

/// One level of torchvision `DefaultBoxGenerator(aspect_ratios, scales, steps, clip)` output in
/// pixels, xyxy: for each location (y, x) (location-major), for each wh pair,
/// `(c - 0.5·wh)·(W, H)` and `(c + 0.5·wh)·(W, H)` with centre
/// `c = (f32(x + 0.5) / f32(fx), f32(y + 0.5) / f32(fy))` computed in float32, where
/// `fx = W / step`, `fy = H / step` when `step > 0` (else the grid size). As torchvision, centres
/// and wh are float32 even for double output; the last step runs in T. `scales` needs `level + 2`
/// entries (see ssd_scales). `out` (grid_h·grid_w·(2 + 2·n_ratios), 4). Throws on bad sizes.
template <class T>
void ssd_priors_level(const double* scales, std::size_t n_scales, std::size_t level,
                      const double* aspect_ratios, std::size_t n_ratios, std::size_t grid_h,
                      std::size_t grid_w, double image_h, double image_w, double step, bool clip, T* out) {
  LOCUSKIT_CHECK(level + 1 < n_scales, std::invalid_argument, "ssd priors: level ", level, " needs ",
                 level + 2, " scales, got ", n_scales);
  LOCUSKIT_CHECK(image_h > 0 && image_w > 0 && std::isfinite(image_h) && std::isfinite(image_w),
                 std::invalid_argument, "image size must be positive, got (", image_h, ", ", image_w, ")");
  LOCUSKIT_CHECK(std::isfinite(step) && step >= 0, std::invalid_argument, "step must be >= 0 (0: none), got ", step);
  for (std::size_t r = 0; r < n_ratios; ++r)
    LOCUSKIT_CHECK(std::isfinite(aspect_ratios[r]) && aspect_ratios[r] > 0, std::invalid_argument,
                   "aspect_ratios[", r, "] must be positive, got ", aspect_ratios[r]);
  const std::size_t np = ssd_priors_per_location(n_ratios);
  std::vector<float> wh(2 * np);
  ssd_wh_pairs(scales, level, aspect_ratios, n_ratios, clip, wh.data());
  const float fx = static_cast<float>(step > 0 ? image_w / step : static_cast<double>(grid_w));
  const float fy = static_cast<float>(step > 0 ? image_h / step : static_cast<double>(grid_h));
  const T sw = static_cast<T>(image_w), sh = static_cast<T>(image_h);
  for (std::size_t y = 0; y < grid_h; ++y) {
    const T cy = static_cast<T>(static_cast<float>(static_cast<double>(y) + 0.5) / fy);
    for (std::size_t x = 0; x < grid_w; ++x) {
      const T cx = static_cast<T>(static_cast<float>(static_cast<double>(x) + 0.5) / fx);
      T* o = out + 4 * ((y * grid_w + x) * np);
      for (std::size_t p = 0; p < np; ++p) {
        const T hw = T(0.5) * static_cast<T>(wh[2 * p]), hh = T(0.5) * static_cast<T>(wh[2 * p + 1]);
        o[4 * p + 0] = (cx - hw) * sw;
        o[4 * p + 1] = (cy - hh) * sh;
        o[4 * p + 2] = (cx + hw) * sw;
        o[4 * p + 3] = (cy + hh) * sh;
      }
    }
  }
}

}  // namespace locuskit
