#pragma once
/// \file track/byte_tracker.hpp
/// ByteTrack's multi-object tracker (Zhang et al. 2022; `ifzhang/ByteTrack` @ d1bf0191,
/// `yolox/tracker/byte_tracker.py`): Kalman prediction in the xyah convention, a first association
/// of all tracked and lost tracks with the high-score detections, a second association of the
/// still unmatched tracked tracks with the low-score detections, unconfirmed tracks matched last,
/// new tracks from the remaining high-score detections, lost tracks kept for `track_buffer`
/// frames. Ids, frames and lost lists equal ByteTrack's frame by frame; boxes to rounding.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "association.hpp"
#include "kalman_xyah.hpp"
#include "tracked_box.hpp"

namespace locuskit::track {

/// ByteTrack's parameters. `BYTETracker(args, frame_rate)` has no defaults; these are
/// `tools/demo_track.py`'s (the MOT17 evaluation uses track_thresh 0.6, match_thresh 0.9).
struct ByteTrackConfig {
  double track_thresh = 0.5;   ///< detections with score > this are "high"
  int track_buffer = 30;       ///< frames a lost track is kept, at 30 fps
  double match_thresh = 0.8;   ///< cost limit of the first association
  bool mot20 = false;          ///< true: no score fusion (cost 1 - IoU instead of 1 - IoU·score)
  double frame_rate = 30;      ///< max_time_lost = int(frame_rate / 30 * track_buffer)
  double low_thresh = 0.1;     ///< detections with low_thresh < score < track_thresh are "low"
  double second_match_thresh = 0.5;       ///< cost limit of the low-score association
  double unconfirmed_match_thresh = 0.7;  ///< cost limit for tracks born in the previous frame
  double new_track_offset = 0.1;          ///< new tracks need score >= track_thresh + this
  double duplicate_distance = 0.15;       ///< tracked/lost pairs closer than this (1 - IoU) are merged
  AssociationMetric metric = AssociationMetric::iou;  ///< iou: ByteTrack's +1-pixel IoU
};

/// Track states (ByteTrack's TrackState; `New` tracks are detections not yet started).
enum class TrackState : int { New = 0, Tracked = 1, Lost = 2, Removed = 3 };

/// Streaming ByteTrack. Not thread-safe (one tracker per stream; trackers are independent).
class ByteTracker {
 public:
  explicit ByteTracker(const ByteTrackConfig& config = {});

  /// One frame: `dets` (n, 5) rows `(x1, y1, x2, y2, score)` (validated: check_detections).
  /// Returns the confirmed tracked tracks in ByteTrack's order. Call it for every frame, also
  /// with n = 0. O(T·n) for T live tracks plus the assignments (small components; see
  /// assign_with_cost_limit).
  template <class T>
  std::vector<TrackedBox> update(const T* dets, std::size_t n);

  /// Ids of the lost tracks after the last update, in ByteTrack's `lost_stracks` order (a track
  /// removed in this frame is still listed until the next one, as in ByteTrack).
  std::vector<std::int64_t> lost_ids() const;
  /// Frames seen so far.
  std::int64_t frame_id() const noexcept { return frame_id_; }
  const ByteTrackConfig& config() const noexcept { return config_; }
  /// Forgets every track; ids restart at 1.
  void reset();

 private:
  struct Track {
    std::int64_t id = 0;
    KalmanXYAHState kf{};
    double score = 0;
    TrackState state = TrackState::New;
    bool activated = false;
    bool listed_removed = false;  // its id is in ByteTrack's removed_stracks
    std::int64_t frame_id = 0, start_frame = 0;
  };
  struct Detection {
    double tlwh[4];
    double score;
  };

  std::uint32_t new_slot();
  void tlbr_of(const Track& t, double out[4]) const noexcept;
  void distance(const std::vector<std::uint32_t>& tracks, const std::vector<Detection>& dets,
                const std::vector<std::size_t>& det_idx, bool fuse);
  void distance_tracks(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b);
  void assign(std::size_t n, std::size_t m, double limit);
  void update_track(Track& t, const Detection& d, bool reactivate);
  std::vector<TrackedBox> step(std::vector<Detection>& dets);

  ByteTrackConfig config_;
  KalmanXYAH kf_;
  std::int64_t frame_id_ = 0, next_id_ = 1, max_time_lost_ = 30;
  std::vector<Track> slots_;
  std::vector<std::uint32_t> free_;
  std::vector<std::uint8_t> in_use_;
  std::vector<std::uint32_t> tracked_, lost_;
  // Scratch reused across frames.
  std::vector<double> cost_, boxes_a_, boxes_b_;
  std::vector<std::int64_t> row_match_, col_match_;
};

}  // namespace locuskit::track

#include "../detail/track/byte_tracker-inl.hpp"
