#pragma once
/// \file rle_string.hpp
/// COCO's compressed RLE string (pycocotools `rleToString` / `rleFrString`): every count is
/// written in 5-bit groups, least significant first, as characters '0'..'o' (48 + group, 0x20
/// marks "more groups follow", 0x10 in the last group is the sign); from the fourth count on the
/// value written is the difference to the count two before.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace locuskit {

/// Appends the compressed string of `counts[0..m)` to `out`. Byte-identical to pycocotools
/// `rleToString`. O(m). Thread-safe.
inline void rle_to_string(const std::uint32_t* counts, std::size_t m, std::string& out) {
  for (std::size_t i = 0; i < m; ++i) {
    std::int64_t x = counts[i];
    if (i > 2) x -= static_cast<std::int64_t>(counts[i - 2]);
    for (;;) {
      int group = static_cast<int>(x & 0x1f);
      x >>= 5;  // arithmetic shift: negative deltas end at -1, as in the peer
      const bool more = (group & 0x10) ? x != -1 : x != 0;
      if (more) group |= 0x20;
      out.push_back(static_cast<char>(group + 48));
      if (!more) break;
    }
  }
}
inline std::string rle_to_string(const std::vector<std::uint32_t>& counts) {
  std::string s;
  s.reserve(counts.size() * 2);
  rle_to_string(counts.data(), counts.size(), s);
  return s;
}

/// Decodes a compressed string into counts (pycocotools `rleFrString`, values cast to uint32 the
/// same way). Unlike the peer, which reads any byte, a character outside '0'..'o', a string that
/// ends inside a value, or a value of more than 12 groups throws std::invalid_argument naming
/// the offset. O(len). Thread-safe.
inline std::vector<std::uint32_t> rle_counts_from_string(std::string_view s) {
  std::vector<std::uint32_t> counts;
  counts.reserve(s.size());
  std::size_t p = 0;
  while (p < s.size()) {
    const std::size_t value_start = p;
    std::int64_t x = 0;
    int k = 0;
    for (;;) {
      if (p >= s.size())
        throw std::invalid_argument("corrupt RLE counts string: it ends inside a value (offset " +
                                    std::to_string(value_start) + ")");
      const int c = static_cast<unsigned char>(s[p]) - 48;
      if (c < 0 || c > 63)
        throw std::invalid_argument("corrupt RLE counts string: character " + std::to_string(c + 48) +
                                    " at offset " + std::to_string(p) + " is outside '0'..'o'");
      if (k >= 12)
        throw std::invalid_argument("corrupt RLE counts string: overlong value at offset " +
                                    std::to_string(value_start));
      x |= static_cast<std::int64_t>(c & 0x1f) << (5 * k);
      ++p;
      ++k;
      if (!(c & 0x20)) {
        if (c & 0x10) x |= static_cast<std::int64_t>(~std::uint64_t(0) << (5 * k));
        break;
      }
    }
    if (counts.size() > 2) x += static_cast<std::int64_t>(counts[counts.size() - 2]);
    counts.push_back(static_cast<std::uint32_t>(x));
  }
  return counts;
}

}  // namespace locuskit
