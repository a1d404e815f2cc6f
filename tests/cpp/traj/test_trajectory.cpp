// Trajectory evaluation in C++: association against evo's exhaustive rule, parsing errors,
// statistics, and the real KITTI 00 files against evo's and the compiled devkit's numbers
// (shared/reference/trajectories/expected.json; skipped when the shared reference is absent).
#include <locuskit/traj/alignment.hpp>
#include <locuskit/traj/association.hpp>
#include <locuskit/traj/kitti_metric.hpp>
#include <locuskit/traj/trajectory_io.hpp>
#include <locuskit/traj/trajectory_metrics.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

namespace {
void evo_associate(const std::vector<double>& ref, const std::vector<double>& est, double max_diff, double offset,
                   std::vector<std::int64_t>& ri, std::vector<std::int64_t>& ei) {
  const bool est_longer = est.size() > ref.size();
  const auto& lng = est_longer ? est : ref;
  const auto& qry = est_longer ? ref : est;
  const double off = est_longer ? offset : -offset;
  ri.clear();
  ei.clear();
  for (std::size_t i = 0; i < qry.size(); ++i) {
    std::size_t best = 0;
    double bd = std::abs((lng[0] + off) - qry[i]);
    for (std::size_t j = 1; j < lng.size(); ++j) {
      const double d = std::abs((lng[j] + off) - qry[i]);
      if (d < bd) bd = d, best = j;
    }
    if (bd <= max_diff) {
      (est_longer ? ri : ei).push_back(static_cast<std::int64_t>(i));
      (est_longer ? ei : ri).push_back(static_cast<std::int64_t>(best));
    }
  }
}
bool exists(const std::string& p) { return std::ifstream(p).good(); }
const std::string kShared = std::string(LOCUSKIT_SHARED_REFERENCE_DIR) + "/trajectories/data/";
}  // namespace

TEST_CASE("associate_stamps: equals evo's O(N*M) rule incl. ties, duplicates, unsorted input") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    std::uniform_int_distribution<int> len(1, 60), grid(0, 200);
    std::vector<double> ref(static_cast<std::size_t>(len(rng))), est(static_cast<std::size_t>(len(rng)));
    for (auto& s : ref) s = 1e4 + 0.005 * grid(rng);
    for (auto& s : est) s = 1e4 + 0.005 * grid(rng);
    if (trial % 3) std::sort(ref.begin(), ref.end());
    if (trial % 4) std::sort(est.begin(), est.end());
    const double max_diff = (trial % 5) * 0.0025, offset = ((trial % 7) - 3) * 0.0025;
    std::vector<std::int64_t> a, b, ea, eb;
    associate_stamps(ref.data(), ref.size(), est.data(), est.size(), max_diff, offset, a, b);
    evo_associate(ref, est, max_diff, offset, ea, eb);
    CAPTURE(trial);
    CHECK(a == ea);
    CHECK(b == eb);
  }
}

TEST_CASE("parse_trajectory: lenient input, precise errors") {
  const auto t = parse_trajectory("# c\n\t1 0 0 0 0 0 0 2\r\n\n2  1 1 1  0 0 1 0 ", TrajectoryFormat::tum, "a.txt");
  REQUIRE(t.size() == 2);
  CHECK(t.poses[0] == 1.0);  // normalized quaternion -> identity
  CHECK(t.poses[16 + 0] == doctest::Approx(-1.0));
  try {
    parse_trajectory("1 0 0 0 0 0 0 1\n2 0 0 0 0 0 0\n", TrajectoryFormat::tum, "a.txt");
    FAIL("no throw");
  } catch (const parse_error& e) {
    CHECK(std::string(e.what()) == "a.txt:2: expected 8 fields, found 7");
  }
  CHECK_THROWS_AS(parse_trajectory("1 0 0 0 0 0 0 inf\n", TrajectoryFormat::tum, "a"), parse_error);
  CHECK_THROWS_AS(parse_trajectory("", TrajectoryFormat::kitti, "a"), parse_error);
  CHECK_THROWS_AS(read_trajectory("/nonexistent/file.txt", TrajectoryFormat::tum), parse_error);
}

