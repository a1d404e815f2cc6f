// RoI feature extraction (RoIAlign, RoIPool, PrRoIPool) and IoU-guided NMS: the `_core.roi`
// submodule. Arrays are validated here (dtype, shape, contiguity: TypeError/ValueError naming the
// argument), rois by the C++ entry points (check_rois); the GIL is released around every kernel.
#include <locuskit/box/validate.hpp>
#include <locuskit/nms/iou_guided_nms.hpp>
#include <locuskit/roi.hpp>

#include <cmath>
#include <limits>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

/// (N, C, H, W) features of dtype T.
template <class T>
FeatureShape features_of(const py::array& a, const char* name) {
  require_dtype<T>(a, name);
  require_shape(a, name, {-1, -1, -1, -1}, "(N, C, H, W)");
  require_contiguous(a, name);
  return FeatureShape{static_cast<std::size_t>(a.shape(0)), static_cast<std::size_t>(a.shape(1)),
                      static_cast<std::size_t>(a.shape(2)), static_cast<std::size_t>(a.shape(3))};
}

/// (K, 5) rois of dtype T (the features' dtype).
template <class T>
const T* rois_of(const py::array& a, std::size_t& k) {
  require_dtype<T>(a, "rois", "features");
  require_shape(a, "rois", {-1, 5}, "(K, 5) rows (batch_index, x1, y1, x2, y2)");
  require_contiguous(a, "rois");
  k = static_cast<std::size_t>(a.shape(0));
  return static_cast<const T*>(a.data());
}

/// (K, C, PH, PW) gradient of dtype T.
template <class T>
const T* grad_out_of(const py::array& a, std::size_t k, std::size_t c, std::size_t ph, std::size_t pw) {
  require_dtype<T>(a, "grad_output", "features");
  const auto K = static_cast<py::ssize_t>(k), C = static_cast<py::ssize_t>(c), PH = static_cast<py::ssize_t>(ph),
             PW = static_cast<py::ssize_t>(pw);
  require_shape(a, "grad_output", {K, C, PH, PW}, "(K, C, pooled_h, pooled_w) of the forward output");
  require_contiguous(a, "grad_output");
  return static_cast<const T*>(a.data());
}

FeatureShape shape_of(const std::vector<py::ssize_t>& s) {
  if (s.size() != 4 || s[0] < 0 || s[1] < 0 || s[2] < 0 || s[3] < 0)
    throw std::invalid_argument("features_shape: expected 4 non-negative sizes (N, C, H, W)");
  return FeatureShape{static_cast<std::size_t>(s[0]), static_cast<std::size_t>(s[1]), static_cast<std::size_t>(s[2]),
                      static_cast<std::size_t>(s[3])};
}

std::size_t pooled(long long v, const char* name) {
  if (v <= 0) throw std::invalid_argument(std::string(name) + ": must be positive, got " + std::to_string(v));
  return static_cast<std::size_t>(v);
}

py::ssize_t ss(std::size_t v) { return static_cast<py::ssize_t>(v); }

/// The forwards' common front: features (N, C, H, W) and rois (K, 5) of one float dtype and a new
/// (K, C, pooled_h, pooled_w) output; `run(f, shape, rois, k, out)` does the rest.
template <class Run>
py::object pooled_forward(const py::array& features, const py::array& rois, std::size_t ph, std::size_t pw,
                          Run&& run) {
  return with_float_dtype(features, "features", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const FeatureShape s = features_of<T>(features, "features");
    std::size_t k = 0;
    const T* r = rois_of<T>(rois, k);
    auto out = new_array<T>({ss(k), ss(s.c), ss(ph), ss(pw)});
    return run(static_cast<const T*>(features.data()), s, r, k, out);
  });
}

py::array roi_align_forward_py(const py::array& features, const py::array& rois, long long ph, long long pw,
                                double spatial_scale, int sampling_ratio, bool aligned) {
  const RoiAlignParams p{pooled(ph, "pooled_h"), pooled(pw, "pooled_w"), spatial_scale, sampling_ratio, aligned};
  return pooled_forward(features, rois, p.pooled_h, p.pooled_w, [&](const auto* f, const FeatureShape& s,
                                                                     const auto* r, std::size_t k, auto& out) {
    auto* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      roi_align_forward(f, s, r, k, p, o, Parallel{num_threads()});
    }
    return py::object(out);
  }).cast<py::array>();
}

