#include <locuskit/box/filter.hpp>

#include <cmath>
#include <limits>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("remove_small_boxes: inclusive, ascending indices, NaN dropped", T, float, double) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T boxes[16] = {-5, 2, 5, 4, 0, 0, 0, 7, 10, 10, 30, 40, 0, 0, nan, 5};
  std::int64_t keep[4];
  CHECK(remove_small_boxes(boxes, 4, T(2), keep) == 2);
  CHECK((keep[0] == 0 && keep[1] == 2));
  CHECK(remove_small_boxes(boxes, 4, T(0), keep) == 3);  // zero width kept at min_size 0
  CHECK(remove_small_boxes(boxes, 4, T(20), keep) == 1);  // width 20 >= 20 kept
  CHECK(keep[0] == 2);
  CHECK(remove_small_boxes(boxes, 0, T(0), keep) == 0);
}
