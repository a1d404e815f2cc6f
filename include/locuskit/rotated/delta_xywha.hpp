#pragma once
/// \file rotated/delta_xywha.hpp
/// mmrotate's rotated-box coders (0.3.4, `DeltaXYWHAOBBoxCoder`, `DeltaXYWHAHBBoxCoder`) and its
/// `norm_angle`, in mmrotate's convention (`radians_cw`, angle ranges `oc`, `le90`, `le135`).
///
/// Written in mmrotate's float32 operation order (one torch op = one rounding in T); cos, sin,
/// exp and log come from the C library, torch's vectorised ones may differ in the last bit, so
/// results agree with mmrotate to a few float32 ulps (tests/cpp/rotated/test_delta_xywha.cpp).
#include <cmath>
#include <cstddef>

#include "../config.hpp"
#include "../error.hpp"
#include "../parallel.hpp"

namespace locuskit {
namespace rotated {

/// mmrotate `angle_version`: which half-open range `norm_angle` maps angles into.
enum class AngleRange : int {
  oc = 0,     ///< unchanged (mmrotate's `oc` norm_angle is the identity)
  le90 = 1,   ///< [−π/2, π/2): (a + π/2) mod π − π/2
  le135 = 2,  ///< [−π/4, 3π/4): (a + π/4) mod π − π/4
};

/// Options of the DeltaXYWHA coders (mmrotate's constructor arguments).
struct DeltaXYWHAParams {
  AngleRange angle_range = AngleRange::oc;
  double norm_factor = 0;  ///< 0: none; else da is divided by norm_factor·π
  bool edge_swap = false;
  bool proj_xy = false;
  double means[5] = {0, 0, 0, 0, 0};
  double stds[5] = {1, 1, 1, 1, 1};
  double wh_ratio_clip = 16.0 / 1000.0;
  bool add_ctr_clamp = false;
  double ctr_clamp = 32;
};

}  // namespace rotated
namespace detail {
namespace rotated {
/// torch.remainder on floats: fmod, moved into the divisor's sign.
template <class T>
LOCUSKIT_HOST_DEVICE inline T torch_remainder(T a, T b) noexcept {
  T m = std::fmod(a, b);
  if (m != T(0) && ((b < T(0)) != (m < T(0)))) m += b;
  return m;
}
}  // namespace rotated
}  // namespace detail
namespace rotated {

/// mmrotate's `norm_angle(angle, range)` with float scalars rounded to T as torch does.
template <class T>
LOCUSKIT_HOST_DEVICE inline T norm_angle(T angle, AngleRange range) noexcept {
  const T pi = static_cast<T>(3.141592653589793);
  if (range == AngleRange::le90) {
    const T half = static_cast<T>(3.141592653589793 / 2);
    return locuskit::detail::rotated::torch_remainder(static_cast<T>(angle + half), pi) - half;
  }
  if (range == AngleRange::le135) {
    const T quarter = static_cast<T>(3.141592653589793 / 4);
    return locuskit::detail::rotated::torch_remainder(static_cast<T>(angle + quarter), pi) - quarter;
  }
  return angle;
}

/// Encodes `gt` (n, 5) against `proposals` (n, 5) into `deltas` (n, 5): mmrotate's
/// `DeltaXYWHAOBBoxCoder.encode` (bbox2delta). O(n), no allocation, thread-safe.
template <class T>
void delta_xywha_encode(const T* proposals, const T* gt, std::size_t n, T* deltas, const DeltaXYWHAParams& p = {},
                        Parallel par = {}) {
  const T half_pi = static_cast<T>(3.141592653589793 / 2);
  parallel_for(n, 4096, par, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const T* P = proposals + 5 * i;
      const T* G = gt + 5 * i;
      const T px = P[0], py = P[1], pw = P[2], ph = P[3], pa = P[4];
      const T gx = G[0], gy = G[1], gw = G[2], gh = G[3], ga = G[4];
      T dx, dy;
      if (p.proj_xy) {
        const T c = std::cos(pa), s = std::sin(pa);
        const T ex = gx - px, ey = gy - py;
        dx = (c * ex + s * ey) / pw;
        dy = (-s * ex + c * ey) / ph;
      } else {
        dx = (gx - px) / pw;
        dy = (gy - py) / ph;
      }
      T dw, dh, da;
      if (p.edge_swap) {
        const T diff = ga - pa;
        const T t1 = norm_angle(diff, p.angle_range);
        const T t2 = norm_angle(static_cast<T>(diff + half_pi), p.angle_range);
        const bool keep = std::fabs(t1) < std::fabs(t2);
        dw = std::log((keep ? gw : gh) / pw);
        dh = std::log((keep ? gh : gw) / ph);
        da = keep ? t1 : t2;
      } else {
        da = norm_angle(static_cast<T>(ga - pa), p.angle_range);
        dw = std::log(gw / pw);
        dh = std::log(gh / ph);
      }
      if (p.norm_factor != 0) da /= static_cast<T>(p.norm_factor * 3.141592653589793);
      const T d[5] = {dx, dy, dw, dh, da};
      for (int k = 0; k < 5; ++k)
        deltas[5 * i + k] = (d[k] - static_cast<T>(p.means[k])) / static_cast<T>(p.stds[k]);
    }
  });
}