py::array roi_align_backward_py(const py::array& grad_output, const py::array& rois,
                                const std::vector<py::ssize_t>& features_shape, double spatial_scale,
                                int sampling_ratio, bool aligned) {
  return with_float_dtype(grad_output, "grad_output", [&](auto tag) -> py::array {
    using T = decltype(tag);
    const FeatureShape s = shape_of(features_shape);
    std::size_t k = 0;
    const T* r = rois_of<T>(rois, k);
    if (grad_output.ndim() != 4) throw std::invalid_argument("grad_output: expected shape (K, C, pooled_h, pooled_w)");
    const RoiAlignParams p{pooled(grad_output.shape(2), "pooled_h"), pooled(grad_output.shape(3), "pooled_w"),
                           spatial_scale, sampling_ratio, aligned};
    const T* g = grad_out_of<T>(grad_output, k, s.c, p.pooled_h, p.pooled_w);
    auto out = new_array<T>({ss(s.n), ss(s.c), ss(s.h), ss(s.w)});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      roi_align_backward(g, s, r, k, p, o, Parallel{num_threads()});
    }
    return out;
  });
}

py::tuple roi_pool_forward_py(const py::array& features, const py::array& rois, long long ph, long long pw,
                               double spatial_scale) {
  const RoiPoolParams p{pooled(ph, "pooled_h"), pooled(pw, "pooled_w"), spatial_scale};
  return pooled_forward(features, rois, p.pooled_h, p.pooled_w, [&](const auto* f, const FeatureShape& s,
                                                                     const auto* r, std::size_t k, auto& out) {
    auto arg = new_array<std::int64_t>({ss(k), ss(s.c), ss(p.pooled_h), ss(p.pooled_w)});
    auto* o = out.mutable_data();
    std::int64_t* a = arg.mutable_data();
    {
      py::gil_scoped_release release;
      roi_pool_forward(f, s, r, k, p, o, a, Parallel{num_threads()});
    }
    return py::object(py::make_tuple(out, arg));
  }).cast<py::tuple>();
}

py::array roi_pool_backward_py(const py::array& grad_output, const py::array& argmax, const py::array& rois,
                               const std::vector<py::ssize_t>& features_shape, double spatial_scale) {
  return with_float_dtype(grad_output, "grad_output", [&](auto tag) -> py::array {
    using T = decltype(tag);
    const FeatureShape s = shape_of(features_shape);
    std::size_t k = 0;
    const T* r = rois_of<T>(rois, k);
    if (grad_output.ndim() != 4) throw std::invalid_argument("grad_output: expected shape (K, C, pooled_h, pooled_w)");
    const RoiPoolParams p{pooled(grad_output.shape(2), "pooled_h"), pooled(grad_output.shape(3), "pooled_w"),
                          spatial_scale};
    const T* g = grad_out_of<T>(grad_output, k, s.c, p.pooled_h, p.pooled_w);
    require_dtype<std::int64_t>(argmax, "argmax");
    require_shape(argmax, "argmax", {ss(k), ss(s.c), ss(p.pooled_h), ss(p.pooled_w)}, "the shape of grad_output");
    require_contiguous(argmax, "argmax");
    const auto* a = static_cast<const std::int64_t*>(argmax.data());
    auto out = new_array<T>({ss(s.n), ss(s.c), ss(s.h), ss(s.w)});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      roi_pool_backward(g, a, s, r, k, p, o, Parallel{num_threads()});
    }
    return out;
  });
}

py::array prroi_pool_forward_py(const py::array& features, const py::array& rois, long long ph, long long pw,
                                 double spatial_scale) {
  const PrRoiPoolParams p{pooled(ph, "pooled_h"), pooled(pw, "pooled_w"), spatial_scale};
  return pooled_forward(features, rois, p.pooled_h, p.pooled_w, [&](const auto* f, const FeatureShape& s,
                                                                     const auto* r, std::size_t k, auto& out) {
    auto* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      prroi_pool_forward(f, s, r, k, p, o, Parallel{num_threads()});
    }
    return py::object(out);
  }).cast<py::array>();
}

