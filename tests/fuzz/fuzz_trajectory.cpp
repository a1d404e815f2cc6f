// Fuzz target for the trajectory readers (built once per format: LOCUSKIT_FUZZ_FORMAT = tum,
// kitti or euroc). Any input either parses or throws locuskit::parse_error; a parsed trajectory
// has consistent sizes and finite poses, and then goes through the evaluation steps a CLI run
// takes (self-association, Umeyama alignment, APE, RPE, statistics), which may only throw
// std::invalid_argument (degenerate alignment, no RPE pair).
#include <cmath>
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <locuskit/traj.hpp>

#include "fuzz_support.hpp"

namespace {
using namespace locuskit;
constexpr TrajectoryFormat format = TrajectoryFormat::LOCUSKIT_FUZZ_FORMAT;

void evaluate(const TrajectoryData& t) {
  const std::size_t n = t.size();
  std::vector<std::int64_t> ri, ei;
  if (!t.stamps.empty()) {
    associate_stamps(t.stamps.data(), n, t.stamps.data(), n, 0.01, 0.0, ri, ei);
    FUZZ_CHECK(ri.size() == ei.size() && ri.size() <= n, "association sizes %zu, %zu (n %zu)", ri.size(), ei.size(), n);
    for (std::size_t i = 0; i < ri.size(); ++i)
      FUZZ_CHECK(ri[i] >= 0 && static_cast<std::size_t>(ri[i]) < n && ei[i] >= 0 && static_cast<std::size_t>(ei[i]) < n,
                 "association index out of range");
  }
  std::vector<double> est(t.poses);
  try {
    const Alignment a = umeyama_alignment(est.data(), t.poses.data(), n, true);
    apply_alignment(est.data(), n, a);
  } catch (const std::invalid_argument&) {
  }
  std::vector<double> err(n);
  for (const auto rel : {PoseRelation::translation, PoseRelation::rotation_angle_rad, PoseRelation::full}) {
    ape_errors(t.poses.data(), est.data(), n, rel, err.data());
    (void)error_statistics(err.data(), n);
  }
  for (const auto unit : {DeltaUnit::frames, DeltaUnit::meters, DeltaUnit::degrees, DeltaUnit::radians})
    for (const bool all_pairs : {false, true}) {
      std::vector<std::int64_t> first, second;
      try {
        rpe_pairs(est.data(), n, 1.0, unit, all_pairs, 0.1, first, second);
      } catch (const std::invalid_argument&) {
        continue;
      }
      FUZZ_CHECK(first.size() == second.size(), "rpe_pairs sizes differ");
      for (std::size_t k = 0; k < first.size(); ++k)
        FUZZ_CHECK(first[k] >= 0 && second[k] >= 0 && static_cast<std::size_t>(first[k]) < n &&
                       static_cast<std::size_t>(second[k]) < n,
                   "rpe pair (%lld, %lld) out of range (n %zu)", static_cast<long long>(first[k]),
                   static_cast<long long>(second[k]), n);
      std::vector<double> e(first.size());
      rpe_errors(t.poses.data(), est.data(), first.data(), second.data(), first.size(), PoseRelation::translation,
                 e.data());
      if (!e.empty()) (void)error_statistics(e.data(), e.size());
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  TrajectoryData t, c;
  std::string error, chunked_error;
  try {
    t = parse_trajectory(text, format, "fuzz");
  } catch (const parse_error& e) {
    error = e.what();
  }
  // Differential: chunks of whole lines parsed on several threads give the same result or the
  // same first error.
  try {
    c = detail::parse_trajectory_chunked(text, format, "fuzz", Parallel{3}, 5);
  } catch (const parse_error& e) {
    chunked_error = e.what();
  }
  FUZZ_CHECK(error == chunked_error, "chunked parse: error '%s' vs '%s'", chunked_error.c_str(), error.c_str());
  if (!error.empty()) return 0;
  const std::size_t n = t.size();
  FUZZ_CHECK(n >= 1 && t.poses.size() == 16 * n, "%zu pose values", t.poses.size());
  FUZZ_CHECK(format == TrajectoryFormat::kitti ? t.stamps.empty() : t.stamps.size() == n, "%zu stamps for %zu poses",
             t.stamps.size(), n);
  FUZZ_CHECK(format == TrajectoryFormat::euroc ? t.stamps_ns.size() == n : t.stamps_ns.empty(), "%zu ns stamps",
             t.stamps_ns.size());
  for (const double v : t.poses) FUZZ_CHECK(std::isfinite(v), "non-finite pose value %g", v);
  FUZZ_CHECK(c.poses == t.poses && c.stamps_ns == t.stamps_ns && c.warnings == t.warnings,
             "chunked parse differs (%zu vs %zu values)", c.poses.size(), t.poses.size());
  FUZZ_CHECK(c.stamps.size() == t.stamps.size() &&
                 std::equal(c.stamps.begin(), c.stamps.end(), t.stamps.begin(),
                            [](double a, double b) { return a == b || (a != a && b != b); }),
             "chunked parse: stamps differ");
  evaluate(t);
  return 0;
}
