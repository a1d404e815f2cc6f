#pragma once
/// \file rle.hpp
/// COCO run-length encoded masks: decoding the compressed string form, area and bounding box
/// (pycocotools 2.0.11 `maskUtils.frString`, `area`, `toBbox`). Enough for `loadRes` of mask
/// results; mask IoU itself comes with the segm issue.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace locuskit {

/// Decodes a compressed COCO RLE string into counts: 6 bits per character from '0' (48), five
/// value bits plus a continuation bit, sign-extended, and from the fourth count on delta-coded
/// against the count two before (pycocotools `rleFrString`). Throws std::invalid_argument on
/// characters outside '0'..'o' or a truncated value. O(len). Thread-safe.
inline std::vector<std::uint32_t> rle_counts_from_string(std::string_view s) {
  std::vector<std::uint32_t> counts;
  counts.reserve(s.size());
  std::size_t p = 0;
  while (p < s.size()) {
    std::int64_t x = 0;
    int k = 0;
    bool more = true;
    while (more) {
      if (p >= s.size()) throw std::invalid_argument("RLE counts string is truncated");
      const int c = static_cast<unsigned char>(s[p]) - 48;
      if (c < 0 || c > 63) throw std::invalid_argument("RLE counts string has a character outside '0'..'o'");
      if (k >= 12) throw std::invalid_argument("RLE counts string has an overlong value");
      x |= static_cast<std::int64_t>(c & 0x1f) << (5 * k);
      more = (c & 0x20) != 0;
      ++p;
      ++k;
      if (!more && (c & 0x10)) x |= static_cast<std::int64_t>(~std::uint64_t(0) << (5 * k));
    }
    if (counts.size() > 2) x += static_cast<std::int64_t>(counts[counts.size() - 2]);
    counts.push_back(static_cast<std::uint32_t>(x));
  }
  return counts;
}

/// Foreground pixel count: the sum of the odd-indexed counts (`maskUtils.area`, uint32).
inline std::uint32_t rle_area(const std::vector<std::uint32_t>& counts) noexcept {
  std::uint32_t a = 0;
  for (std::size_t j = 1; j < counts.size(); j += 2) a += counts[j];
  return a;
}

/// Bounding box [x, y, w, h] of an RLE of height h (column-major runs), as pycocotools 2.0.11
/// `rleToBbox`: an odd trailing count is dropped, zero-length runs are skipped, a run spanning
/// several columns covers the full height. All zeros for an empty mask. O(len). Thread-safe.
inline void rle_to_bbox(const std::vector<std::uint32_t>& counts, std::uint32_t h, std::uint32_t w,
                        double out[4]) noexcept {
  const std::size_t m = counts.size() / 2 * 2;
  if (m == 0 || h == 0) {
    out[0] = out[1] = out[2] = out[3] = 0;
    return;
  }
  std::uint32_t xs = w, ys = h, xe = 0, ye = 0, pos = 0;
  for (std::size_t j = 0; j < m; ++j) {
    const std::uint32_t start = pos;
    pos += counts[j];
    if (j % 2 == 0 || counts[j] == 0) continue;
    const std::uint32_t y0 = start % h, x0 = (start - y0) / h;
    const std::uint32_t y1 = (pos - 1) % h, x1 = (pos - 1 - y1) / h;
    xs = xs < x0 ? xs : x0;
    xe = xe > x1 ? xe : x1;
    if (x0 < x1) {
      ys = 0;
      ye = h - 1;
    } else {
      ys = ys < y0 ? ys : y0;
      ye = ye > y1 ? ye : y1;
    }
  }
  out[0] = xs;
  out[2] = static_cast<double>(static_cast<std::uint32_t>(xe - xs + 1));
  out[1] = ys;
  out[3] = static_cast<double>(static_cast<std::uint32_t>(ye - ys + 1));
}

}  // namespace locuskit
