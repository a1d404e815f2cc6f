// Python bindings for the match area: validate with the GIL held, release it around the kernels.
#include <locuskit/box/validate.hpp>
#include <locuskit/match.hpp>

#include <optional>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

template <class T>
const T* matrix_data(const py::array& a, const char* name, std::size_t& r, std::size_t& c) {
  require_dtype<T>(a, name);
  if (a.ndim() != 2) throw std::invalid_argument(std::string(name) + ": expected a 2-D array, got shape " + shape_str(a));
  require_contiguous(a, name);
  r = static_cast<std::size_t>(a.shape(0));
  c = static_cast<std::size_t>(a.shape(1));
  return static_cast<const T*>(a.data());
}

template <class T>
struct BoxPair {
  const T* gt;
  const T* preds;
  std::size_t m, n;
};

template <class T>
BoxPair<T> box_pair(const py::array& gt, const py::array& preds, const char* preds_name) {
  BoxPair<T> p{};
  p.gt = boxes_data<T>(gt, "gt_boxes", p.m);
  require_dtype<T>(preds, preds_name, "gt_boxes");
  p.preds = boxes_data<T>(preds, preds_name, p.n);
  return p;
}

/// The box matchers and assigners: gt_boxes (M, 4) and `preds` (N, 4) of gt_boxes' float dtype,
/// checked as valid xyxy with the GIL released, then `match(pair, indices, values)` fills a new int64
/// (N,) index array and a (N,) value array, returned as a tuple in that order.
template <class Match>
py::tuple match_boxes_pair(const py::array& gt, const py::array& preds, const char* preds_name, Match&& match) {
  return with_float_dtype(gt, "gt_boxes", [&](auto tag) -> py::tuple {
    using T = decltype(tag);
    auto p = box_pair<T>(gt, preds, preds_name);
    auto indices = new_array<std::int64_t>({static_cast<py::ssize_t>(p.n)});
    auto vals = new_array<T>({static_cast<py::ssize_t>(p.n)});
    std::int64_t* io = indices.mutable_data();
    T* vo = vals.mutable_data();
    {
      py::gil_scoped_release release;
      check_boxes_xyxy(p.gt, p.m, "gt_boxes");
      check_boxes_xyxy(p.preds, p.n, preds_name);
      match(p, io, vo);
    }
    return py::make_tuple(indices, vals);
  });
}

py::tuple matcher_dense_py(const py::array& quality, double high, double low, bool allow_low) {
  return with_float_dtype(quality, "match_quality_matrix", [&](auto tag) -> py::tuple {
    using T = decltype(tag);
    std::size_t m = 0, n = 0;
    const T* q = matrix_data<T>(quality, "match_quality_matrix", m, n);
    auto matches = new_array<std::int64_t>({static_cast<py::ssize_t>(n)});
    auto vals = new_array<T>({static_cast<py::ssize_t>(n)});
    std::int64_t* mo = matches.mutable_data();
    T* vo = vals.mutable_data();
    {
      py::gil_scoped_release release;
      matcher_dense(q, m, n, high, low, allow_low, mo, vo);
    }
    return py::make_tuple(matches, vals);
  });
}

py::tuple match_boxes_py(const py::array& gt, const py::array& preds, double high, double low, bool allow_low) {
  return match_boxes_pair(gt, preds, "anchors", [&](const auto& p, std::int64_t* mo, auto* vo) {
    match_boxes(p.gt, p.m, p.preds, p.n, high, low, allow_low, mo, vo, Parallel{num_threads()});
  });
}

