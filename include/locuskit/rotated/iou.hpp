#pragma once
/// \file rotated/iou.hpp
/// Pairwise and aligned IoU / IoF of rotated boxes (detectron2 `pairwise_iou_rotated`, mmcv
/// `box_iou_rotated`), on the host, threaded over rows like box_iou.
#include <cstddef>

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
inline void check_params(const RotatedIouParams& p) {
  LOCUSKIT_CHECK(p.arithmetic != RotatedArithmetic::detectron2 || p.convention == AngleConvention::degrees_ccw,
                 std::invalid_argument, "arithmetic='detectron2' needs the detectron2 convention (degrees_ccw)");
  LOCUSKIT_CHECK(p.arithmetic != RotatedArithmetic::detectron2 || !p.iof, std::invalid_argument,
                 "arithmetic='detectron2' computes IoU only (detectron2 has no IoF)");
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
/// float32. Inputs are not validated beyond `p`. O(n·m), no allocation; `par.threads > 1` splits
/// rows across threads with identical results. Thread-safe.
template <class T>
void box_iou_rotated(const T* boxes_a, std::size_t n, const T* boxes_b, std::size_t m, T* out,
                     const RotatedIouParams& p = {}, Parallel par = {}) {
  locuskit::detail::rotated::check_params(p);
  const T deg = degenerate_value<T>(p.degenerate);
  // A pair costs ~100 ns: rows are worth a thread from ~1k pairs.
  const std::size_t grain = m == 0 ? n : (1024 + m - 1) / m;
  parallel_for(n, grain, par, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i)
      for (std::size_t j = 0; j < m; ++j) out[i * m + j] = locuskit::detail::rotated::pair_overlap(boxes_a + 5 * i, boxes_b + 5 * j, p, deg);
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
