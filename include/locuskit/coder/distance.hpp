#pragma once
/// \file coder/distance.hpp
/// Distance (left, top, right, bottom) coding for anchor-free heads: mmdet
/// `DistancePointBBoxCoder` (points, FCOS/ATSS/GFL) and torchvision `BoxLinearCoder` (FCOS in
/// torchvision: distances from an anchor box's centre, optionally normalised by its size).
#include <cmath>
#include <cstddef>
#include <stdexcept>

#include "../error.hpp"

namespace locuskit {

/// mmdet `bbox2distance(points, gt, max_dis, eps)`: `(px − x1, py − y1, x2 − px, y2 − py)`, each
/// clamped to `[0, max_dis − eps]` when `max_dis > 0` (≤ 0: no clamp). `points` (n, 2), `gt`
/// (n, 4) xyxy, `out` (n, 4). O(n). Thread-safe.
template <class T>
void distance_encode(const T* points, const T* gt, std::size_t n, T* out, double max_dis = 0,
                     double eps = 0.1) noexcept {
  const bool clamp = max_dis > 0;
  const T hi = static_cast<T>(max_dis - eps);
  for (std::size_t i = 0; i < n; ++i) {
    const T px = points[2 * i], py = points[2 * i + 1];
    const T* g = gt + 4 * i;
    T d[4] = {px - g[0], py - g[1], g[2] - px, g[3] - py};
    for (int c = 0; c < 4; ++c) {
      if (clamp) d[c] = d[c] < T(0) ? T(0) : (d[c] > hi ? hi : d[c]);
      out[4 * i + c] = d[c];
    }
  }
}

/// mmdet `distance2bbox(points, distance, max_shape)`: `(px − l, py − t, px + r, py + b)`, x
/// clipped to [0, W] and y to [0, H] when `image_h, image_w > 0`. `distances` (n, 4), `out` (n, 4).
template <class T>
void distance_decode(const T* points, const T* distances, std::size_t n, T* out, double image_h = 0,
                     double image_w = 0) noexcept {
  const bool clip = image_h > 0 && image_w > 0;
  const T H = static_cast<T>(image_h), W = static_cast<T>(image_w);
  for (std::size_t i = 0; i < n; ++i) {
    const T px = points[2 * i], py = points[2 * i + 1];
    const T* d = distances + 4 * i;
    T o[4] = {px - d[0], py - d[1], px + d[2], py + d[3]};
    if (clip) {
      o[0] = o[0] < T(0) ? T(0) : (o[0] > W ? W : o[0]);
      o[2] = o[2] < T(0) ? T(0) : (o[2] > W ? W : o[2]);
      o[1] = o[1] < T(0) ? T(0) : (o[1] > H ? H : o[1]);
      o[3] = o[3] < T(0) ? T(0) : (o[3] > H ? H : o[3]);
    }
    for (int c = 0; c < 4; ++c) out[4 * i + c] = o[c];
  }
}

/// torchvision `BoxLinearCoder(normalize_by_size).encode(reference_boxes=anchors, proposals=gt)`:
/// anchor centre `c = 0.5·(x1 + x2)`, `(cx − gx1, cy − gy1, gx2 − cx, gy2 − cy)`, divided by the
/// anchor's (w, h, w, h) when normalising. (n, 4) each.
template <class T>
void linear_coder_encode(const T* anchors, const T* gt, std::size_t n, T* out, bool normalize_by_size = true) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const T* a = anchors + 4 * i;
    const T* g = gt + 4 * i;
    const T cx = T(0.5) * (a[0] + a[2]), cy = T(0.5) * (a[1] + a[3]);
    T d[4] = {cx - g[0], cy - g[1], g[2] - cx, g[3] - cy};
    if (normalize_by_size) {
      const T w = a[2] - a[0], h = a[3] - a[1];
      d[0] = d[0] / w, d[1] = d[1] / h, d[2] = d[2] / w, d[3] = d[3] / h;
    }
    for (int c = 0; c < 4; ++c) out[4 * i + c] = d[c];
  }
}

/// torchvision `BoxLinearCoder.decode(rel_codes, boxes=anchors)`: codes times (w, h, w, h) when
/// normalising, then `(cx − l, cy − t, cx + r, cy + b)`. (n, 4) each.
template <class T>
void linear_coder_decode(const T* codes, const T* anchors, std::size_t n, T* out, bool normalize_by_size = true) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const T* a = anchors + 4 * i;
    const T* r = codes + 4 * i;
    const T cx = T(0.5) * (a[0] + a[2]), cy = T(0.5) * (a[1] + a[3]);
    T d[4] = {r[0], r[1], r[2], r[3]};
    if (normalize_by_size) {
      const T w = a[2] - a[0], h = a[3] - a[1];
      d[0] = d[0] * w, d[1] = d[1] * h, d[2] = d[2] * w, d[3] = d[3] * h;
    }
    out[4 * i + 0] = cx - d[0];
    out[4 * i + 1] = cy - d[1];
    out[4 * i + 2] = cx + d[2];
    out[4 * i + 3] = cy + d[3];
  }
}

}  // namespace locuskit
