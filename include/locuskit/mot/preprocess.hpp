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
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
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

/// Reusable storage of mot_group_frames (no allocation once warm).
struct MotGroupScratch {
  std::vector<std::size_t> fill, stamp, row_of;
  std::vector<std::int64_t> ids;  // the rows' ids in grouped order
  std::unordered_map<std::int64_t, std::size_t> seen;
};

/// The spread of ids[0..n) (n > 0): the lowest id, max − min (in unsigned arithmetic: wraps,
/// never overflows) and whether a dense table over it is small enough to use (fewer than 4n +
/// 65536 entries; otherwise the callers sort or hash). Ids are offset as id − lo in uint64.
struct MotIdRange {
  std::uint64_t lo, range;
  bool dense;
};
inline MotIdRange mot_id_range(const std::int64_t* ids, std::size_t n) noexcept {
  const auto mm = std::minmax_element(ids, ids + n);
  const std::uint64_t lo = static_cast<std::uint64_t>(*mm.first);
  const std::uint64_t range = static_cast<std::uint64_t>(*mm.second) - lo;
  return {lo, range, range < 4 * static_cast<std::uint64_t>(n) + 65536};
}

/// Row indices grouped by frame (1..seq_length), stable: frame t (0-based) holds
/// order[begin[t] .. begin[t + 1]); their ids in that order in s.ids. Throws naming file and line
/// for a frame beyond seq_length (TrackEval rejects the whole tracker) and for an id twice in one
/// frame.
inline void mot_group_frames(const MotRows& rows, std::int64_t seq_length, const std::string& name,
                             std::vector<std::size_t>& begin, std::vector<std::size_t>& order, MotGroupScratch& s) {
  const std::size_t n = rows.size(), frames = static_cast<std::size_t>(seq_length);
  begin.assign(frames + 1, 0);
  bool sorted = true;  // frames non-decreasing in file order (tracker files usually are)
  for (std::size_t i = 0; i < n; ++i) {
    if (rows.frame[i] > seq_length)
      throw parse_error(name + ":" + std::to_string(rows.line[i]) + ": frame " + std::to_string(rows.frame[i]) +
                        " is beyond the sequence length " + std::to_string(seq_length) + " (seqLength)");
    ++begin[static_cast<std::size_t>(rows.frame[i])];  // frames are >= 1: frame f counted at f = t + 1
    sorted &= i == 0 || rows.frame[i] >= rows.frame[i - 1];
  }
  for (std::size_t t = 1; t <= frames; ++t) begin[t] += begin[t - 1];  // begin[t] = first slot of frame t
  order.resize(n);
  s.ids.resize(n);
  if (sorted) {
    // A stable counting sort of non-decreasing keys is the identity: no scatter.
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    if (n != 0) std::memcpy(s.ids.data(), rows.id.data(), n * sizeof(std::int64_t));
  } else {
    s.fill.assign(begin.begin(), begin.end() - 1);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = s.fill[static_cast<std::size_t>(rows.frame[i]) - 1]++;
      order[k] = i, s.ids[k] = rows.id[i];  // rows read in file order (GT files are sorted by id)
    }
  }
  // Ids unique per frame (TrackEval's _check_unique_ids, before preprocessing); the first repeat in
  // (frame, file order) is reported. Dense per-id stamps when the id range is small, else a hash map.
  auto duplicate = [&](std::size_t k, std::size_t first, std::size_t t) {  // grouped positions
    throw parse_error(name + ":" + std::to_string(rows.line[order[k]]) + ": id " + std::to_string(s.ids[k]) +
                      " appears twice in frame " + std::to_string(t + 1) + " (also on line " +
                      std::to_string(rows.line[order[first]]) + ")");
  };
  if (n == 0) return;
  const MotIdRange span = mot_id_range(s.ids.data(), n);
  const std::uint64_t lo = span.lo;
  if (span.dense) {
    s.stamp.assign(static_cast<std::size_t>(span.range) + 1, 0);
    s.row_of.resize(s.stamp.size());
    for (std::size_t t = 0; t < frames; ++t)
      for (std::size_t k = begin[t]; k < begin[t + 1]; ++k) {
        const std::size_t slot = static_cast<std::size_t>(static_cast<std::uint64_t>(s.ids[k]) - lo);
        if (s.stamp[slot] == t + 1) duplicate(k, s.row_of[slot], t);
        s.stamp[slot] = t + 1, s.row_of[slot] = k;
      }
    return;
  }
  for (std::size_t t = 0; t < frames; ++t) {
    if (begin[t + 1] - begin[t] < 2) continue;
    s.seen.clear();
    for (std::size_t k = begin[t]; k < begin[t + 1]; ++k) {
      auto ins = s.seen.emplace(s.ids[k], k);
      if (!ins.second) duplicate(k, ins.first->second, t);
    }
  }
}