TEST_CASE("associate_stamps: an unsorted long side (sorted once) equals evo's scan at larger sizes") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    std::uniform_int_distribution<int> grid(0, 4000);
    std::vector<double> ref(2000 + static_cast<std::size_t>(trial) * 37), est(700);
    for (auto& s : ref) s = 1.3e9 + 0.01 * grid(rng);  // rounding makes distinct stamps tie
    for (auto& s : est) s = 1.3e9 + 0.01 * grid(rng) + 0.004 * (trial % 3);
    std::shuffle(ref.begin(), ref.end(), rng);
    if (trial % 2) std::shuffle(est.begin(), est.end(), rng);
    std::vector<std::int64_t> a, b, ea, eb;
    associate_stamps(ref.data(), ref.size(), est.data(), est.size(), 0.006, 0.001, a, b);
    evo_associate(ref, est, 0.006, 0.001, ea, eb);
    CAPTURE(trial);
    CHECK(a == ea);
    CHECK(b == eb);
  }
  const double bad[2] = {1.0, std::nan("")};
  std::vector<std::int64_t> a, b;
  CHECK_THROWS_AS(associate_stamps(bad, 2, bad, 1, 0.1, 0, a, b), std::invalid_argument);
}

TEST_CASE("read_trajectory: byte-order mark, directories and the size limit") {
  const auto plain = parse_trajectory("1 0 0 0 0 0 0 1\n", TrajectoryFormat::tum, "a");
  const auto bom = parse_trajectory("\xEF\xBB\xBF" "1 0 0 0 0 0 0 1\n", TrajectoryFormat::tum, "a");
  CHECK(bom.stamps == plain.stamps);
  CHECK(bom.poses == plain.poses);
  CHECK(parse_trajectory("\xEF\xBB\xBF#timestamp,x\n1,0,0,0,1,0,0,0\n", TrajectoryFormat::euroc, "a").size() == 1);
  try {
    read_trajectory(LOCUSKIT_TEST_DATA_DIR, TrajectoryFormat::tum);
    FAIL("no throw");
  } catch (const parse_error& e) {
    CHECK(std::string(e.what()).find("is a directory") != std::string::npos);
  }
  const std::string path = std::string(LOCUSKIT_TEST_DATA_DIR) + "/traj/freiburg1_xyz-groundtruth.txt";
  CHECK(read_trajectory(path, TrajectoryFormat::tum).size() > 100);
  try {
    read_trajectory(path, TrajectoryFormat::tum, 1000);
    FAIL("no throw");
  } catch (const parse_error& e) {
    CHECK(std::string(e.what()).find("more than the limit of 1000") != std::string::npos);
  }
}

TEST_CASE("ape_errors: E = est^-1 ref (evo), which matters for rotations that are not orthonormal") {
  // est: a slightly non-orthonormal rotation (as in 6-digit KITTI files) and a translation.
  const double est[16] = {1.0, 1e-4, 0, 1, -1e-4, 1.0, 2e-4, 2, 0, -2e-4, 1.0000003, 3, 0, 0, 0, 1};
  const double ref[16] = {0.9999995, 0, 0, 1.5, 0, 1, 0, 2, 0, 0, 1, 2.5, 0, 0, 0, 1};
  // E = est^T-inverse · ref computed by hand: R_E = R_est^T R_ref, t_E = R_est^T (t_ref - t_est).
  double E[16] = {};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < 3; ++k) E[4 * r + c] += est[4 * k + r] * ref[4 * k + c];
    for (int k = 0; k < 3; ++k) E[4 * r + 3] += est[4 * k + r] * (ref[4 * k + 3] - est[4 * k + 3]);
  }
  E[15] = 1;
  double want = 0;
  for (int k = 0; k < 16; ++k) want += (E[k] - (k % 5 == 0)) * (E[k] - (k % 5 == 0));
  double got = 0;
  ape_errors(ref, est, 1, PoseRelation::full, &got);
  CHECK(got == doctest::Approx(std::sqrt(want)).epsilon(1e-14));
}

