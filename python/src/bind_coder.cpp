// Python bindings for the coder area: validate with the GIL held, release it around the kernels.
#include <locuskit/box/validate.hpp>
#include <locuskit/coder.hpp>

#include <array>
#include <cstring>
#include <type_traits>
#include <optional>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

/// check_finite with a branch-free, vectorisable first pass (an exponent of all ones is inf/NaN);
/// the slow, message-building check runs only when something is wrong.
template <class T>
void check_finite_fast(const T* v, std::size_t n, const char* what) {
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  const U mask = sizeof(T) == 4 ? U(0x7f800000u) : U(0x7ff0000000000000ull);
  U bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    U bits;
    std::memcpy(&bits, v + i, sizeof(T));
    bad |= static_cast<U>((bits & mask) == mask);
  }
  if (bad) check_finite(v, n, what);
}

/// (N, 4k) codes: returns data, n and k (k >= 1 unless n == 0).
template <class T>
const T* codes_data(const py::array& a, const char* name, std::size_t n_expected, std::size_t& k) {
  require_dtype<T>(a, name, "anchors");
  if (a.ndim() != 2 || a.shape(0) != static_cast<py::ssize_t>(n_expected) || a.shape(1) % 4 != 0 ||
      (n_expected > 0 && a.shape(1) == 0))
    throw std::invalid_argument(std::string(name) + ": expected shape (" + std::to_string(n_expected) +
                                ", 4*k) matching the anchors, got " + shape_str(a));
  require_contiguous(a, name);
  k = static_cast<std::size_t>(a.shape(1) / 4);
  return static_cast<const T*>(a.data());
}

template <class T>
const T* points_data(const py::array& a, const char* name, std::size_t n_expected) {
  require_dtype<T>(a, name);
  require_shape(a, name, {static_cast<py::ssize_t>(n_expected), 2}, "(N, 2)");
  require_contiguous(a, name);
  return static_cast<const T*>(a.data());
}

template <class T>
const T* nd_data(const py::array& a, const char* name, int ndim, const char* relative_to = nullptr) {
  require_dtype<T>(a, name, relative_to);
  if (a.ndim() != ndim)
    throw std::invalid_argument(std::string(name) + ": expected a " + std::to_string(ndim) + "-D array, got shape " +
                                shape_str(a));
  require_contiguous(a, name);
  return static_cast<const T*>(a.data());
}

DeltaWeights weights_of(const std::array<double, 4>& w) { return {w[0], w[1], w[2], w[3]}; }

/// (N, 4) boxes of the anchors' dtype with one row per anchor (n rows).
template <class T>
const T* rows_per_anchor(const py::array& a, const char* name, std::size_t n) {
  require_dtype<T>(a, name, "anchors");
  std::size_t m = 0;
  const T* p = boxes_data<T>(a, name, m);
  LOCUSKIT_CHECK(m == n, std::invalid_argument, name, ": expected ", n, " rows (one per anchor), got ", m);
  return p;
}

/// The delta encoders: anchors and gt_boxes (N, 4), both checked finite with the GIL released,
/// then `encode(anchors, gt, n, out)` fills a new (N, 4) array of the anchors' dtype.
template <class Encode>
py::array encode_py(const py::array& anchors, const py::array& gt, Encode&& encode) {
  return with_float_dtype(anchors, "anchors", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* a = boxes_data<T>(anchors, "anchors", n);
    const T* g = rows_per_anchor<T>(gt, "gt_boxes", n);
    auto out = new_array<T>({static_cast<py::ssize_t>(n), 4});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      check_finite_fast(a, 4 * n, "anchors");
      check_finite_fast(g, 4 * n, "gt_boxes");
      encode(a, g, n, o);
    }
    return out;
  });
}

/// The delta decoders: anchors (N, 4) and deltas (N, 4*k) of the anchors' dtype, then
/// `decode(deltas, anchors, n, k, out)` fills a new (N, 4*k) array with the GIL released.
template <class Decode>
py::array decode_py(const py::array& deltas, const py::array& anchors, Decode&& decode) {
  return with_float_dtype(anchors, "anchors", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0, k = 0;
    const T* a = boxes_data<T>(anchors, "anchors", n);
    const T* d = codes_data<T>(deltas, "deltas", n, k);
    auto out = new_array<T>({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(4 * k)});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      decode(d, a, n, k, o);
    }
    return out;
  });
}

py::array box_encode_py(const py::array& anchors, const py::array& gt, const std::array<double, 4>& w) {
  return encode_py(anchors, gt, [&](auto* a, auto* g, std::size_t n, auto* o) {
    box_coder_encode(a, g, n, o, weights_of(w), Parallel{num_threads()});
  });
}