/// TrackEval's distractor classes as a bit set (bit c for class c): 2, 7, 8, 12, and 6 for MOT20.
inline std::uint32_t mot_distractor_classes(bool mot20) noexcept {
  return (1u << 2) | (1u << 7) | (1u << 8) | (1u << 12) | (mot20 ? 1u << 6 : 0u);
}

inline bool mot_is_distractor(std::int64_t cls, bool mot20) noexcept {
  return cls >= 0 && cls < 32 && ((mot_distractor_classes(mot20) >> cls) & 1) != 0;
}

/// TrackEval's int(x) of a float column (truncation toward zero); values are finite.
inline std::int64_t mot_trunc(double v) noexcept {
  if (v >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
  if (v <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}

/// Relabels the ids raw[0..n) by their rank among the sorted unique values (0..n_ids-1). `rank`
/// is scratch.
inline void mot_relabel(const std::int64_t* raw, std::size_t n, std::vector<std::int32_t>& ids, std::int64_t& n_ids,
                        std::vector<std::int64_t>& rank) {
  ids.resize(n);
  n_ids = 0;
  if (n == 0) return;
  const MotIdRange span = mot_id_range(raw, n);
  const std::uint64_t lo = span.lo;
  if (span.dense) {
    // Small id range: rank = number of distinct ids below (the same as the sorted-unique rank).
    rank.assign(static_cast<std::size_t>(span.range) + 1, 0);
    for (std::size_t i = 0; i < n; ++i) rank[static_cast<std::size_t>(static_cast<std::uint64_t>(raw[i]) - lo)] = 1;
    std::int64_t next = 0;
    for (std::int64_t& r : rank) r = r ? next++ : -1;
    LOCUSKIT_CHECK(next < (std::int64_t(1) << 31), std::invalid_argument, "more than 2^31 distinct ids");
    n_ids = next;
    for (std::size_t i = 0; i < n; ++i)
      ids[i] = static_cast<std::int32_t>(rank[static_cast<std::size_t>(static_cast<std::uint64_t>(raw[i]) - lo)]);
    return;
  }
  rank.assign(raw, raw + n);
  std::sort(rank.begin(), rank.end());
  rank.erase(std::unique(rank.begin(), rank.end()), rank.end());
  LOCUSKIT_CHECK(rank.size() < (std::size_t(1) << 31), std::invalid_argument, "more than 2^31 distinct ids");
  n_ids = static_cast<std::int64_t>(rank.size());
  for (std::size_t i = 0; i < n; ++i)
    ids[i] = static_cast<std::int32_t>(std::lower_bound(rank.begin(), rank.end(), raw[i]) - rank.begin());
}

}  // namespace detail

struct MotPreprocessScratch;

/// The ground-truth side of preprocess_mot_sequence for one sequence, the same for every tracker:
/// rows grouped by frame (file order within a frame) with their corners and areas, original ids,
/// truncated classes and keep flags (flag != 0 and, with distractor removal, class 1). Build it
/// once and preprocess each tracker against it. Immutable after construction (or assign): shared
/// by threads.
struct MotPreparedGt {
  /// An empty sequence (0 frames).
  MotPreparedGt() = default;
  /// Groups and checks `gt` (read as MotFileKind::ground_truth) for a sequence of `seq_length`
  /// frames (seqinfo.ini's seqLength). Throws std::invalid_argument for seq_length outside
  /// 0..max_mot_sequence_length and locuskit::parse_error ("gt_name:line: ...") for a frame beyond
  /// seq_length or an id twice in one frame. O(rows + frames).
  MotPreparedGt(const MotRows& gt, std::int64_t seq_length, const MotPreprocessOptions& options = {},
                std::string gt_name = "gt");

  /// The constructor's result, built in this object's storage with `scratch` (the one given to
  /// preprocess_mot_sequence; free between calls) for its working space: preparing one sequence
  /// after another in one object allocates (and faults in) that memory once, not per sequence
  /// (no allocation once warm for ids within a range of about 4x the row count). Same results and
  /// errors as the constructor; if it throws, the object is left empty (0 frames). Not
  /// thread-safe for one object or scratch.
  void assign(const MotRows& gt, std::int64_t seq_length, const MotPreprocessOptions& options,
              const std::string& gt_name, MotPreprocessScratch& scratch);

  std::int64_t seq_length = 0;
  bool remove_distractors = false;  ///< MOTChallenge distractor removal (not MOT15, do_preproc)
  bool mot20 = false;               ///< class 6 is a distractor too
  std::string name;                 ///< names the file in messages
  std::vector<std::size_t> begin;   ///< seq_length + 1 offsets: frame t's rows are [begin[t], begin[t + 1])
  detail::MotBoxes boxes;           ///< per grouped row
  std::vector<std::int64_t> ids;    ///< original ids, per grouped row
  std::vector<std::int8_t> cls;     ///< truncated class 1..13, -1 outside, 0 without distractor removal
  std::vector<std::uint8_t> keep;   ///< counted as GT
  /// The GT side of every tracker's MotSequenceData (it does not depend on the tracker): frame
  /// t's kept rows are kept_rows[kept_begin[t] .. kept_begin[t + 1]) (grouped positions, in
  /// order), their ids relabelled 0..num_kept_ids-1 in kept_ids.
  std::vector<std::size_t> kept_begin, kept_rows;
  std::vector<std::int32_t> kept_ids;
  std::int64_t num_kept_ids = 0;
  /// Per frame: bit 0 a distractor-class row, bit 1 a class outside 1..13 (with removal).
  std::vector<std::uint8_t> frame_flags;
  /// Per frame with bit 1 (ascending): the first such row's line and truncated class. TrackEval
  /// raises for it when the frame has tracker rows.
  struct ClassError {
    std::size_t frame;
    std::int64_t line, class_id;
  };
  std::vector<ClassError> class_errors;
};

/// Reusable working storage of preprocess_mot_sequence (one per thread): no allocation once warm
/// (for ids within a range of about 4x the row count; wider ranges check duplicates in a hash map).
struct MotPreprocessScratch {
  detail::MotGroupScratch group;
  std::vector<std::size_t> begin, order;  // the tracker's rows by frame
  detail::MotBoxes boxes;                 // the tracker's boxes, grouped
  detail::MotFloatCorners corners32;      // a frame's tracker corners rounded to float (the overlap test)
  // Frames with a distractor: every GT row's non-zero IoUs (row-major) and the assignment's score
  // matrix (+0 except where listed, cleared after use).
  std::vector<std::uint64_t> frame_ij;
  std::vector<double> frame_iou, score;
  std::vector<std::uint32_t> score_ij, new_col, line_count;
  std::vector<std::int64_t> rows, cols;
  std::vector<std::uint8_t> removed, row_class;  // per tracker row; per GT row: a distractor
  std::vector<std::uint32_t> row_out;             // per GT row: its output row, or bit 31 (not kept)
  detail::MotOverlapScratch overlap;
  detail::MotAssignScratch assign;
  std::vector<std::int64_t> trk_raw, rank;  // original ids of the kept tracker rows
  std::vector<std::uint64_t> list_ij;               // the output lists as they are built
  std::vector<double> list_iou;
};

inline MotPreparedGt::MotPreparedGt(const MotRows& gt, std::int64_t seq_length_, const MotPreprocessOptions& options,
                                    std::string gt_name) {
  MotPreprocessScratch scratch;
  assign(gt, seq_length_, options, gt_name, scratch);
}

inline void MotPreparedGt::assign(const MotRows& gt, std::int64_t seq_length_, const MotPreprocessOptions& options,
                                  const std::string& gt_name, MotPreprocessScratch& scratch) {
  try {
    LOCUSKIT_CHECK(seq_length_ >= 0 && seq_length_ <= max_mot_sequence_length, std::invalid_argument,
                   "seq_length must be in 0..", max_mot_sequence_length, ", got ", seq_length_);
    seq_length = seq_length_;
    name = gt_name;
    remove_distractors = options.do_preproc && options.benchmark != "MOT15";
    mot20 = options.benchmark == "MOT20";
    std::vector<std::size_t>& order = scratch.order;
    detail::MotGroupScratch& group = scratch.group;
    detail::mot_group_frames(gt, seq_length, name, begin, order, group);
    // Rows are converted in file order and written to their grouped slot (GT files are usually
    // sorted by id, so reading in frame order would jump through the file).
    const std::size_t n = order.size();
    std::vector<std::size_t>& slot = group.fill;  // slot[i]: grouped position of file row i
    slot.resize(n);
    for (std::size_t k = 0; k < n; ++k) slot[order[k]] = k;
    boxes.resize(n);
    cls.resize(n), keep.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = slot[i];
      boxes.set(k, gt.boxes.data() + 4 * i);
      // For finite x: int(x) in 1..13 is 1 <= x < 14, int(x) != 0 is |x| >= 1.
      const double v = gt.class_id[i], flag = gt.confidence[i];
      const std::int64_t c = !remove_distractors ? 0 : v >= 1 && v < 14 ? static_cast<std::int64_t>(v) : -1;
      cls[k] = static_cast<std::int8_t>(c);
      keep[k] = (flag >= 1 || flag <= -1) && (!remove_distractors || c == 1);
    }
    ids.swap(group.ids);  // the grouped ids; group.ids keeps the old storage for reuse
    kept_begin.resize(static_cast<std::size_t>(seq_length) + 1);
    kept_rows.resize(n);
    std::vector<std::int64_t>& kept_raw = group.ids;
    kept_raw.resize(n);
    std::size_t n_kept = 0;
    kept_begin[0] = 0;
    for (std::size_t t = 0; t < static_cast<std::size_t>(seq_length); ++t) {
      for (std::size_t k = begin[t]; k < begin[t + 1]; ++k) {
        kept_rows[n_kept] = k, kept_raw[n_kept] = ids[k];
        n_kept += keep[k];
      }
      kept_begin[t + 1] = n_kept;
    }
    kept_rows.resize(n_kept);
    detail::mot_relabel(kept_raw.data(), n_kept, kept_ids, num_kept_ids, scratch.rank);
    frame_flags.assign(static_cast<std::size_t>(seq_length), 0);
    class_errors.clear();
    if (!remove_distractors) return;
    for (std::size_t t = 0; t < static_cast<std::size_t>(seq_length); ++t) {
      std::uint8_t flags = 0;
      for (std::size_t k = begin[t]; k < begin[t + 1]; ++k) {
        if (cls[k] < 0 && !(flags & 2))
          class_errors.push_back({t, gt.line[order[k]], detail::mot_trunc(gt.class_id[order[k]])});
        flags |= (cls[k] < 0 ? 2 : 0) | (detail::mot_is_distractor(cls[k], mot20) ? 1 : 0);
      }
      frame_flags[t] = flags;
    }
  } catch (...) {  // left empty: 0 frames (storage kept)
    seq_length = 0, num_kept_ids = 0, remove_distractors = mot20 = false;
    for (auto* v : {&begin, &kept_begin, &kept_rows}) v->clear();
    boxes.resize(0), ids.clear(), cls.clear(), keep.clear(), kept_ids.clear(), frame_flags.clear();
    class_errors.clear();
    throw;
  }
}

