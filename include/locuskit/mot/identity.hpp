#pragma once
/// \file mot/identity.hpp
/// Identity metrics (Ristani et al. 2016: IDF1, IDR, IDP, IDTP, IDFN, IDFP), equal to TrackEval's
/// `metrics/identity.py` @ 12c8791b.
#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include <locuskit/detail/mot/numeric.hpp>
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

/// The largest total count of a one-to-one GT↔tracker id matching, given the co-occurrence
/// counts of the id pairs that occur (`gt`, `trk` < num_gt_ids, num_tracker_ids; counts > 0).
/// Solved per connected component of the pairs' graph (components are independent; most are a
/// single pair), each on its small dense matrix. Counts are integers, so the solver is exact and
/// every optimum gives the same total. O(pairs + Σ_components r²·c).
inline std::int64_t max_cooccurrence_matching(const std::uint32_t* gt, const std::uint32_t* trk,
                                              const std::int64_t* count, std::size_t n_pairs, std::size_t num_gt_ids,
                                              std::size_t num_tracker_ids) {
  if (n_pairs == 0) return 0;
  // GT ids are rows (0..G), tracker ids columns (G..G+T); pairs grouped by component.
  const std::size_t G = num_gt_ids, nn = num_gt_ids + num_tracker_ids;
  std::vector<std::uint32_t> parent, begin, fill, by_comp;
  mot_assign::group_edges_by_component(gt, trk, n_pairs, G, num_tracker_ids, parent, begin, fill, by_comp);
  std::int64_t matched = 0;
  std::vector<std::int32_t> local(nn, -1);
  std::vector<std::uint32_t> ids;
  std::vector<double> w;
  std::vector<std::int64_t> mr, mc;
  LinearAssignmentWorkspace ws;
  for (std::size_t root = 0; root < nn; ++root) {
    const std::uint32_t* pq = by_comp.data() + begin[root];
    const std::size_t n = begin[root + 1] - begin[root];
    if (n == 0) continue;
    if (n == 1) {
      matched += count[pq[0]];
      continue;
    }
    std::size_t nr = 0, nc = 0;
    ids.clear();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t g = gt[pq[k]], t = G + trk[pq[k]];
      if (local[g] < 0) local[g] = static_cast<std::int32_t>(nr++), ids.push_back(static_cast<std::uint32_t>(g));
      if (local[t] < 0) local[t] = static_cast<std::int32_t>(nc++), ids.push_back(static_cast<std::uint32_t>(t));
    }
    w.assign(nr * nc, 0.0);
    for (std::size_t k = 0; k < n; ++k)
      w[static_cast<std::size_t>(local[gt[pq[k]]]) * nc + static_cast<std::size_t>(local[G + trk[pq[k]]])] =
          static_cast<double>(count[pq[k]]);
    for (const std::uint32_t v : ids) local[v] = -1;
    const std::size_t k = std::min(nr, nc);
    mr.resize(k), mc.resize(k);
    linear_sum_assignment(w.data(), nr, nc, mr.data(), mc.data(), /*maximize=*/true, ws);
    for (std::size_t q = 0; q < k; ++q)
      matched += static_cast<std::int64_t>(w[static_cast<std::size_t>(mr[q]) * nc + static_cast<std::size_t>(mc[q])]);
  }
  return matched;
}

/// As above, with the counts keyed `gt_id · T + tracker_id`.
inline std::int64_t max_cooccurrence_matching(const std::unordered_map<std::uint64_t, std::int64_t>& counts,
                                              std::uint64_t T) {
  std::vector<std::uint32_t> gt, trk;
  std::vector<std::int64_t> count;
  std::size_t G = 0;
  for (const auto& kv : counts) {
    gt.push_back(static_cast<std::uint32_t>(kv.first / T)), trk.push_back(static_cast<std::uint32_t>(kv.first % T));
    count.push_back(kv.second);
    G = std::max<std::size_t>(G, gt.back() + 1);
  }
  return max_cooccurrence_matching(gt.data(), trk.data(), count.data(), count.size(), G, static_cast<std::size_t>(T));
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
  const std::size_t G = static_cast<std::size_t>(d.num_gt_ids), T = static_cast<std::size_t>(d.num_tracker_ids);
  detail::IdPairTable<std::int64_t> potential(G);
  std::vector<std::uint32_t> passing;  // a frame's (GT id, tracker id) pairs at or above the threshold
  for (std::int64_t t = 0; t < d.num_timesteps; ++t) {
    const std::int32_t* gi = d.gt_ids.data() + d.gt_begin[t];
    const std::int32_t* ti = d.tracker_ids.data() + d.trk_begin[t];
    // Only overlapping pairs can reach the threshold (> 0): preprocessing lists them row-major.
    // Listed without a branch per pair (they pass at random), then counted.
    const auto [ij, iou, n_ij] = d.overlaps(t);
    if (passing.size() < 2 * n_ij) passing.resize(2 * n_ij);
    std::size_t n = 0;
    for (std::size_t q = 0; q < n_ij; ++q) {
      passing[2 * n] = static_cast<std::uint32_t>(gi[ij[2 * q]]), passing[2 * n + 1] = static_cast<std::uint32_t>(ti[ij[2 * q + 1]]);
      n += iou[q] >= threshold;
    }
    for (std::size_t q = 0; q < n; ++q) ++potential.at(passing[2 * q], passing[2 * q + 1]);
  }
  const std::size_t n_pairs = potential.slots.size();
  std::vector<std::uint32_t> gt(n_pairs), trk(n_pairs);
  std::vector<std::int64_t> count(n_pairs);
  for (std::size_t q = 0; q < n_pairs; ++q)
    gt[q] = potential.slots[q].gt, trk[q] = potential.slots[q].trk, count[q] = potential.slots[q].value;
  const std::int64_t matched = detail::max_cooccurrence_matching(gt.data(), trk.data(), count.data(), n_pairs, G, T);
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