/// Decodes `deltas` (n, 5) against `rois` (n, 5) into `boxes` (n, 5): mmrotate's
/// `DeltaXYWHAOBBoxCoder.decode` (delta2bbox) for one class. `max_shape_hw` (optional, {H, W})
/// clamps the centres to [0, W−1] × [0, H−1]. O(n), no allocation, thread-safe.
template <class T>
void delta_xywha_decode(const T* rois, const T* deltas, std::size_t n, T* boxes, const DeltaXYWHAParams& p = {},
                        const double* max_shape_hw = nullptr, Parallel par = {}) {
  const T half_pi = static_cast<T>(3.141592653589793 / 2);
  const T max_ratio = static_cast<T>(std::fabs(std::log(p.wh_ratio_clip)));
  parallel_for(n, 4096, par, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const T* R = rois + 5 * i;
      const T* D = deltas + 5 * i;
      T d[5];
      for (int k = 0; k < 5; ++k) d[k] = D[k] * static_cast<T>(p.stds[k]) + static_cast<T>(p.means[k]);
      T dx = d[0], dy = d[1], dw = d[2], dh = d[3], da = d[4];
      if (p.norm_factor != 0) da *= static_cast<T>(p.norm_factor * 3.141592653589793);
      const T px = R[0], py = R[1], pw = R[2], ph = R[3], pa = R[4];
      T dx_width = pw * dx, dy_height = ph * dy;
      if (p.add_ctr_clamp) {
        const T cc = static_cast<T>(p.ctr_clamp);
        dx_width = std::fmin(std::fmax(dx_width, -cc), cc);
        dy_height = std::fmin(std::fmax(dy_height, -cc), cc);
        dw = std::fmin(dw, max_ratio);
        dh = std::fmin(dh, max_ratio);
      } else {
        dw = std::fmin(std::fmax(dw, -max_ratio), max_ratio);
        dh = std::fmin(std::fmax(dh, -max_ratio), max_ratio);
      }
      const T gw = pw * std::exp(dw), gh = ph * std::exp(dh);
      T gx, gy;
      if (p.proj_xy) {
        const T c = std::cos(pa), s = std::sin(pa);
        gx = ((dx * pw) * c - (dy * ph) * s) + px;
        gy = ((dx * pw) * s + (dy * ph) * c) + py;
      } else {
        gx = px + dx_width;
        gy = py + dy_height;
      }
      const T ga = norm_angle(static_cast<T>(pa + da), p.angle_range);
      if (max_shape_hw) {
        gx = std::fmin(std::fmax(gx, T(0)), static_cast<T>(max_shape_hw[1] - 1));
        gy = std::fmin(std::fmax(gy, T(0)), static_cast<T>(max_shape_hw[0] - 1));
      }
      T* out = boxes + 5 * i;
      out[0] = gx, out[1] = gy;
      if (p.edge_swap) {
        const bool wide = gw > gh;
        out[2] = wide ? gw : gh;
        out[3] = wide ? gh : gw;
        out[4] = norm_angle(wide ? ga : static_cast<T>(ga + half_pi), p.angle_range);
      } else {
        out[2] = gw, out[3] = gh, out[4] = ga;
      }
    }
  });
}

}  // namespace rotated
}  // namespace locuskit
