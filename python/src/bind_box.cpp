// Box geometry bindings: thin wrappers that validate, release the GIL and call the C++ API.
#include <cmath>
#include <optional>
#include <vector>

#include <locuskit/box/aligned.hpp>
#include <locuskit/box/area.hpp>
#include <locuskit/box/clip.hpp>
#include <locuskit/box/convert.hpp>
#include <locuskit/box/filter.hpp>
#include <locuskit/box/iou.hpp>
#include <locuskit/box/iou_family.hpp>
#include <locuskit/box/iou_reduce.hpp>
#include <locuskit/box/loss.hpp>
#include <locuskit/box/validate.hpp>

#include "arrays.hpp"

namespace locuskit::python {

Degenerate parse_degenerate(const std::string& s) {
  if (s == "zero") return Degenerate::zero;
  if (s == "nan") return Degenerate::nan;
  if (s == "one") return Degenerate::one;
  throw std::invalid_argument("degenerate: expected 'zero', 'nan' or 'one', got '" + s + "'");
}

namespace {

/// Two (N, 4) / (M, 4) arrays of the same float dtype; calls f(T{}, a, n, b, m).
template <class F>
decltype(auto) with_two_box_sets(const py::array& boxes1, const py::array& boxes2, F&& f) {
  return with_float_dtype(boxes1, "boxes1", [&](auto tag) {
    using T = decltype(tag);
    std::size_t n = 0, m = 0;
    const T* a = boxes_data<T>(boxes1, "boxes1", n);
    require_dtype<T>(boxes2, "boxes2", "boxes1");
    const T* b = boxes_data<T>(boxes2, "boxes2", m);
    return f(tag, a, n, b, m);
  });
}

/// The (n, m) result array: `out` if given (dtype T, that shape, C-contiguous, writeable: a loop
/// reuses one buffer instead of paying for a fresh matrix per call), else a new one.
template <class T>
py::array pairwise_out(const std::optional<py::array>& out, std::size_t n, std::size_t m, T*& data) {
  if (!out) {
    auto a = new_array<T>({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(m)});
    data = a.mutable_data();
    return std::move(a);
  }
  const py::array& o = *out;
  require_dtype<T>(o, "out", "boxes1");
  require_shape(o, "out", {static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(m)}, "(N, M)");
  if (!(o.flags() & py::array::c_style))
    throw std::invalid_argument("out: must be C-contiguous (it is written in place)");
  if (!o.writeable()) throw std::invalid_argument("out: array is read-only");
  data = static_cast<T*>(const_cast<void*>(o.data()));
  return o;
}

py::array box_iou_py(const py::array& boxes1, const py::array& boxes2, const std::string& degenerate,
                     const std::optional<py::array>& out_arg) {
  const Degenerate deg = parse_degenerate(degenerate);
  return with_two_box_sets(boxes1, boxes2, [&](auto tag, auto a, std::size_t n, auto b, std::size_t m) -> py::array {
    using T = decltype(tag);
    T* o = nullptr;
    py::array out = pairwise_out<T>(out_arg, n, m, o);
    {
      py::gil_scoped_release release;
      check_boxes_xyxy(a, n, "boxes1");
      check_boxes_xyxy(b, m, "boxes2");
      box_iou(a, n, b, m, o, deg, Parallel{num_threads()});
    }
    return out;
  });
}

py::tuple box_iou_max_py(const py::array& boxes1, const py::array& boxes2, const std::string& degenerate) {
  const Degenerate deg = parse_degenerate(degenerate);
  return with_two_box_sets(boxes1, boxes2, [&](auto tag, auto a, std::size_t n, auto b, std::size_t m) -> py::tuple {
    using T = decltype(tag);
    auto max1 = new_array<T>({static_cast<py::ssize_t>(n)});
    auto arg1 = new_array<std::int64_t>({static_cast<py::ssize_t>(n)});
    auto max2 = new_array<T>({static_cast<py::ssize_t>(m)});
    auto arg2 = new_array<std::int64_t>({static_cast<py::ssize_t>(m)});
    T *p1 = max1.mutable_data(), *p2 = max2.mutable_data();
    std::int64_t *q1 = arg1.mutable_data(), *q2 = arg2.mutable_data();
    {
      py::gil_scoped_release release;
      check_boxes_xyxy(a, n, "boxes1");
      check_boxes_xyxy(b, m, "boxes2");
      box_iou_max(a, n, b, m, p1, q1, p2, q2, deg, Parallel{num_threads()});
    }
    return py::make_tuple(max1, arg1, max2, arg2);
  });
}

IouKind parse_iou_kind(const std::string& s) {
  if (s == "iou") return IouKind::iou;
  if (s == "giou") return IouKind::giou;
  if (s == "diou") return IouKind::diou;
  if (s == "ciou") return IouKind::ciou;
  if (s == "ioa") return IouKind::ioa;
  throw std::invalid_argument("kind: expected 'iou', 'giou', 'diou', 'ciou' or 'ioa', got '" + s + "'");
}

BoxLossKind parse_loss_kind(const std::string& s) {
  if (s == "iou") return BoxLossKind::iou;
  if (s == "giou") return BoxLossKind::giou;
  if (s == "diou") return BoxLossKind::diou;
  if (s == "ciou") return BoxLossKind::ciou;
  throw std::invalid_argument("kind: expected 'iou', 'giou', 'diou' or 'ciou', got '" + s + "'");
}

Reduction parse_reduction(const std::string& s) {
  if (s == "none") return Reduction::none;
  if (s == "mean") return Reduction::mean;
  if (s == "sum") return Reduction::sum;
  throw std::invalid_argument("reduction: expected 'none', 'mean' or 'sum', got '" + s + "'");
}

void check_eps(double eps) {
  if (!(std::isfinite(eps) && eps >= 0))
    throw std::invalid_argument("eps: must be finite and >= 0, got " + std::to_string(eps));
}

/// Checks a (N, 4) array in `fmt`: finite coordinates, and x1 <= x2, y1 <= y2 (xyxy) or
/// w, h >= 0 (xywh, cxcywh).
template <class T>
void check_boxes_in_format(const T* b, std::size_t n, BoxFormat fmt, const char* what) {
  if (fmt == BoxFormat::xyxy) return check_boxes_xyxy(b, n, what);
  check_finite(b, 4 * n, what);
  for (std::size_t i = 0; i < n; ++i)
    LOCUSKIT_CHECK(b[4 * i + 2] >= T(0) && b[4 * i + 3] >= T(0), std::invalid_argument, what, ": box ", i,
                   " has a negative width or height (", b[4 * i + 2], ", ", b[4 * i + 3], ")");
}

void require_same_length(std::size_t n, std::size_t m) {
  if (n != m)
    throw std::invalid_argument("boxes2: aligned pairs need the same number of boxes as boxes1 (" +
                                std::to_string(n) + "), got " + std::to_string(m));
}

py::array box_convert_py(const py::array& boxes, const std::string& in_fmt, const std::string& out_fmt) {
  const BoxFormat from = parse_box_format(in_fmt, "in_fmt"), to = parse_box_format(out_fmt, "out_fmt");
  return with_float_dtype(boxes, "boxes", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* b = boxes_data<T>(boxes, "boxes", n);
    auto out = new_array<T>({static_cast<py::ssize_t>(n), 4});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      check_boxes_in_format(b, n, from, "boxes");
      box_convert(b, n, from, to, o);
    }
    return out;
  });
}

