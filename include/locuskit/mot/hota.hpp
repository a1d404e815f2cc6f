#pragma once
/// \file mot/hota.hpp
/// HOTA (Luiten et al., IJCV 2021) with every sub-metric and the 19-alpha arrays, bit-identical to
/// TrackEval's `metrics/hota.py` @ 12c8791b (per sequence and combined over sequences).
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <algorithm>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <locuskit/detail/mot/numeric.hpp>
#include <locuskit/match/linear_assignment.hpp>
#include <locuskit/mot/preprocess.hpp>

namespace locuskit {

/// Number of localisation thresholds alpha = 0.05, 0.10, ..., 0.95.
inline constexpr int hota_num_alphas = 19;

/// TrackEval's `np.arange(0.05, 0.99, 0.05)`: alpha[i] = 0.05 + i * 0.05 as doubles.
inline double hota_alpha(int i) noexcept { return 0.05 + static_cast<double>(i) * 0.05; }

/// HOTA results; arrays are indexed by alpha. TP/FN/FP are float64 as in TrackEval.
struct HotaResult {
  using Array = std::array<double, hota_num_alphas>;
  Array HOTA{}, DetA{}, AssA{}, DetRe{}, DetPr{}, AssRe{}, AssPr{}, LocA{}, OWTA{};
  Array HOTA_TP{}, HOTA_FN{}, HOTA_FP{};
  double HOTA0 = 0, LocA0 = 0, HOTALocA0 = 0;  ///< "HOTA(0)", "LocA(0)", "HOTALocA(0)": values at alpha 0.05
};

namespace detail {
inline void hota_final_fields(HotaResult& r) {
  for (int a = 0; a < hota_num_alphas; ++a) {
    const double tp = r.HOTA_TP[a], fn = r.HOTA_FN[a], fp = r.HOTA_FP[a];
    r.DetRe[a] = tp / std::max(1.0, tp + fn);
    r.DetPr[a] = tp / std::max(1.0, tp + fp);
    r.DetA[a] = tp / std::max(1.0, tp + fn + fp);
    r.HOTA[a] = std::sqrt(r.DetA[a] * r.AssA[a]);
    r.OWTA[a] = std::sqrt(r.DetRe[a] * r.AssA[a]);
  }
  r.HOTA0 = r.HOTA[0];
  r.LocA0 = r.LocA[0];
  r.HOTALocA0 = r.HOTA0 * r.LocA0;
}
}  // namespace detail

/// Working memory of hota_sequence, kept by one thread between calls: the (G, T) id-pair
/// potential (up to ~1 MB at MOT17 scale) and the per-frame buffers are allocated, and faulted
/// in, once rather than per call (in a fresh process the potential's first touches were the
/// largest share of HOTA's page faults). Results do not depend on what it held.
struct HotaScratch {
  std::vector<double> potential, gt_count, trk_count, colsum, rowsum;
  std::vector<std::uint64_t> nz_col;  // a frame's non-zero columns, as sparse_pairwise_sum reads them
  std::vector<double> score, iou_at;  // per frame (ng, nt), all +0 between frames
  std::vector<std::int64_t> mr, mc;
  detail::MotAssignScratch assign;
  // Matched id pairs: how many of each pair's matches passed exactly p alphas (p = 1..19); the
  // slots' capacity kept (a few thousand 92-byte slots at MOT17 scale, regrown per call before).
  detail::IdPairTable<std::array<std::uint32_t, hota_num_alphas + 1>> matches{0};
};

/// HOTA of one preprocessed sequence, as TrackEval's `HOTA.eval_sequence`: one assignment per
/// frame maximising A(g, t)·IoU (scipy's tie-breaking), TP per alpha where IoU >= alpha − eps,
/// association scores summed in numpy's order. O(Σ_t ng_t·nt_t·(1 + assignment)) time,
/// O(G·T) memory for the id-pair potential (in `s`, reused: no allocation for the matrix and
/// the frame buffers once `s` has seen a sequence as large). Thread-safe for distinct scratches.
inline HotaResult hota_sequence(const MotSequenceData& d, HotaScratch& s) {
  HotaResult r;
  if (d.num_tracker_dets == 0 || d.num_gt_dets == 0) {
    for (int a = 0; a < hota_num_alphas; ++a) {
      r.HOTA_FN[a] = d.num_tracker_dets == 0 ? static_cast<double>(d.num_gt_dets) : 0.0;
      r.HOTA_FP[a] = d.num_tracker_dets == 0 ? 0.0 : static_cast<double>(d.num_tracker_dets);
      r.LocA[a] = 1.0;
    }
    r.LocA0 = 1.0;
    return r;
  }
  const std::size_t G = static_cast<std::size_t>(d.num_gt_ids), T = static_cast<std::size_t>(d.num_tracker_ids);
  LOCUSKIT_CHECK(G * T <= (std::size_t(1) << 28), std::invalid_argument, "HOTA: ", G, " GT ids x ", T,
                 " tracker ids is too large for the dense id-pair matrix");
  // Grown only; the first G·T entries zeroed per call.
  if (s.potential.size() < G * T) s.potential.resize(G * T);
  std::fill_n(s.potential.begin(), G * T, 0.0);
  double* const potential = s.potential.data();
  s.gt_count.assign(G, 0.0), s.trk_count.assign(T, 0.0);
  std::vector<double>& gt_count = s.gt_count;
  std::vector<double>& trk_count = s.trk_count;
  std::vector<double>& colsum = s.colsum;
  std::vector<double>& rowsum = s.rowsum;
  std::vector<std::uint64_t>& nz_col = s.nz_col;
  for (std::int64_t t = 0; t < d.num_timesteps; ++t) {
    const std::size_t ng = d.num_gt(t), nt = d.num_trk(t);
    const std::int32_t* gi = d.gt_ids.data() + d.gt_begin[t];
    const std::int32_t* ti = d.tracker_ids.data() + d.trk_begin[t];
    // Column and row sums over the frame's overlapping pairs only (preprocessing lists them
    // row-major): IoUs are >= ±0, and adding a zero to a sum that starts at +0 changes no bit
    // (rows: numpy's pairwise order, sparse_pairwise_sum). A zero IoU also adds +0 to the
    // non-negative potential (a no-op): only overlapping pairs count.
    const auto [ij, iou, n_nz] = d.overlaps(t);
    colsum.assign(nt, 0.0);
    rowsum.resize(ng);
    if (nz_col.size() < n_nz) nz_col.resize(n_nz);
    for (std::size_t q = 0; q < n_nz; ++q) nz_col[q] = ij[2 * q + 1], colsum[ij[2 * q + 1]] += iou[q];
    for (std::size_t b = 0; b < n_nz;) {
      std::size_t e = b + 1;
      while (e < n_nz && ij[2 * e] == ij[2 * b]) ++e;
      rowsum[ij[2 * b]] = 0.0 + detail::sparse_pairwise_sum(0, nt, nz_col.data(), iou, b, e);
      b = e;
    }
    for (std::size_t q = 0; q < n_nz; ++q) {
      const std::size_t i = ij[2 * q], j = ij[2 * q + 1];
      const double den = colsum[j] + rowsum[i] - iou[q];
      const double v = den > 0 + detail::mot_eps ? iou[q] / den : 0.0;
      potential[static_cast<std::size_t>(gi[i]) * T + static_cast<std::size_t>(ti[j])] += v;
    }
    for (std::size_t i = 0; i < ng; ++i) gt_count[static_cast<std::size_t>(gi[i])] += 1;
    for (std::size_t j = 0; j < nt; ++j) trk_count[static_cast<std::size_t>(ti[j])] += 1;
  }
  auto& matches = s.matches;
  matches.reset(G);
  // alpha_a − eps (increasing: a pair passes a prefix of the alphas), padded with +inf to an even
  // count (no IoU passes it).
  double alpha_threshold[hota_num_alphas + 1];
  for (int a = 0; a < hota_num_alphas; ++a) alpha_threshold[a] = hota_alpha(a) - detail::mot_eps;
  alpha_threshold[hota_num_alphas] = std::numeric_limits<double>::infinity();
  // `score` and `iou_at` are +0 between frames: zeroed here in case an earlier call stopped
  // half-way (an exception), then every frame resets the entries it wrote.
  std::vector<double>& score = s.score;
  std::vector<double>& iou_at = s.iou_at;
  std::fill(score.begin(), score.end(), 0.0), std::fill(iou_at.begin(), iou_at.end(), 0.0);
  std::vector<std::int64_t>& mr = s.mr;
  std::vector<std::int64_t>& mc = s.mc;
  detail::MotAssignScratch& scratch = s.assign;
  for (std::int64_t t = 0; t < d.num_timesteps; ++t) {
    const std::size_t ng = d.num_gt(t), nt = d.num_trk(t);
    if (ng == 0) {
      for (int a = 0; a < hota_num_alphas; ++a) r.HOTA_FP[a] += static_cast<double>(nt);
      continue;
    }
    if (nt == 0) {
      for (int a = 0; a < hota_num_alphas; ++a) r.HOTA_FN[a] += static_cast<double>(ng);
      continue;
    }
    const std::int32_t* gi = d.gt_ids.data() + d.gt_begin[t];
    const std::int32_t* ti = d.tracker_ids.data() + d.trk_begin[t];
    // align = p / (Gc + Tc - p) is finite and >= 0 (p <= min(Gc, Tc)), so a zero IoU scores +0.
    // `score` and `iou_at` are all +0 between frames (the entries written here are reset below).
    if (score.size() < ng * nt) score.resize(ng * nt, 0.0), iou_at.resize(ng * nt, 0.0);
    const auto [ij, iou, n_ij] = d.overlaps(t);
    for (std::size_t q = 0; q < n_ij; ++q) {
      const std::size_t i = ij[2 * q], j = ij[2 * q + 1], k = i * nt + j;
      const std::size_t g = static_cast<std::size_t>(gi[i]), tt = static_cast<std::size_t>(ti[j]);
      const double p = potential[g * T + tt];
      const double align = p / (gt_count[g] + trk_count[tt] - p);
      score[k] = align * iou[q];
      iou_at[k] = iou[q];
    }
    // A pair with score 0 never passes an alpha (its IoU is below eps), so the shortcut is exact.
    // HOTA scores every overlapping pair (no threshold): rows conflict in most frames, so the
    // line certificate rarely applies and the certified greedy matching comes first; components
    // are large, searching them costs more than the certified solves (max_component 1).
    detail::max_score_pairs(score.data(), ng, nt, mr, mc, scratch, /*max_component=*/1, ij, n_ij,
                            /*line_certificate=*/false);
    const std::size_t k = mr.size();
    // Alphas increase, so a pair passes a prefix of them, of length p = the number of alphas it
    // passes, counted in the same branch-free loop that adds its IoU to LocA. One id-pair lookup
    // per matched pair.
    // Per alpha, LocA adds the passing pairs' IoUs in row order (TrackEval's Python sum()); adding
    // +0 where the pair does not pass changes no bit (the sums are >= +0).
    std::uint32_t passed_count[hota_num_alphas + 1] = {};
    double loc[hota_num_alphas + 1] = {};  // + 1: the SIMD loop's padding lane
    for (std::size_t q = 0; q < k; ++q) {
      const double s = iou_at[static_cast<std::size_t>(mr[q]) * nt + static_cast<std::size_t>(mc[q])];
      int passed = 0;
#if defined(__SSE2__)
      const __m128d vs = _mm_set1_pd(s);
      for (int a = 0; a < hota_num_alphas + 1; a += 2) {
        const __m128d pass = _mm_cmpge_pd(vs, _mm_loadu_pd(alpha_threshold + a));
        const int bits = _mm_movemask_pd(pass);
        passed += (bits & 1) + (bits >> 1);
        _mm_storeu_pd(loc + a, _mm_add_pd(_mm_loadu_pd(loc + a), _mm_and_pd(pass, vs)));
      }
#else
      for (int a = 0; a < hota_num_alphas; ++a) {
        const bool pass = s >= alpha_threshold[a];
        passed += pass;
        loc[a] += pass ? s : 0.0;
      }
#endif
      if (passed == 0) continue;
      ++passed_count[passed];
      ++matches.at(static_cast<std::uint32_t>(gi[mr[q]]), static_cast<std::uint32_t>(ti[mc[q]]))[passed];
    }
    double n_match = 0;  // matches passing alpha a: those passing more than a alphas
    for (int a = hota_num_alphas - 1; a >= 0; --a) {
      n_match += passed_count[a + 1];
      r.HOTA_TP[a] += n_match;
      r.HOTA_FN[a] += static_cast<double>(ng) - n_match;
      r.HOTA_FP[a] += static_cast<double>(nt) - n_match;
      if (n_match > 0) r.LocA[a] += loc[a];
    }
    for (std::size_t q = 0; q < n_ij; ++q) {
      const std::size_t kk = ij[2 * q] * nt + ij[2 * q + 1];
      score[kk] = 0.0, iou_at[kk] = 0.0;
    }
  }
  // Association scores: np.sum over the (G, T) matrices, reproduced on their non-zero entries in
  // key order g·T + t.
  const std::vector<std::uint32_t> by_key = matches.key_order();
  const auto& slots = matches.slots;
  // counts[slot][a]: the slot's matches passing alpha a (exact small integers).
  std::vector<std::array<double, hota_num_alphas>> counts(slots.size());
  for (std::size_t sl = 0; sl < slots.size(); ++sl) {
    double c = 0;
    for (int a = hota_num_alphas - 1; a >= 0; --a) c += slots[sl].value[a + 1], counts[sl][a] = c;
  }
  // All 3 x 19 sums in one traversal of the slots in key order: a slot whose count at alpha a is
  // zero adds +0 there, which changes no bit of a sum of non-negative values (so every alpha may
  // share the positions of all slots). The traversal computes each slot's 57 values as it adds
  // them (nothing stored).
  constexpr std::size_t n_sums = 3 * hota_num_alphas;
  const std::size_t n_slots = by_key.size();
  std::vector<std::uint64_t> idx(n_slots);
  for (std::size_t k = 0; k < n_slots; ++k)
    idx[k] = static_cast<std::uint64_t>(slots[by_key[k]].gt) * T + slots[by_key[k]].trk;
  // x[3a + {0: AssA, 1: AssRe, 2: AssPr}] of the slot at idx[k].
  auto slot_values = [&](std::size_t k, double* x) {
    const std::uint32_t sl = by_key[k];
    const double gc = gt_count[slots[sl].gt], tc = trk_count[slots[sl].trk];
    for (int a = 0; a < hota_num_alphas; ++a) {
      const double m = counts[sl][a];
      x[3 * a] = m * (m / std::max(1.0, gc + tc - m));
      x[3 * a + 1] = m * (m / std::max(1.0, gc));
      x[3 * a + 2] = m * (m / std::max(1.0, tc));
    }
  };
  double sums[n_sums];
  detail::sparse_numpy_sums_of<n_sums>(G * T, idx.data(), slot_values, n_slots, sums);
  for (int a = 0; a < hota_num_alphas; ++a) {
    const double tp = std::max(1.0, r.HOTA_TP[a]);
    r.AssA[a] = sums[3 * a] / tp;
    r.AssRe[a] = sums[3 * a + 1] / tp;
    r.AssPr[a] = sums[3 * a + 2] / tp;
    r.LocA[a] = std::max(1e-10, r.LocA[a]) / std::max(1e-10, r.HOTA_TP[a]);
  }
  detail::hota_final_fields(r);
  return r;
}

/// hota_sequence with working memory of its own (allocated per call). Thread-safe.
inline HotaResult hota_sequence(const MotSequenceData& d) {
  HotaScratch s;
  return hota_sequence(d, s);
}

/// Combines per-sequence HOTA results as TrackEval's `HOTA.combine_sequences` (pass them in
/// sorted sequence-name order, as its serial evaluation does: the sums are left to right).
inline HotaResult hota_combine(const std::vector<const HotaResult*>& seqs) {
  HotaResult r;
  HotaResult::Array ass_a{}, ass_re{}, ass_pr{}, loc{};
  for (const HotaResult* s : seqs)
    for (int a = 0; a < hota_num_alphas; ++a) {
      r.HOTA_TP[a] += s->HOTA_TP[a];
      r.HOTA_FN[a] += s->HOTA_FN[a];
      r.HOTA_FP[a] += s->HOTA_FP[a];
      ass_a[a] += s->AssA[a] * s->HOTA_TP[a];
      ass_re[a] += s->AssRe[a] * s->HOTA_TP[a];
      ass_pr[a] += s->AssPr[a] * s->HOTA_TP[a];
      loc[a] += s->LocA[a] * s->HOTA_TP[a];
    }
  for (int a = 0; a < hota_num_alphas; ++a) {
    r.AssA[a] = ass_a[a] / std::max(1.0, r.HOTA_TP[a]);
    r.AssRe[a] = ass_re[a] / std::max(1.0, r.HOTA_TP[a]);
    r.AssPr[a] = ass_pr[a] / std::max(1.0, r.HOTA_TP[a]);
    r.LocA[a] = std::max(1e-10, loc[a]) / std::max(1e-10, r.HOTA_TP[a]);
  }
  detail::hota_final_fields(r);
  return r;
}

}  // namespace locuskit
