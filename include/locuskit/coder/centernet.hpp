#pragma once
/// \file coder/centernet.hpp
/// CenterNet (Objects as Points, `ctdet_decode`) decoding of one image: 3×3 peak suppression on the
/// class heatmaps, top-k peaks, and boxes from the size and offset heads.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "../error.hpp"

namespace locuskit {

/// Peak suppression as CenterNet's `_nms`: `keep = (maxpool3×3(heat) == heat)`, output
/// `heat·keep` (so a plateau keeps every equal neighbour; the pool pads with −inf). `heat`
/// (C, H, W); `out` (C, H, W) may not alias `heat`. O(C·H·W).
template <class T>
void centernet_peaks(const T* heat, std::size_t n_classes, std::size_t h, std::size_t w, T* out) noexcept {
  for (std::size_t c = 0; c < n_classes; ++c) {
    const T* p = heat + c * h * w;
    T* o = out + c * h * w;
    for (std::size_t y = 0; y < h; ++y)
      for (std::size_t x = 0; x < w; ++x) {
        const T v = p[y * w + x];
        T m = -std::numeric_limits<T>::infinity();
        const std::size_t y0 = y ? y - 1 : 0, y1 = std::min(y + 1, h - 1);
        const std::size_t x0 = x ? x - 1 : 0, x1 = std::min(x + 1, w - 1);
        for (std::size_t yy = y0; yy <= y1; ++yy)
          for (std::size_t xx = x0; xx <= x1; ++xx) m = std::max(m, p[yy * w + xx]);
        o[y * w + x] = m == v ? v : v * T(0);
      }
  }
}

/// CenterNet `ctdet_decode` for one image. `heat` (C, H, W) scores (after the sigmoid), `wh`
/// (2, H, W) sizes, `offset` (2, H, W) sub-pixel offsets or null (CenterNet's `reg_offset=False`).
/// Reusable scratch of centernet_decode (the peak map and the top-k heap): pass the same one to
/// successive calls (one per thread) and a warm one makes the call allocation-free.
template <class T>
struct CenterNetWorkspace {
  std::vector<T> peaks;
  std::vector<std::size_t> heap;
};

/// After peak suppression, the `k` best of all C·H·W entries (score descending; ties by flat index
/// (c, y, x) ascending — torch.topk leaves them unspecified; the two-stage per-class-then-overall
/// top-k of CenterNet selects the same set), then with `(cx, cy) = (x + off_x, y + off_y)`:
/// box `((cx − w/2)·down_ratio, (cy − h/2)·down_ratio, (cx + w/2)·down_ratio, (cy + h/2)·down_ratio)`.
/// Writes `min(k, C·H·W)` rows of `boxes` (·, 4) xyxy, `scores`, `classes`, `ys`/`xs` are not output.
/// Returns the number written. O(C·H·W·log k). Scratch O(C·H·W + k) in `ws` (a temporary when null).
template <class T>
std::size_t centernet_decode(const T* heat, std::size_t n_classes, std::size_t h, std::size_t w, const T* wh,
                             const T* offset, std::size_t k, double down_ratio, T* boxes, T* scores,
                             std::int64_t* classes, CenterNetWorkspace<T>* ws = nullptr) {
  LOCUSKIT_CHECK(std::isfinite(down_ratio) && down_ratio > 0, std::invalid_argument,
                 "down_ratio must be positive, got ", down_ratio);
  const std::size_t hw = h * w, total = n_classes * hw;
  k = std::min(k, total);
  if (k == 0) return 0;
  CenterNetWorkspace<T> local;
  CenterNetWorkspace<T>& work = ws ? *ws : local;
  if (work.peaks.size() < total) work.peaks.resize(total);
  const T* peaks = work.peaks.data();
  centernet_peaks(heat, n_classes, h, w, work.peaks.data());
  // Min-heap of the best k (score desc, index asc): the heap top is the worst kept.
  auto better = [&](std::size_t a, std::size_t b) {
    return peaks[a] > peaks[b] || (!(peaks[a] < peaks[b]) && a < b);
  };
  std::vector<std::size_t>& heap = work.heap;
  heap.clear();
  heap.reserve(k);
  for (std::size_t i = 0; i < total; ++i) {
    if (heap.size() < k) {
      heap.push_back(i);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(i, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = i;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  const T r = static_cast<T>(down_ratio);
  for (std::size_t j = 0; j < k; ++j) {
    const std::size_t idx = heap[j], c = idx / hw, l = idx % hw;
    const T x = static_cast<T>(l % w), y = static_cast<T>(l / w);
    const T xs = offset ? x + offset[l] : x, ys = offset ? y + offset[hw + l] : y;
    const T bw = wh[l], bh = wh[hw + l];
    boxes[4 * j + 0] = (xs - bw / T(2)) * r;
    boxes[4 * j + 1] = (ys - bh / T(2)) * r;
    boxes[4 * j + 2] = (xs + bw / T(2)) * r;
    boxes[4 * j + 3] = (ys + bh / T(2)) * r;
    scores[j] = peaks[idx];
    classes[j] = static_cast<std::int64_t>(c);
  }
  return k;
}

}  // namespace locuskit
