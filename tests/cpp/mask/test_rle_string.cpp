// mask/rle_string.hpp: pycocotools' compressed string codec (codec.* fixtures), corrupt strings.
#include <doctest/doctest.h>

#include <locuskit/mask/rle_string.hpp>

#include <stdexcept>
#include <vector>

TEST_CASE("mask rle_string: pycocotools strings for small, large and negative deltas") {
  struct Case {
    std::vector<std::uint32_t> counts;
    const char* text;
  };
  const Case cases[] = {{{0}, "0"}, {{16}, "`0"}, {{15}, "?"}, {{31}, "o0"}, {{32}, "P1"}, {{1000}, "Xo0"},
                        {{4, 2, 2, 0, 3}, "422N1"}, {{3, 3, 30, 1, 1, 100, 2}, "33n0NSOS31"},
                        {{1048576, 7, 1048571, 9, 16777216}, "PPPP17kooo02UPPP?"},
                        {{0, 2147483647, 1}, "0oooooo11"}};
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(locuskit::rle_to_string(c.counts) == c.text);
    CHECK(locuskit::rle_counts_from_string(c.text) == c.counts);
  }
  CHECK(locuskit::rle_counts_from_string("") .empty());
}

TEST_CASE("mask rle_string: corrupt strings throw instead of being read as garbage") {
  CHECK_THROWS_AS(locuskit::rle_counts_from_string("0T3!"), std::invalid_argument);  // '!' < '0'
  CHECK_THROWS_AS(locuskit::rle_counts_from_string("0`"), std::invalid_argument);    // ends mid-value
  CHECK_THROWS_AS(locuskit::rle_counts_from_string("p"), std::invalid_argument);     // 'p' > 'o'
  CHECK_THROWS_AS(locuskit::rle_counts_from_string("ooooooooooooo0"), std::invalid_argument);  // 14 groups
}
