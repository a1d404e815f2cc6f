#pragma once
/// \file mot/motmetrics.hpp
/// CLEAR MOT and Identity metrics under py-motmetrics' conventions (cheind/py-motmetrics 1.4.0,
/// `apps/eval_motchallenge.py`: `io.loadtxt` + `utils.compare_to_groundtruth(gt, ts, 'iou',
/// distth=0.5)` + `metrics.compute_many(..., generate_overall=True)`), with its field names.
/// Where it differs from TrackEval (docs/mot.md has the table): boxes shifted by (-1, -1) before the
/// IoU, GT rows kept when confidence >= 1 and tracker rows when >= -1, no class filter and no
/// distractor removal, a pair matches when `1 - IoU <= 0.5`, an object's last matched hypothesis
/// from any earlier frame is re-matched first, then one assignment minimising `1 - IoU`, MT at a
/// tracked ratio >= 0.8, fragmentations as tracked→missed transitions inside the tracked span, MOTP
/// as the mean distance `1 - IoU`.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <unordered_map>
#include <vector>

#include <locuskit/eval/numpy_sum.hpp>
#include <locuskit/match/linear_assignment.hpp>
#include <locuskit/mot/format.hpp>
#include <locuskit/mot/identity.hpp>
#include <locuskit/mot/preprocess.hpp>

namespace locuskit {

/// py-motmetrics' `motchallenge_metrics` (plus idtp/idfn/idfp, num_objects, num_predictions,
/// num_detections, num_frames) of one sequence or of all sequences ("OVERALL"). NaN where
/// py-motmetrics' `quiet_divide` gives NaN (0/0).
struct MotmetricsResult {
  std::int64_t num_frames = 0, num_unique_objects = 0, num_objects = 0, num_predictions = 0, num_detections = 0,
               num_misses = 0, num_false_positives = 0, num_switches = 0, num_fragmentations = 0,
               mostly_tracked = 0, partially_tracked = 0, mostly_lost = 0, num_transfer = 0, num_ascend = 0,
               num_migrate = 0, idtp = 0, idfn = 0, idfp = 0;
  double distance_sum = 0;  ///< Σ of the matched distances (pandas' sum of the event column)
  double idf1 = 0, idp = 0, idr = 0, recall = 0, precision = 0, mota = 0, motp = 0;
};

namespace detail {
inline double mm_quiet_divide(double a, double b) noexcept {
  if (b == 0) return a == 0 ? std::numeric_limits<double>::quiet_NaN() : a / b;  // a/0 = ±inf as numpy
  return a / b;
}
inline void motmetrics_ratios(MotmetricsResult& r) {
  const auto d = [](std::int64_t v) { return static_cast<double>(v); };
  r.recall = mm_quiet_divide(d(r.num_detections), d(r.num_objects));
  r.precision = mm_quiet_divide(d(r.num_detections), d(r.num_false_positives + r.num_detections));
  r.mota = 1. - mm_quiet_divide(d(r.num_misses + r.num_switches + r.num_false_positives), d(r.num_objects));
  r.idp = mm_quiet_divide(d(r.idtp), d(r.idtp + r.idfp));
  r.idr = mm_quiet_divide(d(r.idtp), d(r.idtp + r.idfn));
  r.idf1 = mm_quiet_divide(2. * d(r.idtp), d(r.num_objects + r.num_predictions));
}

/// The rows py-motmetrics' `io.loadtxt(fmt='mot15-2D', min_confidence)` keeps, with x and y
/// shifted by -1 (its Matlab-convention correction, which can change the IoU's last bit).
inline MotRows motmetrics_rows(const MotRows& in, double min_confidence) {
  MotRows out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (!(in.confidence[i] >= min_confidence)) continue;
    out.frame.push_back(in.frame[i]);
    out.id.push_back(in.id[i]);
    out.boxes.push_back(in.boxes[4 * i] - 1);
    out.boxes.push_back(in.boxes[4 * i + 1] - 1);
    out.boxes.push_back(in.boxes[4 * i + 2]);
    out.boxes.push_back(in.boxes[4 * i + 3]);
    out.confidence.push_back(1.0);  // every kept row is evaluated (no zero-marked rows left)
    out.class_id.push_back(std::numeric_limits<double>::quiet_NaN());
    out.visibility.push_back(std::numeric_limits<double>::quiet_NaN());
    out.line.push_back(in.line[i]);
    out.num_fields.push_back(in.num_fields[i]);
  }
  return out;
}
}  // namespace detail

