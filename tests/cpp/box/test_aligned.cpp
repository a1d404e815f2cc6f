#include <locuskit/box/aligned.hpp>

#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("aligned: equals the diagonal of the pairwise matrix bitwise", T, float, double) {
  const std::size_t n = 333;
  const auto a = test::random_boxes<T>(n, 21), b = test::random_boxes<T>(n, 22);
  for (IouKind k : {IouKind::iou, IouKind::giou, IouKind::diou, IouKind::ciou, IouKind::ioa}) {
    for (Degenerate d : {Degenerate::zero, Degenerate::nan, Degenerate::one}) {
      CAPTURE(static_cast<int>(k));
      std::vector<T> full(n * n), got(n, T(-7)), threaded(n, T(-9));
      box_iou_family(k, a.data(), n, b.data(), n, full.data(), d);
      box_iou_family_aligned(k, a.data(), b.data(), n, got.data(), d);
      box_iou_family_aligned(k, a.data(), b.data(), n, threaded.data(), d, T(1e-7), Parallel{3});
      for (std::size_t i = 0; i < n; ++i) {
        CHECK(test::same_bits(got[i], full[i * n + i]));
        CHECK(test::same_bits(threaded[i], got[i]));
      }
    }
  }
}