TEST_CASE("error_statistics: numpy definitions") {
  const double e[] = {3, 1, 4, 1, 5, 9};
  const auto s = error_statistics(e, 6);
  CHECK(s.median == 3.5);  // mean of the two middle values
  CHECK(s.mean == doctest::Approx(23.0 / 6));
  CHECK(s.sse == 133);
  CHECK(s.rmse == doctest::Approx(std::sqrt(133.0 / 6)));
  CHECK(s.std == doctest::Approx(std::sqrt(133.0 / 6 - (23.0 / 6) * (23.0 / 6))));  // ddof = 0
  CHECK(s.min == 1);
  CHECK(s.max == 9);
  CHECK_THROWS_AS(error_statistics(e, 0), std::invalid_argument);
}

TEST_CASE("KITTI 00 ORB-SLAM2: evo APE/RPE and the devkit metric") {
  if (!exists(kShared + "KITTI_00_gt.txt")) {
    MESSAGE("shared reference not available: skipped");
    return;
  }
  const auto gt = read_trajectory(kShared + "KITTI_00_gt.txt", TrajectoryFormat::kitti);
  auto est = read_trajectory(kShared + "KITTI_00_ORB.txt", TrajectoryFormat::kitti);
  REQUIRE(gt.size() == 4541);
  REQUIRE(est.size() == 4541);
  const std::size_t n = gt.size();
  // evo_ape kitti KITTI_00_gt.txt KITTI_00_ORB.txt -r trans_part -as
  const Alignment a = umeyama_alignment(est.poses.data(), gt.poses.data(), n, true);
  CHECK(a.s == doctest::Approx(1.0046980764526634).epsilon(1e-12));
  std::vector<double> aligned = est.poses, err(n);
  apply_alignment(aligned.data(), n, a);
  ape_errors(gt.poses.data(), aligned.data(), n, PoseRelation::translation, err.data());
  const auto s = error_statistics(err.data(), n);
  CHECK(s.rmse == doctest::Approx(0.9377090736114021).epsilon(1e-9));
  CHECK(s.median == doctest::Approx(0.8446910134862976).epsilon(1e-9));
  // evo_rpe kitti ... -r angle_deg (delta 1 frame)
  std::vector<std::int64_t> f, g;
  rpe_pairs(est.poses.data(), n, 1, DeltaUnit::frames, false, 0.1, f, g);
  std::vector<double> rerr(f.size());
  rpe_errors(gt.poses.data(), est.poses.data(), f.data(), g.data(), f.size(), PoseRelation::rotation_angle_deg,
             rerr.data());
  CHECK(error_statistics(rerr.data(), rerr.size()).rmse == doctest::Approx(0.114973521).epsilon(1e-8));
  // compiled devkit: stats.txt "0.006997 0.000044", bit-exact float32 means
  const auto k = kitti_odometry_metric(gt.poses.data(), est.poses.data(), n, KittiPrecision::devkit);
  CHECK(k.segments.size() == 3283);
  CHECK(k.t_err == 0.006997337099164724);
  CHECK(k.r_err == 4.4218289986019954e-05);
  const auto kd = kitti_odometry_metric(gt.poses.data(), est.poses.data(), n, KittiPrecision::double_);
  CHECK(kd.t_err == doctest::Approx(0.006997286638583293).epsilon(1e-12));
}

TEST_CASE("parse_trajectory: a row of another format's shape says which format it looks like") {
  const std::string kitti_row = "1 0 0 0 0 1 0 0 0 0 1 0\n";
  CHECK_THROWS_WITH_AS(parse_trajectory(kitti_row, TrajectoryFormat::tum, "k.txt"),
                       doctest::Contains("found 12 (12 numbers: this looks like a KITTI file"), parse_error);
  CHECK_THROWS_WITH_AS(parse_trajectory("1 0 0 0 0 0 0 1\n", TrajectoryFormat::kitti, "t.txt"),
                       doctest::Contains("this looks like a TUM file"), parse_error);
  CHECK_THROWS_WITH_AS(parse_trajectory("1,0,0,0,1,0,0,0\n", TrajectoryFormat::tum, "e.csv"),
                       doctest::Contains("EuRoC csv"), parse_error);
}