/// py-motmetrics' events and metrics of one sequence, from the rows of a GT and a tracker file
/// as read by `read_mot` (unfiltered; the loadtxt filtering and shift are applied here). Frames
/// where neither file has a row produce no events (as `compare_to_groundtruth`). Per frame: (1)
/// each object (file order) whose last matched hypothesis at any earlier time is present and
/// within the threshold is matched to it; (2) one scipy-identical assignment of the remaining
/// pairs on `1 - IoU` (invalid pairs cost `2·max + 1`); a match whose object had another
/// hypothesis before is a switch. Thread-safe; O(Σ_t ng_t·nt_t + assignments).
inline MotmetricsResult motmetrics_sequence(const MotRows& gt_rows, const MotRows& tracker_rows,
                                            std::int64_t seq_length, const std::string& gt_name = "gt",
                                            const std::string& tracker_name = "tracker", double distth = 0.5) {
  const MotRows gt = detail::motmetrics_rows(gt_rows, 1.0);
  const MotRows trk = detail::motmetrics_rows(tracker_rows, -1.0);
  MotPreprocessOptions opt;
  opt.benchmark = "MOT15";
  opt.do_preproc = false;
  const MotSequenceData d = preprocess_mot_sequence(gt, trk, seq_length, opt, gt_name, tracker_name);
  MotmetricsResult r;
  const std::size_t G = static_cast<std::size_t>(d.num_gt_ids), T = static_cast<std::size_t>(d.num_tracker_ids);
  std::vector<std::int64_t> m(G, -1), res_m(T, -1);          // last matched hypothesis / object
  std::vector<char> matched_before(G, 0), hyp_seen(T, 0);      // last_match / hypHistory keys
  std::vector<std::int64_t> present(G, 0), tracked(G, 0), frag(G, 0);
  std::vector<char> span_started(G, 0), in_miss(G, 0);
  std::vector<double> events_d;                                // D column of the non-RAW events
  std::unordered_map<std::uint64_t, std::int64_t> cooc;        // frames with a finite pair distance
  std::vector<double> dist, cost, frame_sim;
  std::vector<char> om, hm;
  std::vector<std::int64_t> rr, cc;
  for (std::int64_t t = 0; t < d.num_timesteps; ++t) {
    const std::size_t ng = d.num_gt(t), nt = d.num_trk(t);
    if (ng == 0 && nt == 0) continue;
    ++r.num_frames;
    const std::int32_t* gi = d.gt_ids.data() + d.gt_begin[t];
    const std::int32_t* ti = d.tracker_ids.data() + d.trk_begin[t];
    mot_frame_similarity(d, t, frame_sim);  // 1 - IoU of every pair (distth may admit non-overlaps)
    const double* sim = frame_sim.data();
    dist.assign(ng * nt, std::numeric_limits<double>::quiet_NaN());
    for (std::size_t i = 0; i < ng * nt; ++i) {
      const double v = 1 - sim[i];
      if (!(v > distth)) {
        dist[i] = v;
        ++cooc[static_cast<std::uint64_t>(gi[i / nt]) * T + static_cast<std::uint64_t>(ti[i % nt])];
      }
    }
    om.assign(ng, 0);
    hm.assign(nt, 0);
    const auto on_match = [&](std::size_t i, std::size_t j) {
      const std::size_t g = static_cast<std::size_t>(gi[i]);
      om[i] = 1, hm[j] = 1;
      events_d.push_back(dist[i * nt + j]);
      ++r.num_detections, ++tracked[g];
      if (in_miss[g]) ++frag[g];
      span_started[g] = 1, in_miss[g] = 0;
    };
    if (ng > 0 && nt > 0) {
      for (std::size_t i = 0; i < ng; ++i) {  // (1) continue established tracks
        const std::int64_t hprev = m[static_cast<std::size_t>(gi[i])];
        if (hprev < 0) continue;
        for (std::size_t j = 0; j < nt; ++j) {
          if (hm[j] || ti[j] != hprev) continue;
          if (!std::isnan(dist[i * nt + j])) {
            on_match(i, j);
            matched_before[static_cast<std::size_t>(gi[i])] = 1;
            hyp_seen[static_cast<std::size_t>(ti[j])] = 1;
          }
          break;
        }
      }
      // (2) assignment of the rest; invalid pairs cost 2·max(valid) + 1 (1 if none), as lap.py.
      cost.assign(ng * nt, 0.0);
      double vmax = -std::numeric_limits<double>::infinity();
      bool any_valid = false;
      for (std::size_t i = 0; i < ng; ++i)
        for (std::size_t j = 0; j < nt; ++j) {
          const double v = dist[i * nt + j];
          if (om[i] || hm[j] || std::isnan(v)) continue;
          any_valid = true;
          vmax = std::max(vmax, v);
        }
      const double inv = any_valid ? 2 * vmax + 1 : 1.0;
      for (std::size_t i = 0; i < ng; ++i)
        for (std::size_t j = 0; j < nt; ++j) {
          const double v = dist[i * nt + j];
          cost[i * nt + j] = (om[i] || hm[j] || std::isnan(v)) ? inv : v;
        }
      const std::size_t k = std::min(ng, nt);
      rr.assign(k, 0), cc.assign(k, 0);
      linear_sum_assignment(cost.data(), ng, nt, rr.data(), cc.data(), /*maximize=*/false);
      std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
      for (std::size_t q = 0; q < k; ++q) pairs.emplace_back(rr[q], cc[q]);
      std::sort(pairs.begin(), pairs.end());
      for (const auto& p : pairs) {
        const std::size_t i = static_cast<std::size_t>(p.first), j = static_cast<std::size_t>(p.second);
        if (om[i] || hm[j] || std::isnan(dist[i * nt + j])) continue;
        const std::size_t g = static_cast<std::size_t>(gi[i]), h = static_cast<std::size_t>(ti[j]);
        const bool is_switch = m[g] >= 0 && m[g] != static_cast<std::int64_t>(h);
        if (is_switch) {
          ++r.num_switches;
          if (!hyp_seen[h]) ++r.num_ascend;
        }
        if (res_m[h] >= 0 && res_m[h] != static_cast<std::int64_t>(g)) {
          ++r.num_transfer;
          if (!matched_before[g]) ++r.num_migrate;
        }
        hyp_seen[h] = 1, matched_before[g] = 1;
        on_match(i, j);
        m[g] = static_cast<std::int64_t>(h);
        res_m[h] = static_cast<std::int64_t>(g);
      }
    }
    for (std::size_t i = 0; i < ng; ++i) {
      const std::size_t g = static_cast<std::size_t>(gi[i]);
      ++present[g];
      if (om[i]) continue;
      ++r.num_misses;
      events_d.push_back(0.0);  // NaN, filled with 0 by pandas' sum
      if (span_started[g]) in_miss[g] = 1;
    }
    for (std::size_t j = 0; j < nt; ++j)
      if (!hm[j]) ++r.num_false_positives, events_d.push_back(0.0);
  }
  r.num_objects = d.num_gt_dets;
  r.num_predictions = d.num_tracker_dets;
  for (std::size_t g = 0; g < G; ++g) {
    if (present[g] == 0) continue;
    ++r.num_unique_objects;
    r.num_fragmentations += frag[g];
    const double ratio = static_cast<double>(tracked[g]) / static_cast<double>(present[g]);
    if (ratio >= 0.8) ++r.mostly_tracked;
    else if (ratio >= 0.2) ++r.partially_tracked;
    else ++r.mostly_lost;
  }
  // Identity: the largest total co-occurrence of a one-to-one object↔hypothesis matching
  // (integers: every optimum gives the same idtp).
  const std::int64_t best = detail::max_cooccurrence_matching(cooc, T);
  r.idtp = best, r.idfn = r.num_objects - best, r.idfp = r.num_predictions - best;
  r.distance_sum = numpy_sum(events_d.data(), events_d.size());
  r.motp = detail::mm_quiet_divide(r.distance_sum, static_cast<double>(r.num_detections));
  detail::motmetrics_ratios(r);
  return r;
}