py::array box_area_py(const py::array& boxes) {
  return with_float_dtype(boxes, "boxes", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* b = boxes_data<T>(boxes, "boxes", n);
    auto out = new_array<T>({static_cast<py::ssize_t>(n)});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      check_boxes_xyxy(b, n, "boxes");
      box_area(b, n, o);
    }
    return out;
  });
}

py::array clip_boxes_py(const py::array& boxes, double height, double width) {
  if (!(std::isfinite(height) && std::isfinite(width) && height >= 0 && width >= 0))
    throw std::invalid_argument("size: (height, width) must be finite and >= 0, got (" + std::to_string(height) +
                                ", " + std::to_string(width) + ")");
  return with_float_dtype(boxes, "boxes", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* b = boxes_data<T>(boxes, "boxes", n);
    auto out = new_array<T>({static_cast<py::ssize_t>(n), 4});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      check_boxes_xyxy(b, n, "boxes");
      clip_boxes_to_image(b, n, static_cast<T>(height), static_cast<T>(width), o);
    }
    return out;
  });
}

py::array remove_small_boxes_py(const py::array& boxes, double min_size) {
  if (std::isnan(min_size)) throw std::invalid_argument("min_size: is NaN");
  return with_float_dtype(boxes, "boxes", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* b = boxes_data<T>(boxes, "boxes", n);
    std::vector<std::int64_t> keep(n);
    std::size_t k = 0;
    {
      py::gil_scoped_release release;
      check_boxes_xyxy(b, n, "boxes");
      k = remove_small_boxes(b, n, static_cast<T>(min_size), keep.data());
    }
    auto out = new_array<std::int64_t>({static_cast<py::ssize_t>(k)});
    std::copy(keep.begin(), keep.begin() + static_cast<std::ptrdiff_t>(k), out.mutable_data());
    return out;
  });
}

py::array box_iou_family_py(const py::array& boxes1, const py::array& boxes2, const std::string& kind,
                            const std::string& degenerate, double eps, const std::optional<py::array>& out_arg) {
  const IouKind k = parse_iou_kind(kind);
  const Degenerate deg = parse_degenerate(degenerate);
  check_eps(eps);
  return with_two_box_sets(boxes1, boxes2, [&](auto tag, auto a, std::size_t n, auto b, std::size_t m) -> py::array {
    using T = decltype(tag);
    T* o = nullptr;
    py::array out = pairwise_out<T>(out_arg, n, m, o);
    {
      py::gil_scoped_release release;
      check_boxes_xyxy(a, n, "boxes1");
      check_boxes_xyxy(b, m, "boxes2");
      if (k == IouKind::iou)
        box_iou(a, n, b, m, o, deg, Parallel{num_threads()});
      else
        box_iou_family(k, a, n, b, m, o, deg, static_cast<T>(eps), Parallel{num_threads()});
    }
    return out;
  });
}

