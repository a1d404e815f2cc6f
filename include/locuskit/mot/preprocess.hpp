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
#include <cstring>
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

/// Longest sequence accepted (frames); per-frame bookkeeping is allocated up front.
inline constexpr std::int64_t max_mot_sequence_length = 100000000;

/// One sequence after preprocessing: per frame (0-based t), the kept GT and tracker rows in file
/// order with their relabelled ids, and the non-zero entries of their (ng_t, nt_t) IoU matrix,
/// listed per frame in row-major order (CSR-like; typically ~10 % of the matrix). Every entry not
/// listed is zero; mot_frame_similarity writes a frame's dense matrix where one is needed.
struct MotSequenceData {
  std::int64_t num_timesteps = 0;
  std::int64_t num_gt_ids = 0, num_tracker_ids = 0, num_gt_dets = 0, num_tracker_dets = 0;
  std::vector<std::size_t> gt_begin;   ///< num_timesteps + 1 offsets into gt_ids
  std::vector<std::size_t> trk_begin;  ///< num_timesteps + 1 offsets into tracker_ids
  std::vector<std::int32_t> gt_ids, tracker_ids;  ///< relabelled 0..n-1 (sorted original ids)
  std::vector<std::size_t> overlap_begin;  ///< num_timesteps + 1 offsets into overlap_iou
  std::vector<std::uint32_t> overlap_ij;   ///< per frame, (row, column) of each non-zero IoU, row-major
  std::vector<double> overlap_iou;         ///< those IoUs (> 0), in the same order

  /// Frame t's overlapping pairs: (row, column) = (ij[2q], ij[2q + 1]) with IoU iou[q], q < n.
  struct FrameOverlaps {
    const std::uint32_t* ij;
    const double* iou;
    std::size_t n;
  };

  std::size_t num_gt(std::int64_t t) const noexcept { return gt_begin[t + 1] - gt_begin[t]; }
  std::size_t num_trk(std::int64_t t) const noexcept { return trk_begin[t + 1] - trk_begin[t]; }
  FrameOverlaps overlaps(std::int64_t t) const noexcept {
    const std::size_t o0 = overlap_begin[static_cast<std::size_t>(t)];
    return {overlap_ij.data() + 2 * o0, overlap_iou.data() + o0, overlap_begin[static_cast<std::size_t>(t) + 1] - o0};
  }
};