py::tuple prroi_pool_backward_py(const py::array& features, const py::array& grad_output, const py::array& rois,
                                 double spatial_scale, bool features_grad, bool rois_grad) {
  return with_float_dtype(features, "features", [&](auto tag) -> py::tuple {
    using T = decltype(tag);
    const FeatureShape s = features_of<T>(features, "features");
    std::size_t k = 0;
    const T* r = rois_of<T>(rois, k);
    if (grad_output.ndim() != 4) throw std::invalid_argument("grad_output: expected shape (K, C, pooled_h, pooled_w)");
    const PrRoiPoolParams p{pooled(grad_output.shape(2), "pooled_h"), pooled(grad_output.shape(3), "pooled_w"),
                            spatial_scale};
    const T* g = grad_out_of<T>(grad_output, k, s.c, p.pooled_h, p.pooled_w);
    py::object gf = py::none(), gr = py::none();
    T *gfp = nullptr, *grp = nullptr;
    if (features_grad) {
      auto a = new_array<T>({ss(s.n), ss(s.c), ss(s.h), ss(s.w)});
      gfp = a.mutable_data();
      gf = a;
    }
    if (rois_grad) {
      auto a = new_array<T>({ss(k), 5});
      grp = a.mutable_data();
      gr = a;
    }
    const T* f = static_cast<const T*>(features.data());
    {
      py::gil_scoped_release release;
      prroi_pool_backward(f, g, s, r, k, p, gfp, grp, Parallel{num_threads()});
    }
    return py::make_tuple(gf, gr);
  });
}

template <class T>
py::tuple kept(const std::vector<std::int64_t>& keep, const std::vector<T>& scores, std::size_t k) {
  auto a = new_array<std::int64_t>({ss(k)});
  auto b = new_array<T>({ss(k)});
  std::copy(keep.begin(), keep.begin() + static_cast<std::ptrdiff_t>(k), a.mutable_data());
  std::copy(scores.begin(), scores.begin() + static_cast<std::ptrdiff_t>(k), b.mutable_data());
  return py::make_tuple(a, b);
}

std::size_t to_max(const py::object& v) {
  if (v.is_none()) return std::numeric_limits<std::size_t>::max();
  const auto x = v.cast<long long>();
  if (x < 0) throw std::invalid_argument("max_output: must be >= 0 or None, got " + std::to_string(x));
  return static_cast<std::size_t>(x);
}

void check_threshold(double t) {
  if (!std::isfinite(t)) throw std::invalid_argument("iou_threshold: must be finite");
}

/// boxes (N, 4), cls_scores (N,), loc_scores (N,) of one dtype; boxes finite and not inverted,
/// scores not NaN.
template <class T>
std::size_t nms_inputs(const py::array& boxes, const py::array& cls, const py::array& loc, const T*& b, const T*& c,
                       const T*& l) {
  std::size_t n = 0;
  b = boxes_data<T>(boxes, "boxes", n);
  c = vector_data<T>(cls, "cls_scores", ss(n), "boxes");
  l = vector_data<T>(loc, "loc_scores", ss(n), "boxes");
  check_boxes_xyxy(b, n, "boxes");
  check_finite(c, n, "cls_scores", /*allow_inf=*/true);
  check_finite(l, n, "loc_scores", /*allow_inf=*/true);
  return n;
}

py::tuple iou_guided_nms_py(const py::array& boxes, const py::array& cls_scores, const py::array& loc_scores,
                            const py::object& labels, double iou_threshold, bool suppress_equal,
                            const py::object& max_output) {
  check_threshold(iou_threshold);
  const IouGuidedNmsParams p{iou_threshold, suppress_equal, to_max(max_output)};
  return with_float_dtype(boxes, "boxes", [&](auto tag) -> py::tuple {
    using T = decltype(tag);
    const T *b, *c, *l;
    const std::size_t n = nms_inputs<T>(boxes, cls_scores, loc_scores, b, c, l);
    const std::int64_t* lab = nullptr;
    if (!labels.is_none()) lab = vector_data<std::int64_t>(labels.cast<py::array>(), "labels", ss(n), "boxes rows");
    std::vector<std::int64_t> keep(n);
    std::vector<T> scores(n);
    std::size_t k = 0;
    {
      py::gil_scoped_release release;
      const NmsInputs<T> in{b, c, n, lab, l};
      k = lab ? batched_iou_guided_nms(in, p, NmsOutputs<T>{keep.data(), scores.data()})
              : iou_guided_nms(in, p, NmsOutputs<T>{keep.data(), scores.data()});
    }
    return kept(keep, scores, k);
  });
}

