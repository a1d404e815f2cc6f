// LVIS bindings of the eval area (part of the submodule _core.eval, registered by bind_eval()):
// one call from files / JSON bytes to LVISEval's results and arrays. Thin: parameters are read
// with the GIL held, the C++ work runs without it.
#include <locuskit/eval.hpp>
#include <locuskit/eval/lvis_json.hpp>

#include <array>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

// JSON source: bytes (parsed in place) or a path.
struct Source {
  py::object obj;
  bool is_bytes = false;
  std::string path;
  std::string_view bytes() const {
    char* data = nullptr;
    Py_ssize_t size = 0;
    if (PyBytes_AsStringAndSize(obj.ptr(), &data, &size) != 0) throw py::error_already_set();
    return std::string_view(data, static_cast<std::size_t>(size));
  }
};

Source source_of(const py::object& src, const char* what) {
  Source s;
  s.obj = src;
  if (py::isinstance<py::bytes>(src)) {
    s.is_bytes = true;
  } else if (py::isinstance<py::str>(src) || py::hasattr(src, "__fspath__")) {
    s.path = py::str(src).cast<std::string>();
  } else {
    throw py::type_error(std::string(what) + ": expected a path or JSON bytes");
  }
  return s;
}

IouType lvis_iou_type(const std::string& s) {
  if (s == "bbox") return IouType::bbox;
  if (s == "segm") return IouType::segm;
  throw std::invalid_argument("iou_type: " + s + " is not supported (LVIS evaluates 'bbox' or 'segm')");
}

// Parameter overrides: a dict with any of the LVIS API's Params names.
void apply_lvis_params(LvisParams& p, const py::dict& d) {
  auto has = [&](const char* k) { return d.contains(k) && !d[k].is_none(); };
  if (has("img_ids")) p.coco.img_ids = d["img_ids"].cast<std::vector<std::int64_t>>();
  if (has("cat_ids")) p.coco.cat_ids = d["cat_ids"].cast<std::vector<std::int64_t>>();
  if (has("iou_thrs")) p.coco.iou_thrs = d["iou_thrs"].cast<std::vector<double>>();
  if (has("rec_thrs")) p.coco.rec_thrs = d["rec_thrs"].cast<std::vector<double>>();
  if (has("max_dets")) p.max_dets = d["max_dets"].cast<std::int64_t>();
  if (has("area_rng")) {
    p.coco.area_rng.clear();
    for (auto r : d["area_rng"].cast<std::vector<std::vector<double>>>()) {
      if (r.size() != 2) throw std::invalid_argument("area_rng: every range needs 2 values [lo, hi]");
      p.coco.area_rng.push_back({r[0], r[1]});
    }
  }
  if (has("area_rng_lbl")) p.coco.area_rng_lbl = d["area_rng_lbl"].cast<std::vector<std::string>>();
  if (has("use_cats")) p.coco.use_cats = d["use_cats"].cast<bool>();
  if (has("img_count_lbl")) p.img_count_lbl = d["img_count_lbl"].cast<std::vector<std::string>>();
}

// Loads gt / dt and runs the federated matching (the GIL is released for the C++ work).
LvisEvaluation lvis_match(const py::object& gt_src, const py::object& dt_src, const std::string& iou_type,
                          const py::dict& overrides) {
  const IouType type = lvis_iou_type(iou_type);
  const Source gs = source_of(gt_src, "gt"), ds = source_of(dt_src, "dt");
  LvisGroundTruth gt;
  CocoTable dt;
  {
    // Bytes objects stay alive through gs / ds while the GIL is released.
    const std::string_view gb = gs.is_bytes ? gs.bytes() : std::string_view();
    const std::string_view db = ds.is_bytes ? ds.bytes() : std::string_view();
    py::gil_scoped_release release;
    const bool masks = type == IouType::segm;  // bbox: polygons need not be rasterised
    gt = gs.is_bytes ? parse_lvis_ground_truth(simdjson::padded_string(gb), "<json>", masks)
                     : load_lvis_ground_truth(gs.path, masks);
    dt = ds.is_bytes ? parse_coco_results(db, gt.coco, "<json>", true) : load_coco_results(ds.path, gt.coco, true);
  }
  LvisParams p = lvis_params_for(gt, type);
  apply_lvis_params(p, overrides);
  py::gil_scoped_release release;
  return lvis_evaluate(gt.coco.annotations.view(), dt.view(), gt.labels, p, Parallel{num_threads()});
}