py::array box_decode_py(const py::array& deltas, const py::array& anchors, const std::array<double, 4>& w,
                        double clamp) {
  return decode_py(deltas, anchors, [&](auto* d, auto* a, std::size_t n, std::size_t k, auto* o) {
    // The kernel reports non-finite anchors; only then find and name the element.
    if (!box_coder_decode(d, a, n, k, o, weights_of(w), clamp, Parallel{num_threads()}))
      check_finite(a, 4 * n, "anchors");
  });
}

DeltaXYWHParams mmdet_params(const std::array<double, 4>& means, const std::array<double, 4>& stds,
                             double wh_ratio_clip, bool add_ctr_clamp, double ctr_clamp,
                             const std::optional<std::pair<double, double>>& max_shape) {
  DeltaXYWHParams p;
  for (int c = 0; c < 4; ++c) p.means[c] = means[static_cast<std::size_t>(c)], p.stds[c] = stds[static_cast<std::size_t>(c)];
  p.wh_ratio_clip = wh_ratio_clip;
  p.add_ctr_clamp = add_ctr_clamp;
  p.ctr_clamp = ctr_clamp;
  if (max_shape) p.clip = true, p.image_h = max_shape->first, p.image_w = max_shape->second;
  return p;
}

py::array mmdet_encode_py(const py::array& anchors, const py::array& gt, const std::array<double, 4>& means,
                          const std::array<double, 4>& stds) {
  const DeltaXYWHParams p = mmdet_params(means, stds, 16.0 / 1000.0, false, 32, std::nullopt);
  return encode_py(anchors, gt, [&](auto* a, auto* g, std::size_t n, auto* o) {
    delta_xywh_encode(a, g, n, o, p, Parallel{num_threads()});
  });
}

py::array mmdet_decode_py(const py::array& deltas, const py::array& anchors, const std::array<double, 4>& means,
                          const std::array<double, 4>& stds, double wh_ratio_clip, bool add_ctr_clamp,
                          double ctr_clamp, const std::optional<std::pair<double, double>>& max_shape) {
  const DeltaXYWHParams p = mmdet_params(means, stds, wh_ratio_clip, add_ctr_clamp, ctr_clamp, max_shape);
  return decode_py(deltas, anchors, [&](auto* d, auto* a, std::size_t n, std::size_t k, auto* o) {
    check_finite_fast(a, 4 * n, "anchors");
    delta_xywh_decode(d, a, n, k, o, p, Parallel{num_threads()});
  });
}

py::array distance_encode_py(const py::array& points, const py::array& gt, std::optional<double> max_dis,
                             double eps) {
  return with_float_dtype(gt, "gt_boxes", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* g = boxes_data<T>(gt, "gt_boxes", n);
    const T* p = points_data<T>(points, "points", n);
    LOCUSKIT_CHECK(!max_dis || *max_dis > 0, std::invalid_argument, "max_dis must be positive");
    auto out = new_array<T>({static_cast<py::ssize_t>(n), 4});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      distance_encode(p, g, n, o, max_dis ? *max_dis : 0.0, eps);
    }
    return out;
  });
}

py::array distance_decode_py(const py::array& points, const py::array& dist,
                             const std::optional<std::pair<double, double>>& max_shape) {
  return with_float_dtype(dist, "distances", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* d = boxes_data<T>(dist, "distances", n);
    const T* p = points_data<T>(points, "points", n);
    LOCUSKIT_CHECK(!max_shape || (max_shape->first > 0 && max_shape->second > 0), std::invalid_argument,
                   "max_shape must be positive");
    auto out = new_array<T>({static_cast<py::ssize_t>(n), 4});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      distance_decode(p, d, n, o, max_shape ? max_shape->first : 0.0, max_shape ? max_shape->second : 0.0);
    }
    return out;
  });
}

py::array linear_py(const py::array& x, const py::array& anchors, bool normalize, bool encode) {
  return with_float_dtype(anchors, "anchors", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* a = boxes_data<T>(anchors, "anchors", n);
    const T* b = rows_per_anchor<T>(x, encode ? "gt_boxes" : "rel_codes", n);
    auto out = new_array<T>({static_cast<py::ssize_t>(n), 4});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      if (encode) linear_coder_encode(a, b, n, o, normalize);
      else linear_coder_decode(b, a, n, o, normalize);
    }
    return out;
  });
}