py::tuple iou_guided_nms_pairwise_py(const py::array& iou_matrix, const py::array& cls_scores,
                                     const py::array& loc_scores, double iou_threshold, bool suppress_equal,
                                     const py::object& max_output) {
  check_threshold(iou_threshold);
  const IouGuidedNmsParams p{iou_threshold, suppress_equal, to_max(max_output)};
  require_dtype<double>(iou_matrix, "iou_matrix");
  require_shape(iou_matrix, "iou_matrix", {-1, -1}, "(N, N)");
  require_contiguous(iou_matrix, "iou_matrix");
  const auto n = static_cast<std::size_t>(iou_matrix.shape(0));
  if (iou_matrix.shape(1) != ss(n)) throw std::invalid_argument("iou_matrix: expected a square (N, N) matrix, got " + shape_str(iou_matrix));
  const auto* m = static_cast<const double*>(iou_matrix.data());
  const double* c = vector_data<double>(cls_scores, "cls_scores", ss(n), "iou_matrix rows");
  const double* l = vector_data<double>(loc_scores, "loc_scores", ss(n), "iou_matrix rows");
  check_finite(c, n, "cls_scores", true);
  check_finite(l, n, "loc_scores", true);
  std::vector<std::int64_t> keep(n);
  std::vector<double> scores(n);
  std::size_t k = 0;
  {
    py::gil_scoped_release release;
    k = iou_guided_nms_with(n, c, l, [&](std::int64_t i, std::int64_t j) { return m[static_cast<std::size_t>(i) * n + static_cast<std::size_t>(j)]; },
                            p, keep.data(), scores.data());
  }
  return kept(keep, scores, k);
}

py::array iou_aware_scores_py(const py::array& cls_scores, const py::array& loc_scores, double alpha) {
  return with_float_dtype(cls_scores, "cls_scores", [&](auto tag) -> py::array {
    using T = decltype(tag);
    const T* c = vector_data<T>(cls_scores, "cls_scores", -1);
    const std::size_t n = static_cast<std::size_t>(cls_scores.shape(0));
    const T* l = vector_data<T>(loc_scores, "loc_scores", ss(n), "cls_scores");
    for (std::size_t i = 0; i < n; ++i) {
      if (!(c[i] >= T(0) && c[i] <= T(1))) throw std::invalid_argument("cls_scores: values must lie in [0, 1]");
      if (!(l[i] >= T(0) && l[i] <= T(1))) throw std::invalid_argument("loc_scores: values must lie in [0, 1]");
    }
    auto out = new_array<T>({ss(n)});
    iou_aware_scores(c, l, n, alpha, out.mutable_data());
    return out;
  });
}

}  // namespace

void bind_roi(py::module_& parent) {
  py::module_ m = parent.def_submodule("roi", "RoIAlign, RoIPool, PrRoIPool and IoU-guided NMS (use locuskit.roi)");
  m.def("roi_align_forward", &roi_align_forward_py, py::arg("features"), py::arg("rois"), py::arg("pooled_h"),
        py::arg("pooled_w"), py::arg("spatial_scale"), py::arg("sampling_ratio"), py::arg("aligned"));
  m.def("roi_align_backward", &roi_align_backward_py, py::arg("grad_output"), py::arg("rois"),
        py::arg("features_shape"), py::arg("spatial_scale"), py::arg("sampling_ratio"), py::arg("aligned"));
  m.def("roi_pool_forward", &roi_pool_forward_py, py::arg("features"), py::arg("rois"), py::arg("pooled_h"),
        py::arg("pooled_w"), py::arg("spatial_scale"));
  m.def("roi_pool_backward", &roi_pool_backward_py, py::arg("grad_output"), py::arg("argmax"), py::arg("rois"),
        py::arg("features_shape"), py::arg("spatial_scale"));
  m.def("prroi_pool_forward", &prroi_pool_forward_py, py::arg("features"), py::arg("rois"), py::arg("pooled_h"),
        py::arg("pooled_w"), py::arg("spatial_scale"));
  m.def("prroi_pool_backward", &prroi_pool_backward_py, py::arg("features"), py::arg("grad_output"), py::arg("rois"),
        py::arg("spatial_scale"), py::arg("features_grad"), py::arg("rois_grad"));
  m.def("iou_guided_nms", &iou_guided_nms_py, py::arg("boxes"), py::arg("cls_scores"), py::arg("loc_scores"),
        py::arg("labels"), py::arg("iou_threshold"), py::arg("suppress_equal"), py::arg("max_output"));
  m.def("iou_guided_nms_pairwise", &iou_guided_nms_pairwise_py, py::arg("iou_matrix"), py::arg("cls_scores"),
        py::arg("loc_scores"), py::arg("iou_threshold"), py::arg("suppress_equal"), py::arg("max_output"));
  m.def("iou_aware_scores", &iou_aware_scores_py, py::arg("cls_scores"), py::arg("loc_scores"), py::arg("alpha"));
}

}  // namespace locuskit::python
