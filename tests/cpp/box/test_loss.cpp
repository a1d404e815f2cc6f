#include <locuskit/box/loss.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

namespace {
// Random prediction/target pairs with continuous coordinates (no ties, no zero sizes), some
// overlapping, some disjoint.
std::vector<double> random_pairs(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pos(-20, 20), size(0.5, 15);
  std::vector<double> out(8 * n);
  for (std::size_t i = 0; i < n; ++i) {
    double* p = out.data() + 8 * i;
    p[0] = pos(rng), p[1] = pos(rng), p[2] = p[0] + size(rng), p[3] = p[1] + size(rng);
    const double s = i % 3 == 0 ? 25 : 3;  // every third pair likely disjoint
    p[4] = p[0] + s * (pos(rng) / 20), p[5] = p[1] + s * (pos(rng) / 20);
    p[6] = p[4] + size(rng), p[7] = p[5] + size(rng);
  }
  return out;
}

// Bit for bit, except that any NaN equals any NaN (its payload is the hardware's business).
template <class T>
bool same_values(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(std::isnan(a[i]) && std::isnan(b[i])) && !test::same_bits(a[i], b[i])) return false;
  return true;
}
}  // namespace

TEST_CASE("box_loss: analytic gradients equal central finite differences (float64)") {
  const std::size_t n = 300;
  const auto pairs = random_pairs(n, 7);
  for (BoxLossKind k : {BoxLossKind::iou, BoxLossKind::giou, BoxLossKind::diou, BoxLossKind::ciou}) {
    CAPTURE(static_cast<int>(k));
    int checked = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double* p = pairs.data() + 8 * i;
      const double* g = p + 4;
      double grad[4];
      detail::box_loss_one(k, p, g, 1e-7, Degenerate::zero, grad);
      for (int c = 0; c < 4; ++c) {
        const double h = 1e-6;
        double plus[4] = {p[0], p[1], p[2], p[3]}, minus[4] = {p[0], p[1], p[2], p[3]};
        plus[c] += h, minus[c] -= h;
        // CIoU's alpha is a constant for the gradient (torchvision: no_grad): hold it fixed.
        double fd;
        if (k == BoxLossKind::ciou) {
          auto with_alpha = [&](const double* q, double alpha) {
            const double diou = detail::box_loss_one(BoxLossKind::diou, q, g, 1e-7, Degenerate::zero, static_cast<double*>(nullptr));
            const double d = std::atan((g[2] - g[0]) / (g[3] - g[1])) - std::atan((q[2] - q[0]) / (q[3] - q[1]));
            const double v = detail::ciou_k * d * d;
            return diou + alpha * v;
          };
          const double l0 = detail::box_loss_one(BoxLossKind::ciou, p, g, 1e-7, Degenerate::zero, static_cast<double*>(nullptr));
          const double d0 = detail::box_loss_one(BoxLossKind::diou, p, g, 1e-7, Degenerate::zero, static_cast<double*>(nullptr));
          const double dd = std::atan((g[2] - g[0]) / (g[3] - g[1])) - std::atan((p[2] - p[0]) / (p[3] - p[1]));
          const double v0 = detail::ciou_k * dd * dd;
          const double alpha = v0 == 0 ? 0 : (l0 - d0) / v0;
          fd = (with_alpha(plus, alpha) - with_alpha(minus, alpha)) / (2 * h);
        } else {
          fd = (detail::box_loss_one(k, plus, g, 1e-7, Degenerate::zero, static_cast<double*>(nullptr)) -
                detail::box_loss_one(k, minus, g, 1e-7, Degenerate::zero, static_cast<double*>(nullptr))) /
               (2 * h);
        }
        CHECK(grad[c] == doctest::Approx(fd).epsilon(1e-5).scale(1.0));
        ++checked;
      }
    }
    CHECK(checked == 4 * static_cast<int>(n));
  }
}

TEST_CASE_TEMPLATE("box_loss: hand-checked values and reductions", T, float, double) {
  const T p[8] = {0, 0, 1, 1, 0, 0, 1, 1};
  const T g[8] = {0, 0, 1, 1, 2, 0, 3, 1};
  T loss[2], grad[8];
  box_loss(BoxLossKind::giou, p, g, 2, loss, grad);
  CHECK(loss[0] == doctest::Approx(0.0).scale(1.0).epsilon(1e-6));   // identical boxes
  CHECK(loss[1] == doctest::Approx(1 + 1.0 / 3.0).epsilon(1e-6));     // disjoint: 1 - (0 - 1/3)
  box_loss(BoxLossKind::diou, p, g, 2, loss);
  CHECK(loss[1] == doctest::Approx(1 + 4.0 / 10.0).epsilon(1e-6));
  box_loss(BoxLossKind::iou, p, g, 2, loss);
  CHECK(loss[1] == T(1));
  CHECK(reduce_loss(loss, 2, Reduction::sum) == doctest::Approx(loss[0] + loss[1]));
  CHECK(reduce_loss(loss, 2, Reduction::mean) == doctest::Approx((loss[0] + loss[1]) / 2));
  CHECK(reduce_loss(loss, 0, Reduction::mean) == T(0));
  // Identical boxes: every tie of min/max splits the gradient, as torch autograd does.
  box_loss(BoxLossKind::iou, p, p, 1, loss, grad);
  for (int c = 0; c < 4; ++c) CHECK(std::isfinite(grad[c]));
}

