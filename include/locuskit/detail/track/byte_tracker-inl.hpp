#pragma once
// Implementation of track/byte_tracker.hpp (included at its end). Lists of slot indices stand in
// for ByteTrack's Python lists; their order is kept exactly, since it decides the order of new ids,
// of the output and of ties.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace locuskit::track {

inline ByteTracker::ByteTracker(const ByteTrackConfig& config) : config_(config) {
  LOCUSKIT_CHECK(config.track_buffer >= 0, std::invalid_argument, "track_buffer: must be >= 0, got ",
                 config.track_buffer);
  LOCUSKIT_CHECK(config.frame_rate > 0, std::invalid_argument, "frame_rate: must be > 0, got ", config.frame_rate);
  LOCUSKIT_CHECK(!std::isnan(config.track_thresh) && !std::isnan(config.match_thresh) &&
                     !std::isnan(config.low_thresh) && !std::isnan(config.second_match_thresh) &&
                     !std::isnan(config.unconfirmed_match_thresh) && !std::isnan(config.new_track_offset) &&
                     !std::isnan(config.duplicate_distance),
                 std::invalid_argument, "ByteTrack thresholds must not be NaN");
  max_time_lost_ = static_cast<std::int64_t>(config.frame_rate / 30.0 * config.track_buffer);
}

inline void ByteTracker::reset() {
  frame_id_ = 0;
  next_id_ = 1;
  slots_.clear();
  free_.clear();
  in_use_.clear();
  tracked_.clear();
  lost_.clear();
}

inline std::vector<std::int64_t> ByteTracker::lost_ids() const {
  std::vector<std::int64_t> ids;
  ids.reserve(lost_.size());
  for (std::uint32_t s : lost_) ids.push_back(slots_[s].id);
  return ids;
}

inline std::uint32_t ByteTracker::new_slot() {
  if (!free_.empty()) {
    const std::uint32_t s = free_.back();
    free_.pop_back();
    slots_[s] = Track{};
    return s;
  }
  slots_.emplace_back();
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

inline void ByteTracker::tlbr_of(const Track& t, double out[4]) const noexcept {
  double tlwh[4];
  xyah_to_tlwh(t.kf.mean, tlwh);
  out[0] = tlwh[0];
  out[1] = tlwh[1];
  out[2] = tlwh[2] + tlwh[0];
  out[3] = tlwh[3] + tlwh[1];
}

inline void ByteTracker::distance(const std::vector<std::uint32_t>& tracks, const std::vector<Detection>& dets,
                                  const std::vector<std::size_t>& det_idx, bool fuse) {
  const std::size_t n = tracks.size(), m = det_idx.size();
  boxes_a_.resize(4 * n);
  boxes_b_.resize(4 * m);
  cost_.resize(n * m);
  for (std::size_t i = 0; i < n; ++i) tlbr_of(slots_[tracks[i]], boxes_a_.data() + 4 * i);
  for (std::size_t j = 0; j < m; ++j) {
    // A detection's tlbr is rebuilt from its tlwh (x1 + (x2 - x1)), as STrack.tlbr does.
    const double* d = dets[det_idx[j]].tlwh;
    double* b = boxes_b_.data() + 4 * j;
    b[0] = d[0], b[1] = d[1], b[2] = d[2] + d[0], b[3] = d[3] + d[1];
  }
  overlap_distance(boxes_a_.data(), n, boxes_b_.data(), m, cost_.data(), config_.metric, true);
  if (fuse)  // matching.fuse_score, in its operation order
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < m; ++j) {
        double& c = cost_[i * m + j];
        c = 1.0 - (1.0 - c) * dets[det_idx[j]].score;
      }
}

inline void ByteTracker::assign(std::size_t n, std::size_t m, double limit) {
  row_match_.resize(n);
  col_match_.resize(m);
  assign_with_cost_limit(cost_.data(), n, m, limit, row_match_.data(), col_match_.data());
}

inline void ByteTracker::update_track(Track& t, const Detection& d, bool reactivate) {
  (void)reactivate;  // ByteTrack's update and re_activate differ only in tracklet_len (unused)
  double z[4];
  tlwh_to_xyah(d.tlwh, z);
  kf_.update(t.kf, z);
  t.state = TrackState::Tracked;
  t.activated = true;
  t.frame_id = frame_id_;
  t.score = d.score;
}

