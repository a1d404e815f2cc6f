// Batched SE(3)/SO(3) exp/log throughput: locuskit's batch kernels vs a straightforward Eigen loop
// (AngleAxis for exp, Eigen's Quaternion(R) + AngleAxis for log, generic J_l formula), and the
// trajectory metrics at 1M synthetic poses. Run: build/bench/bench/bench_pose
#include <benchmark/benchmark.h>

#include <Eigen/Geometry>
#include <locuskit/pose.hpp>
#include <locuskit/traj.hpp>
#include <random>
#include <vector>

using namespace locuskit;

namespace {
std::vector<double> random_tangents(std::size_t n, int dim, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> v(n * dim);
  for (auto& x : v) x = g(rng);
  return v;
}

// The textbook loop: Rodrigues via AngleAxis, V = I + (1-cos)/θ² Ω + (θ-sin)/θ³ Ω² (Sophus-style).
void eigen_se3_exp(const double* xi, std::size_t n, double* out) {
  for (std::size_t i = 0; i < n; ++i) {
    const Eigen::Vector3d v(xi + 6 * i), w(xi + 6 * i + 3);
    const double th = w.norm();
    Eigen::Matrix3d R = Eigen::Matrix3d::Identity(), V = Eigen::Matrix3d::Identity();
    if (th > 1e-10) {
      R = Eigen::AngleAxisd(th, w / th).toRotationMatrix();
      Eigen::Matrix3d W;
      W << 0, -w.z(), w.y(), w.z(), 0, -w.x(), -w.y(), w.x(), 0;
      V += (1 - std::cos(th)) / (th * th) * W + (th - std::sin(th)) / (th * th * th) * W * W;
    }
    Eigen::Map<Eigen::Matrix<double, 4, 4, Eigen::RowMajor>> M(out + 16 * i);
    M.setIdentity();
    M.block<3, 3>(0, 0) = R;
    M.block<3, 1>(0, 3) = V * v;
  }
}
void eigen_se3_log(const double* T, std::size_t n, double* xi) {
  for (std::size_t i = 0; i < n; ++i) {
    Eigen::Map<const Eigen::Matrix<double, 4, 4, Eigen::RowMajor>> M(T + 16 * i);
    const Eigen::Matrix3d R = M.block<3, 3>(0, 0);
    const Eigen::AngleAxisd aa(R);
    const Eigen::Vector3d w = aa.angle() * aa.axis();
    const double th = aa.angle();
    Eigen::Matrix3d W;
    W << 0, -w.z(), w.y(), w.z(), 0, -w.x(), -w.y(), w.x(), 0;
    Eigen::Matrix3d Vi = Eigen::Matrix3d::Identity() - 0.5 * W;
    if (th > 1e-10) Vi += (1 - th * std::sin(th) / (2 * (1 - std::cos(th)))) / (th * th) * W * W;
    Eigen::Map<Eigen::Matrix<double, 6, 1>> out(xi + 6 * i);
    out.head<3>() = Vi * M.block<3, 1>(0, 3);
    out.tail<3>() = w;
  }
}

constexpr std::size_t kN = 1 << 16;

void BM_se3_exp_locuskit(benchmark::State& st) {
  auto xi = random_tangents(kN, 6, 1);
  std::vector<double> out(16 * kN);
  for (auto _ : st) {
    se3_exp_batch(xi.data(), kN, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * kN));
}
void BM_se3_exp_eigen_loop(benchmark::State& st) {
  auto xi = random_tangents(kN, 6, 1);
  std::vector<double> out(16 * kN);
  for (auto _ : st) {
    eigen_se3_exp(xi.data(), kN, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * kN));
}
void BM_se3_log_locuskit(benchmark::State& st) {
  auto xi = random_tangents(kN, 6, 2);
  std::vector<double> T(16 * kN), out(6 * kN);
  se3_exp_batch(xi.data(), kN, T.data());
  for (auto _ : st) {
    se3_log_batch(T.data(), kN, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * kN));
}
void BM_se3_log_eigen_loop(benchmark::State& st) {
  auto xi = random_tangents(kN, 6, 2);
  std::vector<double> T(16 * kN), out(6 * kN);
  se3_exp_batch(xi.data(), kN, T.data());
  for (auto _ : st) {
    eigen_se3_log(T.data(), kN, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * kN));
}
void BM_se3_exp_locuskit_float(benchmark::State& st) {
  auto xd = random_tangents(kN, 6, 1);
  std::vector<float> xi(xd.begin(), xd.end()), out(16 * kN);
  for (auto _ : st) {
    se3_exp_batch(xi.data(), kN, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * kN));
}

// All metrics on 1M synthetic poses (a smooth path with noise).
void BM_all_metrics_1M(benchmark::State& st) {
  const std::size_t n = 1000000;
  std::mt19937 rng(3);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> gt(16 * n), est(16 * n), stamps(n), est_stamps(n);
  SE3d cur;
  for (std::size_t i = 0; i < n; ++i) {
    Vector6<double> step;
    step << 1.0, 0.01 * g(rng), 0.01 * g(rng), 0.001 * g(rng), 0.002 * g(rng), 0.001 * g(rng);
    cur = cur * SE3d::exp(step);
    Eigen::Map<Eigen::Matrix<double, 4, 4, Eigen::RowMajor>>(gt.data() + 16 * i) = cur.matrix();
    Vector6<double> noise;
    for (int k = 0; k < 6; ++k) noise[k] = 0.01 * g(rng);
    Eigen::Map<Eigen::Matrix<double, 4, 4, Eigen::RowMajor>>(est.data() + 16 * i) = (cur * SE3d::exp(noise)).matrix();
    stamps[i] = 1e9 + 0.1 * static_cast<double>(i);
    est_stamps[i] = stamps[i] + 1e-4 * g(rng);
  }
  std::vector<double> err(n);
  for (auto _ : st) {
    std::vector<std::int64_t> ri, ei, f, s;
    associate_stamps(stamps.data(), n, est_stamps.data(), n, 0.01, 0.0, ri, ei);
    const Alignment a = umeyama_alignment(est.data(), gt.data(), n, true);
    std::vector<double> al = est;
    apply_alignment(al.data(), n, a);
    ape_errors(gt.data(), al.data(), n, PoseRelation::translation, err.data());
    benchmark::DoNotOptimize(error_statistics(err.data(), n));
    ape_errors(gt.data(), al.data(), n, PoseRelation::rotation_angle_deg, err.data());
    benchmark::DoNotOptimize(error_statistics(err.data(), n));
    rpe_pairs(al.data(), n, 1, DeltaUnit::frames, false, 0.1, f, s);
    rpe_errors(gt.data(), al.data(), f.data(), s.data(), f.size(), PoseRelation::translation, err.data());
    benchmark::DoNotOptimize(error_statistics(err.data(), f.size()));
    rpe_errors(gt.data(), al.data(), f.data(), s.data(), f.size(), PoseRelation::rotation_angle_deg, err.data());
    benchmark::DoNotOptimize(error_statistics(err.data(), f.size()));
    benchmark::DoNotOptimize(kitti_odometry_metric(gt.data(), est.data(), n));
  }
}
}  // namespace

BENCHMARK(BM_se3_exp_locuskit);
BENCHMARK(BM_se3_exp_eigen_loop);
BENCHMARK(BM_se3_log_locuskit);
BENCHMARK(BM_se3_log_eigen_loop);
BENCHMARK(BM_se3_exp_locuskit_float);
BENCHMARK(BM_all_metrics_1M)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_MAIN();
