// Rotated (oriented 2D) boxes: the `_core.rotated` submodule. Arrays are validated here (dtype,
// shape, contiguity, finiteness: TypeError/ValueError naming the argument); the GIL is released
// around every kernel.
#include <locuskit/box/validate.hpp>
#include <locuskit/rotated.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>
#include <string>
#include <type_traits>

#include <pybind11/stl.h>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

using rotated::AngleConvention;
using rotated::RotatedArithmetic;
using rotated::RotatedIouParams;

AngleConvention parse_convention(const std::string& s) {
  if (s == "degrees_ccw") return AngleConvention::degrees_ccw;
  if (s == "radians_cw") return AngleConvention::radians_cw;
  if (s == "radians_ccw") return AngleConvention::radians_ccw;
  if (s == "degrees_cw") return AngleConvention::degrees_cw;
  throw std::invalid_argument("convention: expected 'degrees_ccw', 'radians_cw', 'radians_ccw' or 'degrees_cw', got '" +
                              s + "'");
}

/// (N, 5) rotated boxes of dtype T, C-contiguous.
template <class T>
const T* rotated_data(const py::array& a, const char* name, std::size_t& n, const char* relative_to = nullptr) {
  require_dtype<T>(a, name, relative_to);
  require_shape(a, name, {-1, 5}, "(N, 5) rows (cx, cy, w, h, angle)");
  require_contiguous(a, name);
  n = static_cast<std::size_t>(a.shape(0));
  return static_cast<const T*>(a.data());
}

py::ssize_t ss(std::size_t v) { return static_cast<py::ssize_t>(v); }

py::array box_iou_rotated_py(const py::array& boxes1, const py::array& boxes2, const std::string& convention,
                             const std::string& mode, const std::string& arithmetic, const std::string& degenerate,
                             bool aligned) {
  RotatedIouParams p;
  p.convention = parse_convention(convention);
  if (mode != "iou" && mode != "iof") throw std::invalid_argument("mode: expected 'iou' or 'iof', got '" + mode + "'");
  p.iof = mode == "iof";
  if (arithmetic == "exact")
    p.arithmetic = RotatedArithmetic::exact;
  else if (arithmetic == "detectron2")
    p.arithmetic = RotatedArithmetic::detectron2;
  else
    throw std::invalid_argument("arithmetic: expected 'exact' or 'detectron2', got '" + arithmetic + "'");
  p.degenerate = parse_degenerate(degenerate);
  return with_float_dtype(boxes1, "boxes1", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0, m = 0;
    const T* a = rotated_data<T>(boxes1, "boxes1", n);
    const T* b = rotated_data<T>(boxes2, "boxes2", m, "boxes1");
    if (aligned && n != m)
      throw std::invalid_argument("boxes2: aligned=True needs as many boxes as boxes1 (" + std::to_string(n) +
                                  "), got " + std::to_string(m));
    auto out = aligned ? new_array<T>({ss(n)}) : new_array<T>({ss(n), ss(m)});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      check_finite(a, 5 * n, "boxes1");
      check_finite(b, 5 * m, "boxes2");
      if (aligned)
        rotated::box_iou_rotated_aligned(a, b, n, o, p, Parallel{num_threads()});
      else
        rotated::box_iou_rotated(a, n, b, m, o, p, Parallel{num_threads()});
    }
    return out;
  });
}

py::array box_corners_py(const py::array& boxes, const std::string& convention) {
  const AngleConvention c = parse_convention(convention);
  return with_float_dtype(boxes, "boxes", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* b = rotated_data<T>(boxes, "boxes", n);
    auto out = new_array<T>({ss(n), 8});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      check_finite(b, 5 * n, "boxes");
      for (std::size_t i = 0; i < n; ++i) rotated::box_corners(b + 5 * i, c, o + 8 * i);
    }
    return out;
  });
}