/// py-motmetrics' OVERALL row (`compute_overall`): counts summed, ratios recomputed, motp the
/// detection-weighted mean of the per-sequence motp (summed left to right in the given order).
inline MotmetricsResult motmetrics_combine(const std::vector<const MotmetricsResult*>& seqs) {
  MotmetricsResult r;
  double motp_weighted = 0;
  for (const MotmetricsResult* s : seqs) {
    r.num_frames += s->num_frames, r.num_unique_objects += s->num_unique_objects, r.num_objects += s->num_objects;
    r.num_predictions += s->num_predictions, r.num_detections += s->num_detections, r.num_misses += s->num_misses;
    r.num_false_positives += s->num_false_positives, r.num_switches += s->num_switches;
    r.num_fragmentations += s->num_fragmentations, r.mostly_tracked += s->mostly_tracked;
    r.partially_tracked += s->partially_tracked, r.mostly_lost += s->mostly_lost, r.num_transfer += s->num_transfer;
    r.num_ascend += s->num_ascend, r.num_migrate += s->num_migrate, r.idtp += s->idtp, r.idfn += s->idfn;
    r.idfp += s->idfp, r.distance_sum += s->distance_sum;
    motp_weighted += s->motp * static_cast<double>(s->num_detections);
  }
  r.motp = detail::mm_quiet_divide(motp_weighted, static_cast<double>(r.num_detections));
  detail::motmetrics_ratios(r);
  return r;
}

}  // namespace locuskit
