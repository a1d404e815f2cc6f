// Tracking by detection (ByteTrack, SORT): the `_core.track` submodule. Arrays are validated here
// (dtype, shape, contiguity); detections by the C++ trackers (check_detections). The GIL is
// released around every update.
#include <locuskit/track.hpp>
#include <locuskit/track/mot_sequence.hpp>

#include <cmath>
#include <string>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

using track::TrackedBox;

track::AssociationMetric parse_metric(const std::string& s) {
  if (s == "iou") return track::AssociationMetric::iou;
  if (s == "giou") return track::AssociationMetric::giou;
  throw std::invalid_argument("metric: expected 'iou' or 'giou', got '" + s + "'");
}

/// (M, 6) float64 rows (x1, y1, x2, y2, track_id, score).
py::array_t<double> to_array(const std::vector<TrackedBox>& t) {
  auto out = new_array<double>({static_cast<py::ssize_t>(t.size()), 6});
  double* p = out.mutable_data();
  for (const TrackedBox& b : t) {
    *p++ = b.x1, *p++ = b.y1, *p++ = b.x2, *p++ = b.y2, *p++ = static_cast<double>(b.id), *p++ = b.score;
  }
  return out;
}

/// (K, 7) float64 rows (frame, track_id, x1, y1, x2, y2, score).
py::array_t<double> to_array(const std::vector<track::FrameTrack>& t) {
  auto out = new_array<double>({static_cast<py::ssize_t>(t.size()), 7});
  double* p = out.mutable_data();
  for (const auto& r : t) {
    const TrackedBox& b = r.box;
    *p++ = static_cast<double>(r.frame), *p++ = static_cast<double>(b.id), *p++ = b.x1, *p++ = b.y1, *p++ = b.x2,
    *p++ = b.y2, *p++ = b.score;
  }
  return out;
}

template <class Tracker>
py::array_t<double> update_py(Tracker& tracker, const py::array& dets) {
  return with_float_dtype(dets, "detections", [&](auto tag) {
    using T = decltype(tag);
    require_shape(dets, "detections", {-1, 5}, "(N, 5) rows (x1, y1, x2, y2, score)");
    require_contiguous(dets, "detections");
    const T* d = static_cast<const T*>(dets.data());
    const auto n = static_cast<std::size_t>(dets.shape(0));
    std::vector<TrackedBox> out;
    {
      py::gil_scoped_release release;
      out = tracker.update(d, n);
    }
    return to_array(out);
  });
}

template <class Tracker>
py::array_t<double> run_py(Tracker& tracker, const py::array& frames, const py::array& dets, long long num_frames) {
  return with_float_dtype(dets, "detections", [&](auto tag) {
    using T = decltype(tag);
    require_shape(dets, "detections", {-1, 5}, "(N, 5) rows (x1, y1, x2, y2, score)");
    require_contiguous(dets, "detections");
    const auto n = static_cast<py::ssize_t>(dets.shape(0));
    const std::int64_t* f = vector_data<std::int64_t>(frames, "frames", n);
    const T* d = static_cast<const T*>(dets.data());
    std::vector<track::FrameTrack> out;
    {
      py::gil_scoped_release release;
      out = track::run_sequence(tracker, f, d, static_cast<std::size_t>(n), num_frames);
    }
    return to_array(out);
  });
}

/// Reads a MOTChallenge detection file and tracks it: (K, 7) rows (frame, id, x, y, w, h, score).
template <class Tracker>
py::array_t<double> track_file_py(Tracker& tracker, const std::string& path, long long num_frames) {
  std::vector<double> flat;
  std::size_t k = 0;
  {
    py::gil_scoped_release release;
    tracker.reset();
    const MotRows dets = read_mot(path, MotFileKind::detections);
    const MotRows res = track::track_mot_rows(tracker, dets, path, num_frames);
    k = res.size();
    flat.resize(7 * k);
    for (std::size_t i = 0; i < k; ++i) {
      double* r = flat.data() + 7 * i;
      r[0] = static_cast<double>(res.frame[i]), r[1] = static_cast<double>(res.id[i]);
      for (int c = 0; c < 4; ++c) r[2 + c] = res.boxes[4 * i + c];
      r[6] = res.confidence[i];
    }
  }
  auto out = new_array<double>({static_cast<py::ssize_t>(k), 7});
  std::copy(flat.begin(), flat.end(), out.mutable_data());
  return out;
}

