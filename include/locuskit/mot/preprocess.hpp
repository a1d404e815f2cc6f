#pragma once
/// \file mot/preprocess.hpp
/// TrackEval's MotChallenge2DBox preprocessing of one sequence (`get_raw_seq_data` +
/// `get_preprocessed_seq_data`, TrackEval @ 12c8791b): rows grouped by frame in file order, the
/// IoU of every GT row (any class, any flag) with every tracker row, removal of tracker rows that
/// the distractor assignment gives to a distractor-class GT row, the GT filter (flag != 0 and
/// class pedestrian) and ids relabelled 0..n-1 in sorted order. The output feeds the metrics.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <locuskit/detail/mot/numeric.hpp>
#include <locuskit/error.hpp>
#include <locuskit/match/linear_assignment.hpp>
#include <locuskit/mot/format.hpp>

namespace locuskit {

/// How a MOTChallenge benchmark is preprocessed (TrackEval's `BENCHMARK` and `DO_PREPROC`).
struct MotPreprocessOptions {
  /// "MOT15" (no classes: no distractor removal, class ignored), "MOT20" (class 6
  /// non_mot_vehicle is a distractor too) or any other name (MOT16/MOT17 rules).
  std::string benchmark = "MOT17";
  /// false: no distractor removal, GT kept by flag only (TrackEval's DO_PREPROC False).
  bool do_preproc = true;
};

/// One sequence after preprocessing: per frame (0-based t), the kept GT and tracker rows in file
/// order with their relabelled ids, and their (ng_t, nt_t) IoU matrix.
struct MotSequenceData {
  std::int64_t num_timesteps = 0;
  std::int64_t num_gt_ids = 0, num_tracker_ids = 0, num_gt_dets = 0, num_tracker_dets = 0;
  std::vector<std::size_t> gt_begin;   ///< num_timesteps + 1 offsets into gt_ids
  std::vector<std::size_t> trk_begin;  ///< num_timesteps + 1 offsets into tracker_ids
  std::vector<std::size_t> sim_begin;  ///< num_timesteps + 1 offsets into similarity
  std::vector<std::int32_t> gt_ids, tracker_ids;  ///< relabelled 0..n-1 (sorted original ids)
  std::vector<double> similarity;                 ///< per frame, row-major (ng_t, nt_t)

