// mask/rle.hpp: encode / decode / area / box / merge, values from pycocotools 2.0.11
// (../shared/reference/masks/mask_api, cases named below).
#include <doctest/doctest.h>

#include <locuskit/mask/rle.hpp>
#include <locuskit/mask/rle_string.hpp>

#include <cstdint>
#include <vector>

using locuskit::Rle;

namespace {
Rle from_string(std::size_t h, std::size_t w, const char* s) { return Rle{h, w, locuskit::rle_counts_from_string(s)}; }
}  // namespace

TEST_CASE("mask rle: encode starts a run at every byte change (encode.values_012)") {
  const std::uint8_t column[8] = {0, 1, 2, 2, 1, 0, 2, 0};  // the fixture's 8x1 mask (make_mask_api.py)
  const Rle r = locuskit::rle_encode(column, 8, 1);
  CHECK(locuskit::rle_to_string(r.counts) == "1120O00");
  CHECK(locuskit::rle_area(r) == 3);
  std::vector<std::uint8_t> out(8, 9);
  CHECK(locuskit::rle_decode(&r, 1, out.data(), out.size()));
  CHECK(out == std::vector<std::uint8_t>{0, 1, 0, 0, 1, 0, 1, 0});
}

TEST_CASE("mask rle: encode / decode round trip of a column-major mask, empty and full") {
  const std::uint8_t m[6] = {1, 0, 0, 1, 1, 1};
  const Rle r = locuskit::rle_encode(m, 3, 2);
  CHECK(r.counts == std::vector<std::uint32_t>{0, 1, 2, 3});
  std::vector<std::uint8_t> back(6);
  CHECK(locuskit::rle_decode(&r, 1, back.data(), 6));
  CHECK(back == std::vector<std::uint8_t>(m, m + 6));
  const std::uint8_t zeros[35] = {};
  CHECK(locuskit::rle_to_string(locuskit::rle_encode(zeros, 5, 7).counts) == "S1");  // encode.empty_5x7
}

TEST_CASE("mask rle: decode refuses counts past the buffer and zero-fills what they do not reach") {
  const Rle overlong = from_string(2, 2, "123");  // error.decode_overlong
  std::vector<std::uint8_t> out(4, 7);
  CHECK_FALSE(locuskit::rle_decode(&overlong, 1, out.data(), 4));
  const Rle short_ = Rle{2, 2, {1, 1}};
  CHECK(locuskit::rle_decode(&short_, 1, out.data(), 4));
  CHECK(out == std::vector<std::uint8_t>{0, 1, 0, 0});
}

TEST_CASE("mask rle: toBbox follows pycocotools 2.0.11 (wrap across columns, zero runs, odd m)") {
  CHECK(locuskit::rle_to_bbox(from_string(5, 6, "84b0")) == std::array<double, 4>{1, 0, 2, 5});  // encode.wrap_column
  CHECK(locuskit::rle_to_bbox(from_string(6, 4, "81?")) == std::array<double, 4>{1, 2, 1, 1});    // encode.single_mid
  CHECK(locuskit::rle_to_bbox(Rle{4, 5, {2, 0, 3, 4, 11}}) == std::array<double, 4>{1, 0, 2, 4});  // uncompressed.items[4]
  CHECK(locuskit::rle_to_bbox(Rle{4, 5, {20}}) == std::array<double, 4>{0, 0, 0, 0});
}

TEST_CASE("mask rle: merge keeps zero-length runs, n = 0 / 1 / size mismatch") {
  const Rle a{4, 5, {2, 0, 3, 4, 11}}, empty{4, 5, {20}};
  const Rle both[2] = {a, empty};
  CHECK(locuskit::rle_to_string(locuskit::rle_merge(both, 2, false).counts) == "20348");  // merge.zero_length_runs_kept_for_n1
  CHECK(locuskit::rle_merge(&a, 1, false).counts == a.counts);
  const Rle none = locuskit::rle_merge(nullptr, 0, false);
  CHECK((none.height == 0 && none.width == 0 && none.counts.empty()));
  const Rle mismatch[2] = {from_string(10, 10, "0T3"), from_string(12, 10, "0h3")};  // merge.size_mismatch
  const Rle m = locuskit::rle_merge(mismatch, 2, false);
  CHECK((m.height == 0 && m.counts.empty()));
  // union and intersection of two overlapping columns
  const Rle x{4, 1, {0, 2, 2}}, y{4, 1, {1, 2, 1}};
  const Rle xy[2] = {x, y};
  CHECK(locuskit::rle_merge(xy, 2, false).counts == std::vector<std::uint32_t>{0, 3, 1});
  CHECK(locuskit::rle_merge(xy, 2, true).counts == std::vector<std::uint32_t>{1, 1, 2});
}
