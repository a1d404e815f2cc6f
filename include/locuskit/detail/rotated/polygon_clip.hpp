#pragma once
/// \file detail/rotated/polygon_clip.hpp
/// Sutherland–Hodgman clipping and shoelace areas of small convex polygons, host and device.
///
/// Polygons are flat arrays of (x, y) pairs. Clipping a convex polygon by one half-plane adds at most
/// one vertex; the buffers hold `polygon_capacity` vertices and a pass never writes past it (a
/// rounded, very slightly non-convex input could otherwise ask for more).
#include <cmath>

#include "../../config.hpp"

namespace locuskit {
namespace detail {
namespace rotated {

/// Vertices a clip buffer holds (a quadrilateral clipped by 4 half-planes needs 8).
constexpr int polygon_capacity = 16;

/// Keeps the part of `in` (n vertices) on the side `coordinate[axis] <= bound` (upper) or
/// `>= bound` (lower). Points on the line are inside. Crossing points get `bound` exactly in the
/// clipped coordinate, so a later pass on the other axis keeps them on this line: a window that
/// lies inside the subject comes out as its own four corners, bit for bit.
template <class C>
LOCUSKIT_HOST_DEVICE inline int clip_by_axis(const C* in, int n, C* out, int axis, C bound,
                                             bool upper) noexcept {
  const int other = 1 - axis;
  int m = 0;
  auto push = [&](C x, C y) {
    if (m < polygon_capacity) {
      out[2 * m] = x;
      out[2 * m + 1] = y;
      ++m;
    }
  };
  // The previous vertex is carried along, not found with `% n` (an integer division per vertex
  // was a fifth of a clip).
  for (int i = 0, prev = n - 1; i < n; prev = i++) {
    const C* p = in + 2 * prev;  // previous vertex
    const C* q = in + 2 * i;
    const bool p_in = upper ? p[axis] <= bound : p[axis] >= bound;
    const bool q_in = upper ? q[axis] <= bound : q[axis] >= bound;
    if (p_in != q_in) {
      // Interpolate from the inside end so the result does not depend on the edge direction.
      const C* s = p_in ? p : q;
      const C* e = p_in ? q : p;
      const C t = (bound - s[axis]) / (e[axis] - s[axis]);
      C cut[2];
      cut[axis] = bound;
      cut[other] = s[other] + t * (e[other] - s[other]);
      push(cut[0], cut[1]);
    }
    if (q_in) push(q[0], q[1]);
  }
  return m;
}

/// Twice the signed area (counter-clockwise positive in a y-up frame), a fan from vertex 0 so the
/// products stay at the polygon's own scale.
template <class C>
LOCUSKIT_HOST_DEVICE inline C twice_signed_area(const C* xy, int n) noexcept {
  C sum = C(0);
  for (int i = 1; i + 1 < n; ++i) {
    const C ax = xy[2 * i] - xy[0], ay = xy[2 * i + 1] - xy[1];
    const C bx = xy[2 * i + 2] - xy[0], by = xy[2 * i + 3] - xy[1];
    sum += ax * by - bx * ay;
  }
  return sum;
}

/// Keeps the part of `in` on the inner side of the directed edge a→b, where inner is the left
/// when `orientation > 0` (counter-clockwise clip polygon) and the right otherwise.
template <class C>
LOCUSKIT_HOST_DEVICE inline int clip_by_edge(const C* in, int n, C* out, const C* a, const C* b,
                                             C orientation) noexcept {
  const C ex = b[0] - a[0], ey = b[1] - a[1];
  int m = 0;
  auto side = [&](const C* p) { return orientation * (ex * (p[1] - a[1]) - ey * (p[0] - a[0])); };
  for (int i = 0, prev = n - 1; i < n; prev = i++) {
    const C* p = in + 2 * prev;
    const C* q = in + 2 * i;
    const C sp = side(p), sq = side(q);
    const bool p_in = sp >= C(0), q_in = sq >= C(0);
    if (p_in != q_in && m < polygon_capacity) {
      const C* s = p_in ? p : q;
      const C* e = p_in ? q : p;
      const C ss = p_in ? sp : sq, se = p_in ? sq : sp;
      const C t = ss / (ss - se);
      out[2 * m] = s[0] + t * (e[0] - s[0]);
      out[2 * m + 1] = s[1] + t * (e[1] - s[1]);
      ++m;
    }
    if (q_in && m < polygon_capacity) {
      out[2 * m] = q[0];
      out[2 * m + 1] = q[1];
      ++m;
    }
  }
  return m;
}

}  // namespace rotated
}  // namespace detail
}  // namespace locuskit
