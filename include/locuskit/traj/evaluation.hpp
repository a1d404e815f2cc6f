#pragma once
/// \file evaluation.hpp
/// One APE or RPE evaluation of two trajectories in one call, in evo's order (`evo_ape` /
/// `evo_rpe`): time range on the reference, association by timestamp (or by index without
/// stamps), alignment, pair selection, errors, statistics. The command line uses it so that a
/// plain evaluation runs without NumPy; the pieces it calls are the public functions of this area.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <locuskit/error.hpp>
#include <locuskit/parallel.hpp>
#include <locuskit/traj/alignment.hpp>
#include <locuskit/traj/association.hpp>
#include <locuskit/traj/trajectory_io.hpp>
#include <locuskit/traj/trajectory_metrics.hpp>

namespace locuskit {

/// evo's alignment modes: none, -a (se3), -as (sim3), -s (scale only), --align_origin (origin).
enum class AlignMode { none, se3, sim3, scale, origin };

/// Options of evaluate_trajectories; the defaults are evo's.
struct EvaluationOptions {
  bool rpe = false;                               ///< false: APE; true: RPE
  PoseRelation relation = PoseRelation::translation;
  bool point_distance_error_ratio = false;        ///< RPE: 100·|Δ‖p‖| / ‖Δp_ref‖, zero-distance pairs dropped
  AlignMode align = AlignMode::none;
  long long n_to_align = -1;
  double t_max_diff = 0.01, t_offset = 0.0;
  bool has_t_start = false, has_t_end = false;
  double t_start = 0, t_end = 0;                  ///< reference time range (inclusive), evo's --t_start/--t_end
  double delta = 1;                               ///< RPE
  DeltaUnit delta_unit = DeltaUnit::frames;
  bool all_pairs = false, pairs_from_reference = false;
  double delta_tol = 0.1;
};

/// What evaluate_trajectories found besides the statistics (the command line's warnings).
struct Evaluation {
  ErrorStatistics stats;
  double scale = 1;                    ///< Sim(3)/scale-only correction (1 otherwise)
  std::size_t associated = 0;          ///< pose pairs compared
  std::size_t shorter_side = 0;        ///< poses in the shorter trajectory (after the time range)
  std::size_t reused_rows = 0;         ///< long-side rows matched more than once
  std::size_t zero_reference_steps = 0;         ///< RPE pairs whose reference poses coincide
  std::size_t ignored_zero_distance_pairs = 0;  ///< point_distance_error_ratio only
};

/// Evaluates `est` against `ref` as evo's command lines do (notes §B–§E). Both trajectories need
/// stamps, or neither (KITTI: matched by index, equal lengths). Throws std::invalid_argument /
/// parse_error on: mixed stamps, unequal KITTI lengths, an empty time range, no association,
/// `--align_origin` with another alignment (not representable here), a degenerate alignment,
/// RPE without pairs. O(n) plus association O((N + M) log M) and the pair rule's cost.
inline Evaluation evaluate_trajectories(const TrajectoryData& ref_in, const TrajectoryData& est_in,
                                        const EvaluationOptions& o, Parallel par = {}) {
  Evaluation out;
  const bool stamped = !ref_in.stamps.empty();
  LOCUSKIT_CHECK(stamped == !est_in.stamps.empty(), std::invalid_argument,
                 "one trajectory has timestamps and the other has none");
  LOCUSKIT_CHECK(stamped || !(o.has_t_start || o.has_t_end), std::invalid_argument,
                 "t_start/t_end need timestamps (KITTI files have none)");
  // Reference time range (evo: reduce_to_time_range, defaults are the first/last stamps).
  std::vector<std::size_t> ref_rows;
  if (stamped && (o.has_t_start || o.has_t_end)) {
    const double start = o.has_t_start ? o.t_start : ref_in.stamps.front();
    const double end = o.has_t_end ? o.t_end : ref_in.stamps.back();
    LOCUSKIT_CHECK(!(start > end), std::invalid_argument, "t_start is greater than t_end (", start, " > ", end, ")");
    for (std::size_t i = 0; i < ref_in.stamps.size(); ++i)
      if (ref_in.stamps[i] >= start && ref_in.stamps[i] <= end) ref_rows.push_back(i);
    LOCUSKIT_CHECK(!ref_rows.empty(), std::invalid_argument, "no reference pose within [", start, ", ", end, "] s");
  } else {
    ref_rows.resize(ref_in.size());
    for (std::size_t i = 0; i < ref_rows.size(); ++i) ref_rows[i] = i;
  }
  std::vector<std::int64_t> ri, ei;
  if (stamped) {
    std::vector<double> rs(ref_rows.size());
    for (std::size_t k = 0; k < ref_rows.size(); ++k) rs[k] = ref_in.stamps[ref_rows[k]];
    associate_stamps(rs.data(), rs.size(), est_in.stamps.data(), est_in.size(), o.t_max_diff, o.t_offset, ri, ei);
    LOCUSKIT_CHECK(!ri.empty(), std::invalid_argument, "no matching timestamps (t_max_diff ", o.t_max_diff,
                   " s, t_offset ", o.t_offset, " s)");
    out.shorter_side = std::min(rs.size(), est_in.size());
    const bool est_longer = est_in.size() > rs.size();
    std::vector<std::int64_t> used(est_longer ? ei : ri);
    std::sort(used.begin(), used.end());
    out.reused_rows = used.size() - static_cast<std::size_t>(std::unique(used.begin(), used.end()) - used.begin());
  } else {
    LOCUSKIT_CHECK(ref_rows.size() == est_in.size(), std::invalid_argument, "the reference has ", ref_rows.size(),
                   " poses and the estimate ", est_in.size(),
                   ": without timestamps they are matched by index and need equal lengths");
    ri.resize(est_in.size());
    for (std::size_t i = 0; i < ri.size(); ++i) ri[i] = static_cast<std::int64_t>(i);
    ei = ri;
    out.shorter_side = est_in.size();
  }
  const std::size_t n = ri.size();
  out.associated = n;
  std::vector<double> Q(16 * n), P(16 * n);
  for (std::size_t k = 0; k < n; ++k) {
    std::copy_n(ref_in.poses.data() + 16 * ref_rows[static_cast<std::size_t>(ri[k])], 16, Q.data() + 16 * k);
    std::copy_n(est_in.poses.data() + 16 * static_cast<std::size_t>(ei[k]), 16, P.data() + 16 * k);
  }
  if (o.align == AlignMode::origin) {
    // T = Q₀ · P₀⁻¹ with the transpose as rotation inverse (evo's align_origin), left-multiplied.
    static constexpr double identity[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    double Pinv[16], T[16];
    detail::relative_se3(P.data(), identity, Pinv);
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) {
        double v = 0;
        for (int k = 0; k < 4; ++k) v += Q[4 * r + k] * Pinv[4 * k + c];
        T[4 * r + c] = v;
      }
    transform_poses(P.data(), n, T);
  } else if (o.align != AlignMode::none) {
    const Alignment a = umeyama_alignment(P.data(), Q.data(), n, o.align != AlignMode::se3, o.n_to_align);
    apply_alignment(P.data(), n, a, o.align == AlignMode::scale);
    out.scale = a.s;
  }
  std::vector<double> errors;
  if (!o.rpe) {
    errors.resize(n);
    ape_errors(Q.data(), P.data(), n, o.relation, errors.data(), par);
  } else {
    std::vector<std::int64_t> first, second;
    rpe_pairs(o.pairs_from_reference ? Q.data() : P.data(), n, o.delta, o.delta_unit, o.all_pairs, o.delta_tol, first,
              second);
    const PoseRelation rel = o.point_distance_error_ratio ? PoseRelation::point_distance : o.relation;
    errors.resize(first.size());
    rpe_errors(Q.data(), P.data(), first.data(), second.data(), first.size(), rel, errors.data(), par);
    std::size_t kept = 0;
    for (std::size_t k = 0; k < first.size(); ++k) {
      const double* a = Q.data() + 16 * first[k];
      const double* b = Q.data() + 16 * second[k];
      const double dx = a[3] - b[3], dy = a[7] - b[7], dz = a[11] - b[11];
      const double d = std::sqrt(dx * dx + dy * dy + dz * dz);
      if (d == 0) ++out.zero_reference_steps;
      if (!o.point_distance_error_ratio) continue;
      if (d == 0) {
        ++out.ignored_zero_distance_pairs;
        continue;
      }
      errors[kept++] = errors[k] / d * 100;
    }
    if (o.point_distance_error_ratio) errors.resize(kept);
    LOCUSKIT_CHECK(!errors.empty(), std::invalid_argument,
                   "rpe: every pair has a zero reference distance (point_distance_error_ratio undefined)");
  }
  out.stats = error_statistics(errors.data(), errors.size());
  return out;
}

}  // namespace locuskit