template <class T>
std::vector<TrackedBox> ByteTracker::update(const T* dets, std::size_t n) {
  check_detections(dets, n);
  std::vector<Detection> d(n);
  for (std::size_t i = 0; i < n; ++i) {
    const T* r = dets + 5 * i;
    const double x1 = static_cast<double>(r[0]), y1 = static_cast<double>(r[1]);
    d[i] = Detection{{x1, y1, static_cast<double>(r[2]) - x1, static_cast<double>(r[3]) - y1},
                     static_cast<double>(r[4])};
  }
  return step(d);
}

inline std::vector<TrackedBox> ByteTracker::step(std::vector<Detection>& dets) {
  ++frame_id_;
  const ByteTrackConfig& c = config_;
  std::vector<std::size_t> high, low;
  for (std::size_t i = 0; i < dets.size(); ++i) {
    const double s = dets[i].score;
    if (s > c.track_thresh) high.push_back(i);
    else if (s > c.low_thresh && s < c.track_thresh) low.push_back(i);
  }
  std::vector<std::uint32_t> unconfirmed, pool;
  for (std::uint32_t s : tracked_) (slots_[s].activated ? pool : unconfirmed).push_back(s);
  pool.insert(pool.end(), lost_.begin(), lost_.end());
  for (std::uint32_t s : pool) {
    Track& t = slots_[s];
    if (t.state != TrackState::Tracked) t.kf.mean[7] = 0;
    kf_.predict(t.kf);
  }

  // First association: tracked + lost tracks with the high-score detections.
  std::vector<std::uint32_t> refind, new_lost, removed_now, fresh;
  distance(pool, dets, high, !c.mot20);
  assign(pool.size(), high.size(), c.match_thresh);
  std::vector<std::uint32_t> remaining_tracked;
  for (std::size_t i = 0; i < pool.size(); ++i) {
    Track& t = slots_[pool[i]];
    if (row_match_[i] >= 0) {
      const bool was_tracked = t.state == TrackState::Tracked;
      update_track(t, dets[high[static_cast<std::size_t>(row_match_[i])]], !was_tracked);
      if (!was_tracked) refind.push_back(pool[i]);
    } else if (t.state == TrackState::Tracked) {
      remaining_tracked.push_back(pool[i]);
    }
  }
  std::vector<std::size_t> high_left;
  for (std::size_t j = 0; j < high.size(); ++j)
    if (col_match_[j] < 0) high_left.push_back(high[j]);

  // Second association: still unmatched tracked tracks with the low-score detections (no fusion).
  distance(remaining_tracked, dets, low, false);
  assign(remaining_tracked.size(), low.size(), c.second_match_thresh);
  for (std::size_t i = 0; i < remaining_tracked.size(); ++i) {
    Track& t = slots_[remaining_tracked[i]];
    if (row_match_[i] >= 0) {
      update_track(t, dets[low[static_cast<std::size_t>(row_match_[i])]], false);
    } else {
      t.state = TrackState::Lost;
      new_lost.push_back(remaining_tracked[i]);
    }
  }

  // Tracks born in the previous frame get one chance with the leftover high-score detections.
  distance(unconfirmed, dets, high_left, !c.mot20);
  assign(unconfirmed.size(), high_left.size(), c.unconfirmed_match_thresh);
  for (std::size_t i = 0; i < unconfirmed.size(); ++i) {
    Track& t = slots_[unconfirmed[i]];
    if (row_match_[i] >= 0) {
      update_track(t, dets[high_left[static_cast<std::size_t>(row_match_[i])]], false);
    } else {
      t.state = TrackState::Removed;
      removed_now.push_back(unconfirmed[i]);
    }
  }
  const std::vector<std::int64_t> unconfirmed_cols(col_match_.begin(), col_match_.end());

  // New tracks; confirmed at once only on the first frame.
  const double new_track_thresh = c.track_thresh + c.new_track_offset;
  for (std::size_t j = 0; j < high_left.size(); ++j) {
    if (unconfirmed_cols[j] >= 0) continue;
    const Detection& d = dets[high_left[j]];
    if (d.score < new_track_thresh) continue;
    const std::uint32_t s = new_slot();
    Track& t = slots_[s];
    double z[4];
    tlwh_to_xyah(d.tlwh, z);
    t.id = next_id_++;
    t.kf = kf_.initiate(z);
    t.state = TrackState::Tracked;
    t.activated = frame_id_ == 1;
    t.frame_id = t.start_frame = frame_id_;
    t.score = d.score;
    fresh.push_back(s);
  }

  // Lost too long -> removed (ByteTrack still lists such a track as lost until the next frame).
  for (std::uint32_t s : lost_) {
    Track& t = slots_[s];
    if (frame_id_ - t.frame_id > max_time_lost_) {
      t.state = TrackState::Removed;
      removed_now.push_back(s);
    }
  }

  std::vector<std::uint32_t> tracked;
  tracked.reserve(tracked_.size() + fresh.size() + refind.size());
  for (std::uint32_t s : tracked_)
    if (slots_[s].state == TrackState::Tracked) tracked.push_back(s);
  tracked.insert(tracked.end(), fresh.begin(), fresh.end());
  tracked.insert(tracked.end(), refind.begin(), refind.end());
  std::vector<std::uint32_t> lost;
  for (std::uint32_t s : lost_)
    if (slots_[s].state != TrackState::Tracked && !slots_[s].listed_removed) lost.push_back(s);
  for (std::uint32_t s : new_lost)
    if (!slots_[s].listed_removed) lost.push_back(s);
  for (std::uint32_t s : removed_now) slots_[s].listed_removed = true;

  // Tracked/lost duplicates: the younger of the two goes (the tracked one on a tie).
  distance_tracks(tracked, lost);
  std::vector<std::uint8_t> drop_a(tracked.size(), 0), drop_b(lost.size(), 0);
  for (std::size_t p = 0; p < tracked.size(); ++p)
    for (std::size_t q = 0; q < lost.size(); ++q)
      if (cost_[p * lost.size() + q] < c.duplicate_distance) {
        const Track& a = slots_[tracked[p]];
        const Track& b = slots_[lost[q]];
        if (a.frame_id - a.start_frame > b.frame_id - b.start_frame) drop_b[q] = 1;
        else drop_a[p] = 1;
      }
  tracked_.clear();
  lost_.clear();
  for (std::size_t p = 0; p < tracked.size(); ++p)
    if (!drop_a[p]) tracked_.push_back(tracked[p]);
  for (std::size_t q = 0; q < lost.size(); ++q)
    if (!drop_b[q]) lost_.push_back(lost[q]);

  // Recycle every slot no list refers to any more.
  in_use_.resize(slots_.size(), 0);
  std::vector<std::uint8_t> listed(slots_.size(), 0);
  for (std::uint32_t s : tracked_) listed[s] = 1;
  for (std::uint32_t s : lost_) listed[s] = 1;
  for (std::uint32_t s : fresh) in_use_[s] = 1;
  for (std::size_t s = 0; s < slots_.size(); ++s)
    if (in_use_[s] && !listed[s]) in_use_[s] = 0, free_.push_back(static_cast<std::uint32_t>(s));

  std::vector<TrackedBox> out;
  out.reserve(tracked_.size());
  for (std::uint32_t s : tracked_) {
    const Track& t = slots_[s];
    if (!t.activated) continue;
    double tlwh[4];
    xyah_to_tlwh(t.kf.mean, tlwh);
    out.push_back(TrackedBox{t.id, tlwh[0], tlwh[1], tlwh[2] + tlwh[0], tlwh[3] + tlwh[1], t.score, tlwh[2], tlwh[3]});
  }
  return out;
}

inline void ByteTracker::distance_tracks(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  const std::size_t n = a.size(), m = b.size();
  boxes_a_.resize(4 * n);
  boxes_b_.resize(4 * m);
  cost_.resize(n * m);
  for (std::size_t i = 0; i < n; ++i) tlbr_of(slots_[a[i]], boxes_a_.data() + 4 * i);
  for (std::size_t j = 0; j < m; ++j) tlbr_of(slots_[b[j]], boxes_b_.data() + 4 * j);
  overlap_distance(boxes_a_.data(), n, boxes_b_.data(), m, cost_.data(), AssociationMetric::iou, true);
}

}  // namespace locuskit::track