/// One DOTA class: the per-detection arrays of rotated::dota_evaluate_class as a dict.
py::dict dota_evaluate_class_py(const py::array& det_image, const py::array& det_score, const py::array& det_polygons,
                                const py::array& gt_image, const py::array& gt_polygons, const py::array& gt_difficult,
                                double iou_threshold) {
  const auto* di = vector_data<std::int64_t>(det_image, "det_image", -1);
  const py::ssize_t n = det_image.shape(0);
  const auto* ds = vector_data<double>(det_score, "det_score", n, "det_image");
  require_dtype<double>(det_polygons, "det_polygons");
  require_shape(det_polygons, "det_polygons", {n, 8}, "(N, 8) x1 y1 .. x4 y4");
  require_contiguous(det_polygons, "det_polygons");
  const auto* gi = vector_data<std::int64_t>(gt_image, "gt_image", -1);
  const py::ssize_t g = gt_image.shape(0);
  require_dtype<double>(gt_polygons, "gt_polygons");
  require_shape(gt_polygons, "gt_polygons", {g, 8}, "(G, 8) x1 y1 .. x4 y4");
  require_contiguous(gt_polygons, "gt_polygons");
  const auto* gd = vector_data<std::uint8_t>(gt_difficult, "gt_difficult", g, "gt_image");
  const auto* dp = static_cast<const double*>(det_polygons.data());
  const auto* gp = static_cast<const double*>(gt_polygons.data());
  VocClassResult r;
  {
    py::gil_scoped_release release;
    check_finite(ds, static_cast<std::size_t>(n), "det_score");
    check_finite(dp, static_cast<std::size_t>(8 * n), "det_polygons");
    check_finite(gp, static_cast<std::size_t>(8 * g), "gt_polygons");
    r = rotated::dota_evaluate_class(di, ds, dp, static_cast<std::size_t>(n), gi, gp, gd, static_cast<std::size_t>(g),
                                     iou_threshold);
  }
  auto to_array = [](const auto& v) {
    using V = typename std::decay_t<decltype(v)>::value_type;
    auto a = new_array<V>({static_cast<py::ssize_t>(v.size())});
    std::copy(v.begin(), v.end(), a.mutable_data());
    return a;
  };
  py::dict d;
  d["npos"] = r.npos;
  d["order"] = to_array(r.order);
  d["tp"] = to_array(r.tp);
  d["fp"] = to_array(r.fp);
  d["recall"] = to_array(r.recall);
  d["precision"] = to_array(r.precision);
  d["ap_voc07"] = r.ap_11point;
  d["ap_all_point"] = r.ap_all_point_np_sum;
  return d;
}

py::array polygon_iou_py(const py::array& polygons1, const py::array& polygons2) {
  require_dtype<double>(polygons1, "polygons1");
  require_shape(polygons1, "polygons1", {-1, 8}, "(N, 8)");
  require_contiguous(polygons1, "polygons1");
  require_dtype<double>(polygons2, "polygons2");
  require_shape(polygons2, "polygons2", {-1, 8}, "(M, 8)");
  require_contiguous(polygons2, "polygons2");
  const auto n = static_cast<std::size_t>(polygons1.shape(0)), m = static_cast<std::size_t>(polygons2.shape(0));
  const auto* p = static_cast<const double*>(polygons1.data());
  const auto* q = static_cast<const double*>(polygons2.data());
  auto out = new_array<double>({ss(n), ss(m)});
  double* o = out.mutable_data();
  {
    py::gil_scoped_release release;
    check_finite(p, 8 * n, "polygons1");
    check_finite(q, 8 * m, "polygons2");
    parallel_for(n, 1, Parallel{num_threads()}, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i)
        for (std::size_t j = 0; j < m; ++j) o[i * m + j] = rotated::polygon_iou(p + 8 * i, 4, q + 8 * j, 4);
    });
  }
  return out;
}

rotated::DeltaXYWHAParams coder_params(const std::string& angle_range, double norm_factor, bool edge_swap,
                                       bool proj_xy, const std::vector<double>& means, const std::vector<double>& stds,
                                       double wh_ratio_clip, bool add_ctr_clamp, double ctr_clamp) {
  rotated::DeltaXYWHAParams p;
  if (angle_range == "oc")
    p.angle_range = rotated::AngleRange::oc;
  else if (angle_range == "le90")
    p.angle_range = rotated::AngleRange::le90;
  else if (angle_range == "le135")
    p.angle_range = rotated::AngleRange::le135;
  else
    throw std::invalid_argument("angle_range: expected 'oc', 'le90' or 'le135', got '" + angle_range + "'");
  if (means.size() != 5) throw std::invalid_argument("target_means: expected 5 values");
  if (stds.size() != 5) throw std::invalid_argument("target_stds: expected 5 values");
  for (int k = 0; k < 5; ++k) {
    if (!std::isfinite(means[k])) throw std::invalid_argument("target_means: must be finite");
    if (!(stds[k] > 0) || !std::isfinite(stds[k])) throw std::invalid_argument("target_stds: must be positive and finite");
    p.means[k] = means[k], p.stds[k] = stds[k];
  }
  if (!(wh_ratio_clip > 0)) throw std::invalid_argument("wh_ratio_clip: must be positive");
  p.norm_factor = norm_factor, p.edge_swap = edge_swap, p.proj_xy = proj_xy, p.wh_ratio_clip = wh_ratio_clip;
  p.add_ctr_clamp = add_ctr_clamp, p.ctr_clamp = ctr_clamp;
  return p;
}

