#pragma once
/// \file track/sort_tracker.hpp
/// SORT (Bewley et al. 2016; behaviour of `abewley/sort` @ 2236dff5 `sort.py`, GPL-3.0, described
/// here and re-implemented, not copied): Kalman prediction in the (cx, cy, s, r) convention, IoU
/// association (taken directly when every detection and every track has at most one IoU above the
/// threshold, else a Hungarian assignment on -IoU, pairs below the threshold rejected), a new track
/// per unmatched detection, output after `min_hits` consecutive hits, removal after `max_age`
/// frames without one. Ids and frames equal sort.py's (scipy path) frame by frame; boxes to rounding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "association.hpp"
#include "kalman_xysr.hpp"
#include "tracked_box.hpp"

namespace locuskit::track {

/// SORT's parameters (sort.py's defaults).
struct SortConfig {
  int max_age = 1;              ///< frames a track survives without a detection
  int min_hits = 3;             ///< consecutive hits before a track is reported (not in the first min_hits frames)
  double iou_threshold = 0.3;   ///< minimum overlap of a match
  AssociationMetric metric = AssociationMetric::iou;  ///< iou: sort.py's IoU (no +1); giou: threshold on GIoU
};

/// Streaming SORT. Not thread-safe (one tracker per stream).
class SortTracker {
 public:
  explicit SortTracker(const SortConfig& config = {}) : config_(config) {
    LOCUSKIT_CHECK(config.max_age >= 0, std::invalid_argument, "max_age: must be >= 0, got ", config.max_age);
    LOCUSKIT_CHECK(config.min_hits >= 0, std::invalid_argument, "min_hits: must be >= 0, got ", config.min_hits);
    LOCUSKIT_CHECK(!std::isnan(config.iou_threshold), std::invalid_argument, "iou_threshold: must not be NaN");
  }

  /// One frame: `dets` (n, 5) rows `(x1, y1, x2, y2, score)` (validated: check_detections).
  /// Returns the reported tracks in sort.py's order (newest track first); `score` is the score of
  /// the track's last detection (sort.py reports none). Call it for every frame, also with n = 0.
  /// O(n·T) plus the assignment when objects overlap ambiguously.
  template <class T>
  std::vector<TrackedBox> update(const T* dets, std::size_t n);

  std::int64_t frame_count() const noexcept { return frame_count_; }
  const SortConfig& config() const noexcept { return config_; }
  /// Forgets every track; ids restart at 1.
  void reset() {
    tracks_.clear();
    frame_count_ = 0;
    next_id_ = 1;
  }

 private:
  struct Track {
    std::int64_t id;
    KalmanXYSRState kf;
    std::int64_t hits, hit_streak, age, time_since_update;
    double score;
  };

