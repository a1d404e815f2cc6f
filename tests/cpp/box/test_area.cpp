#include <locuskit/box/area.hpp>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("box_area: hand-computed, zero-area and signed", T, float, double) {
  const T boxes[16] = {-5, 2, 5, 4, 0, 0, 0, 7, 10, 10, 30, 40, 2, 0, 1, 1};
  T area[4];
  box_area(boxes, 4, area);
  CHECK((area[0] == 20 && area[1] == 0 && area[2] == 600));
  CHECK(area[3] == T(-1));  // unchecked inverted box: torchvision's signed area
}