py::array delta_xywha_encode_py(const py::array& proposals, const py::array& gt, const std::string& angle_range,
                                double norm_factor, bool edge_swap, bool proj_xy, const std::vector<double>& means,
                                const std::vector<double>& stds) {
  const auto p = coder_params(angle_range, norm_factor, edge_swap, proj_xy, means, stds, 16.0 / 1000, false, 32);
  return with_float_dtype(proposals, "proposals", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0, m = 0;
    const T* a = rotated_data<T>(proposals, "proposals", n);
    const T* b = rotated_data<T>(gt, "gt", m, "proposals");
    if (n != m) throw std::invalid_argument("gt: expected as many rows as proposals (" + std::to_string(n) + ")");
    auto out = new_array<T>({ss(n), 5});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      check_finite(a, 5 * n, "proposals");
      check_finite(b, 5 * n, "gt");
      rotated::delta_xywha_encode(a, b, n, o, p, Parallel{num_threads()});
    }
    return out;
  });
}

py::array delta_xywha_decode_py(const py::array& rois, const py::array& deltas, const std::string& angle_range,
                                double norm_factor, bool edge_swap, bool proj_xy, const std::vector<double>& means,
                                const std::vector<double>& stds, const std::optional<std::vector<double>>& max_shape,
                                double wh_ratio_clip, bool add_ctr_clamp, double ctr_clamp) {
  const auto p = coder_params(angle_range, norm_factor, edge_swap, proj_xy, means, stds, wh_ratio_clip, add_ctr_clamp,
                              ctr_clamp);
  if (max_shape && max_shape->size() < 2) throw std::invalid_argument("max_shape: expected (H, W[, C])");
  return with_float_dtype(rois, "rois", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0, m = 0;
    const T* a = rotated_data<T>(rois, "rois", n);
    const T* b = rotated_data<T>(deltas, "deltas", m, "rois");
    if (n != m) throw std::invalid_argument("deltas: expected as many rows as rois (" + std::to_string(n) + ")");
    auto out = new_array<T>({ss(n), 5});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      check_finite(a, 5 * n, "rois");
      check_finite(b, 5 * n, "deltas", /*allow_inf=*/true);
      rotated::delta_xywha_decode(a, b, n, o, p, max_shape ? max_shape->data() : nullptr, Parallel{num_threads()});
    }
    return out;
  });
}

}  // namespace

void bind_rotated(py::module_& parent) {
  py::module_ m = parent.def_submodule("rotated", "Rotated (oriented 2D) boxes (use locuskit.rotated)");
  m.def("box_iou_rotated", &box_iou_rotated_py, py::arg("boxes1"), py::arg("boxes2"), py::arg("convention"),
        py::arg("mode"), py::arg("arithmetic"), py::arg("degenerate"), py::arg("aligned"),
        "Pairwise (or aligned) IoU/IoF of (N, 5) and (M, 5) rotated boxes.");
  m.def("box_corners", &box_corners_py, py::arg("boxes"), py::arg("convention"),
        "(N, 8) corners x0 y0 .. x3 y3 of (N, 5) rotated boxes (mmrotate obb2poly order).");
  m.def("delta_xywha_encode", &delta_xywha_encode_py, py::arg("proposals"), py::arg("gt"), py::arg("angle_range"),
        py::arg("norm_factor"), py::arg("edge_swap"), py::arg("proj_xy"), py::arg("target_means"),
        py::arg("target_stds"), "mmrotate DeltaXYWHAOBBoxCoder.encode.");
  m.def("delta_xywha_decode", &delta_xywha_decode_py, py::arg("rois"), py::arg("deltas"), py::arg("angle_range"),
        py::arg("norm_factor"), py::arg("edge_swap"), py::arg("proj_xy"), py::arg("target_means"),
        py::arg("target_stds"), py::arg("max_shape"), py::arg("wh_ratio_clip"), py::arg("add_ctr_clamp"),
        py::arg("ctr_clamp"), "mmrotate DeltaXYWHAOBBoxCoder.decode.");
  m.def("polygon_iou", &polygon_iou_py, py::arg("polygons1"), py::arg("polygons2"),
        "(N, M) IoU of quadrilaterals (DOTA_devkit polyiou), float64.");
  m.def("dota_evaluate_class", &dota_evaluate_class_py, py::arg("det_image"), py::arg("det_score"),
        py::arg("det_polygons"), py::arg("gt_image"), py::arg("gt_polygons"), py::arg("gt_difficult"),
        py::arg("iou_threshold"), "DOTA task-1 evaluation of one class (DOTA_devkit voc_eval).");
}

}  // namespace locuskit::python
