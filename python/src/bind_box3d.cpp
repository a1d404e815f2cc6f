// 3D boxes and KITTI 3D object evaluation: the `_core.box3d` submodule. Arrays are validated here
// (dtype, shape, contiguity: TypeError/ValueError naming the argument); label files by the C++
// parser (ValueError naming file and line). The GIL is released around every kernel.
#include <locuskit/box3d.hpp>

#include <cmath>
#include <string>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

py::ssize_t ss(std::size_t v) { return static_cast<py::ssize_t>(v); }

Box3dConvention convention_of(const std::string& s) {
  if (s == "lidar") return Box3dConvention::lidar;
  if (s == "kitti_camera") return Box3dConvention::kitti_camera;
  throw std::invalid_argument("convention: expected 'lidar' or 'kitti_camera', got '" + s + "'");
}

/// (N, 7) boxes of dtype T, finite (ValueError naming the first bad row).
template <class T>
const T* boxes7_of(const py::array& a, const char* name, std::size_t& n) {
  require_dtype<T>(a, name);
  require_shape(a, name, {-1, 7}, "(N, 7) rows (x, y, z, l, w, h, yaw)");
  require_contiguous(a, name);
  n = static_cast<std::size_t>(a.shape(0));
  const T* p = static_cast<const T*>(a.data());
  for (std::size_t i = 0; i < 7 * n; ++i)
    if (!std::isfinite(static_cast<double>(p[i])))
      throw std::invalid_argument(std::string(name) + ": row " + std::to_string(i / 7) + " is not finite");
  return p;
}

py::array corners_py(const py::array& boxes, const std::string& convention) {
  const Box3dConvention c = convention_of(convention);
  return with_float_dtype(boxes, "boxes", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* b = boxes7_of<T>(boxes, "boxes", n);
    auto out = new_array<T>({ss(n), 8, 3});
    T* o = out.mutable_data();
    py::gil_scoped_release release;
    for (std::size_t i = 0; i < n; ++i) box3d_corners(b + 7 * i, c, o + 24 * i);
    return out;
  });
}

LidarToCamera calib_of(const py::array_t<double, py::array::c_style | py::array::forcecast>& r,
                       const py::array_t<double, py::array::c_style | py::array::forcecast>& t) {
  if (r.ndim() != 2 || r.shape(0) != 3 || r.shape(1) != 3)
    throw std::invalid_argument("rotation: expected shape (3, 3), got " + shape_str(r));
  if (t.ndim() != 1 || t.shape(0) != 3) throw std::invalid_argument("translation: expected shape (3,), got " + shape_str(t));
  LidarToCamera c;
  for (int i = 0; i < 9; ++i) c.r[i] = r.data()[i];
  for (int i = 0; i < 3; ++i) c.t[i] = t.data()[i];
  for (double v : c.r)
    if (!std::isfinite(v)) throw std::invalid_argument("rotation: not finite");
  for (double v : c.t)
    if (!std::isfinite(v)) throw std::invalid_argument("translation: not finite");
  return c;
}

py::array convert_py(const py::array& boxes, const py::array_t<double, py::array::c_style | py::array::forcecast>& r,
                     const py::array_t<double, py::array::c_style | py::array::forcecast>& t, bool to_camera) {
  const LidarToCamera calib = calib_of(r, t);
  return with_float_dtype(boxes, "boxes", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* b = boxes7_of<T>(boxes, "boxes", n);
    auto out = new_array<T>({ss(n), 7});
    T* o = out.mutable_data();
    py::gil_scoped_release release;
    for (std::size_t i = 0; i < n; ++i) {
      if (to_camera) box3d_lidar_to_camera(b + 7 * i, calib, o + 7 * i);
      else box3d_camera_to_lidar(b + 7 * i, calib, o + 7 * i);
    }
    return out;
  });
}

py::array iou_py(const py::array& boxes1, const py::array& boxes2, const std::string& convention, bool bev) {
  const Box3dConvention c = convention_of(convention);
  return with_float_dtype(boxes1, "boxes1", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0, m = 0;
    const T* a = boxes7_of<T>(boxes1, "boxes1", n);
    require_dtype<T>(boxes2, "boxes2", "boxes1");
    const T* b = boxes7_of<T>(boxes2, "boxes2", m);
    auto out = new_array<T>({ss(n), ss(m)});
    T* o = out.mutable_data();
    py::gil_scoped_release release;
    box3d_iou(a, n, b, m, c, bev, o, Parallel{num_threads()});
    return out;
  });
}

py::array nms_py(const py::array& boxes, const py::array& scores, double iou_threshold, const std::string& convention,
                 bool bev) {
  const Box3dConvention c = convention_of(convention);
  if (!std::isfinite(iou_threshold)) throw std::invalid_argument("iou_threshold: must be finite");
  return with_float_dtype(boxes, "boxes", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* b = boxes7_of<T>(boxes, "boxes", n);
    const T* s = vector_data<T>(scores, "scores", ss(n), "boxes");
    std::vector<std::int64_t> keep;
    {
      py::gil_scoped_release release;
      keep = nms3d(b, s, n, c, iou_threshold, bev);
    }
    auto out = new_array<std::int64_t>({ss(keep.size())});
    std::copy(keep.begin(), keep.end(), out.mutable_data());
    return out;
  });
}

