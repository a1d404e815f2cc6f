#pragma once
/// \file rle.hpp
/// The RLE helpers the COCO loader uses (`loadRes` of mask results: decoding the compressed
/// string, area, box). They are the mask API's (include/locuskit/mask/), kept here under their
/// historical signatures.
#include <cstdint>
#include <vector>

#include "../mask/rle.hpp"
#include "../mask/rle_string.hpp"

namespace locuskit {

/// Foreground pixel count (`maskUtils.area`, uint32 as the peer returns it).
inline std::uint32_t rle_area(const std::vector<std::uint32_t>& counts) noexcept {
  return static_cast<std::uint32_t>(rle_area(counts.data(), counts.size()));
}

/// Bounding box [x, y, w, h] of an RLE of h rows (`maskUtils.toBbox`, 2.0.11); see mask/rle.hpp.
inline void rle_to_bbox(const std::vector<std::uint32_t>& counts, std::uint32_t h, std::uint32_t w,
                        double out[4]) noexcept {
  const auto bb = rle_to_bbox(counts.data(), counts.size(), h, w);
  for (int k = 0; k < 4; ++k) out[k] = bb[k];
}

}  // namespace locuskit
