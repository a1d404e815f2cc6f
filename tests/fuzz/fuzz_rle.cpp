// Fuzz target for the COCO compressed-RLE reader: rle_counts_from_string either decodes or throws
// std::invalid_argument; decoded counts then go through rle_area and rle_to_bbox with a height and
// width taken from the input's first bytes (a non-empty mask whose counts cover at most h*w pixels
// must have its box inside [0, w] x [0, h]).
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string_view>

#include <locuskit/eval/rle.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace locuskit;
  if (size < 4) return 0;
  const std::uint32_t h = static_cast<std::uint32_t>(data[0]) << 8 | data[1];
  const std::uint32_t w = static_cast<std::uint32_t>(data[2]) << 8 | data[3];
  const std::string_view s(reinterpret_cast<const char*>(data) + 4, size - 4);
  std::vector<std::uint32_t> counts;
  try {
    counts = rle_counts_from_string(s);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  FUZZ_CHECK(counts.size() <= s.size(), "%zu counts from %zu characters", counts.size(), s.size());
  const std::uint32_t area = rle_area(counts);
  double box[4];
  rle_to_bbox(counts, h, w, box);
  std::uint64_t total = 0;
  for (const std::uint32_t c : counts) total += c;
  if (area > 0 && total <= static_cast<std::uint64_t>(h) * w)
    FUZZ_CHECK(box[0] >= 0 && box[1] >= 0 && box[0] + box[2] <= w && box[1] + box[3] <= h,
               "bbox [%g, %g, %g, %g] outside a %u x %u mask", box[0], box[1], box[2], box[3], h, w);
  return 0;
}
