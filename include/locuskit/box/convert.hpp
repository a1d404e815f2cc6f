#pragma once
/// \file box/convert.hpp
/// Box formats and conversion between them (torchvision `box_convert`).
#include <cstddef>
#include <cstring>
#include <string>

#include "../config.hpp"
#include "../error.hpp"

namespace locuskit {

/// Box formats: `xyxy` corners (x1, y1, x2, y2), continuous coordinates, no +1 (torchvision,
/// detectron2, mmdet); `xywh` corner + size (COCO); `cxcywh` centre + size (DETR, YOLO).
enum class BoxFormat : int { xyxy = 0, xywh = 1, cxcywh = 2 };

/// "xyxy" | "xywh" | "cxcywh" -> BoxFormat; std::invalid_argument naming `what` otherwise.
inline BoxFormat parse_box_format(const std::string& s, const char* what = "format") {
  if (s == "xyxy") return BoxFormat::xyxy;
  if (s == "xywh") return BoxFormat::xywh;
  if (s == "cxcywh") return BoxFormat::cxcywh;
  throw std::invalid_argument(std::string(what) + ": expected 'xyxy', 'xywh' or 'cxcywh', got '" + s + "'");
}

namespace detail {
template <class T>
LOCUSKIT_FORCEINLINE void to_xyxy(const T* b, BoxFormat from, T* o) noexcept {
  switch (from) {
    case BoxFormat::xywh:  // x + w
      o[0] = b[0], o[1] = b[1], o[2] = b[0] + b[2], o[3] = b[1] + b[3];
      break;
    case BoxFormat::cxcywh: {  // cx -/+ 0.5 * w
      const T hw = T(0.5) * b[2], hh = T(0.5) * b[3];
      o[0] = b[0] - hw, o[1] = b[1] - hh, o[2] = b[0] + hw, o[3] = b[1] + hh;
      break;
    }
    default: o[0] = b[0], o[1] = b[1], o[2] = b[2], o[3] = b[3];
  }
}
template <class T>
LOCUSKIT_FORCEINLINE void from_xyxy(const T* b, BoxFormat to, T* o) noexcept {
  switch (to) {
    case BoxFormat::xywh: o[0] = b[0], o[1] = b[1], o[2] = b[2] - b[0], o[3] = b[3] - b[1]; break;
    case BoxFormat::cxcywh:
      o[0] = (b[0] + b[2]) / T(2), o[1] = (b[1] + b[3]) / T(2), o[2] = b[2] - b[0], o[3] = b[3] - b[1];
      break;
    default: o[0] = b[0], o[1] = b[1], o[2] = b[2], o[3] = b[3];
  }
}
}  // namespace detail

/// Converts n boxes (n, 4) from `from` to `to` into `out` (may alias `boxes`).
///
/// torchvision 0.14 `box_convert` formulas and order, bitwise: cxcywh->xyxy `cx - 0.5*w`,
/// `cx + 0.5*w`; xyxy->cxcywh `(x1 + x2) / 2`, `x2 - x1`; xywh->xyxy `x + w`; other pairs go
/// through xyxy; the same format copies. (A round trip is not exact in floating point.) Not
/// validated. O(n), no allocation. Thread-safe.
template <class T>
void box_convert(const T* boxes, std::size_t n, BoxFormat from, BoxFormat to, T* out) noexcept {
  if (from == to) {  // torchvision returns a copy, not a round trip through xyxy
    if (out != boxes && n != 0) std::memmove(out, boxes, 4 * n * sizeof(T));
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    T xyxy[4], o[4];
    detail::to_xyxy(boxes + 4 * i, from, xyxy);
    detail::from_xyxy(xyxy, to, o);
    std::memcpy(out + 4 * i, o, sizeof o);
  }
}

}  // namespace locuskit
