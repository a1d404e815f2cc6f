#pragma once
/// \file track/run_sequence.hpp
/// Runs a tracker over a whole detection sequence (a MOTChallenge det file's rows), one update per
/// frame 1..num_frames, also for frames without detections.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "../error.hpp"
#include "tracked_box.hpp"

namespace locuskit::track {

/// One output row: frame, then the track.
struct FrameTrack {
  std::int64_t frame;
  TrackedBox box;
};

/// `frames` (n) frame numbers >= 1, non-decreasing (rows grouped by frame, in file order);
/// `dets` (n, 5) rows `(x1, y1, x2, y2, score)`. Calls `tracker.update` for every frame
/// 1..num_frames (num_frames <= 0: the last frame in `frames`). Throws std::invalid_argument naming
/// the row for a frame < 1, a frame smaller than the previous row's ("frames out of order") or
/// beyond num_frames, and for invalid detections (check_detections). O(total update cost).
template <class Tracker, class T>
std::vector<FrameTrack> run_sequence(Tracker& tracker, const std::int64_t* frames, const T* dets, std::size_t n,
                                     std::int64_t num_frames = 0) {
  for (std::size_t i = 0; i < n; ++i) {
    LOCUSKIT_CHECK(frames[i] >= 1, std::invalid_argument, "frames: row ", i, " has frame ", frames[i],
                   " (frames start at 1)");
    LOCUSKIT_CHECK(i == 0 || frames[i] >= frames[i - 1], std::invalid_argument, "frames: row ", i, " has frame ",
                   frames[i], " after frame ", frames[i - 1], " (frames out of order)");
  }
  check_detections(dets, n);
  const std::int64_t last = n ? frames[n - 1] : 0;
  if (num_frames <= 0) num_frames = last;
  LOCUSKIT_CHECK(last <= num_frames, std::invalid_argument, "frames: frame ", last, " is beyond num_frames ",
                 num_frames);
  std::vector<FrameTrack> out;
  std::size_t row = 0;
  for (std::int64_t f = 1; f <= num_frames; ++f) {
    const std::size_t begin = row;
    while (row < n && frames[row] == f) ++row;
    for (const TrackedBox& b : tracker.update(dets + 5 * begin, row - begin)) out.push_back(FrameTrack{f, b});
  }
  return out;
}

}  // namespace locuskit::track