template <class T>
py::array vec_array(const std::vector<T>& v, std::vector<py::ssize_t> shape) {
  auto a = new_array<T>(std::move(shape));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

/// The parsed objects as a dict of arrays (KITTI file order for dimensions: h, w, l).
py::dict objects_dict(const KittiObjects& o) {
  py::dict d;
  const py::ssize_t n = ss(o.size());
  py::list names;
  for (const auto& s : o.name) names.append(py::str(s));
  d["name"] = names;
  d["truncated"] = vec_array(o.truncated, {n});
  d["occluded"] = vec_array(o.occluded, {n});
  d["alpha"] = vec_array(o.alpha, {n});
  d["bbox"] = vec_array(o.bbox, {n, 4});
  d["dimensions_hwl"] = vec_array(o.dimensions, {n, 3});
  d["location"] = vec_array(o.location, {n, 3});
  d["rotation_y"] = vec_array(o.rotation_y, {n});
  d["score"] = vec_array(o.score, {n});
  d["frame_begin"] = vec_array(std::vector<std::int64_t>(o.frame_begin.begin(), o.frame_begin.end()), {ss(o.frame_begin.size())});
  std::vector<std::uint8_t> has(o.frame_has_score.begin(), o.frame_has_score.end());
  d["frame_has_score"] = vec_array(has, {ss(has.size())}).attr("astype")("bool");
  return d;
}

py::dict read_labels_py(const std::vector<std::string>& paths) {
  KittiObjects o;
  {
    py::gil_scoped_release release;
    o = read_kitti_label_files(paths, Parallel{num_threads()});
  }
  return objects_dict(o);
}

py::dict evaluate_py(const std::vector<std::string>& gt_paths, const std::vector<std::string>& det_paths,
                     const py::array_t<double, py::array::c_style | py::array::forcecast>& min_overlap,
                     bool devkit_height_rule) {
  if (gt_paths.size() != det_paths.size())
    throw std::invalid_argument("det_paths: " + std::to_string(det_paths.size()) + " files for " +
                                std::to_string(gt_paths.size()) + " ground-truth files");
  if (min_overlap.ndim() != 3 || min_overlap.shape(0) != 2 || min_overlap.shape(1) != 3 || min_overlap.shape(2) != 3)
    throw std::invalid_argument("min_overlap: expected shape (2, 3, 3) [set][metric][class], got " + shape_str(min_overlap));
  Kitti3dParams params;
  for (int i = 0; i < 18; ++i) {
    const double v = min_overlap.data()[i];
    if (!(v >= 0 && v <= 1)) throw std::invalid_argument("min_overlap: values must lie in [0, 1]");
    (&params.min_overlap[0][0][0])[i] = v;
  }
  params.devkit_height_rule = devkit_height_rule;
  Kitti3dResult r;
  {
    py::gil_scoped_release release;
    const Parallel par{num_threads()};
    const KittiObjects gt = read_kitti_label_files(gt_paths, par);
    const KittiObjects det = read_kitti_label_files(det_paths, par);
    r = evaluate_kitti3d(gt, det, params, par);
  }
  using A = KittiEvalAxes;
  py::dict d;
  d["precision"] = vec_array(r.precision, {A::metrics, A::classes, A::difficulties, A::overlap_sets, A::samples});
  d["recall"] = vec_array(r.recall, {A::metrics, A::classes, A::difficulties, A::overlap_sets, A::samples});
  d["orientation"] = vec_array(r.orientation, {A::classes, A::difficulties, A::overlap_sets, A::samples});
  d["ap11"] = vec_array(r.ap11, {4, A::classes, A::difficulties, A::overlap_sets});
  d["ap40"] = vec_array(r.ap40, {4, A::classes, A::difficulties, A::overlap_sets});
  d["num_valid_gt"] = vec_array(std::vector<std::int64_t>(r.num_valid_gt.begin(), r.num_valid_gt.end()),
                                {A::classes, A::difficulties});
  d["compute_aos"] = r.compute_aos;
  return d;
}

}  // namespace

void bind_box3d(py::module_& parent) {
  py::module_ m = parent.def_submodule("box3d", "3D boxes and KITTI 3D object evaluation (use locuskit.box3d)");
  m.def("corners", &corners_py, py::arg("boxes"), py::arg("convention"));
  m.def("convert", &convert_py, py::arg("boxes"), py::arg("rotation"), py::arg("translation"), py::arg("to_camera"));
  m.def("iou", &iou_py, py::arg("boxes1"), py::arg("boxes2"), py::arg("convention"), py::arg("bev"));
  m.def("nms", &nms_py, py::arg("boxes"), py::arg("scores"), py::arg("iou_threshold"), py::arg("convention"),
        py::arg("bev"));
  m.def("read_kitti_labels", &read_labels_py, py::arg("paths"));
  m.def("evaluate_kitti3d", &evaluate_py, py::arg("gt_paths"), py::arg("det_paths"), py::arg("min_overlap"),
        py::arg("devkit_height_rule"));
}

}  // namespace locuskit::python