  SortConfig config_;
  KalmanXYSR kf_;
  std::vector<Track> tracks_;
  std::int64_t frame_count_ = 0, next_id_ = 1;
  std::vector<double> det_boxes_, trk_boxes_, overlap_, neg_;
};

template <class T>
std::vector<TrackedBox> SortTracker::update(const T* dets, std::size_t n) {
  check_detections(dets, n);
  ++frame_count_;
  // Predict; tracks whose predicted box is NaN (negative area·aspect) are dropped, as sort.py does.
  trk_boxes_.clear();
  std::size_t kept = 0;
  for (std::size_t t = 0; t < tracks_.size(); ++t) {
    Track& tr = tracks_[t];
    kf_.predict(tr.kf);
    ++tr.age;
    if (tr.time_since_update > 0) tr.hit_streak = 0;
    ++tr.time_since_update;
    double b[4];
    xysr_to_xyxy(tr.kf.mean, b);
    if (std::isnan(b[0]) || std::isnan(b[1]) || std::isnan(b[2]) || std::isnan(b[3])) continue;
    trk_boxes_.insert(trk_boxes_.end(), b, b + 4);
    if (kept != t) tracks_[kept] = tracks_[t];
    ++kept;
  }
  tracks_.resize(kept);
  const std::size_t m = kept;
  det_boxes_.resize(4 * n);
  for (std::size_t i = 0; i < n; ++i)
    for (int k = 0; k < 4; ++k) det_boxes_[4 * i + k] = static_cast<double>(dets[5 * i + k]);

  std::vector<std::int64_t> pair_det, pair_trk;  // candidate pairs, in sort.py's order
  if (n > 0 && m > 0) {
    overlap_.resize(n * m);
    overlap_distance(det_boxes_.data(), n, trk_boxes_.data(), m, overlap_.data(), config_.metric, false);
    for (double& v : overlap_) v = 1.0 - v;  // back to the overlap itself
    std::vector<std::int64_t> row_count(n, 0), col_count(m, 0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < m; ++j)
        if (overlap_[i * m + j] > config_.iou_threshold) ++row_count[i], ++col_count[j];
    const bool unambiguous = *std::max_element(row_count.begin(), row_count.end()) == 1 &&
                             *std::max_element(col_count.begin(), col_count.end()) == 1;
    if (unambiguous) {
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j)
          if (overlap_[i * m + j] > config_.iou_threshold)
            pair_det.push_back(static_cast<std::int64_t>(i)), pair_trk.push_back(static_cast<std::int64_t>(j));
    } else {
      neg_.resize(n * m);
      for (std::size_t k = 0; k < n * m; ++k) neg_[k] = -overlap_[k];
      pair_det.resize(std::min(n, m));
      pair_trk.resize(std::min(n, m));
      const std::size_t k = linear_sum_assignment(neg_.data(), n, m, pair_det.data(), pair_trk.data());
      pair_det.resize(k);
      pair_trk.resize(k);
    }
  }
  std::vector<std::uint8_t> det_paired(n, 0);
  for (std::int64_t d : pair_det) det_paired[static_cast<std::size_t>(d)] = 1;
  std::vector<std::size_t> unmatched;
  for (std::size_t i = 0; i < n; ++i)
    if (!det_paired[i]) unmatched.push_back(i);
  for (std::size_t q = 0; q < pair_det.size(); ++q) {
    const auto d = static_cast<std::size_t>(pair_det[q]), t = static_cast<std::size_t>(pair_trk[q]);
    if (overlap_[d * m + t] < config_.iou_threshold) {  // rejected pairs: their detections start tracks last
      unmatched.push_back(d);
      continue;
    }
    Track& tr = tracks_[t];
    tr.time_since_update = 0;
    ++tr.hits;
    ++tr.hit_streak;
    double z[4];
    xyxy_to_xysr(det_boxes_.data() + 4 * d, z);
    kf_.update(tr.kf, z);
    tr.score = static_cast<double>(dets[5 * d + 4]);
  }
  for (std::size_t d : unmatched) {
    double z[4];
    xyxy_to_xysr(det_boxes_.data() + 4 * d, z);
    tracks_.push_back(Track{next_id_++, kf_.initiate(z), 0, 0, 0, 0, static_cast<double>(dets[5 * d + 4])});
  }

  std::vector<TrackedBox> out;
  for (std::size_t k = tracks_.size(); k-- > 0;) {
    const Track& tr = tracks_[k];
    if (tr.time_since_update < 1 && (tr.hit_streak >= config_.min_hits || frame_count_ <= config_.min_hits)) {
      double b[4];
      xysr_to_xyxy(tr.kf.mean, b);
      out.push_back(TrackedBox{tr.id, b[0], b[1], b[2], b[3], tr.score, b[2] - b[0], b[3] - b[1]});
    }
    if (tr.time_since_update > config_.max_age) tracks_.erase(tracks_.begin() + static_cast<std::ptrdiff_t>(k));
  }
  return out;
}

}  // namespace locuskit::track