py::tuple yolo_decode_py(const py::array& raw, const py::array_t<double, py::array::c_style | py::array::forcecast>& anchors_wh,
                         double stride, int version) {
  LOCUSKIT_CHECK(version == 3 || version == 5, std::invalid_argument, "version must be 3 or 5, got ", version);
  LOCUSKIT_CHECK(anchors_wh.ndim() == 2 && anchors_wh.shape(1) == 2 && anchors_wh.shape(0) > 0,
                 std::invalid_argument, "anchors: expected shape (A, 2) with A > 0");
  const auto na = static_cast<std::size_t>(anchors_wh.shape(0));
  return with_float_dtype(raw, "raw", [&](auto tag) -> py::tuple {
    using T = decltype(tag);
    const T* r = nd_data<T>(raw, "raw", 4);
    const auto b = static_cast<std::size_t>(raw.shape(0)), ch = static_cast<std::size_t>(raw.shape(1)),
               h = static_cast<std::size_t>(raw.shape(2)), w = static_cast<std::size_t>(raw.shape(3));
    LOCUSKIT_CHECK(ch % na == 0 && ch / na >= 5, std::invalid_argument, "raw: ", ch,
                   " channels do not split into ", na, " anchors x (5 + classes)");
    const std::size_t nc = ch / na - 5, per = na * h * w;
    auto boxes = new_array<T>({static_cast<py::ssize_t>(b), static_cast<py::ssize_t>(per), 4});
    auto scores = new_array<T>({static_cast<py::ssize_t>(b), static_cast<py::ssize_t>(per), static_cast<py::ssize_t>(nc)});
    auto obj = new_array<T>({static_cast<py::ssize_t>(b), static_cast<py::ssize_t>(per)});
    T *bo = boxes.mutable_data(), *so = scores.mutable_data(), *oo = obj.mutable_data();
    const double* aw = anchors_wh.data();
    {
      py::gil_scoped_release release;
      for (std::size_t i = 0; i < b; ++i)
        yolo_decode(r + i * ch * h * w, na, nc, h, w, aw, stride, version == 3 ? YoloVersion::v3 : YoloVersion::v5,
                    bo + i * per * 4, so + i * per * nc, oo + i * per);
    }
    return py::make_tuple(boxes, scores, obj);
  });
}

py::tuple yolov8_decode_py(const py::array& raw, std::size_t reg_max, double stride) {
  return with_float_dtype(raw, "raw", [&](auto tag) -> py::tuple {
    using T = decltype(tag);
    const T* r = nd_data<T>(raw, "raw", 4);
    const auto b = static_cast<std::size_t>(raw.shape(0)), ch = static_cast<std::size_t>(raw.shape(1)),
               h = static_cast<std::size_t>(raw.shape(2)), w = static_cast<std::size_t>(raw.shape(3));
    LOCUSKIT_CHECK(reg_max > 0 && ch >= 4 * reg_max, std::invalid_argument, "raw: ", ch,
                   " channels are fewer than 4 * reg_max = ", 4 * reg_max);
    const std::size_t nc = ch - 4 * reg_max, per = h * w;
    auto boxes = new_array<T>({static_cast<py::ssize_t>(b), static_cast<py::ssize_t>(per), 4});
    auto scores = new_array<T>({static_cast<py::ssize_t>(b), static_cast<py::ssize_t>(per), static_cast<py::ssize_t>(nc)});
    T *bo = boxes.mutable_data(), *so = scores.mutable_data();
    {
      py::gil_scoped_release release;
      for (std::size_t i = 0; i < b; ++i)
        yolov8_decode(r + i * ch * h * w, reg_max, nc, h, w, stride, bo + i * per * 4, so + i * per * nc);
    }
    return py::make_tuple(boxes, scores);
  });
}

py::array centernet_peaks_py(const py::array& heat) {
  return with_float_dtype(heat, "heat", [&](auto tag) -> py::array {
    using T = decltype(tag);
    const T* hp = nd_data<T>(heat, "heat", 4);
    const auto b = static_cast<std::size_t>(heat.shape(0)), c = static_cast<std::size_t>(heat.shape(1)),
               h = static_cast<std::size_t>(heat.shape(2)), w = static_cast<std::size_t>(heat.shape(3));
    py::array_t<T> out({heat.shape(0), heat.shape(1), heat.shape(2), heat.shape(3)});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      check_finite(hp, b * c * h * w, "heat");
      for (std::size_t i = 0; i < b; ++i) centernet_peaks(hp + i * c * h * w, c, h, w, o + i * c * h * w);
    }
    return out;
  });
}

