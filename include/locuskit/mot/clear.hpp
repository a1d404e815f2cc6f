#pragma once
/// \file mot/clear.hpp
/// CLEAR MOT metrics (Bernardin & Stiefelhagen 2008: MOTA, MOTP, IDSW, Frag, MT/PT/ML, ...) plus
/// TrackEval's MODA, sMOTA, MOTAL, CLR_F1, bit-identical to TrackEval's `metrics/clear.py` @ 12c8791b.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include <locuskit/detail/mot/numeric.hpp>
#include <locuskit/match/linear_assignment.hpp>
#include <locuskit/mot/preprocess.hpp>

namespace locuskit {

/// CLEAR results with TrackEval's field names (CLR_TP -> TP, ...). Counts are integers except
/// Frag, a float in TrackEval.
struct ClearResult {
  std::int64_t CLR_TP = 0, CLR_FN = 0, CLR_FP = 0, IDSW = 0, MT = 0, PT = 0, ML = 0, CLR_Frames = 0;
  double Frag = 0, MOTP_sum = 0;
  double MOTA = 0, MOTP = 0, MODA = 0, CLR_Re = 0, CLR_Pr = 0, MTR = 0, PTR = 0, MLR = 0, sMOTA = 0, CLR_F1 = 0,
         FP_per_frame = 0, MOTAL = 0;
};

namespace detail {
inline void clear_final_fields(ClearResult& r) {
  const double num_gt_ids = static_cast<double>(r.MT + r.ML + r.PT);
  const double tp = static_cast<double>(r.CLR_TP), fn = static_cast<double>(r.CLR_FN),
               fp = static_cast<double>(r.CLR_FP), idsw = static_cast<double>(r.IDSW);
  const double n = std::max(1.0, static_cast<double>(r.CLR_TP + r.CLR_FN));
  r.MTR = static_cast<double>(r.MT) / std::max(1.0, num_gt_ids);
  r.MLR = static_cast<double>(r.ML) / std::max(1.0, num_gt_ids);
  r.PTR = static_cast<double>(r.PT) / std::max(1.0, num_gt_ids);
  r.CLR_Re = tp / n;
  r.CLR_Pr = tp / std::max(1.0, static_cast<double>(r.CLR_TP + r.CLR_FP));
  r.MODA = static_cast<double>(r.CLR_TP - r.CLR_FP) / n;
  r.MOTA = static_cast<double>(r.CLR_TP - r.CLR_FP - r.IDSW) / n;
  r.MOTP = r.MOTP_sum / std::max(1.0, tp);
  r.sMOTA = (r.MOTP_sum - fp - idsw) / n;
  r.CLR_F1 = tp / std::max(1.0, tp + 0.5 * fn + 0.5 * fp);
  r.FP_per_frame = fp / std::max(1.0, static_cast<double>(r.CLR_Frames));
  const double safe_log_idsw = r.IDSW > 0 ? std::log10(idsw) : idsw;
  r.MOTAL = (static_cast<double>(r.CLR_TP - r.CLR_FP) - safe_log_idsw) / n;
}
}  // namespace detail

/// CLEAR metrics of one preprocessed sequence at IoU threshold 0.5 (TrackEval's default), as
/// `CLEAR.eval_sequence`: per frame an assignment maximising 1000·[continues the previous
/// processed frame's match] + IoU over pairs with IoU >= threshold − eps. `threshold` must be
/// > eps (only overlapping pairs are read: d.overlap_*); throws std::invalid_argument otherwise. Thread-safe;
/// O(Σ_t ng_t·nt_t + assignments) time, O(G) memory.
inline ClearResult clear_sequence(const MotSequenceData& d, double threshold = 0.5) {
  LOCUSKIT_CHECK(threshold > detail::mot_eps, std::invalid_argument, "CLEAR threshold must be > 2^-52, got ", threshold);
  ClearResult r;
  if (d.num_tracker_dets == 0) {
    r.CLR_FN = d.num_gt_dets;
    r.ML = d.num_gt_ids;
    r.MLR = 1.0;
    return r;
  }
  if (d.num_gt_dets == 0) {
    r.CLR_FP = d.num_tracker_dets;
    r.MLR = 1.0;
    return r;
  }
  const std::size_t G = static_cast<std::size_t>(d.num_gt_ids);
  std::vector<double> gt_count(G, 0.0), matched_count(G, 0.0), frag_count(G, 0.0);
  std::vector<std::int64_t> prev_id(G, -1), prev_step_id(G, -1);  // -1 = NaN in TrackEval
  std::vector<std::size_t> step_matched;                          // GT ids set in prev_step_id
  std::vector<std::pair<std::size_t, std::int64_t>> now;
  std::vector<double> score, iou_at;  // per frame (ng, nt), all +0 between frames
  std::vector<std::uint32_t> positive;
  std::vector<std::int64_t> mr, mc;
  detail::MotAssignScratch scratch;
  const double thr = threshold - detail::mot_eps;
  const double continuity_bonus[2] = {0.0, 1000.0};
  for (std::int64_t t = 0; t < d.num_timesteps; ++t) {
    const std::size_t ng = d.num_gt(t), nt = d.num_trk(t);
    const std::int32_t* gi = d.gt_ids.data() + d.gt_begin[t];
    const std::int32_t* ti = d.tracker_ids.data() + d.trk_begin[t];
    if (ng == 0) {
      r.CLR_FP += static_cast<std::int64_t>(nt);
      continue;
    }
    if (nt == 0) {
      r.CLR_FN += static_cast<std::int64_t>(ng);
      for (std::size_t i = 0; i < ng; ++i) gt_count[static_cast<std::size_t>(gi[i])] += 1;
      continue;
    }
    // The scores of the frame's overlapping pairs at or above the threshold (preprocessing lists
    // the overlapping pairs row-major; every other score is +0), and their (row, column) pairs,
    // listed without a branch per entry (they pass at random): max_score_pairs' checks
    // read only those. `score` and `iou_at` are all +0 between frames (reset below).
    if (score.size() < ng * nt) score.resize(ng * nt, 0.0), iou_at.resize(ng * nt, 0.0);
    const auto [ij, iou, n_ij] = d.overlaps(t);
    if (positive.size() < 2 * n_ij) positive.resize(2 * n_ij);
    std::size_t n_pos = 0;
    for (std::size_t q = 0; q < n_ij; ++q) {
      const std::uint32_t i = ij[2 * q], j = ij[2 * q + 1];
      const double s = iou[q];
      // Without a branch (pass/fail and continuity fall at random): the bonus from a table, and
      // the sum masked to +0 below the threshold.
      const double v = continuity_bonus[prev_step_id[static_cast<std::size_t>(gi[i])] == ti[j]] + s;
      std::uint64_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      bits &= ~static_cast<std::uint64_t>(0) * static_cast<std::uint64_t>(s >= thr);
      double x;
      std::memcpy(&x, &bits, sizeof x);
      score[i * nt + j] = x, iou_at[i * nt + j] = s;
      positive[2 * n_pos] = i, positive[2 * n_pos + 1] = j;
      n_pos += x > 0;
    }
    detail::max_score_pairs(score.data(), ng, nt, mr, mc, scratch, 6, positive.data(), n_pos);
    const std::size_t k = mr.size();
    // Matched pairs in row order; IDSW against the last match at any earlier time; a fragment
    // starts where g was not matched in the previous processed frame.
    std::size_t n_match = 0;
    double motp = 0;
    for (std::size_t i = 0; i < ng; ++i) gt_count[static_cast<std::size_t>(gi[i])] += 1;
    now.clear();
    for (std::size_t q = 0; q < k; ++q) {
      const std::size_t row = static_cast<std::size_t>(mr[q]), col = static_cast<std::size_t>(mc[q]);
      if (!(score[row * nt + col] > 0 + detail::mot_eps)) continue;
      const std::size_t g = static_cast<std::size_t>(gi[row]);
      const std::int64_t tid = ti[col];
      if (prev_id[g] >= 0 && prev_id[g] != tid) ++r.IDSW;
      matched_count[g] += 1;
      prev_id[g] = tid;
      if (prev_step_id[g] < 0) frag_count[g] += 1;
      now.emplace_back(g, tid);
      ++n_match;
      motp += iou_at[row * nt + col];
    }
    for (std::size_t q = 0; q < n_ij; ++q) score[ij[2 * q] * nt + ij[2 * q + 1]] = 0.0, iou_at[ij[2 * q] * nt + ij[2 * q + 1]] = 0.0;
    for (const std::size_t g : step_matched) prev_step_id[g] = -1;
    step_matched.clear();
    for (const auto& m : now) prev_step_id[m.first] = m.second, step_matched.push_back(m.first);
    r.CLR_TP += static_cast<std::int64_t>(n_match);
    r.CLR_FN += static_cast<std::int64_t>(ng - n_match);
    r.CLR_FP += static_cast<std::int64_t>(nt - n_match);
    if (n_match > 0) r.MOTP_sum += motp;
  }
  double frag = 0;
  std::vector<double> frag_terms;
  for (std::size_t g = 0; g < G; ++g) {
    if (gt_count[g] > 0) {
      const double ratio = matched_count[g] / gt_count[g];
      if (ratio > 0.8) ++r.MT;
      if (ratio >= 0.2) ++r.PT;
    }
    if (frag_count[g] > 0) frag_terms.push_back(frag_count[g] - 1);
  }
  frag = numpy_sum(frag_terms.data(), frag_terms.size());
  r.PT -= r.MT;
  r.ML = d.num_gt_ids - r.MT - r.PT;
  r.Frag = frag;
  r.CLR_Frames = d.num_timesteps;
  detail::clear_final_fields(r);
  return r;
}

/// Combines per-sequence CLEAR results (sorted sequence-name order) as `CLEAR.combine_sequences`.
inline ClearResult clear_combine(const std::vector<const ClearResult*>& seqs) {
  ClearResult r;
  for (const ClearResult* s : seqs) {
    r.CLR_TP += s->CLR_TP, r.CLR_FN += s->CLR_FN, r.CLR_FP += s->CLR_FP, r.IDSW += s->IDSW;
    r.MT += s->MT, r.PT += s->PT, r.ML += s->ML, r.CLR_Frames += s->CLR_Frames;
    r.Frag += s->Frag;
    r.MOTP_sum += s->MOTP_sum;
  }
  detail::clear_final_fields(r);
  return r;
}

}  // namespace locuskit