TEST_CASE_TEMPLATE("box_loss: degenerate boxes stay finite by default", T, float, double) {
  const T point[4] = {1, 1, 1, 1};
  T loss = -1, grad[4];
  box_loss(BoxLossKind::ciou, point, point, 1, &loss, grad);
  CHECK(loss == doctest::Approx(1.0));  // IoU 0 (eps), no distance, atan(0/0) -> 0
  for (T x : grad) CHECK(std::isfinite(x));
  box_loss(BoxLossKind::ciou, point, point, 1, &loss, grad, T(1e-7), Degenerate::nan);
  CHECK(std::isnan(loss));  // torchvision's arithmetic
  box_loss(BoxLossKind::giou, point, point, 1, &loss, grad, T(0), Degenerate::zero);
  CHECK(loss == T(1));  // eps = 0: IoU 0/0 -> 0, penalty 0/0 -> 0
}

TEST_CASE("box_loss: thread count does not change results") {
  const auto pairs = random_pairs(20000, 3);
  std::vector<double> p(4 * 20000), g(4 * 20000);
  for (std::size_t i = 0; i < 20000; ++i)
    for (int c = 0; c < 4; ++c) p[4 * i + c] = pairs[8 * i + c], g[4 * i + c] = pairs[8 * i + 4 + c];
  std::vector<double> l1(20000), l3(20000), g1(80000), g3(80000);
  box_loss(BoxLossKind::ciou, p.data(), g.data(), 20000, l1.data(), g1.data());
  box_loss(BoxLossKind::ciou, p.data(), g.data(), 20000, l3.data(), g3.data(), 1e-7, Degenerate::zero, Parallel{3});
  CHECK(l1 == l3);
  CHECK(g1 == g3);
}

TEST_CASE_TEMPLATE("box_loss: every SIMD arch equals the scalar reference (CIoU: within its atan's ulps)", T, float,
                   double) {
  // Clustered boxes with duplicates (every min/max ties) and zero sizes; predictions inverted in
  // part; n not a multiple of any batch width, so the padded last batch is exercised.
  const std::size_t n = 1003;
  const auto target = test::random_boxes<T>(n, 41);
  auto pred = test::random_boxes<T>(n, 42);
  for (std::size_t i = 0; i < n; i += 7) std::swap(pred[4 * i], pred[4 * i + 2]);
  for (std::size_t i = 3; i < n; i += 11)
    for (int c = 0; c < 4; ++c) pred[4 * i + c] = target[4 * i + c];
  for (BoxLossKind k : {BoxLossKind::iou, BoxLossKind::giou, BoxLossKind::diou, BoxLossKind::ciou})
    for (T eps : {T(1e-7), T(0)})
      for (Degenerate deg : {Degenerate::zero, Degenerate::nan}) {
        CAPTURE(static_cast<int>(k));
        CAPTURE(eps);
        std::vector<T> l_ref(n), g_ref(4 * n);
        reference::box_loss(k, pred.data(), target.data(), n, l_ref.data(), g_ref.data(), eps, deg);
        test::for_each_arch([&](simd::arch_id) {
          std::vector<T> l(n), g(4 * n), l_only(n);
          box_loss(k, pred.data(), target.data(), n, l.data(), g.data(), eps, deg);
          box_loss(k, pred.data(), target.data(), n, l_only.data(), static_cast<T*>(nullptr), eps, deg);
          CHECK(same_values(l, l_only));  // with or without the gradient: one value
          if (k != BoxLossKind::ciou) {
            CHECK(same_values(l, l_ref));
            CHECK(same_values(g, g_ref));
          } else {
            // xsimd's atan vs std::atan: a few ulps of atan(w/h), scaled by at most 8/pi^2 |diff|.
            const T tol = 64 * std::numeric_limits<T>::epsilon();
            int bad = 0;
            for (std::size_t i = 0; i < n; ++i)
              bad += !(std::isnan(l[i]) == std::isnan(l_ref[i]) &&
                       (std::isnan(l[i]) || std::fabs(l[i] - l_ref[i]) <= tol * (1 + std::fabs(l_ref[i]))));
            for (std::size_t i = 0; i < 4 * n; ++i)
              bad += !(std::isnan(g[i]) == std::isnan(g_ref[i]) &&
                       (std::isnan(g[i]) || std::fabs(g[i] - g_ref[i]) <= tol * (1 + std::fabs(g_ref[i]))));
            CHECK(bad == 0);
          }
        });
      }
}