py::tuple centernet_decode_py(const py::array& heat, const py::array& wh, const std::optional<py::array>& offset,
                              std::size_t k, double down_ratio) {
  return with_float_dtype(heat, "heat", [&](auto tag) -> py::tuple {
    using T = decltype(tag);
    const T* hp = nd_data<T>(heat, "heat", 4);
    const auto b = static_cast<std::size_t>(heat.shape(0)), c = static_cast<std::size_t>(heat.shape(1)),
               h = static_cast<std::size_t>(heat.shape(2)), w = static_cast<std::size_t>(heat.shape(3));
    const T* whp = nd_data<T>(wh, "wh", 4, "heat");
    LOCUSKIT_CHECK(static_cast<std::size_t>(wh.shape(0)) == b && wh.shape(1) == 2 &&
                       static_cast<std::size_t>(wh.shape(2)) == h && static_cast<std::size_t>(wh.shape(3)) == w,
                   std::invalid_argument, "wh: expected shape (", b, ", 2, ", h, ", ", w, "), got ", shape_str(wh));
    const T* op = nullptr;
    if (offset) {
      op = nd_data<T>(*offset, "offset", 4, "heat");
      LOCUSKIT_CHECK(static_cast<std::size_t>(offset->shape(0)) == b && offset->shape(1) == 2 &&
                         static_cast<std::size_t>(offset->shape(2)) == h &&
                         static_cast<std::size_t>(offset->shape(3)) == w,
                     std::invalid_argument, "offset: expected shape (", b, ", 2, ", h, ", ", w, "), got ",
                     shape_str(*offset));
    }
    const std::size_t kk = std::min(k, c * h * w);
    auto boxes = new_array<T>({static_cast<py::ssize_t>(b), static_cast<py::ssize_t>(kk), 4});
    auto scores = new_array<T>({static_cast<py::ssize_t>(b), static_cast<py::ssize_t>(kk)});
    auto classes = new_array<std::int64_t>({static_cast<py::ssize_t>(b), static_cast<py::ssize_t>(kk)});
    T *bo = boxes.mutable_data(), *so = scores.mutable_data();
    std::int64_t* co = classes.mutable_data();
    {
      py::gil_scoped_release release;
      check_finite(hp, b * c * h * w, "heat");
      CenterNetWorkspace<T> ws;  // one per call, shared by the images of the batch
      for (std::size_t i = 0; i < b; ++i)
        centernet_decode(hp + i * c * h * w, c, h, w, whp + i * 2 * h * w, op ? op + i * 2 * h * w : nullptr, kk,
                         down_ratio, bo + i * kk * 4, so + i * kk, co + i * kk, &ws);
    }
    return py::make_tuple(boxes, scores, classes);
  });
}

}  // namespace

void bind_coder(py::module_& parent) {
  py::module_ m = parent.def_submodule("coder", "Box coders (use locuskit.coders)");
  m.def("box_coder_encode", &box_encode_py, py::arg("anchors"), py::arg("gt_boxes"), py::arg("weights"));
  m.def("box_coder_decode", &box_decode_py, py::arg("deltas"), py::arg("anchors"), py::arg("weights"),
        py::arg("scale_clamp"));
  m.def("delta_xywh_encode", &mmdet_encode_py, py::arg("anchors"), py::arg("gt_boxes"), py::arg("means"),
        py::arg("stds"));
  m.def("delta_xywh_decode", &mmdet_decode_py, py::arg("deltas"), py::arg("anchors"), py::arg("means"),
        py::arg("stds"), py::arg("wh_ratio_clip"), py::arg("add_ctr_clamp"), py::arg("ctr_clamp"),
        py::arg("max_shape"));
  m.def("distance_encode", &distance_encode_py, py::arg("points"), py::arg("gt_boxes"), py::arg("max_dis"),
        py::arg("eps"));
  m.def("distance_decode", &distance_decode_py, py::arg("points"), py::arg("distances"), py::arg("max_shape"));
  m.def("linear_coder", &linear_py, py::arg("x"), py::arg("anchors"), py::arg("normalize_by_size"),
        py::arg("encode"));
  m.def("yolo_decode", &yolo_decode_py, py::arg("raw"), py::arg("anchors"), py::arg("stride"), py::arg("version"));
  m.def("yolov8_decode", &yolov8_decode_py, py::arg("raw"), py::arg("reg_max"), py::arg("stride"));
  m.def("centernet_peaks", &centernet_peaks_py, py::arg("heat"));
  m.def("centernet_decode", &centernet_decode_py, py::arg("heat"), py::arg("wh"), py::arg("offset"), py::arg("k"),
        py::arg("down_ratio"));
}

}  // namespace locuskit::python
