// NMS family bindings: validate with the GIL held, release it around the C++ call.
#include <locuskit/box/validate.hpp>
#include <locuskit/nms.hpp>

#include <cmath>
#include <limits>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

IouRule parse_rule(const std::string& s) {
  if (s == "torchvision" || s == ">") return IouRule::torchvision;
  if (s == "cuda") return IouRule::cuda;
  if (s == ">=" || s == "greater_equal") return IouRule::greater_equal;
  throw std::invalid_argument("rule: expected 'torchvision' (or '>'), 'cuda' or '>=', got '" + s + "'");
}

void check_unit(double v, const char* name) {
  if (!(v >= 0.0 && v <= 1.0))
    throw std::invalid_argument(std::string(name) + ": must lie in [0, 1], got " + std::to_string(v));
}

std::size_t to_max(py::ssize_t v) {
  return v < 0 ? std::numeric_limits<std::size_t>::max() : static_cast<std::size_t>(v);
}

/// (N, 4) boxes and (N,) scores of the same float dtype; validated (finite, not inverted, no NaN score).
template <class T>
std::size_t boxes_scores(const py::array& boxes, const py::array& scores, const T*& b, const T*& s) {
  std::size_t n = 0;
  b = boxes_data<T>(boxes, "boxes", n);
  s = vector_data<T>(scores, "scores", static_cast<py::ssize_t>(n), "boxes");
  return n;
}

template <class T>
void validate(const T* b, const T* s, std::size_t n) {
  check_boxes_xyxy(b, n, "boxes");
  check_finite(s, n, "scores", /*allow_inf=*/true);
}

py::array nms_py(const py::array& boxes, const py::array& scores, double iou_threshold,
                 const std::string& rule, py::ssize_t max_output) {
  check_unit(iou_threshold, "iou_threshold");
  NmsOptions opts{parse_rule(rule), to_max(max_output)};
  return with_float_dtype(boxes, "boxes", [&](auto tag) -> py::array {
    using T = decltype(tag);
    const T *b, *s;
    const std::size_t n = boxes_scores<T>(boxes, scores, b, s);
    std::vector<std::int64_t> keep(n);
    std::size_t k = 0;
    {
      py::gil_scoped_release release;
      validate(b, s, n);
      k = nms(b, s, n, iou_threshold, keep.data(), opts);
    }
    auto out = new_array<std::int64_t>({static_cast<py::ssize_t>(k)});
    std::copy(keep.begin(), keep.begin() + k, out.mutable_data());
    return out;
  });
}

const std::int64_t* classes_data(const py::array& idxs, std::size_t n) {
  return vector_data<std::int64_t>(idxs, "idxs", static_cast<py::ssize_t>(n), "boxes rows");
}

py::array batched_nms_py(const py::array& boxes, const py::array& scores, const py::array& idxs,
                         double iou_threshold, const std::string& rule, py::ssize_t max_output) {
  check_unit(iou_threshold, "iou_threshold");
  NmsOptions opts{parse_rule(rule), to_max(max_output)};
  return with_float_dtype(boxes, "boxes", [&](auto tag) -> py::array {
    using T = decltype(tag);
    const T *b, *s;
    const std::size_t n = boxes_scores<T>(boxes, scores, b, s);
    const std::int64_t* c = classes_data(idxs, n);
    std::vector<std::int64_t> keep(n);
    std::size_t k = 0;
    {
      py::gil_scoped_release release;
      validate(b, s, n);
      k = batched_nms(b, s, c, n, iou_threshold, keep.data(), opts);
    }
    auto out = new_array<std::int64_t>({static_cast<py::ssize_t>(k)});
    std::copy(keep.begin(), keep.begin() + k, out.mutable_data());
    return out;
  });
}

}  // namespace

void bind_nms(py::module_& m) {
  m.def("nms", &nms_py, py::arg("boxes"), py::arg("scores"), py::arg("iou_threshold"),
        py::arg("rule") = "torchvision", py::arg("max_output") = -1);
  m.def("batched_nms", &batched_nms_py, py::arg("boxes"), py::arg("scores"), py::arg("idxs"),
        py::arg("iou_threshold"), py::arg("rule") = "torchvision", py::arg("max_output") = -1);
}

}  // namespace locuskit::python