py::array box_iou_family_aligned_py(const py::array& boxes1, const py::array& boxes2, const std::string& kind,
                                    const std::string& degenerate, double eps) {
  const IouKind k = parse_iou_kind(kind);
  const Degenerate deg = parse_degenerate(degenerate);
  check_eps(eps);
  return with_two_box_sets(boxes1, boxes2, [&](auto tag, auto a, std::size_t n, auto b, std::size_t m) -> py::array {
    using T = decltype(tag);
    require_same_length(n, m);
    auto out = new_array<T>({static_cast<py::ssize_t>(n)});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      check_boxes_xyxy(a, n, "boxes1");
      check_boxes_xyxy(b, m, "boxes2");
      box_iou_family_aligned(k, a, b, n, o, deg, static_cast<T>(eps), Parallel{num_threads()});
    }
    return out;
  });
}

/// Returns (loss, grad or None); loss is (N,) for reduction "none", else a (1,) array.
py::tuple box_loss_py(const py::array& boxes1, const py::array& boxes2, const std::string& kind,
                      const std::string& reduction, double eps, const std::string& degenerate, bool return_grad) {
  const BoxLossKind k = parse_loss_kind(kind);
  const Reduction red = parse_reduction(reduction);
  const Degenerate deg = parse_degenerate(degenerate);
  check_eps(eps);
  return with_two_box_sets(boxes1, boxes2, [&](auto tag, auto a, std::size_t n, auto b, std::size_t m) -> py::tuple {
    using T = decltype(tag);
    require_same_length(n, m);
    auto loss = new_array<T>({static_cast<py::ssize_t>(n)});
    py::array_t<T> grad;
    T* g = nullptr;
    if (return_grad) {
      grad = new_array<T>({static_cast<py::ssize_t>(n), 4});
      g = grad.mutable_data();
    }
    T* l = loss.mutable_data();
    T reduced = T(0);
    {
      py::gil_scoped_release release;
      // Inverted or zero-size boxes get torchvision's value (a loss, not an error): only
      // non-finite coordinates are refused.
      check_finite(a, 4 * n, "boxes1");
      check_finite(b, 4 * m, "boxes2");
      box_loss(k, a, b, n, l, g, static_cast<T>(eps), deg, Parallel{num_threads()});
      if (red != Reduction::none) {
        reduced = reduce_loss(l, n, red);
        if (g && red == Reduction::mean) {
          const T scale = T(1) / static_cast<T>(n);
          for (std::size_t i = 0; i < 4 * n; ++i) g[i] *= scale;
        }
      }
    }
    py::object grad_obj = return_grad ? py::object(grad) : py::object(py::none());
    if (red == Reduction::none) return py::make_tuple(loss, grad_obj);
    auto scalar = new_array<T>({1});
    scalar.mutable_data()[0] = reduced;
    return py::make_tuple(scalar, grad_obj);
  });
}

}  // namespace

void bind_box(py::module_& parent) {
  py::module_ m = parent.def_submodule("box", "Box formats, IoU family, losses (use locuskit.ops)");
  m.def("box_iou", &box_iou_py, py::arg("boxes1"), py::arg("boxes2"), py::arg("degenerate") = "zero",
        py::arg("out") = py::none());
  m.def("box_iou_max", &box_iou_max_py, py::arg("boxes1"), py::arg("boxes2"),
        py::arg("degenerate") = "zero");
  m.def("box_convert", &box_convert_py, py::arg("boxes"), py::arg("in_fmt"), py::arg("out_fmt"));
  m.def("box_area", &box_area_py, py::arg("boxes"));
  m.def("clip_boxes_to_image", &clip_boxes_py, py::arg("boxes"), py::arg("height"), py::arg("width"));
  m.def("remove_small_boxes", &remove_small_boxes_py, py::arg("boxes"), py::arg("min_size"));
  m.def("box_iou_family", &box_iou_family_py, py::arg("boxes1"), py::arg("boxes2"), py::arg("kind"),
        py::arg("degenerate") = "zero", py::arg("eps") = 1e-7, py::arg("out") = py::none());
  m.def("box_iou_family_aligned", &box_iou_family_aligned_py, py::arg("boxes1"), py::arg("boxes2"),
        py::arg("kind"), py::arg("degenerate") = "zero", py::arg("eps") = 1e-7);
  m.def("box_loss", &box_loss_py, py::arg("boxes1"), py::arg("boxes2"), py::arg("kind"),
        py::arg("reduction") = "none", py::arg("eps") = 1e-7, py::arg("degenerate") = "zero",
        py::arg("return_grad") = false);
}

}  // namespace locuskit::python