/// Preprocesses one tracker's rows against a prepared GT sequence as TrackEval's
/// MotChallenge2DBox (see the file comment and docs/mot.md) into `out` (its storage reused).
/// `tracker` must be read as MotFileKind::tracker; `tracker_name` names its file in messages.
/// Throws locuskit::parse_error ("file:line: ...") for a tracker frame beyond seq_length, an id
/// twice in one frame, a tracker class > 1, or (with distractor removal) a GT class outside 1..13
/// in a frame that has tracker rows — where TrackEval raises, in that order. Thread-safe for
/// distinct `out`/`scratch`. O(Σ_t ng_t·nt_t) comparisons, IoUs only for boxes whose x and y
/// intervals overlap, plus an assignment in a frame where a distractor overlaps a tracker box by
/// IoU >= 0.5 and that box or that distractor has another such overlap.
inline void preprocess_mot_sequence(const MotPreparedGt& gt, const MotRows& tracker, MotSequenceData& out,
                                    MotPreprocessScratch& s, const std::string& tracker_name = "tracker") {
  const std::int64_t seq_length = gt.seq_length;
  const bool mot20 = gt.mot20;
  detail::mot_group_frames(tracker, seq_length, tracker_name, s.begin, s.order, s.group);
  // TrackEval: any tracker row with class > 1 (8+ columns) aborts the evaluation. int(c) > 1 is
  // c >= 2 for finite c: one branch-free pass, the row looked up only on failure.
  bool bad_class = false;
  const std::uint8_t* fields = tracker.num_fields.data();
  const double* cls = tracker.class_id.data();
  for (std::size_t i = 0; i < tracker.size(); ++i) bad_class |= (fields[i] >= 8) & (cls[i] >= 2.0);
  for (std::size_t i = 0; bad_class && i < tracker.size(); ++i)
    if (tracker.num_fields[i] >= 8 && detail::mot_trunc(tracker.class_id[i]) > 1)
      throw parse_error(tracker_name + ":" + std::to_string(tracker.line[i]) + ": class " +
                        std::to_string(detail::mot_trunc(tracker.class_id[i])) +
                        " in a tracker row (only pedestrian results, class 1 or -1, can be evaluated)");
  s.boxes.assign(tracker.boxes.data(), s.order.data(), s.order.size());
  const std::vector<std::size_t>& gb = gt.begin;
  const std::vector<std::size_t>& tb = s.begin;
  const detail::MotBoxes& gbox = gt.boxes;
  const detail::MotBoxes& tbox = s.boxes;

  out.num_timesteps = seq_length;
  out.gt_begin.resize(static_cast<std::size_t>(seq_length) + 1);
  out.trk_begin.resize(static_cast<std::size_t>(seq_length) + 1);
  out.overlap_begin.resize(static_cast<std::size_t>(seq_length) + 1);
  out.gt_begin[0] = out.trk_begin[0] = out.overlap_begin[0] = 0;
  // The frames' non-zero IoUs go straight into the scratch lists (grown by doubling, kept warm
  // across calls) and are copied into `out` once at the end, at their exact size.
  std::size_t n_out = 0;
  s.trk_raw.resize(tracker.size());
  std::size_t n_trk = 0;  // kept tracker rows so far
  std::size_t next_class_error = 0;
  // Distractor classes as bits: a lookup, no branch per row.
  const std::uint32_t distractor_bits = detail::mot_distractor_classes(mot20);
  constexpr std::uint32_t not_kept = std::uint32_t{1} << 31;
  for (std::int64_t t = 0; t < seq_length; ++t) {
    const std::size_t g0 = gb[t], t0 = tb[t];
    const std::size_t ng = gb[t + 1] - g0, nt = tb[t + 1] - t0;
    const std::uint8_t flags = gt.frame_flags[static_cast<std::size_t>(t)];
    bool any_distractor = false, any_removed = false;
    if (gt.remove_distractors && ng > 0 && nt > 0) {
      if (flags & 2) {
        while (gt.class_errors[next_class_error].frame < static_cast<std::size_t>(t)) ++next_class_error;
        const MotPreparedGt::ClassError& e = gt.class_errors[next_class_error];
        throw parse_error(gt.name + ":" + std::to_string(e.line) + ": class " + std::to_string(e.class_id) +
                          " is not a MOTChallenge class (1..13); use benchmark MOT15 or do_preproc=false "
                          "for files without classes");
      }
      any_distractor = flags & 1;
    }
    const std::size_t q0 = gt.kept_begin[static_cast<std::size_t>(t)];
    const std::size_t kg = gt.kept_begin[static_cast<std::size_t>(t) + 1] - q0;
    std::size_t kt = nt;
    if (!any_distractor) {
      // Every tracker row kept: the kept GT rows' IoUs straight into the output list.
      if (nt != 0 && kg != 0) {
        s.corners32.assign(tbox, t0, nt);
        n_out = detail::mot_append_nonzero_iou(gbox, gt.kept_rows.data() + q0, 0, kg, tbox, s.corners32, t0, nt,
                                               s.list_ij, s.list_iou, n_out, s.overlap);
      }
      for (std::size_t c = 0; c < nt; ++c) s.trk_raw[n_trk++] = s.group.ids[t0 + c];
    } else {
      // The non-zero IoUs of every GT row (any class or flag) with every tracker row, row-major.
      s.corners32.assign(tbox, t0, nt);
      const std::size_t fn = detail::mot_append_nonzero_iou(gbox, nullptr, g0, ng, tbox, s.corners32, t0, nt, s.frame_ij,
                                                            s.frame_iou, 0, s.overlap);
      // Per GT row: distractor or not; its row in the output (the kept rows in order), or not_kept.
      s.row_class.resize(ng), s.row_out.resize(ng);
      std::uint32_t n_kept_rows = 0;
      for (std::size_t k = 0; k < ng; ++k) {
        const std::uint32_t keep = gt.keep[g0 + k];
        s.row_class[k] = static_cast<std::uint8_t>((distractor_bits >> (gt.cls[g0 + k] & 15)) & 1);
        s.row_out[k] = keep ? n_kept_rows : not_kept;
        n_kept_rows += keep;
      }
      // TrackEval's score matrix: the IoUs >= 0.5 - eps, +0 elsewhere (the unlisted IoUs are ±0).
      // Its positive entries as a list, with the count of each row and column. The assignment can
      // only remove a tracker row if a distractor row has a score > eps (TrackEval zeroes smaller
      // scores first), i.e. an IoU >= 0.5 - eps that is also > eps.
      if (s.score_ij.size() < 2 * fn) s.score_ij.resize(2 * fn);
      s.line_count.assign(ng + nt, 0);  // rows, then columns
      std::size_t n_score = 0;          // entries in score_ij (pairs)
      bool candidate = false;
      for (std::size_t q = 0; q < fn; ++q) {  // no branch: which entries pass falls at random
        const double x = s.frame_iou[q];
        const std::uint32_t pass = !(x < 0.5 - detail::mot_eps);
        std::uint32_t rc[2];
        std::memcpy(rc, &s.frame_ij[q], sizeof rc);
        s.score_ij[2 * n_score] = rc[0], s.score_ij[2 * n_score + 1] = rc[1], n_score += pass;
        s.line_count[rc[0]] += pass, s.line_count[ng + rc[1]] += pass;
        candidate |= pass & s.row_class[rc[0]] & (x > 0 + detail::mot_eps);
      }
      if (candidate) {
        s.removed.assign(nt, 0);
        // Every positive pair of the optimal assignment scipy returns is in a maximum-weight
        // matching of the positive entries (see detail::max_score_pairs). An entry alone in its
        // row and its column is in every such matching, and no other pair uses its row or column.
        // So when every positive entry of every distractor row is alone in its row and column,
        // the removed tracker rows are exactly those entries' columns (scores >= 0.5 - eps > eps),
        // whatever the assignment does elsewhere; otherwise the whole matrix is assigned.
        bool isolated = true;
        for (std::size_t q = 0; q < 2 * n_score; q += 2) {
          const std::uint32_t r = s.score_ij[q], c = s.score_ij[q + 1];
          if (s.row_class[r]) isolated &= s.line_count[r] == 1 && s.line_count[ng + c] == 1;
        }
        if (isolated) {
          for (std::size_t q = 0; q < 2 * n_score; q += 2)
            if (s.row_class[s.score_ij[q]]) s.removed[s.score_ij[q + 1]] = 1;
          any_removed = true;  // candidate: a distractor row has a positive entry
        } else {
          if (s.score.size() < ng * nt) s.score.assign(ng * nt, 0.0);
          for (std::size_t q = 0; q < fn; ++q) {
            std::uint32_t rc[2];
            std::memcpy(rc, &s.frame_ij[q], sizeof rc);
            if (!(s.frame_iou[q] < 0.5 - detail::mot_eps)) s.score[static_cast<std::size_t>(rc[0]) * nt + rc[1]] = s.frame_iou[q];
          }
          detail::max_score_pairs(s.score.data(), ng, nt, s.rows, s.cols, s.assign, 6, s.score_ij.data(), n_score);
          for (std::size_t q = 0; q < s.rows.size(); ++q) {
            const std::size_t r = static_cast<std::size_t>(s.rows[q]), c = static_cast<std::size_t>(s.cols[q]);
            if (!(s.score[r * nt + c] > 0 + detail::mot_eps)) continue;
            if (s.row_class[r]) s.removed[c] = 1, any_removed = true;
          }
          for (std::size_t q = 0; q < 2 * n_score; q += 2)
            s.score[static_cast<std::size_t>(s.score_ij[q]) * nt + s.score_ij[q + 1]] = 0.0;
        }
      }
      // The kept tracker rows renumbered past the removed ones.
      if (any_removed) {
        s.new_col.resize(nt);
        kt = 0;
        for (std::size_t c = 0; c < nt; ++c) {  // no branch: removals fall at random
          s.new_col[c] = static_cast<std::uint32_t>(kt) | (s.removed[c] ? not_kept : 0);
          s.trk_raw[n_trk] = s.group.ids[t0 + c];
          const std::size_t kept = s.removed[c] == 0;
          kt += kept, n_trk += kept;
        }
      } else {
        for (std::size_t c = 0; c < nt; ++c) s.trk_raw[n_trk++] = s.group.ids[t0 + c];
      }
      // The kept rows' entries into the output, rows and columns renumbered, in one pass over the
      // frame's list (row-major stays row-major: both renumberings keep the order).
      if (s.list_iou.size() < n_out + fn) {
        const std::size_t cap = std::max(2 * s.list_iou.size(), n_out + fn);
        s.list_iou.resize(cap), s.list_ij.resize(cap);
      }
      std::uint64_t* ij = s.list_ij.data() + n_out;
      double* v = s.list_iou.data() + n_out;
      // One loop, instantiated with and without the column renumbering (no lookup when nothing
      // was removed); no branch per entry.
      auto copy_kept = [&](auto column) {
        std::size_t m = 0;
        for (std::size_t q = 0; q < fn; ++q) {
          std::uint32_t rc[2];
          std::memcpy(rc, &s.frame_ij[q], sizeof rc);
          rc[0] = s.row_out[rc[0]], rc[1] = column(rc[1]);
          const std::size_t kept = ((rc[0] | rc[1]) & not_kept) == 0;
          std::memcpy(ij + m, rc, sizeof rc);
          v[m] = s.frame_iou[q];
          m += kept;
        }
        return m;
      };
      if (any_removed)
        n_out += copy_kept([&](std::uint32_t c) { return s.new_col[c]; });
      else
        n_out += copy_kept([](std::uint32_t c) { return c; });
    }
    out.gt_begin[static_cast<std::size_t>(t) + 1] = out.gt_begin[static_cast<std::size_t>(t)] + kg;
    out.trk_begin[static_cast<std::size_t>(t) + 1] = out.trk_begin[static_cast<std::size_t>(t)] + kt;
    out.overlap_begin[static_cast<std::size_t>(t) + 1] = n_out;
  }
  out.overlap_iou.assign(s.list_iou.data(), s.list_iou.data() + n_out);
  static_assert(sizeof(std::uint64_t) == 2 * sizeof(std::uint32_t), "overlap_ij holds uint32 pairs");
  std::uint32_t* ij_words = reinterpret_cast<std::uint32_t*>(s.list_ij.data());  // {row, column} words
  out.overlap_ij.assign(ij_words, ij_words + 2 * n_out);
  out.gt_ids = gt.kept_ids;
  out.num_gt_ids = gt.num_kept_ids;
  detail::mot_relabel(s.trk_raw.data(), n_trk, out.tracker_ids, out.num_tracker_ids, s.rank);
  out.num_gt_dets = static_cast<std::int64_t>(gt.kept_rows.size());
  out.num_tracker_dets = static_cast<std::int64_t>(n_trk);
}