py::tuple d2_match_py(const py::array& quality_or_gt, const std::optional<py::array>& preds,
                      const std::vector<double>& thresholds, const std::vector<int>& labels_in, bool allow_low) {
  LOCUSKIT_CHECK(labels_in.size() == thresholds.size() + 1, std::invalid_argument,
                 "labels: need len(thresholds) + 1 = ", thresholds.size() + 1, " labels, got ", labels_in.size());
  std::vector<std::int8_t> labels;
  for (int l : labels_in) {
    LOCUSKIT_CHECK(l >= -1 && l <= 1, std::invalid_argument, "labels must be -1, 0 or 1, got ", l);
    labels.push_back(static_cast<std::int8_t>(l));
  }
  return with_float_dtype(quality_or_gt, preds ? "gt_boxes" : "match_quality_matrix", [&](auto tag) -> py::tuple {
    using T = decltype(tag);
    std::size_t m = 0, n = 0;
    const T* q = nullptr;
    BoxPair<T> p{};
    if (preds) {
      p = box_pair<T>(quality_or_gt, *preds, "anchors");
      m = p.m, n = p.n;
    } else {
      q = matrix_data<T>(quality_or_gt, "match_quality_matrix", m, n);
    }
    auto matches = new_array<std::int64_t>({static_cast<py::ssize_t>(n)});
    auto out_labels = new_array<std::int8_t>({static_cast<py::ssize_t>(n)});
    std::int64_t* mo = matches.mutable_data();
    std::int8_t* lo = out_labels.mutable_data();
    {
      py::gil_scoped_release release;
      if (preds) {
        check_boxes_xyxy(p.gt, p.m, "gt_boxes");
        check_boxes_xyxy(p.preds, p.n, "anchors");
        match_boxes_labels(p.gt, m, p.preds, n, thresholds.data(), thresholds.size(), labels.data(), allow_low, mo, lo,
                           Parallel{num_threads()});
      } else {
        check_finite(q, m * n, "match_quality_matrix", true);
        matcher_labels_dense(q, m, n, thresholds.data(), thresholds.size(), labels.data(), allow_low, mo, lo);
      }
    }
    return py::make_tuple(matches, out_labels);
  });
}

py::tuple ssd_match_py(const py::array& gt, const py::array& preds, double thr) {
  return match_boxes_pair(gt, preds, "anchors", [&](const auto& p, std::int64_t* mo, auto* vo) {
    ssd_match_boxes(p.gt, p.m, p.preds, p.n, thr, mo, vo, Parallel{num_threads()});
  });
}

py::tuple max_iou_assign_py(const py::array& gt, const py::array& preds, double pos, double neg_lo, double neg_hi,
                            double min_pos, bool assign_all, bool low_quality) {
  MaxIoUAssignerParams prm;
  prm.pos_iou_thr = pos, prm.neg_iou_thr_low = neg_lo, prm.neg_iou_thr_high = neg_hi, prm.min_pos_iou = min_pos;
  prm.gt_max_assign_all = assign_all, prm.match_low_quality = low_quality;
  return match_boxes_pair(gt, preds, "bboxes", [&](const auto& p, std::int64_t* ao, auto* vo) {
    max_iou_assign(p.gt, p.m, p.preds, p.n, prm, ao, vo, Parallel{num_threads()});
  });
}

py::tuple atss_py(const py::array& anchors, const std::vector<std::size_t>& levels, const py::array& gt,
                  std::size_t topk, double eps) {
  return match_boxes_pair(gt, anchors, "anchors", [&](const auto& p, std::int64_t* ao, auto* vo) {
    atss_assign(p.preds, p.n, levels.data(), levels.size(), p.gt, p.m, topk, ao, vo, eps);
  });
}

py::tuple lsa_py(const py::array& cost, bool maximize) {
  return with_float_dtype(cost, "cost_matrix", [&](auto tag) -> py::tuple {
    using T = decltype(tag);
    std::size_t r = 0, c = 0;
    const T* q = matrix_data<T>(cost, "cost_matrix", r, c);
    const std::size_t k = std::min(r, c);
    auto rows = new_array<std::int64_t>({static_cast<py::ssize_t>(k)});
    auto cols = new_array<std::int64_t>({static_cast<py::ssize_t>(k)});
    std::int64_t *ro = rows.mutable_data(), *co = cols.mutable_data();
    {
      py::gil_scoped_release release;
      linear_sum_assignment(q, r, c, ro, co, maximize);
    }
    return py::make_tuple(rows, cols);
  });
}

