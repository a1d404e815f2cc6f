// nms/iou_rule.hpp: the threshold rules reduced to one strict comparison.
#include <locuskit/nms/iou_rule.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("strict_iou_threshold: torchvision, cuda and >= rules", T, float, double) {
  if constexpr (std::is_same_v<T, float>) {
    CHECK(strict_iou_threshold<float>(0.6, IouRule::torchvision) == std::nextafter(0.6f, 0.0f));  // f32(0.6) > 0.6
    CHECK(strict_iou_threshold<float>(0.5, IouRule::torchvision) == 0.5f);
    CHECK(strict_iou_threshold<float>(0.6, IouRule::cuda) == 0.6f);
    CHECK(strict_iou_threshold<float>(0.5, IouRule::greater_equal) == std::nextafter(0.5f, 0.0f));
  } else {
    CHECK(strict_iou_threshold<double>(0.6, IouRule::torchvision) == 0.6);
    CHECK(strict_iou_threshold<double>(0.6, IouRule::cuda) == double(0.6f));
    CHECK(strict_iou_threshold<double>(0.5, IouRule::greater_equal) == std::nextafter(0.5, 0.0));
  }
  CHECK_THROWS_AS(strict_iou_threshold<T>(std::nan(""), IouRule::torchvision), std::invalid_argument);
}