/// preprocess_mot_sequence against a prepared GT, returning a new result. Thread-safe.
inline MotSequenceData preprocess_mot_sequence(const MotPreparedGt& gt, const MotRows& tracker,
                                               const std::string& tracker_name = "tracker") {
  MotPreprocessScratch scratch;
  MotSequenceData out;
  preprocess_mot_sequence(gt, tracker, out, scratch, tracker_name);
  return out;
}

/// Preprocesses one sequence as TrackEval's MotChallenge2DBox (see the file comment and
/// docs/mot.md): MotPreparedGt(gt, seq_length, options, gt_name) and the tracker against it.
/// `gt` must be read as MotFileKind::ground_truth, `tracker` as tracker; `seq_length` is
/// seqinfo.ini's seqLength (frames 1..seq_length); `gt_name`/`tracker_name` name the files in
/// messages. Throws locuskit::parse_error ("file:line: ...") for a frame beyond seq_length, an id
/// twice in one frame (GT first, then tracker), a tracker class > 1, or (with distractor removal)
/// a GT class outside 1..13 in a frame that has tracker rows — where TrackEval raises. Thread-safe.
/// Builds the GT side and the scratch anew on every call (a few MB that glibc may hand back to
/// the OS and fault in again each time): for several trackers on one sequence, or many calls in
/// a loop, build the MotPreparedGt once and reuse a MotPreprocessScratch and the output.
inline MotSequenceData preprocess_mot_sequence(const MotRows& gt, const MotRows& tracker, std::int64_t seq_length,
                                               const MotPreprocessOptions& options = {},
                                               const std::string& gt_name = "gt",
                                               const std::string& tracker_name = "tracker") {
  return preprocess_mot_sequence(MotPreparedGt(gt, seq_length, options, gt_name), tracker, tracker_name);
}

}  // namespace locuskit