py::array detr_cost_py(const py::array& probs, const py::array& pred_boxes, const py::array& gt_labels,
                       const py::array& gt_boxes, double cost_class, double cost_bbox, double cost_giou, bool focal,
                       double alpha, double gamma) {
  DetrCostParams prm;
  prm.cost_class = cost_class, prm.cost_bbox = cost_bbox, prm.cost_giou = cost_giou, prm.focal = focal;
  prm.focal_alpha = alpha, prm.focal_gamma = gamma;
  return with_float_dtype(probs, "pred_probs", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0, c = 0, n2 = 0, m = 0;
    const T* pr = matrix_data<T>(probs, "pred_probs", n, c);
    require_dtype<T>(pred_boxes, "pred_boxes", "pred_probs");
    const T* pb = boxes_data<T>(pred_boxes, "pred_boxes", n2);
    LOCUSKIT_CHECK(n2 == n, std::invalid_argument, "pred_boxes: expected ", n, " rows (one per prediction), got ", n2);
    require_dtype<T>(gt_boxes, "gt_boxes", "pred_probs");
    const T* gb = boxes_data<T>(gt_boxes, "gt_boxes", m);
    const std::int64_t* gl = vector_data<std::int64_t>(gt_labels, "gt_labels", static_cast<py::ssize_t>(m));
    auto out = new_array<T>({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(m)});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      check_finite(pr, n * c, "pred_probs");
      check_finite(pb, 4 * n, "pred_boxes");
      check_finite(gb, 4 * m, "gt_boxes");
      detr_cost_matrix(pr, n, c, pb, gl, gb, m, o, prm);
    }
    return out;
  });
}

}  // namespace

void bind_match(py::module_& parent) {
  py::module_ m = parent.def_submodule("match", "IoU matchers, assigners, linear assignment (use locuskit.match)");
  m.def("matcher_dense", &matcher_dense_py, py::arg("match_quality_matrix"), py::arg("high_threshold"),
        py::arg("low_threshold"), py::arg("allow_low_quality_matches"));
  m.def("match_boxes", &match_boxes_py, py::arg("gt_boxes"), py::arg("anchors"), py::arg("high_threshold"),
        py::arg("low_threshold"), py::arg("allow_low_quality_matches"));
  m.def("detectron2_match", &d2_match_py, py::arg("quality_or_gt"), py::arg("anchors"), py::arg("thresholds"),
        py::arg("labels"), py::arg("allow_low_quality_matches"));
  m.def("ssd_match_boxes", &ssd_match_py, py::arg("gt_boxes"), py::arg("anchors"), py::arg("threshold"));
  m.def("max_iou_assign", &max_iou_assign_py, py::arg("gt_boxes"), py::arg("bboxes"), py::arg("pos_iou_thr"),
        py::arg("neg_iou_thr_low"), py::arg("neg_iou_thr_high"), py::arg("min_pos_iou"),
        py::arg("gt_max_assign_all"), py::arg("match_low_quality"));
  m.def("atss_assign", &atss_py, py::arg("anchors"), py::arg("num_level_anchors"), py::arg("gt_boxes"),
        py::arg("topk"), py::arg("center_eps"));
  m.def("linear_sum_assignment", &lsa_py, py::arg("cost_matrix"), py::arg("maximize"));
  m.def("detr_cost_matrix", &detr_cost_py, py::arg("pred_probs"), py::arg("pred_boxes"), py::arg("gt_labels"),
        py::arg("gt_boxes"), py::arg("cost_class"), py::arg("cost_bbox"), py::arg("cost_giou"), py::arg("focal"),
        py::arg("focal_alpha"), py::arg("focal_gamma"));
}

}  // namespace locuskit::python
