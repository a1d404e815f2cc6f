#pragma once
// Implementation of eval/lrp.hpp: LRP-Error's cocoeval.py accumulate (lines 405-490) and the
// LRP part of summarize, in its order of operations.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "../../eval/numpy_sum.hpp"
#include "../../eval/score_curves.hpp"

namespace locuskit {

inline LrpResult lrp_evaluate(const CocoEvaluation& ev, Parallel par) {
  const std::size_t K = ev.K, A = ev.A, T = ev.T, M = ev.params.max_dets.size();
  if (T == 0 || ev.params.iou_thrs.size() != T)
    throw std::invalid_argument("lrp_evaluate: the evaluation has no (or inconsistent) IoU thresholds");
  if (ev.dt_match_iou.size() != ev.dt_score.size() * A * T)
    throw std::invalid_argument("lrp_evaluate: the evaluation must be run with record_matches (match IoUs)");
  LrpResult r;
  r.K = K, r.A = A, r.M = M;
  r.tau = ev.params.iou_thrs[0];
  const std::size_t n = K * A * M;
  r.olrp.assign(n, -1.0), r.olrp_loc.assign(n, -1.0), r.olrp_fp.assign(n, -1.0), r.olrp_fn.assign(n, -1.0);
  r.threshold.assign(n, -1.0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double one_minus_tau = 1 - r.tau;
  detail::coco::dynamic_for(K, 1, par, [&](std::size_t k0, std::size_t k1) {
    std::vector<std::size_t> order;
    std::vector<double> lrps;
    for (std::size_t k = k0; k < k1; ++k)
      for (std::size_t m = 0; m < M; ++m) {
        detail::sweep::category_order(ev, k, ev.params.max_dets[m], order);
        for (std::size_t a = 0; a < A; ++a) {
          const std::uint64_t npig = detail::sweep::category_npig(ev, k, a);
          if (npig == 0) continue;
          const std::size_t cell = (k * A + a) * M + m;
          std::int64_t tp = 0, fp = 0;
          double iou_sum = 0;
          const std::size_t nd = order.size();
          lrps.resize(nd);
          std::vector<double> loc(nd);
          std::vector<std::int64_t> tps(nd), fps(nd);
          for (std::size_t j = 0; j < nd; ++j) {
            const std::size_t idx = (order[j] * A + a) * T;  // threshold 0 = tau
            const std::uint8_t st = ev.dt_state[idx];
            if (st == CocoEvaluation::true_positive) ++tp, iou_sum += ev.dt_match_iou[idx];
            else if (st == CocoEvaluation::false_positive) ++fp;
            const std::int64_t fn = std::int64_t(npig) - tp;
            loc[j] = double(tp) - iou_sum;
            tps[j] = tp, fps[j] = fp;
            lrps[j] = (loc[j] / one_minus_tau + double(fp) + double(fn)) / double(tp + fp + fn);
          }
          if (nd == 0 || tp == 0) {
            r.olrp[cell] = 1.0, r.olrp_fn[cell] = 1.0;
            r.olrp_loc[cell] = r.olrp_fp[cell] = r.threshold[cell] = nan;
            continue;
          }
          std::size_t best = 0;  // np.argmin: the first minimum (a NaN wins, as in NumPy)
          for (std::size_t j = 0; j < nd; ++j) {
            if (lrps[j] != lrps[j]) {
              best = j;
              break;
            }
            if (lrps[j] < lrps[best]) best = j;
          }
          r.olrp[cell] = lrps[best];
          r.olrp_loc[cell] = loc[best] / double(tps[best]);
          r.olrp_fp[cell] = double(fps[best]) / double(tps[best] + fps[best]);
          r.olrp_fn[cell] = double(std::int64_t(npig) - tps[best]) / double(npig);
          r.threshold[cell] = ev.dt_score[order[best]];
        }
      }
  });
  // Summary: slice [K, area, maxDets == 100], drop NaN, NumPy mean of the values > -1.
  auto stat = [&](const std::vector<double>& v, const char* area) {
    std::size_t a = A, m = M;
    for (std::size_t i = 0; i < A && i < ev.params.area_rng_lbl.size(); ++i)
      if (ev.params.area_rng_lbl[i] == area) { a = i; break; }
    for (std::size_t i = 0; i < M; ++i)
      if (ev.params.max_dets[i] == 100) { m = i; break; }
    if (a == A || m == M) return -1.0;
    std::vector<double> s;
    for (std::size_t k = 0; k < K; ++k) {
      const double x = v[(k * A + a) * M + m];
      if (x == x && x > -1) s.push_back(x);
    }
    return s.empty() ? -1.0 : numpy_mean(s.data(), s.size());
  };
  r.stats = {stat(r.olrp, "all"), stat(r.olrp_loc, "all"), stat(r.olrp_fp, "all"), stat(r.olrp_fn, "all"),
             stat(r.olrp, "small"), stat(r.olrp, "medium"), stat(r.olrp, "large")};
  return r;
}

}  // namespace locuskit