/// The dense (num_gt(t), num_trk(t)) row-major IoU matrix of frame t into `out` (resized): the
/// listed overlaps, +0 elsewhere. O(ng_t·nt_t).
inline void mot_frame_similarity(const MotSequenceData& d, std::int64_t t, std::vector<double>& out) {
  const std::size_t nt = d.num_trk(t);
  out.assign(d.num_gt(t) * nt, 0.0);
  const MotSequenceData::FrameOverlaps o = d.overlaps(t);
  for (std::size_t q = 0; q < o.n; ++q) out[o.ij[2 * q] * nt + o.ij[2 * q + 1]] = o.iou[q];
}

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
  // Ids unique per frame (TrackEval's _check_unique_ids, before preprocessing); the first repeat in
  // (frame, file order) is reported. Dense per-id stamps when the id range is small, else a hash map.
  auto duplicate = [&](std::size_t i, std::size_t first, std::size_t t) {
    throw parse_error(name + ":" + std::to_string(rows.line[i]) + ": id " + std::to_string(rows.id[i]) +
                      " appears twice in frame " + std::to_string(t + 1) + " (also on line " +
                      std::to_string(rows.line[first]) + ")");
  };
  if (n == 0) return;
  const auto mm = std::minmax_element(rows.id.begin(), rows.id.end());
  const std::uint64_t lo = static_cast<std::uint64_t>(*mm.first);
  const std::uint64_t range = static_cast<std::uint64_t>(*mm.second) - lo;  // wraps, never overflows
  if (range < 4 * static_cast<std::uint64_t>(n) + 65536) {
    std::vector<std::size_t> stamp(static_cast<std::size_t>(range) + 1, 0), row_of(stamp.size());
    for (std::size_t t = 0; t + 1 < begin.size(); ++t)
      for (std::size_t k = begin[t]; k < begin[t + 1]; ++k) {
        const std::size_t i = order[k], slot = static_cast<std::size_t>(static_cast<std::uint64_t>(rows.id[i]) - lo);
        if (stamp[slot] == t + 1) duplicate(i, row_of[slot], t);
        stamp[slot] = t + 1, row_of[slot] = i;
      }
    return;
  }
  std::unordered_map<std::int64_t, std::size_t> seen;
  for (std::size_t t = 0; t + 1 < begin.size(); ++t) {
    if (begin[t + 1] - begin[t] < 2) continue;
    seen.clear();
    for (std::size_t k = begin[t]; k < begin[t + 1]; ++k) {
      const std::size_t i = order[k];
      auto ins = seen.emplace(rows.id[i], i);
      if (!ins.second) duplicate(i, ins.first->second, t);
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
  LOCUSKIT_CHECK(seq_length >= 0 && seq_length <= max_mot_sequence_length, std::invalid_argument,
                 "seq_length must be in 0..", max_mot_sequence_length, ", got ", seq_length);
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

  // Corners and areas of every row, in frame-grouped order (structure of arrays: the IoU rows vectorise).
  detail::MotBoxes gbox(gt.boxes.data(), go.data(), go.size()), tbox(tracker.boxes.data(), to.data(), to.size());
  std::vector<std::int8_t> gclass(go.size());  // truncated class of each grouped GT row
  std::vector<std::uint8_t> gkeep(go.size());
  for (std::size_t k = 0; k < go.size(); ++k) {
    const std::size_t i = go[k];
    const std::int64_t c = remove_distractors ? detail::mot_trunc(gt.class_id[i]) : 0;
    gclass[k] = static_cast<std::int8_t>(c < 1 || c > 13 ? -1 : c);
    gkeep[k] = detail::mot_trunc(gt.confidence[i]) != 0 && (!remove_distractors || c == 1);
  }

  MotSequenceData out;
  out.num_timesteps = seq_length;
  out.gt_begin.resize(static_cast<std::size_t>(seq_length) + 1);
  out.trk_begin.resize(static_cast<std::size_t>(seq_length) + 1);
  out.overlap_begin.resize(static_cast<std::size_t>(seq_length) + 1);
  out.gt_begin[0] = out.trk_begin[0] = out.overlap_begin[0] = 0;
  // The lists grow by doubling and are cut to size at the end; a frame writes its non-zero IoUs
  // straight into them (no per-frame copy).
  std::size_t n_out = 0;
  const auto room_for = [&](std::size_t more) {
    if (n_out + more <= out.overlap_iou.size()) return;
    const std::size_t cap = std::max(2 * out.overlap_iou.size(), n_out + more);
    out.overlap_iou.resize(cap), out.overlap_ij.resize(2 * cap);
  };
  const auto out_ij = [&] { return reinterpret_cast<std::uint64_t*>(out.overlap_ij.data()) + n_out; };
  static_assert(sizeof(std::uint64_t) == 2 * sizeof(std::uint32_t), "overlap_ij holds uint32 pairs");
  // Frames with a distractor: every GT row's non-zero IoUs (row-major, the row's first entry at
  // row_start[k]), the assignment's score matrix (+0 except where listed, cleared after use).
  std::vector<std::uint64_t> frame_ij;
  std::vector<double> frame_iou, msc;
  std::vector<std::size_t> row_start;
  std::vector<std::uint32_t> msc_ij, new_col;
  std::vector<std::int64_t> gt_raw, trk_raw;  // original ids of kept rows
  gt_raw.reserve(gt.size());
  trk_raw.reserve(tracker.size());
  std::vector<std::int64_t> rows_i, cols_i;
  std::vector<std::uint8_t> remove;
  detail::MotAssignScratch scratch;
  for (std::int64_t t = 0; t < seq_length; ++t) {
    const std::size_t g0 = gb[t], t0 = tb[t];
    const std::size_t ng = gb[t + 1] - g0, nt = tb[t + 1] - t0;
    bool any_distractor = false, any_removed = false;
    if (remove_distractors && ng > 0 && nt > 0) {
      for (std::size_t k = 0; k < ng; ++k) {
        if (gclass[g0 + k] < 0) {
          const std::size_t i = go[g0 + k];
          const std::int64_t c = detail::mot_trunc(gt.class_id[i]);
          throw parse_error(gt_name + ":" + std::to_string(gt.line[i]) + ": class " + std::to_string(c) +
                            " is not a MOTChallenge class (1..13); use benchmark MOT15 or do_preproc=false "
                            "for files without classes");
        }
        any_distractor |= detail::mot_is_distractor(gclass[g0 + k], mot20);
      }
    }
    if (any_distractor) {
      // The non-zero IoUs of every GT row (any class or flag) with every tracker row.
      if (frame_iou.size() < ng * nt) frame_ij.resize(ng * nt), frame_iou.resize(ng * nt);
      row_start.resize(ng + 1);
      std::size_t fn = 0;
      bool candidate = false;
      for (std::size_t k = 0; k < ng; ++k) {
        row_start[k] = fn;
        fn += gbox.iou_row_nonzero(g0 + k, tbox, t0, nt, static_cast<std::uint32_t>(k), frame_ij.data() + fn,
                                   frame_iou.data() + fn);
        // The assignment can only remove a tracker row if a distractor row overlaps one by
        // IoU >= 0.5 (TrackEval zeroes smaller scores first).
        if (detail::mot_is_distractor(gclass[g0 + k], mot20))
          for (std::size_t q = row_start[k]; q < fn; ++q)
            candidate |= !(frame_iou[q] < 0.5 - detail::mot_eps) && frame_iou[q] > 0 + detail::mot_eps;
      }
      row_start[ng] = fn;
      if (candidate) {
        // TrackEval's score matrix: the IoUs >= 0.5 - eps, +0 elsewhere (the unlisted IoUs are ±0).
        if (msc.size() < ng * nt) msc.assign(ng * nt, 0.0);
        msc_ij.clear();
        for (std::size_t q = 0; q < fn; ++q) {
          if (frame_iou[q] < 0.5 - detail::mot_eps) continue;
          std::uint32_t rc[2];
          std::memcpy(rc, &frame_ij[q], sizeof rc);
          msc[static_cast<std::size_t>(rc[0]) * nt + rc[1]] = frame_iou[q];
          msc_ij.push_back(rc[0]), msc_ij.push_back(rc[1]);
        }
        remove.assign(nt, 0);
        detail::max_score_pairs(msc.data(), ng, nt, rows_i, cols_i, scratch, 6, msc_ij.data(), msc_ij.size() / 2);
        for (std::size_t q = 0; q < rows_i.size(); ++q) {
          const std::size_t r = static_cast<std::size_t>(rows_i[q]), c = static_cast<std::size_t>(cols_i[q]);
          if (!(msc[r * nt + c] > 0 + detail::mot_eps)) continue;
          if (detail::mot_is_distractor(gclass[g0 + r], mot20)) remove[c] = 1, any_removed = true;
        }
        for (std::size_t q = 0; q < msc_ij.size(); q += 2) msc[static_cast<std::size_t>(msc_ij[q]) * nt + msc_ij[q + 1]] = 0.0;
      }
    }
    std::size_t kg = 0, kt = 0;
    if (any_removed) {
      new_col.resize(nt);
      for (std::size_t c = 0; c < nt; ++c) {
        new_col[c] = static_cast<std::uint32_t>(kt);
        if (!remove[c]) ++kt, trk_raw.push_back(tracker.id[to[t0 + c]]);
      }
    } else {
      kt = nt;
      for (std::size_t c = 0; c < nt; ++c) trk_raw.push_back(tracker.id[to[t0 + c]]);
    }
    for (std::size_t k = 0; k < ng; ++k) {
      if (!gkeep[g0 + k]) continue;
      const std::uint32_t row = static_cast<std::uint32_t>(kg++);
      gt_raw.push_back(gt.id[go[g0 + k]]);
      if (kt == 0) continue;
      if (!any_distractor) {
        room_for(nt);
        n_out += gbox.iou_row_nonzero(g0 + k, tbox, t0, nt, row, out_ij(), out.overlap_iou.data() + n_out);
        continue;
      }
      // The row's listed IoUs, tracker columns renumbered past the removed ones.
      room_for(row_start[k + 1] - row_start[k]);
      std::uint64_t* ij = out_ij();
      double* v = out.overlap_iou.data() + n_out;
      std::size_t m = 0;
      for (std::size_t q = row_start[k]; q < row_start[k + 1]; ++q) {
        std::uint32_t rc[2];
        std::memcpy(rc, &frame_ij[q], sizeof rc);
        if (any_removed && remove[rc[1]]) continue;
        rc[0] = row;
        if (any_removed) rc[1] = new_col[rc[1]];
        std::memcpy(ij + m, rc, sizeof rc);
        v[m++] = frame_iou[q];
      }
      n_out += m;
    }
    out.gt_begin[static_cast<std::size_t>(t) + 1] = out.gt_begin[static_cast<std::size_t>(t)] + kg;
    out.trk_begin[static_cast<std::size_t>(t) + 1] = out.trk_begin[static_cast<std::size_t>(t)] + kt;
    out.overlap_begin[static_cast<std::size_t>(t) + 1] = n_out;
  }
  out.overlap_iou.resize(n_out);
  out.overlap_ij.resize(2 * n_out);
  // Relabel: sorted unique original ids -> 0..n-1.
  auto relabel = [](const std::vector<std::int64_t>& raw, std::vector<std::int32_t>& ids, std::int64_t& n_ids) {
    ids.resize(raw.size());
    n_ids = 0;
    if (raw.empty()) return;
    const auto mm = std::minmax_element(raw.begin(), raw.end());
    const std::uint64_t lo = static_cast<std::uint64_t>(*mm.first);
    const std::uint64_t range = static_cast<std::uint64_t>(*mm.second) - lo;
    if (range < 4 * static_cast<std::uint64_t>(raw.size()) + 65536) {
      // Small id range: rank = number of distinct ids below (the same as the sorted-unique rank).
      std::vector<std::int64_t> rank(static_cast<std::size_t>(range) + 1, 0);
      for (const std::int64_t v : raw) rank[static_cast<std::size_t>(static_cast<std::uint64_t>(v) - lo)] = 1;
      std::int64_t next = 0;
      for (std::int64_t& r : rank) r = r ? next++ : -1;
      LOCUSKIT_CHECK(next < (std::int64_t(1) << 31), std::invalid_argument, "more than 2^31 distinct ids");
      n_ids = next;
      for (std::size_t i = 0; i < raw.size(); ++i)
        ids[i] = static_cast<std::int32_t>(rank[static_cast<std::size_t>(static_cast<std::uint64_t>(raw[i]) - lo)]);
      return;
    }
    std::vector<std::int64_t> u(raw);
    std::sort(u.begin(), u.end());
    u.erase(std::unique(u.begin(), u.end()), u.end());
    LOCUSKIT_CHECK(u.size() < (std::size_t(1) << 31), std::invalid_argument, "more than 2^31 distinct ids");
    n_ids = static_cast<std::int64_t>(u.size());
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