/// (K, 7) rows (frame, id, x, y, w, h, score) as MOTChallenge result text.
std::string format_results_py(const py::array& rows) {
  require_dtype<double>(rows, "rows");
  require_shape(rows, "rows", {-1, 7}, "(K, 7) rows (frame, id, x, y, w, h, score)");
  require_contiguous(rows, "rows");
  const double* r = static_cast<const double*>(rows.data());
  const auto k = static_cast<std::size_t>(rows.shape(0));
  MotRows m;
  m.reserve(k);
  for (std::size_t i = 0; i < k; ++i, r += 7) {
    for (int c = 0; c < 2; ++c)
      if (!(std::floor(r[c]) == r[c] && std::fabs(r[c]) <= 9007199254740992.0))
        throw std::invalid_argument("rows: row " + std::to_string(i) + (c ? " has a non-integer id" : " has a non-integer frame"));
    m.frame.push_back(static_cast<std::int64_t>(r[0]));
    m.id.push_back(static_cast<std::int64_t>(r[1]));
    m.boxes.insert(m.boxes.end(), r + 2, r + 6);
    m.confidence.push_back(r[6]);
  }
  return format_mot(m, MotFileKind::tracker);
}

}  // namespace

void bind_track(py::module_& parent) {
  py::module_ m = parent.def_submodule("track", "ByteTrack and SORT trackers (use locuskit.track)");
  py::class_<track::ByteTracker>(m, "ByteTracker")
      .def(py::init([](double track_thresh, int track_buffer, double match_thresh, bool mot20, double frame_rate,
                       double low_thresh, double second_match_thresh, double unconfirmed_match_thresh,
                       double new_track_offset, double duplicate_distance, const std::string& metric) {
             track::ByteTrackConfig c;
             c.track_thresh = track_thresh;
             c.track_buffer = track_buffer;
             c.match_thresh = match_thresh;
             c.mot20 = mot20;
             c.frame_rate = frame_rate;
             c.low_thresh = low_thresh;
             c.second_match_thresh = second_match_thresh;
             c.unconfirmed_match_thresh = unconfirmed_match_thresh;
             c.new_track_offset = new_track_offset;
             c.duplicate_distance = duplicate_distance;
             c.metric = parse_metric(metric);
             return track::ByteTracker(c);
           }),
           py::arg("track_thresh"), py::arg("track_buffer"), py::arg("match_thresh"), py::arg("mot20"),
           py::arg("frame_rate"), py::arg("low_thresh"), py::arg("second_match_thresh"),
           py::arg("unconfirmed_match_thresh"), py::arg("new_track_offset"), py::arg("duplicate_distance"),
           py::arg("metric"))
      .def("update", &update_py<track::ByteTracker>, py::arg("detections"))
      .def("run", &run_py<track::ByteTracker>, py::arg("frames"), py::arg("detections"), py::arg("num_frames"))
      .def("lost_ids",
           [](const track::ByteTracker& t) {
             const auto ids = t.lost_ids();
             auto out = new_array<std::int64_t>({static_cast<py::ssize_t>(ids.size())});
             std::copy(ids.begin(), ids.end(), out.mutable_data());
             return out;
           })
      .def_property_readonly("frame_id", &track::ByteTracker::frame_id)
      .def("reset", &track::ByteTracker::reset);
  py::class_<track::SortTracker>(m, "SortTracker")
      .def(py::init([](int max_age, int min_hits, double iou_threshold, const std::string& metric) {
             track::SortConfig c;
             c.max_age = max_age;
             c.min_hits = min_hits;
             c.iou_threshold = iou_threshold;
             c.metric = parse_metric(metric);
             return track::SortTracker(c);
           }),
           py::arg("max_age"), py::arg("min_hits"), py::arg("iou_threshold"), py::arg("metric"))
      .def("update", &update_py<track::SortTracker>, py::arg("detections"))
      .def("run", &run_py<track::SortTracker>, py::arg("frames"), py::arg("detections"), py::arg("num_frames"))
      .def_property_readonly("frame_count", &track::SortTracker::frame_count)
      .def("reset", &track::SortTracker::reset);
  m.def("track_file", &track_file_py<track::ByteTracker>, py::arg("tracker"), py::arg("path"), py::arg("num_frames"));
  m.def("track_file", &track_file_py<track::SortTracker>, py::arg("tracker"), py::arg("path"), py::arg("num_frames"));
  m.def("format_results", &format_results_py, py::arg("rows"));
}

}  // namespace locuskit::python
