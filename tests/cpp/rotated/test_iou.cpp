#include <locuskit/rotated/iou.hpp>

#include <random>
#include <stdexcept>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;
using namespace locuskit::rotated;

namespace {
template <class T>
std::vector<T> random_rotated(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pos(0, 60), size(0.5, 30), angle(-180, 180);
  std::vector<T> out(5 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out[5 * i + 0] = T(pos(rng)), out[5 * i + 1] = T(pos(rng));
    out[5 * i + 2] = T(size(rng)), out[5 * i + 3] = T(size(rng)), out[5 * i + 4] = T(angle(rng));
    if (i % 7 == 3) out[5 * i + 2] = T(0);                                     // zero area
    if (i % 5 == 1 && i > 0)
      for (int k = 0; k < 5; ++k) out[5 * i + k] = out[5 * (i - 1) + k];      // duplicate
  }
  return out;
}
}  // namespace

TEST_CASE_TEMPLATE("box_iou_rotated: every cell is the one-pair geometry, any thread count", T, float, double) {
  const std::size_t n = 37, m = 53;
  const auto a = random_rotated<T>(n, 1), b = random_rotated<T>(m, 2);
  for (bool iof : {false, true}) {
    for (auto arith : {RotatedArithmetic::exact, RotatedArithmetic::detectron2}) {
      if (iof && arith == RotatedArithmetic::detectron2) continue;
      RotatedIouParams p;
      p.iof = iof;
      p.arithmetic = arith;
      p.degenerate = Degenerate::nan;
      std::vector<T> one(n * m), many(n * m), diag(n);
      box_iou_rotated(a.data(), n, b.data(), m, one.data(), p);
      box_iou_rotated(a.data(), n, b.data(), m, many.data(), p, Parallel{3});
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j) {
          const T* x = a.data() + 5 * i;
          const T* y = b.data() + 5 * j;
          const T want = arith == RotatedArithmetic::detectron2 ? rotated_iou_detectron2(x, y)
                         : iof ? rotated_iof(x, y, p.convention, std::numeric_limits<T>::quiet_NaN())
                               : rotated_iou(x, y, p.convention, std::numeric_limits<T>::quiet_NaN());
          CHECK(test::same_bits(one[i * m + j], want));
          CHECK(test::same_bits(many[i * m + j], want));
        }
      // aligned = the diagonal of the square matrix
      std::vector<T> square(n * n);
      box_iou_rotated(a.data(), n, b.data(), n, square.data(), p);
      box_iou_rotated_aligned(a.data(), b.data(), n, diag.data(), p, Parallel{2});
      for (std::size_t i = 0; i < n; ++i) CHECK(test::same_bits(diag[i], square[i * n + i]));
    }
  }
}

TEST_CASE("box_iou_rotated: detectron2 arithmetic needs its convention and IoU") {
  const double a[5] = {0, 0, 1, 1, 0};
  double out[1];
  RotatedIouParams p;
  p.arithmetic = RotatedArithmetic::detectron2;
  p.convention = AngleConvention::radians_cw;
  CHECK_THROWS_AS(box_iou_rotated(a, 1, a, 1, out, p), std::invalid_argument);
  p.convention = AngleConvention::degrees_ccw;
  p.iof = true;
  CHECK_THROWS_AS(box_iou_rotated_aligned(a, a, 1, out, p), std::invalid_argument);
  // Empty sets are fine.
  box_iou_rotated(a, 0, a, 1, out, RotatedIouParams{});
  box_iou_rotated(a, 1, a, 0, out, RotatedIouParams{});
}