// The parameters, frequency groups (as category ids) and counts of an evaluation.
void put_lvis_params(py::dict& out, const LvisEvaluation& ev) {
  auto s = [](std::size_t v) { return static_cast<py::ssize_t>(v); };
  const CocoParams& cp = ev.params.coco;
  out["img_ids"] = move_to_numpy(std::vector(cp.img_ids), {s(cp.img_ids.size())});
  out["cat_ids"] = move_to_numpy(std::vector(cp.cat_ids), {s(cp.cat_ids.size())});
  out["iou_thrs"] = move_to_numpy(std::vector(cp.iou_thrs), {s(cp.iou_thrs.size())});
  out["rec_thrs"] = move_to_numpy(std::vector(cp.rec_thrs), {s(cp.rec_thrs.size())});
  std::vector<std::array<double, 2>> rng = cp.area_rng;
  out["area_rng"] = rng;
  out["area_rng_lbl"] = cp.area_rng_lbl;
  out["max_dets"] = ev.params.max_dets;
  out["use_cats"] = cp.use_cats;
  out["img_count_lbl"] = ev.params.img_count_lbl;
  py::list groups;
  for (const auto& g : ev.freq_groups) {
    std::vector<std::int64_t> ids;
    for (std::size_t k : g) ids.push_back(cp.cat_ids[k]);
    groups.append(move_to_numpy(std::move(ids), {s(ids.size())}));
  }
  out["freq_groups"] = groups;
  out["num_results_after_cap"] = ev.results_after_cap;
  out["num_dt_evaluated"] = ev.dt_evaluated;
  out["num_gt_evaluated"] = ev.gt_evaluated;
}

// Summary, arrays and parameters of an accumulated evaluation: what lvis_evaluate returns.
py::dict lvis_output(CocoAccumulation acc, const LvisEvaluation& ev) {
  LvisSummary sum;
  std::vector<double> per_cat;
  {
    py::gil_scoped_release release;
    sum = lvis_summarize(acc, ev);
    for (std::size_t k = 0; k < acc.K; ++k) per_cat.push_back(lvis_category_ap(acc, k));
  }
  auto s = [](std::size_t v) { return static_cast<py::ssize_t>(v); };
  py::dict out;
  out["keys"] = sum.keys;
  out["values"] = sum.values;
  out["lines"] = sum.lines;
  out["precision"] = move_to_numpy(std::move(acc.precision), {s(acc.T), s(acc.R), s(acc.K), s(acc.A)});
  out["recall"] = move_to_numpy(std::move(acc.recall), {s(acc.T), s(acc.K), s(acc.A)});
  out["per_category_ap"] = move_to_numpy(std::move(per_cat), {s(per_cat.size())});
  put_lvis_params(out, ev);
  return out;
}

py::dict lvis_evaluate_py(const py::object& gt_src, const py::object& dt_src, const std::string& iou_type,
                          const py::dict& overrides) {
  const LvisEvaluation ev = lvis_match(gt_src, dt_src, iou_type, overrides);
  CocoAccumulation acc;
  {
    py::gil_scoped_release release;
    acc = coco_accumulate(ev.coco, nullptr, Parallel{num_threads()});
  }
  return lvis_output(std::move(acc), ev);
}

// The mergeable state of an evaluation (locuskit.eval.LvisState): the COCO unit records (units
// image-major, u = i * K + k) plus lvis_evaluate's parameters and counts.
py::dict lvis_state_py(const py::object& gt_src, const py::object& dt_src, const std::string& iou_type,
                       const py::dict& overrides) {
  const LvisEvaluation ev = lvis_match(gt_src, dt_src, iou_type, overrides);
  const CocoEvaluation& c = ev.coco;
  auto s = [](std::size_t v) { return static_cast<py::ssize_t>(v); };
  py::dict d;
  d["I"] = c.I, d["K"] = c.K, d["A"] = c.A, d["T"] = c.T;
  const std::size_t U = c.present.size(), D = c.dt_score.size();
  d["present"] = move_to_numpy(std::vector(c.present), {s(U)});
  d["npig"] = move_to_numpy(std::vector(c.npig), {s(U), s(c.A)});
  std::vector<std::int64_t> off(c.dt_offset.begin(), c.dt_offset.end());
  d["dt_offset"] = move_to_numpy(std::move(off), {s(U + 1)});
  d["dt_score"] = move_to_numpy(std::vector(c.dt_score), {s(D)});
  d["dt_state"] = move_to_numpy(std::vector(c.dt_state), {s(D), s(c.A), s(c.T)});
  put_lvis_params(d, ev);
  return d;
}

