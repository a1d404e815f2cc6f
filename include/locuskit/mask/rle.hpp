#pragma once
/// \file rle.hpp
/// Run-length encoded binary masks in COCO's layout (pycocotools 2.0.11 `maskApi.c`): counts of
/// alternating runs, starting with a 0-run, over the mask flattened in column-major order (pixel
/// (y, x) is index x*height + y). Encode, decode, area, tight bounding box and union/intersection.
/// The compressed string form is in rle_string.hpp, polygons and boxes in polygon.hpp, IoU in
/// mask_iou.hpp.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../detail/mask/run_sweep.hpp"

namespace locuskit {

/// One run-length encoded mask of `height` x `width` pixels. `counts` need not be canonical:
/// zero-length runs (other than a leading one) and a sum different from height*width are kept as
/// given, as pycocotools keeps them.
struct Rle {
  std::size_t height = 0;
  std::size_t width = 0;
  std::vector<std::uint32_t> counts;
};

/// Encodes a column-major `height` x `width` byte mask. Like pycocotools `rleEncode`, a run ends
/// whenever the byte value changes (so values 1, 2 side by side start a new run, which flips the
/// parity of every later run); a mask of only {0, v} encodes like {0, 1}. O(h*w). Thread-safe.
inline Rle rle_encode(const std::uint8_t* mask_column_major, std::size_t height, std::size_t width) {
  Rle r{height, width, {}};
  const std::size_t n = height * width;
  std::uint8_t previous = 0;
  std::size_t run_start = 0, j = 0;
  while (j < n) {
    // Skip 8 bytes at a time while they all equal the current value (long runs are the norm).
    const std::uint64_t same = 0x0101010101010101ull * previous;
    while (j + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, mask_column_major + j, 8);
      if (word != same) break;
      j += 8;
    }
    while (j < n && mask_column_major[j] == previous) ++j;
    if (j == n) break;
    r.counts.push_back(static_cast<std::uint32_t>(j - run_start));
    run_start = j;
    previous = mask_column_major[j];
  }
  r.counts.push_back(static_cast<std::uint32_t>(n - run_start));
  return r;
}

/// Decodes `n` RLEs one after another into `out` (`capacity` bytes, normally h*w*n): 0/1 bytes,
/// column-major per mask. Returns false, like pycocotools `rleDecode`, as soon as the counts would
/// write past `capacity` (the message is "Invalid RLE mask representation"). Unlike pycocotools,
/// bytes the counts do not reach are set to 0 instead of being left uninitialised.
/// O(capacity). Thread-safe.
inline bool rle_decode(const Rle* rles, std::size_t n, std::uint8_t* out, std::size_t capacity) noexcept {
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t value = 0;
    for (const std::uint32_t run : rles[i].counts) {
      if (run > capacity - pos) {
        std::memset(out + pos, value, capacity - pos);
        return false;
      }
      std::memset(out + pos, value, run);
      pos += run;
      value = static_cast<std::uint8_t>(value ^ 1u);
    }
  }
  std::memset(out + pos, 0, capacity - pos);
  return true;
}

/// Foreground pixel count: the sum of the odd-indexed counts (pycocotools `rleArea`, which sums in
/// uint32; cast the result to uint32 to reproduce its wrap-around on corrupt counts). O(m).
inline std::uint64_t rle_area(const std::uint32_t* counts, std::size_t m) noexcept {
  std::uint64_t a = 0;
  for (std::size_t j = 1; j < m; j += 2) a += counts[j];
  return a;
}
inline std::uint64_t rle_area(const Rle& r) noexcept { return rle_area(r.counts.data(), r.counts.size()); }

/// Tight box [x, y, w, h] (doubles) of an RLE of `height` rows, as pycocotools 2.0.11 `rleToBbox`:
/// an odd trailing count is ignored, zero-length foreground runs are skipped, a foreground run
/// that spans two or more columns covers the full height; all zeros when m < 2. With height 0
/// (where the peer divides by zero on a non-empty run) foreground runs are skipped. O(m).
inline std::array<double, 4> rle_to_bbox(const std::uint32_t* counts, std::size_t m, std::size_t height,
                                         std::size_t width) noexcept {
  m = m / 2 * 2;
  if (m == 0) return {0, 0, 0, 0};
  std::uint64_t xs = width, ys = height, xe = 0, ye = 0, pos = 0;
  for (std::size_t j = 0; j < m; ++j) {
    const std::uint64_t start = pos;
    pos += counts[j];
    if (j % 2 == 0 || counts[j] == 0 || height == 0) continue;
    const std::uint64_t y0 = start % height, x0 = start / height;
    const std::uint64_t y1 = (pos - 1) % height, x1 = (pos - 1) / height;
    xs = xs < x0 ? xs : x0;
    xe = xe > x1 ? xe : x1;
    if (x0 < x1) {
      ys = 0;
      ye = height - 1;
    } else {
      ys = ys < y0 ? ys : y0;
      ye = ye > y1 ? ye : y1;
    }
  }
  // pycocotools computes xe - xs + 1 in uint32: an all-zero-run mask (xs = w, xe = 0) wraps.
  const auto extent = [](std::uint64_t lo, std::uint64_t hi) {
    return static_cast<double>(static_cast<std::uint32_t>(hi - lo + 1));
  };
  return {static_cast<double>(xs), static_cast<double>(ys), extent(xs, xe), extent(ys, ye)};
}
inline std::array<double, 4> rle_to_bbox(const Rle& r) noexcept {
  return rle_to_bbox(r.counts.data(), r.counts.size(), r.height, r.width);
}

/// Union (`intersect = false`) or intersection of `n` RLEs (pycocotools `rleMerge`): n == 0 gives
/// a 0x0 RLE with no counts; n == 1 returns the counts verbatim; a size different from the first
/// gives a 0x0 RLE with no counts. The result emits a count at every value change and at the end
/// of the sweep, so zero-length runs of the inputs can survive, as in pycocotools.
/// O(sum of counts lengths * n). Thread-safe.
inline Rle rle_merge(const Rle* rles, std::size_t n, bool intersect) {
  if (n == 0) return Rle{};
  Rle merged = rles[0];
  std::vector<std::uint32_t> out;
  for (std::size_t i = 1; i < n; ++i) {
    const Rle& b = rles[i];
    if (b.height != merged.height || b.width != merged.width) return Rle{};
    out.clear();
    out.reserve(merged.counts.size() + b.counts.size());
    bool value = false;  // value of the segment being accumulated (starts in the 0-run)
    std::uint64_t run = 0;
    detail::sweep_runs(merged.counts.data(), merged.counts.size(), b.counts.data(), b.counts.size(),
                       [&](std::uint64_t len, bool, bool, bool next_a, bool next_b, bool last) {
                         run += len;
                         const bool next = intersect ? (next_a && next_b) : (next_a || next_b);
                         if (next != value || last) {
                           out.push_back(static_cast<std::uint32_t>(run));
                           run = 0;
                         }
                         value = next;
                       });
    merged.counts.swap(out);
  }
  return merged;
}

}  // namespace locuskit
