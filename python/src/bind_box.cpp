// Box geometry bindings: thin wrappers that validate, release the GIL and call the C++ API.
#include <locuskit/box/iou.hpp>
#include <locuskit/box/iou_reduce.hpp>
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

py::array box_iou_py(const py::array& boxes1, const py::array& boxes2, const std::string& degenerate) {
  const Degenerate deg = parse_degenerate(degenerate);
  return with_float_dtype(boxes1, "boxes1", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0, m = 0;
    const T* a = boxes_data<T>(boxes1, "boxes1", n);
    require_dtype<T>(boxes2, "boxes2", "boxes1");
    const T* b = boxes_data<T>(boxes2, "boxes2", m);
    auto out = new_array<T>({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(m)});
    T* o = out.mutable_data();
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
  return with_float_dtype(boxes1, "boxes1", [&](auto tag) -> py::tuple {
    using T = decltype(tag);
    std::size_t n = 0, m = 0;
    const T* a = boxes_data<T>(boxes1, "boxes1", n);
    require_dtype<T>(boxes2, "boxes2", "boxes1");
    const T* b = boxes_data<T>(boxes2, "boxes2", m);
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

}  // namespace

void bind_box(py::module_& m) {
  m.def("box_iou", &box_iou_py, py::arg("boxes1"), py::arg("boxes2"), py::arg("degenerate") = "zero");
  m.def("box_iou_max", &box_iou_max_py, py::arg("boxes1"), py::arg("boxes2"),
        py::arg("degenerate") = "zero");
}

}  // namespace locuskit::python
