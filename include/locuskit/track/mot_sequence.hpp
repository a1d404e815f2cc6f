#pragma once
/// \file track/mot_sequence.hpp
/// Tracking a MOTChallenge detection file (`frame,-1,x,y,w,h,score,...`, read by mot/format.hpp)
/// into MOTChallenge result rows (`frame,id,x,y,w,h,score,-1,-1,-1`).
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "../error.hpp"
#include "../mot/format.hpp"
#include "run_sequence.hpp"

namespace locuskit::track {

/// Runs `tracker` (ByteTracker, SortTracker) over detection rows `dets` (as read_mot(...,
/// MotFileKind::detections) gives them, which already rejects malformed rows, NaN/Inf and negative
/// sizes with "file:line" messages). Rows must be grouped by frame in increasing order: a frame
/// smaller than the previous row's throws parse_error "name:line: frame F after frame G (frames out
/// of order)". Every frame 1..num_frames is passed to the tracker (num_frames <= 0: the last frame
/// in the file). Returns result rows: tlwh boxes, confidence = the track's score, class and
/// visibility NaN (written as -1). O(rows + tracking).
template <class Tracker>
MotRows track_mot_rows(Tracker& tracker, const MotRows& dets, const std::string& name, std::int64_t num_frames = 0) {
  const std::size_t n = dets.size();
  std::vector<double> xyxys(5 * n);
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && dets.frame[i] < dets.frame[i - 1])
      throw parse_error(name + ":" + std::to_string(dets.line[i]) + ": frame " + std::to_string(dets.frame[i]) +
                        " after frame " + std::to_string(dets.frame[i - 1]) +
                        " (frames out of order; rows must be grouped by increasing frame)");
    const double* b = dets.boxes.data() + 4 * i;
    double* d = xyxys.data() + 5 * i;
    d[0] = b[0], d[1] = b[1], d[2] = b[0] + b[2], d[3] = b[1] + b[3], d[4] = dets.confidence[i];
  }
  if (n && num_frames > 0 && dets.frame[n - 1] > num_frames)
    throw parse_error(name + ":" + std::to_string(dets.line[n - 1]) + ": frame " + std::to_string(dets.frame[n - 1]) +
                      " is beyond the sequence length " + std::to_string(num_frames));
  const std::vector<FrameTrack> tracks = run_sequence(tracker, dets.frame.data(), xyxys.data(), n, num_frames);
  MotRows out;
  out.reserve(tracks.size());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const FrameTrack& t : tracks) {
    out.frame.push_back(t.frame);
    out.id.push_back(t.box.id);
    const double tlwh[4] = {t.box.x1, t.box.y1, t.box.width, t.box.height};
    out.boxes.insert(out.boxes.end(), tlwh, tlwh + 4);
    out.confidence.push_back(t.box.score);
    out.class_id.push_back(nan);
    out.visibility.push_back(nan);
    out.line.push_back(0);
    out.num_fields.push_back(10);
  }
  return out;
}

}  // namespace locuskit::track
