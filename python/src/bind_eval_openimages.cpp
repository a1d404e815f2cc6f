// Open Images challenge bindings of the eval area (part of the submodule _core.eval, registered by
// bind_eval()): column arrays in, per-class AP and mAP out. Thin: arrays are checked with the GIL
// held (dtype, shape, contiguity: locuskit.eval.openimages converts once), the C++ work runs without it.
#include <locuskit/eval/openimages.hpp>

#include <cstring>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

py::dict oid_evaluate_py(const py::array& box_image, const py::array& box_label, const py::array& box,
                         const py::array& group_of, const py::array& label_image, const py::array& label_label,
                         const py::array& det_image, const py::array& det_label, const py::array& det_score,
                         const py::array& det_box, std::size_t num_classes, double iou_threshold,
                         double group_of_weight) {
  OidGroundTruth g;
  g.box = boxes_data<double>(box, "gt_boxes", g.boxes);
  const auto nb = static_cast<py::ssize_t>(g.boxes);
  g.box_image = vector_data<std::int64_t>(box_image, "gt_box_image", nb);
  g.box_label = vector_data<std::int64_t>(box_label, "gt_box_label", nb);
  g.group_of = vector_data<std::uint8_t>(group_of, "gt_group_of", nb);
  g.label_image = vector_data<std::int64_t>(label_image, "label_image", -1);
  g.labels = static_cast<std::size_t>(label_image.shape(0));
  g.label_label = vector_data<std::int64_t>(label_label, "label_label", label_image.shape(0));
  OidDetections d;
  d.box = boxes_data<double>(det_box, "det_boxes", d.size);
  const auto nd = static_cast<py::ssize_t>(d.size);
  d.image = vector_data<std::int64_t>(det_image, "det_image", nd);
  d.label = vector_data<std::int64_t>(det_label, "det_label", nd);
  d.score = vector_data<double>(det_score, "det_score", nd);
  if (!(iou_threshold >= 0 && iou_threshold <= 1)) throw std::invalid_argument("iou_threshold: expected a value in [0, 1]");
  if (!(group_of_weight >= 0 && group_of_weight < 1e300)) throw std::invalid_argument("group_of_weight: expected a finite value >= 0");
  OidParams p;
  p.iou_threshold = iou_threshold;
  p.group_of_weight = group_of_weight;
  OidResult r;
  {
    py::gil_scoped_release release;
    r = oid_challenge_evaluate(g, d, num_classes, p);
  }
  const auto nc = static_cast<py::ssize_t>(num_classes);
  py::dict out;
  out["ap"] = move_to_numpy(std::move(r.ap), {nc});
  out["num_gt"] = move_to_numpy(std::move(r.num_gt), {nc});
  std::vector<std::int64_t> ne(r.num_entries.begin(), r.num_entries.end());
  out["num_entries"] = move_to_numpy(std::move(ne), {nc});
  out["mean_ap"] = r.mean_ap;
  return out;
}

}  // namespace

void bind_eval_openimages(py::module_& m) {
  m.def("oid_challenge_evaluate", &oid_evaluate_py, py::arg("gt_box_image"), py::arg("gt_box_label"),
        py::arg("gt_boxes"), py::arg("gt_group_of"), py::arg("label_image"), py::arg("label_label"),
        py::arg("det_image"), py::arg("det_label"), py::arg("det_score"), py::arg("det_boxes"),
        py::arg("num_classes"), py::arg("iou_threshold") = 0.5, py::arg("group_of_weight") = 1.0,
        "Open Images challenge detection metric (TF OD API OpenImagesChallengeEvaluator, box mode): "
        "int64 image codes (ascending = evaluation order), class indices, float64 (N, 4) ymin, xmin, ymax, xmax "
        "boxes. Returns {ap, mean_ap, num_gt, num_entries}.");
}

}  // namespace locuskit::python
