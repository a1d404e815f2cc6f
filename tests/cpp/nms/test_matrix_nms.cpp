// nms/matrix_nms.hpp: Matrix NMS decays against hand-computed values (mmdet's mask_matrix_nms rule).
#include <locuskit/nms/matrix_nms.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("matrix_nms: gaussian and linear decay, labels, filter and order, by hand", T, float, double) {
  // IoU(0, 1) = 0.5; box 2 is apart. comp_0 = 0, so decay_1 = f(0.5) / f(0).
  const T boxes[12] = {0, 0, 10, 10, 0, 0, 10, 5, 20, 20, 30, 30};
  const T scores[3] = {T(0.9), T(0.8), T(0.7)};
  std::int64_t keep[3];
  T out[3];
  MatrixNmsParams p;  // gaussian, sigma 2: f(x) = exp(-2 x^2)
  REQUIRE(matrix_nms(boxes, scores, nullptr, 3, keep, out, p) == 3);
  // Decayed scores 0.9, 0.8 exp(-0.5) = 0.485, 0.7: sorted by decayed score.
  CHECK(keep[0] == 0);
  CHECK(keep[1] == 2);
  CHECK(keep[2] == 1);
  CHECK(out[2] == doctest::Approx(0.8 * std::exp(-0.5)));
  CHECK(out[1] == T(0.7));
  p.kernel = MatrixNmsKernel::linear;  // f(x) = 1 - x: 0.8 * 0.5
  REQUIRE(matrix_nms(boxes, scores, nullptr, 3, keep, out, p) == 3);
  CHECK(keep[2] == 1);
  CHECK(out[2] == doctest::Approx(0.4));
  p.filter_threshold = 0.5;  // 0.4 is dropped
  CHECK(matrix_nms(boxes, scores, nullptr, 3, keep, out, p) == 2);
  // Different labels never decay each other.
  const std::int64_t labels[3] = {0, 1, 0};
  p.filter_threshold = -1;
  REQUIRE(matrix_nms(boxes, scores, labels, 3, keep, out, p) == 3);
  CHECK(keep[1] == 1);
  CHECK(out[1] == T(0.8));
  // pre_top_k cuts before the matrix, max_output after the sort.
  p.pre_top_k = 1;
  CHECK(matrix_nms(boxes, scores, nullptr, 3, keep, out, p) == 1);
  p.pre_top_k = 3;
  p.max_output = 2;
  CHECK(matrix_nms(boxes, scores, nullptr, 3, keep, out, p) == 2);
}
