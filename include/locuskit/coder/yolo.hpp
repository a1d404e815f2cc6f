#pragma once
/// \file coder/yolo.hpp
/// Decoding raw YOLO head outputs of one feature level into xyxy boxes and class scores.
///
/// Inputs are the raw (pre-sigmoid) convolution outputs in channel-first layout, as the heads
/// produce them. v3/v5: (A·(5 + C), H, W) per image, channel `a·(5+C) + q` for anchor a and
/// q ∈ {tx, ty, tw, th, obj, cls...}; outputs are anchor-major `(a·H + y)·W + x` (ultralytics'
/// `view(bs, na, ny, nx, no)`). v8: (4·R + C, H, W), the 4·R DFL logits (side-major: channel
/// `side·R + bin`) then C class logits; outputs are location-major `y·W + x`.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "../error.hpp"

namespace locuskit {

enum class YoloVersion : int { v3 = 3, v5 = 5 };

namespace detail {
template <class T>
inline T sigmoid(T x) noexcept {
  return T(1) / (T(1) + std::exp(-x));
}
}  // namespace detail

/// YOLO v3 / v5 decoding of one image and level. `raw` (A·(5+C), H, W); `anchors_wh` (A, 2) in
/// pixels; `boxes` (A·H·W, 4) xyxy pixels; `scores` (A·H·W, C) = σ(obj)·σ(cls) (the score
/// YOLOv5's NMS uses); `objectness` (A·H·W) = σ(obj) if not null.
/// - v3 (darknet): `cx = (σ(tx) + x)·stride`, `w = anchor_w·exp(tw)`;
/// - v5 (ultralytics Detect): `cx = (2σ(tx) + (x − 0.5))·stride`, `w = (2σ(tw))²·anchor_w`.
/// Corners `c ∓ 0.5·w`. O(A·H·W·C). Throws on non-positive stride/anchors.
template <class T>
void yolo_decode(const T* raw, std::size_t n_anchors, std::size_t n_classes, std::size_t grid_h,
                 std::size_t grid_w, const double* anchors_wh, double stride, YoloVersion version, T* boxes,
                 T* scores, T* objectness = nullptr) {
  LOCUSKIT_CHECK(std::isfinite(stride) && stride > 0, std::invalid_argument, "stride must be positive, got ", stride);
  for (std::size_t a = 0; a < n_anchors; ++a)
    LOCUSKIT_CHECK(anchors_wh[2 * a] > 0 && anchors_wh[2 * a + 1] > 0, std::invalid_argument, "anchor ", a,
                   " must have a positive size");
  const std::size_t hw = grid_h * grid_w, no = 5 + n_classes;
  const T s = static_cast<T>(stride);
  for (std::size_t a = 0; a < n_anchors; ++a) {
    const T aw = static_cast<T>(anchors_wh[2 * a]), ah = static_cast<T>(anchors_wh[2 * a + 1]);
    const T* ch = raw + a * no * hw;
    for (std::size_t y = 0; y < grid_h; ++y)
      for (std::size_t x = 0; x < grid_w; ++x) {
        const std::size_t l = y * grid_w + x, o = a * hw + l;
        T cx, cy, w, h;
        if (version == YoloVersion::v3) {
          cx = (detail::sigmoid(ch[l]) + static_cast<T>(x)) * s;
          cy = (detail::sigmoid(ch[hw + l]) + static_cast<T>(y)) * s;
          w = aw * std::exp(ch[2 * hw + l]);
          h = ah * std::exp(ch[3 * hw + l]);
        } else {
          cx = (detail::sigmoid(ch[l]) * T(2) + (static_cast<T>(x) - T(0.5))) * s;
          cy = (detail::sigmoid(ch[hw + l]) * T(2) + (static_cast<T>(y) - T(0.5))) * s;
          const T sw = detail::sigmoid(ch[2 * hw + l]) * T(2), sh = detail::sigmoid(ch[3 * hw + l]) * T(2);
          w = sw * sw * aw;
          h = sh * sh * ah;
        }
        boxes[4 * o + 0] = cx - T(0.5) * w;
        boxes[4 * o + 1] = cy - T(0.5) * h;
        boxes[4 * o + 2] = cx + T(0.5) * w;
        boxes[4 * o + 3] = cy + T(0.5) * h;
        const T obj = detail::sigmoid(ch[4 * hw + l]);
        if (objectness) objectness[o] = obj;
        for (std::size_t c = 0; c < n_classes; ++c) scores[o * n_classes + c] = obj * detail::sigmoid(ch[(5 + c) * hw + l]);
      }
  }
}

/// YOLOv8 (ultralytics `DFL` + `dist2bbox`) decoding of one image and level. `raw` (4·R + C, H, W).
/// Each side's distance is the expectation `Σ_i i·softmax(logits)_i` over its R bins (R = reg_max,
/// 16 in YOLOv8); with the anchor point `(x + 0.5, y + 0.5)`, the box is
/// `((px − l)·stride, (py − t)·stride, (px + r)·stride, (py + b)·stride)`; scores are σ(cls).
/// `boxes` (H·W, 4) xyxy, `scores` (H·W, C). O(H·W·(R + C)). Allocation-free for R ≤ 64.
template <class T>
void yolov8_decode(const T* raw, std::size_t reg_max, std::size_t n_classes, std::size_t grid_h, std::size_t grid_w,
                   double stride, T* boxes, T* scores) {
  LOCUSKIT_CHECK(std::isfinite(stride) && stride > 0, std::invalid_argument, "stride must be positive, got ", stride);
  LOCUSKIT_CHECK(reg_max > 0, std::invalid_argument, "reg_max must be positive");
  const std::size_t hw = grid_h * grid_w;
  const T s = static_cast<T>(stride);
  // Softmax scratch on the stack for the usual bin counts (YOLOv8: 16): no allocation per call.
  constexpr std::size_t stack_bins = 64;
  T e_stack[stack_bins];
  std::vector<T> e_heap(reg_max > stack_bins ? reg_max : 0);
  T* e = reg_max > stack_bins ? e_heap.data() : e_stack;
  for (std::size_t y = 0; y < grid_h; ++y)
    for (std::size_t x = 0; x < grid_w; ++x) {
      const std::size_t l = y * grid_w + x;
      T dist[4];
      for (std::size_t side = 0; side < 4; ++side) {
        const T* lg = raw + side * reg_max * hw + l;
        T mx = lg[0];
        for (std::size_t i = 1; i < reg_max; ++i) mx = std::max(mx, lg[i * hw]);
        T sum = 0, acc = 0;
        for (std::size_t i = 0; i < reg_max; ++i) {
          e[i] = std::exp(lg[i * hw] - mx);
          sum += e[i];
        }
        for (std::size_t i = 0; i < reg_max; ++i) acc += (e[i] / sum) * static_cast<T>(i);
        dist[side] = acc;
      }
      const T px = static_cast<T>(x) + T(0.5), py = static_cast<T>(y) + T(0.5);
      boxes[4 * l + 0] = (px - dist[0]) * s;
      boxes[4 * l + 1] = (py - dist[1]) * s;
      boxes[4 * l + 2] = (px + dist[2]) * s;
      boxes[4 * l + 3] = (py + dist[3]) * s;
      for (std::size_t c = 0; c < n_classes; ++c)
        scores[l * n_classes + c] = detail::sigmoid(raw[(4 * reg_max + c) * hw + l]);
    }
}

}  // namespace locuskit
