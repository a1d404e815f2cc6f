// evaluate_trajectories: a whole evo_ape / evo_rpe run in one call equals evo's numbers
// (expected.json, full precision: evo v1.36.5 command lines, quoted beside each value), and its
// refusals name the problem.
#include <locuskit/traj/evaluation.hpp>

#include <fstream>
#include <string>

#include "test_support.hpp"

using namespace locuskit;

namespace {
const std::string kLocal = std::string(LOCUSKIT_TEST_DATA_DIR) + "/traj/";
const std::string kShared = std::string(LOCUSKIT_SHARED_REFERENCE_DIR) + "/trajectories/data/";
}  // namespace

TEST_CASE("evaluate_trajectories: evo's command lines on fr1/xyz (TUM, association by stamps)") {
  const auto gt = read_trajectory(kLocal + "freiburg1_xyz-groundtruth.txt", TrajectoryFormat::tum);
  const auto est = read_trajectory(kLocal + "freiburg1_xyz-rgbdslam.txt", TrajectoryFormat::tum);
  EvaluationOptions o;
  o.align = AlignMode::sim3;  // evo_ape tum ... -r trans_part -as
  Evaluation e = evaluate_trajectories(gt, est, o, Parallel{3});
  CHECK(e.stats.n == 785);
  CHECK(e.associated == 785);
  CHECK(e.stats.rmse == doctest::Approx(0.013389384904168198).epsilon(1e-9));
  o.align = AlignMode::origin;  // evo_ape tum ... -r trans_part --align_origin
  e = evaluate_trajectories(gt, est, o);
  CHECK(e.stats.rmse == doctest::Approx(0.019367919941702044).epsilon(1e-9));
  o = EvaluationOptions{};  // evo_rpe tum ... -r angle_deg -d 0.5 -u m --all_pairs
  o.rpe = true;
  o.relation = PoseRelation::rotation_angle_deg;
  o.delta = 0.5;
  o.delta_unit = DeltaUnit::meters;
  o.all_pairs = true;
  e = evaluate_trajectories(gt, est, o);
  CHECK(e.stats.n == 697);
  CHECK(e.stats.rmse == doctest::Approx(1.0482761128747011).epsilon(1e-9));
}

TEST_CASE("evaluate_trajectories: KITTI 00 by index (evo_rpe kitti ... -d 10 -u f -as)") {
  if (!std::ifstream(kShared + "KITTI_00_gt.txt")) {
    MESSAGE("shared reference not available: skipped");
    return;
  }
  const auto gt = read_trajectory(kShared + "KITTI_00_gt.txt", TrajectoryFormat::kitti);
  const auto est = read_trajectory(kShared + "KITTI_00_ORB.txt", TrajectoryFormat::kitti);
  EvaluationOptions o;
  o.rpe = true;
  o.delta = 10;
  o.align = AlignMode::sim3;
  const Evaluation e = evaluate_trajectories(gt, est, o);
  CHECK(e.stats.rmse == doctest::Approx(0.1892663501361936).epsilon(1e-9));
  CHECK(e.scale == doctest::Approx(1.0046980764526634).epsilon(1e-12));
}

TEST_CASE("evaluate_trajectories: refusals") {
  const auto tum = parse_trajectory("1 0 0 0 0 0 0 1\n2 1 0 0 0 0 0 1\n", TrajectoryFormat::tum, "a");
  const auto kitti = parse_trajectory("1 0 0 0 0 1 0 0 0 0 1 0\n", TrajectoryFormat::kitti, "k");
  EvaluationOptions o;
  CHECK_THROWS_WITH_AS(evaluate_trajectories(tum, kitti, o), doctest::Contains("timestamps"), std::invalid_argument);
  o.has_t_start = o.has_t_end = true;
  o.t_start = 5;
  o.t_end = 1;
  CHECK_THROWS_WITH_AS(evaluate_trajectories(tum, tum, o), doctest::Contains("t_start is greater"),
                       std::invalid_argument);
  o = EvaluationOptions{};
  o.t_offset = 100;
  CHECK_THROWS_WITH_AS(evaluate_trajectories(tum, tum, o), doctest::Contains("no matching timestamps"),
                       std::invalid_argument);
  o = EvaluationOptions{};
  o.has_t_start = true;
  CHECK_THROWS_AS(evaluate_trajectories(kitti, kitti, o), std::invalid_argument);  // no stamps to cut
}
