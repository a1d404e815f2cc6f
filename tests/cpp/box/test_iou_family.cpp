#include <locuskit/box/iou_family.hpp>

#include <cmath>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("iou_family: hand-computed pairs", T, float, double) {
  const T a[4] = {0, 0, 1, 1};
  const T b[8] = {2, 0, 3, 1, 0, 0, 2, 2};
  T out[2];
  generalized_box_iou(a, 1, b, 2, out);
  CHECK(out[0] == doctest::Approx(-1.0 / 3.0));  // I 0, U 2, C 3
  CHECK(out[1] == doctest::Approx(0.25));         // contained: C = U
  distance_box_iou(a, 1, b, 2, out);
  CHECK(out[0] == doctest::Approx(0.0 - 4.0 / 10.0));  // centres 2 apart, diagonal^2 9 + 1
  CHECK(out[1] == doctest::Approx(0.25 - 0.5 / 8.0));
  complete_box_iou(a, 1, b, 2, out);
  CHECK(out[0] == doctest::Approx(-0.4));  // same aspect: v = 0
  box_ioa(a, 1, b, 2, out);
  CHECK(out[0] == T(0));
  CHECK(out[1] == T(1));  // a inside b: inter / area(a)
  box_ioa(b + 4, 1, a, 1, out);
  CHECK(out[0] == T(0.25));
  // CIoU with different aspect ratios: v = 4/pi^2 (atan(2) - atan(1))^2.
  const T tall[4] = {0, 0, 1, 2};
  complete_box_iou(a, 1, tall, 1, out);
  const double v = 4 / (M_PI * M_PI) * std::pow(std::atan(0.5) - std::atan(1.0), 2);
  const double iou = 0.5, rho = 0.25 / (1 + 4 + 1e-7);
  CHECK(out[0] == doctest::Approx(iou - rho - v / (1 - iou + v + 1e-7) * v).epsilon(1e-6));
}

TEST_CASE_TEMPLATE("iou_family: every 0/0 follows the degenerate policy", T, float, double) {
  const T point[4] = {3, 3, 3, 3};
  const T normal[4] = {0, 0, 10, 10};
  for (IouKind k : {IouKind::iou, IouKind::giou, IouKind::diou, IouKind::ciou, IouKind::ioa}) {
    CAPTURE(static_cast<int>(k));
    T out = -7;
    box_iou_family(k, point, 1, point, 1, &out, Degenerate::zero);
    CHECK(out == T(0));
    box_iou_family(k, point, 1, point, 1, &out, Degenerate::one);
    CHECK(out == T(1));
    box_iou_family(k, point, 1, point, 1, &out, Degenerate::nan);
    CHECK(std::isnan(out));
  }
  // A point inside a normal box: union > 0, IoU 0; CIoU's atan(0/0) is 0 (NaN under nan).
  T out = -7;
  complete_box_iou(point, 1, normal, 1, &out);
  CHECK(std::isfinite(out));
  complete_box_iou(point, 1, normal, 1, &out, Degenerate::nan);
  CHECK(std::isnan(out));
  // A point outside: union 100, enclosing box 20 x 20, GIoU = 0 - 300/400 whatever the policy.
  const T far_point[4] = {20, 20, 20, 20};
  generalized_box_iou(far_point, 1, normal, 1, &out, Degenerate::nan);
  CHECK(out == doctest::Approx(-0.75));
}

TEST_CASE_TEMPLATE("iou_family: every arch equals the scalar oracle bitwise, any thread count", T, float,
                   double) {
  for (IouKind k : {IouKind::iou, IouKind::giou, IouKind::diou, IouKind::ciou, IouKind::ioa}) {
    for (std::uint32_t seed = 1; seed <= 6; ++seed) {
      const std::size_t n = 1 + seed * 7 % 37, m = 1 + seed * 13 % 600;  // tails and >1 tile
      const auto a = test::random_boxes<T>(n, seed), b = test::random_boxes<T>(m, seed + 100);
      for (Degenerate d : {Degenerate::zero, Degenerate::nan}) {
        std::vector<T> expected(n * m);
        reference::box_iou_family(k, a.data(), n, b.data(), m, expected.data(), d);
        test::for_each_arch([&](simd::arch_id) {
          for (int threads : {1, 3}) {
            std::vector<T> got(n * m, T(-7));
            box_iou_family(k, a.data(), n, b.data(), m, got.data(), d, T(1e-7), Parallel{threads});
            for (std::size_t q = 0; q < n * m; ++q) {
              if (!test::same_bits(got[q], expected[q])) {
                FAIL_CHECK("kind ", static_cast<int>(k), " mismatch at ", q, ": ", got[q], " vs ", expected[q]);
                break;
              }
            }
          }
        });
      }
    }
  }
}

TEST_CASE("iou_family: GIoU at most IoU, DIoU in [-1, 1], empty inputs write nothing") {
  const auto a = test::random_boxes<double>(40, 3), b = test::random_boxes<double>(70, 4);
  std::vector<double> iou(40 * 70), giou(40 * 70), diou(40 * 70);
  box_iou_family(IouKind::iou, a.data(), 40, b.data(), 70, iou.data());
  generalized_box_iou(a.data(), 40, b.data(), 70, giou.data());
  distance_box_iou(a.data(), 40, b.data(), 70, diou.data());
  for (std::size_t q = 0; q < iou.size(); ++q) {
    CHECK(giou[q] <= iou[q]);
    CHECK(giou[q] >= -1.0);
    CHECK(diou[q] <= iou[q]);
    CHECK(diou[q] >= -1.0);
  }
  float out = 42;
  const float box[4] = {0, 0, 1, 1};
  generalized_box_iou(box, 0, box, 1, &out);
  complete_box_iou(box, 1, box, 0, &out);
  CHECK(out == 42);
}
