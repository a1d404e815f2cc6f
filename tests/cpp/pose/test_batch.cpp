// Batched kernels: equal to the per-element group operations (the oracle) bit for bit, and
// independent of the thread count.
#include <locuskit/pose/batch.hpp>

#include <random>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("pose batch kernels: equal to per-element ops, any thread count", T, float, double) {
  const std::size_t n = 5000;
  std::mt19937 rng(9);
  std::normal_distribution<double> g(0, 1);
  std::vector<T> xi(6 * n), z(7 * n);
  for (std::size_t k = 0; k < xi.size(); ++k) xi[k] = T(g(rng) * (k % 6 < 3 ? 1.0 : 0.5));  // ‖ω‖ < π
  for (auto& v : z) v = T(g(rng) / 2);
  std::vector<T> M1(16 * n), M3(16 * n), L1(6 * n), L3(6 * n), S(16 * n), Z(7 * n), C(16 * n), I(16 * n);
  se3_exp_batch(xi.data(), n, M1.data(), Parallel{1});
  se3_exp_batch(xi.data(), n, M3.data(), Parallel{3});
  CHECK(M1 == M3);
  se3_log_batch(M1.data(), n, L1.data(), Parallel{1});
  se3_log_batch(M1.data(), n, L3.data(), Parallel{3});
  CHECK(L1 == L3);
  for (std::size_t i = 0; i < n; i += 97) {
    const SE3<T> e = SE3<T>::exp(Eigen::Map<const Vector6<T>>(xi.data() + 6 * i));
    const Matrix4<T> m = e.matrix();
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) CHECK(M1[16 * i + 4 * r + c] == m(r, c));
    CHECK((Eigen::Map<const Vector6<T>>(L1.data() + 6 * i) - Eigen::Map<const Vector6<T>>(xi.data() + 6 * i)).norm() <=
          (std::is_same_v<T, float> ? T(1e-3) : T(1e-9)) * (1 + Eigen::Map<const Vector6<T>>(xi.data() + 6 * i).norm()));
  }
  se3_compose_batch(M1.data(), M1.data(), n, C.data(), false, false, Parallel{3});
  se3_inverse_batch(M1.data(), n, I.data(), Parallel{3});
  for (std::size_t i = 0; i < n; i += 97) {
    using RM = Eigen::Matrix<T, 4, 4, Eigen::RowMajor>;
    const RM a = Eigen::Map<const RM>(M1.data() + 16 * i);
    CHECK((Eigen::Map<const RM>(C.data() + 16 * i) - a * a).norm() <= T(100) * std::numeric_limits<T>::epsilon() * (1 + (a * a).norm()));
    CHECK((Eigen::Map<const RM>(I.data() + 16 * i) * a - RM::Identity()).norm() <= T(100) * std::numeric_limits<T>::epsilon() * (1 + a.norm()));
  }
  sim3_exp_batch(z.data(), n, S.data(), Parallel{3});
  sim3_log_batch(S.data(), n, Z.data(), Parallel{2});
  for (std::size_t i = 0; i < n; i += 97) {
    const Eigen::Map<const Vector7<T>> zi(z.data() + 7 * i);
    CHECK((Eigen::Map<const Vector7<T>>(Z.data() + 7 * i) - zi).norm() <= (std::is_same_v<T, float> ? T(1e-3) : T(1e-9)));
  }
}