TEST_CASE("rpe_pairs by angle: evo's accumulated (consecutive) and direct (all pairs) rules") {
  // Rotations about z by 0, 2, 4, ... degrees: every step is 2 degrees.
  const std::size_t n = 20;
  std::vector<double> poses(16 * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const double a = 2.0 * static_cast<double>(i) * 3.14159265358979323846 / 180.0;
    double* P = poses.data() + 16 * i;
    P[0] = std::cos(a); P[1] = -std::sin(a); P[4] = std::sin(a); P[5] = std::cos(a); P[10] = 1; P[15] = 1;
  }
  std::vector<std::int64_t> f, s;
  rpe_pairs(poses.data(), n, 5.0, DeltaUnit::degrees, false, 0.1, f, s);
  // 2 + 2 + 2 >= 5: pairs (0, 3), (3, 6), ... starting at index 0 (unlike metres).
  REQUIRE(f.size() == 6);
  CHECK(f[0] == 0);
  CHECK(s[0] == 3);
  CHECK(f[1] == 3);
  CHECK(s[5] == 18);
  // all pairs: direct angle in [6 - 0.6, 6 + 0.6] degrees = every (i, i + 3).
  rpe_pairs(poses.data(), n, 6.0, DeltaUnit::degrees, true, 0.1, f, s);
  REQUIRE(f.size() == n - 3);
  for (std::size_t k = 0; k < f.size(); ++k) CHECK(s[k] - f[k] == 3);
  // radians: the same rule.
  rpe_pairs(poses.data(), n, 5.0 * 3.14159265358979323846 / 180.0, DeltaUnit::radians, false, 0.1, f, s);
  CHECK(f.size() == 6);
  CHECK_THROWS_AS(rpe_pairs(poses.data(), n, 181.0, DeltaUnit::degrees, false, 0.1, f, s), std::invalid_argument);
  CHECK_THROWS_AS(rpe_pairs(poses.data(), n, 90.0, DeltaUnit::degrees, false, 0.1, f, s), std::invalid_argument);
}

TEST_CASE("parse_trajectory: chunks of whole lines on several threads give the same poses and the same first error") {
  std::string text = "# header\n";
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int i = 0; i < 300; ++i) {
    text += std::to_string(i * 0.1) + " " + std::to_string(u(rng)) + "  " + std::to_string(u(rng)) + " 0\t" +
            std::to_string(u(rng)) + " " + std::to_string(u(rng)) + " " + std::to_string(u(rng)) + " 1\n";
    if (i % 37 == 0) text += "\n  # comment\r\n";
  }
  const TrajectoryData one = parse_trajectory(text, TrajectoryFormat::tum, "a.txt");
  for (const std::size_t grain : {std::size_t(1), std::size_t(7), std::size_t(64), std::size_t(1000)}) {
    const TrajectoryData many = detail::parse_trajectory_chunked(text, TrajectoryFormat::tum, "a.txt", Parallel{4}, grain);
    CHECK(many.poses == one.poses);
    CHECK(many.stamps == one.stamps);
    CHECK(many.warnings == one.warnings);
  }
  std::string bad = text;
  bad.replace(bad.find("\n", bad.size() / 2) + 1, 1, "x");  // a row past the middle
  std::string first_error, chunked_error;
  try { parse_trajectory(bad, TrajectoryFormat::tum, "a.txt"); } catch (const parse_error& e) { first_error = e.what(); }
  try {
    detail::parse_trajectory_chunked(bad, TrajectoryFormat::tum, "a.txt", Parallel{4}, 16);
  } catch (const parse_error& e) {
    chunked_error = e.what();
  }
  CHECK(!first_error.empty());
  CHECK(chunked_error == first_error);
}