  std::size_t num_gt(std::int64_t t) const noexcept { return gt_begin[t + 1] - gt_begin[t]; }
  std::size_t num_trk(std::int64_t t) const noexcept { return trk_begin[t + 1] - trk_begin[t]; }
};

namespace detail {

/// Row indices grouped by frame (1..seq_length), stable. Throws naming file and line for a frame
/// beyond seq_length (TrackEval rejects the whole tracker) and for an id twice in one frame.
inline void mot_group_frames(const MotRows& rows, std::int64_t seq_length, const std::string& name,
                             std::vector<std::size_t>& begin, std::vector<std::size_t>& order) {
  const std::size_t n = rows.size();
  begin.assign(static_cast<std::size_t>(seq_length) + 2, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (rows.frame[i] > seq_length)
      throw parse_error(name + ":" + std::to_string(rows.line[i]) + ": frame " + std::to_string(rows.frame[i]) +
                        " is beyond the sequence length " + std::to_string(seq_length) + " (seqLength)");
    ++begin[static_cast<std::size_t>(rows.frame[i])];
  }
  // begin[f] = first slot of frame f (1-based); store as offsets for t = f - 1.
  std::vector<std::size_t> pos(static_cast<std::size_t>(seq_length) + 2, 0);
  for (std::size_t f = 1; f <= static_cast<std::size_t>(seq_length); ++f) pos[f + 1] = pos[f] + begin[f];
  begin.assign(pos.begin() + 1, pos.end());  // begin[t] for t = 0..seq_length
  order.resize(n);
  std::vector<std::size_t> fill(begin.begin(), begin.end() - 1);
  for (std::size_t i = 0; i < n; ++i) order[fill[static_cast<std::size_t>(rows.frame[i]) - 1]++] = i;
  // Ids unique per frame (TrackEval's _check_unique_ids, before preprocessing).
  std::unordered_map<std::int64_t, std::size_t> seen;
  for (std::size_t t = 0; t + 1 < begin.size(); ++t) {
    if (begin[t + 1] - begin[t] < 2) continue;
    seen.clear();
    for (std::size_t k = begin[t]; k < begin[t + 1]; ++k) {
      const std::size_t i = order[k];
      auto ins = seen.emplace(rows.id[i], i);
      if (!ins.second)
        throw parse_error(name + ":" + std::to_string(rows.line[i]) + ": id " + std::to_string(rows.id[i]) +
                          " appears twice in frame " + std::to_string(t + 1) + " (also on line " +
                          std::to_string(rows.line[ins.first->second]) + ")");
    }
  }
}

inline bool mot_is_distractor(std::int64_t cls, bool mot20) noexcept {
  return cls == 2 || cls == 7 || cls == 8 || cls == 12 || (mot20 && cls == 6);
}

/// TrackEval's int(x) of a float column (truncation toward zero); values are finite.
inline std::int64_t mot_trunc(double v) noexcept {
  if (v >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
  if (v <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}

}  // namespace detail

/// Preprocesses one sequence as TrackEval's MotChallenge2DBox (see the file comment and
/// docs/mot.md). `gt` must be read as MotFileKind::ground_truth, `tracker` as tracker;
/// `seq_length` is seqinfo.ini's seqLength (frames 1..seq_length); `gt_name`/`tracker_name` name
/// the files in messages. Throws locuskit::parse_error ("file:line: ...") for a frame beyond
/// seq_length, an id twice in one frame, a tracker class > 1, or (with distractor removal) a GT
/// class outside 1..13 in a frame that has tracker rows — where TrackEval raises. Thread-safe;
/// O(Σ_t ng_t·nt_t) plus one assignment per frame.
inline MotSequenceData preprocess_mot_sequence(const MotRows& gt, const MotRows& tracker, std::int64_t seq_length,
                                               const MotPreprocessOptions& options = {},
                                               const std::string& gt_name = "gt",
                                               const std::string& tracker_name = "tracker") {
  LOCUSKIT_CHECK(seq_length >= 0, std::invalid_argument, "seq_length must be >= 0, got ", seq_length);
  const bool mot15 = options.benchmark == "MOT15";
  const bool remove_distractors = options.do_preproc && !mot15;
  const bool mot20 = options.benchmark == "MOT20";
  std::vector<std::size_t> gb, go, tb, to;
  detail::mot_group_frames(gt, seq_length, gt_name, gb, go);
  detail::mot_group_frames(tracker, seq_length, tracker_name, tb, to);
  // TrackEval: any tracker row with class > 1 (8+ columns) aborts the evaluation.
  for (std::size_t i = 0; i < tracker.size(); ++i)
    if (tracker.num_fields[i] >= 8 && detail::mot_trunc(tracker.class_id[i]) > 1)
      throw parse_error(tracker_name + ":" + std::to_string(tracker.line[i]) + ": class " +
                        std::to_string(detail::mot_trunc(tracker.class_id[i])) +
                        " in a tracker row (only pedestrian results, class 1 or -1, can be evaluated)");

  MotSequenceData out;
  out.num_timesteps = seq_length;
  out.gt_begin.assign(1, 0);
  out.trk_begin.assign(1, 0);
  out.sim_begin.assign(1, 0);
  std::vector<std::int64_t> gt_raw, trk_raw;  // original ids of kept rows
  gt_raw.reserve(gt.size());
  trk_raw.reserve(tracker.size());
  out.similarity.reserve(gt.size() * 8);
  std::vector<double> gbox, tbox, sim, msc;
  std::vector<std::int64_t> rows_i, cols_i;
  std::vector<std::uint8_t> remove, keep;
  for (std::int64_t t = 0; t < seq_length; ++t) {
    const std::size_t ng = gb[t + 1] - gb[t], nt = tb[t + 1] - tb[t];
    gbox.resize(4 * ng);
    tbox.resize(4 * nt);
    for (std::size_t k = 0; k < ng; ++k)
      std::copy_n(gt.boxes.data() + 4 * go[gb[t] + k], 4, gbox.data() + 4 * k);
    for (std::size_t k = 0; k < nt; ++k)
      std::copy_n(tracker.boxes.data() + 4 * to[tb[t] + k], 4, tbox.data() + 4 * k);
    sim.resize(ng * nt);
    detail::mot_box_iou(gbox.data(), ng, tbox.data(), nt, sim.data());
    remove.assign(nt, 0);
    if (remove_distractors && ng > 0 && nt > 0) {
      for (std::size_t k = 0; k < ng; ++k) {
        const std::size_t i = go[gb[t] + k];
        const std::int64_t c = detail::mot_trunc(gt.class_id[i]);
        if (c < 1 || c > 13)
          throw parse_error(gt_name + ":" + std::to_string(gt.line[i]) + ": class " + std::to_string(c) +
                            " is not a MOTChallenge class (1..13); use benchmark MOT15 or do_preproc=false "
                            "for files without classes");
      }
      msc.assign(sim.begin(), sim.end());
      for (double& m : msc)
        if (m < 0.5 - detail::mot_eps) m = 0;
      const std::size_t k = std::min(ng, nt);
      rows_i.resize(k);
      cols_i.resize(k);
      linear_sum_assignment(msc.data(), ng, nt, rows_i.data(), cols_i.data(), /*maximize=*/true);
      for (std::size_t q = 0; q < k; ++q) {
        const std::size_t r = static_cast<std::size_t>(rows_i[q]), c = static_cast<std::size_t>(cols_i[q]);
        if (!(msc[r * nt + c] > 0 + detail::mot_eps)) continue;
        if (detail::mot_is_distractor(detail::mot_trunc(gt.class_id[go[gb[t] + r]]), mot20)) remove[c] = 1;
      }
    }
    keep.assign(ng, 0);
    std::size_t kg = 0, kt = 0;
    for (std::size_t k = 0; k < ng; ++k) {
      const std::size_t i = go[gb[t] + k];
      bool ok = detail::mot_trunc(gt.confidence[i]) != 0;
      if (remove_distractors) ok = ok && detail::mot_trunc(gt.class_id[i]) == 1;
      if (ok) keep[k] = 1, ++kg, gt_raw.push_back(gt.id[i]);
    }
    for (std::size_t c = 0; c < nt; ++c)
      if (!remove[c]) ++kt, trk_raw.push_back(tracker.id[to[tb[t] + c]]);
    for (std::size_t k = 0; k < ng; ++k) {
      if (!keep[k]) continue;
      for (std::size_t c = 0; c < nt; ++c)
        if (!remove[c]) out.similarity.push_back(sim[k * nt + c]);
    }
    out.gt_begin.push_back(out.gt_begin.back() + kg);
    out.trk_begin.push_back(out.trk_begin.back() + kt);
    out.sim_begin.push_back(out.similarity.size());
  }
  // Relabel: sorted unique original ids -> 0..n-1.
  auto relabel = [](const std::vector<std::int64_t>& raw, std::vector<std::int32_t>& ids, std::int64_t& n_ids) {
    std::vector<std::int64_t> u(raw);
    std::sort(u.begin(), u.end());
    u.erase(std::unique(u.begin(), u.end()), u.end());
    LOCUSKIT_CHECK(u.size() < (std::size_t(1) << 31), std::invalid_argument, "more than 2^31 distinct ids");
    n_ids = static_cast<std::int64_t>(u.size());
    ids.resize(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i)
      ids[i] = static_cast<std::int32_t>(std::lower_bound(u.begin(), u.end(), raw[i]) - u.begin());
  };
  relabel(gt_raw, out.gt_ids, out.num_gt_ids);
  relabel(trk_raw, out.tracker_ids, out.num_tracker_ids);
  out.num_gt_dets = static_cast<std::int64_t>(gt_raw.size());
  out.num_tracker_dets = static_cast<std::int64_t>(trk_raw.size());
  return out;
}

}  // namespace locuskit
