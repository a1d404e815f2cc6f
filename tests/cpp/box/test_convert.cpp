#include <locuskit/box/convert.hpp>

#include <cmath>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("box_convert: hand-computed conversions and in-place use", T, float, double) {
  const T xyxy[4] = {1, 2, 5, 10};
  T out[4];
  box_convert(xyxy, 1, BoxFormat::xyxy, BoxFormat::xywh, out);
  CHECK((out[0] == 1 && out[1] == 2 && out[2] == 4 && out[3] == 8));
  box_convert(xyxy, 1, BoxFormat::xyxy, BoxFormat::cxcywh, out);
  CHECK((out[0] == 3 && out[1] == 6 && out[2] == 4 && out[3] == 8));
  box_convert(out, 1, BoxFormat::cxcywh, BoxFormat::xywh, out);  // via xyxy, in place
  CHECK((out[0] == 1 && out[1] == 2 && out[2] == 4 && out[3] == 8));
  box_convert(out, 1, BoxFormat::xywh, BoxFormat::xyxy, out);
  CHECK((out[0] == 1 && out[1] == 2 && out[2] == 5 && out[3] == 10));
  CHECK(parse_box_format("cxcywh") == BoxFormat::cxcywh);
  CHECK_THROWS_AS(parse_box_format("yxyx"), std::invalid_argument);
}

TEST_CASE_TEMPLATE("box_convert: round trips within rounding", T, float, double) {
  const auto boxes = test::random_boxes<T>(500, 9);
  for (BoxFormat f : {BoxFormat::xywh, BoxFormat::cxcywh}) {
    std::vector<T> there(boxes.size()), back(boxes.size());
    box_convert(boxes.data(), 500, BoxFormat::xyxy, f, there.data());
    box_convert(there.data(), 500, f, BoxFormat::xyxy, back.data());
    for (std::size_t k = 0; k < boxes.size(); ++k) CHECK(back[k] == doctest::Approx(boxes[k]).epsilon(1e-5));
  }
}
