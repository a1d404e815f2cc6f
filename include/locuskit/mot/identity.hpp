#pragma once
/// \file mot/identity.hpp
/// Identity metrics (Ristani et al. 2016: IDF1, IDR, IDP, IDTP, IDFN, IDFP), equal to TrackEval's
/// `metrics/identity.py` @ 12c8791b.
#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include <locuskit/match/linear_assignment.hpp>
#include <locuskit/mot/preprocess.hpp>

namespace locuskit {

/// Identity results with TrackEval's field names.
struct IdentityResult {
  std::int64_t IDTP = 0, IDFN = 0, IDFP = 0;
  double IDF1 = 0, IDR = 0, IDP = 0;
};

namespace detail {
inline void identity_final_fields(IdentityResult& r) {
  const double tp = static_cast<double>(r.IDTP), fn = static_cast<double>(r.IDFN), fp = static_cast<double>(r.IDFP);
  r.IDR = tp / std::max(1.0, tp + fn);
  r.IDP = tp / std::max(1.0, tp + fp);
  r.IDF1 = tp / std::max(1.0, tp + 0.5 * fp + 0.5 * fn);
}

/// The largest total count of a one-to-one GT↔tracker id matching, given the co-occurrence counts
/// keyed `gt_id · T + tracker_id`; solved on the ids that co-occur at all. Counts are integers, so
/// every optimum gives the same total. O(G'·T'·min(G', T')).
inline std::int64_t max_cooccurrence_matching(const std::unordered_map<std::uint64_t, std::int64_t>& counts,
                                              std::uint64_t T) {
  if (counts.empty()) return 0;
  std::unordered_map<std::uint64_t, std::size_t> row_of, col_of;
  for (const auto& kv : counts) {
    row_of.emplace(kv.first / T, row_of.size());
    col_of.emplace(kv.first % T, col_of.size());
  }
  const std::size_t nr = row_of.size(), nc = col_of.size();
  std::vector<double> w(nr * nc, 0.0);
  for (const auto& kv : counts) w[row_of[kv.first / T] * nc + col_of[kv.first % T]] = static_cast<double>(kv.second);
  const std::size_t k = std::min(nr, nc);
  std::vector<std::int64_t> mr(k), mc(k);
  linear_sum_assignment(w.data(), nr, nc, mr.data(), mc.data(), /*maximize=*/true);
  std::int64_t matched = 0;
  for (std::size_t q = 0; q < k; ++q)
    matched += static_cast<std::int64_t>(w[static_cast<std::size_t>(mr[q]) * nc + static_cast<std::size_t>(mc[q])]);
  return matched;
}
}  // namespace detail

/// Identity metrics of one preprocessed sequence (IoU >= threshold, no eps, as TrackEval).
/// `threshold` must be > 0 (only overlapping pairs are read: d.overlap_*); throws
/// std::invalid_argument otherwise.
/// TrackEval solves one (G+T)-square assignment of fn + fp costs; its optimum is
/// Σ Gc + Σ Tc − 2·(the largest total co-occurrence count of a one-to-one GT↔tracker id matching),
/// so we solve that matching on the ids that co-occur at all — the same integers, without the
/// (G+T)² matrix. O(Σ_t ng_t·nt_t + G'²·T') time. Thread-safe.
inline IdentityResult identity_sequence(const MotSequenceData& d, double threshold = 0.5) {
  LOCUSKIT_CHECK(threshold > 0, std::invalid_argument, "Identity threshold must be > 0, got ", threshold);
  IdentityResult r;
  if (d.num_tracker_dets == 0) {
    r.IDFN = d.num_gt_dets;
    return r;
  }
  if (d.num_gt_dets == 0) {
    r.IDFP = d.num_tracker_dets;
    return r;
  }
  const std::uint64_t T = static_cast<std::uint64_t>(d.num_tracker_ids);
  std::unordered_map<std::uint64_t, std::int64_t> potential;
  for (std::int64_t t = 0; t < d.num_timesteps; ++t) {
    const std::int32_t* gi = d.gt_ids.data() + d.gt_begin[t];
    const std::int32_t* ti = d.tracker_ids.data() + d.trk_begin[t];
    // Only overlapping pairs can reach the threshold (> 0): preprocessing lists them row-major.
    const auto [ij, iou, n_ij] = d.overlaps(t);
    for (std::size_t q = 0; q < n_ij; ++q)
      if (iou[q] >= threshold)
        ++potential[static_cast<std::uint64_t>(gi[ij[2 * q]]) * T + static_cast<std::uint64_t>(ti[ij[2 * q + 1]])];
  }
  const std::int64_t matched = detail::max_cooccurrence_matching(potential, T);
  r.IDFN = d.num_gt_dets - matched;
  r.IDFP = d.num_tracker_dets - matched;
  r.IDTP = d.num_gt_dets - r.IDFN;
  detail::identity_final_fields(r);
  return r;
}

/// Combines per-sequence Identity results as `Identity.combine_sequences` (sums, then ratios).
inline IdentityResult identity_combine(const std::vector<const IdentityResult*>& seqs) {
  IdentityResult r;
  for (const IdentityResult* s : seqs) r.IDTP += s->IDTP, r.IDFN += s->IDFN, r.IDFP += s->IDFP;
  detail::identity_final_fields(r);
  return r;
}

}  // namespace locuskit
