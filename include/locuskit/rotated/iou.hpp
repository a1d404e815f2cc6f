#pragma once
/// \file rotated/iou.hpp
/// Pairwise and aligned IoU / IoF of rotated boxes (detectron2 `pairwise_iou_rotated`, mmcv
/// `box_iou_rotated`), on the host, threaded over rows like box_iou.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../box/geometry.hpp"
#include "../error.hpp"
#include "../parallel.hpp"
#include "geometry.hpp"

namespace locuskit {
namespace rotated {

/// Which arithmetic computes the overlap.
enum class RotatedArithmetic : int {
  exact = 0,       ///< float64 clipping (geometry.hpp): within 1e-12 of the exact oracle.
  detectron2 = 1,  ///< detectron2's own rounding (degrees_ccw only), for bit-for-bit parity.
};

/// Options of every rotated IoU entry point.
struct RotatedIouParams {
  AngleConvention convention = AngleConvention::degrees_ccw;
  bool iof = false;  ///< inter / area(boxes_a[i]) instead of IoU (mmcv's mode='iof').
  RotatedArithmetic arithmetic = RotatedArithmetic::exact;
  Degenerate degenerate = Degenerate::zero;  ///< value of 0/0 (both areas 0, or area_a 0 for IoF).
};

}  // namespace rotated
namespace detail {
namespace rotated {
using locuskit::rotated::AngleConvention;
using locuskit::rotated::RotatedArithmetic;
using locuskit::rotated::RotatedIouParams;
using locuskit::rotated::PreparedBox;
using locuskit::rotated::Overlap;
inline void check_params(const RotatedIouParams& p) {
  LOCUSKIT_CHECK(p.arithmetic != RotatedArithmetic::detectron2 || p.convention == AngleConvention::degrees_ccw,
                 std::invalid_argument, "arithmetic='detectron2' needs the detectron2 convention (degrees_ccw)");
  LOCUSKIT_CHECK(p.arithmetic != RotatedArithmetic::detectron2 || !p.iof, std::invalid_argument,
                 "arithmetic='detectron2' computes IoU only (detectron2 has no IoF)");
}

/// A box prepared for box_iou_rotated: exact mode as rotated::prepare_box; detectron2 mode only
/// needs the circle, widened by detectron2's tolerances (rotated::detectron2_reach_radius, as
/// RotatedIoU does).
template <class T>
inline PreparedBox prepare_for(const T* box, const RotatedIouParams& p) noexcept {
  PreparedBox b = locuskit::rotated::prepare_box(box, p.convention);
  if (p.arithmetic == RotatedArithmetic::detectron2 && b.area > 0.0)
    b.radius = locuskit::rotated::detectron2_reach_radius(b.w, b.h);
  return b;
}

/// IoU or IoF of two prepared boxes, exact mode (the value pair_overlap gives for their rows).
template <class T>
inline T prepared_overlap_value(const PreparedBox& a, const PreparedBox& b, const RotatedIouParams& p,
                                T deg) noexcept {
  const Overlap o = locuskit::rotated::rotated_overlap(a, b, p.convention);
  if (p.iof) return o.area_a == 0.0 ? deg : static_cast<T>(o.intersection / o.area_a);
  const double uni = (o.area_a + o.area_b) - o.intersection;
  return uni == 0.0 ? deg : static_cast<T>(o.intersection / uni);
}

/// One pair under `p`; the one place the modes are told apart.
template <class T>
LOCUSKIT_HOST_DEVICE inline T pair_overlap(const T* a, const T* b, const RotatedIouParams& p, T deg) noexcept {
  if (p.arithmetic == RotatedArithmetic::detectron2) return locuskit::rotated::rotated_iou_detectron2(a, b);
  return p.iof ? locuskit::rotated::rotated_iof(a, b, p.convention, deg)
               : locuskit::rotated::rotated_iou(a, b, p.convention, deg);
}
}  // namespace rotated
}  // namespace detail
namespace rotated {

/// out[i*m + j] = IoU (or IoF) of `boxes_a[i]` and `boxes_b[j]`; boxes (n, 5) / (m, 5) rows
/// (cx, cy, w, h, angle) in `p.convention`. Exact mode equals the exact oracle within 1e-12
/// (docs/rotated.md); detectron2 mode equals detectron2's CPU `box_iou_rotated` bit for bit in
/// float32. Inputs are not validated beyond `p`. O(n·m) time, O(n + m) scratch; `par.threads > 1`
/// splits rows across threads with identical results. Thread-safe.
///
/// Why it is fast: each box is prepared once (cos/sin, circumradius); a row first finds the
/// candidates whose circumcircles meet (a branch-free pass over the columns), then rules out those
/// with a separating axis (exact mode), and clips only the rest. Pairs ruled out are exactly 0 in
/// both modes (detectron2's arithmetic included: its circles are widened by its tolerances).
template <class T>
void box_iou_rotated(const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* out,
                     const RotatedIouParams& p = {}, Parallel par = {}) {
  locuskit::detail::rotated::check_params(p);
  if (n == 0 || m == 0) return;
  const T deg = degenerate_value<T>(p.degenerate);
  const bool exact = p.arithmetic == RotatedArithmetic::exact;
  std::vector<PreparedBox> prep_a(n), prep_b(m);
  for (std::size_t i = 0; i < n; ++i) prep_a[i] = locuskit::detail::rotated::prepare_for(boxes_a + 5 * i, p);
  for (std::size_t j = 0; j < m; ++j) prep_b[j] = locuskit::detail::rotated::prepare_for(boxes_b + 5 * j, p);
  // Columns of b's circles, contiguous for the candidate pass.
  std::vector<double> col_x(m), col_y(m), col_r(m);
  for (std::size_t j = 0; j < m; ++j) col_x[j] = prep_b[j].cx, col_y[j] = prep_b[j].cy, col_r[j] = prep_b[j].radius;
  // A candidate pair costs ~100 ns, a rejected one ~1 ns: rows are worth a thread from ~16k pairs.
  const std::size_t grain = (16384 + m - 1) / m;
  parallel_for(n, grain, par, [&](std::size_t begin, std::size_t end) {
    std::vector<std::uint32_t> candidates(m);
    for (std::size_t i = begin; i < end; ++i) {
      const PreparedBox& a = prep_a[i];
      T* row = out + i * m;
      // Zero everywhere first (a pair with disjoint circles and positive areas has IoU/IoF 0),
      // and collect the columns whose circles meet, branch-free; NaN or zero-area boxes have
      // radius NaN/inf and are always collected.
      const double ax = a.cx, ay = a.cy, ar = a.radius;
      std::size_t k = 0;
      for (std::size_t j = 0; j < m; ++j) {
        const double dx = col_x[j] - ax, dy = col_y[j] - ay, r = ar + col_r[j];
        candidates[k] = static_cast<std::uint32_t>(j);
        k += !(dx * dx + dy * dy > r * r);
        row[j] = T(0);
      }
      for (std::size_t t = 0; t < k; ++t) {
        const std::size_t j = candidates[t];
        row[j] = exact ? locuskit::detail::rotated::prepared_overlap_value<T>(a, prep_b[j], p, deg)
                       : locuskit::rotated::rotated_iou_detectron2(boxes_a + 5 * i, boxes_b + 5 * j);
      }
    }
  });
}

/// out[i] = IoU (or IoF) of `boxes_a[i]` and `boxes_b[i]` for i < n (mmcv `aligned=True`). Same
/// contract as box_iou_rotated.
template <class T>
void box_iou_rotated_aligned(const T* boxes_a, const T* boxes_b, std::size_t n, T* out,
                             const RotatedIouParams& p = {}, Parallel par = {}) {
  locuskit::detail::rotated::check_params(p);
  const T deg = degenerate_value<T>(p.degenerate);
  parallel_for(n, 1024, par, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) out[i] = locuskit::detail::rotated::pair_overlap(boxes_a + 5 * i, boxes_b + 5 * i, p, deg);
  });
}

}  // namespace rotated
}  // namespace locuskit