// lvis_evaluate's output from accumulated arrays (precision (T, R, K, A, 1), recall (T, K, A, 1))
// of merged states: `params` as put_lvis_params writes them, `freq_groups` as K positions.
py::dict lvis_summarize_py(const py::array& precision, const py::array& recall, const std::string& iou_type,
                           const py::dict& params, const std::vector<std::vector<std::size_t>>& freq_groups,
                           std::size_t results_after_cap, std::size_t dt_evaluated, std::size_t gt_evaluated) {
  require_dtype<double>(precision, "precision");
  require_dtype<double>(recall, "recall");
  require_contiguous(precision, "precision");
  require_contiguous(recall, "recall");
  if (precision.ndim() != 5 || recall.ndim() != 4 || precision.shape(4) != 1 || recall.shape(3) != 1)
    throw std::invalid_argument("precision must be (T, R, K, A, 1) and recall (T, K, A, 1)");
  LvisEvaluation ev;
  ev.params = LvisParams::defaults(lvis_iou_type(iou_type));
  apply_lvis_params(ev.params, params);
  ev.freq_groups = freq_groups;
  ev.results_after_cap = results_after_cap, ev.dt_evaluated = dt_evaluated, ev.gt_evaluated = gt_evaluated;
  CocoAccumulation acc;
  acc.T = precision.shape(0), acc.R = precision.shape(1), acc.K = precision.shape(2), acc.A = precision.shape(3);
  acc.M = 1;
  if (recall.shape(0) != py::ssize_t(acc.T) || recall.shape(1) != py::ssize_t(acc.K) || recall.shape(2) != py::ssize_t(acc.A))
    throw std::invalid_argument("recall does not match precision's (T, K, A)");
  for (const auto& g : freq_groups)
    for (std::size_t k : g)
      if (k >= acc.K) throw std::invalid_argument("freq_groups: category position beyond K");
  const double* pp = static_cast<const double*>(precision.data());
  const double* rr = static_cast<const double*>(recall.data());
  acc.precision.assign(pp, pp + precision.size());
  acc.recall.assign(rr, rr + recall.size());
  return lvis_output(std::move(acc), ev);
}

}  // namespace

void bind_eval_lvis(py::module_& m) {
  m.def("lvis_evaluate", &lvis_evaluate_py, py::arg("gt"), py::arg("dt"), py::arg("iou_type") = "bbox",
        py::arg("params") = py::dict(),
        "LVIS federated evaluation as the lvis API's LVISEval (bitwise): gt / dt are paths or JSON bytes; "
        "params overrides LVIS Params fields. Returns a dict (keys, values, lines, precision (T,R,K,A), "
        "recall (T,K,A), per_category_ap, ids, freq_groups, counts).");
  m.def("lvis_state", &lvis_state_py, py::arg("gt"), py::arg("dt"), py::arg("iou_type") = "bbox",
        py::arg("params") = py::dict(),
        "lvis_evaluate's matching kept as mergeable COCO unit records (I, K, A, T, present, npig, dt_offset, "
        "dt_score, dt_state) plus its parameters, frequency groups and counts.");
  m.def("lvis_summarize", &lvis_summarize_py, py::arg("precision"), py::arg("recall"), py::arg("iou_type"),
        py::arg("params"), py::arg("freq_groups"), py::arg("num_results_after_cap"), py::arg("num_dt_evaluated"),
        py::arg("num_gt_evaluated"),
        "lvis_evaluate's output from accumulated (T,R,K,A,1) / (T,K,A,1) arrays of merged LVIS states.");
}

}  // namespace locuskit::python
