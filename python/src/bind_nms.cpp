// NMS family bindings: validate with the GIL held (or before the kernel), release it around the
// C++ call. Python-level rules: thresholds in [0, 1]; NaN/Inf/inverted boxes and NaN scores raise
// ValueError; float32 and float64 only, boxes and scores of the same dtype.
#include <locuskit/box/validate.hpp>
#include <locuskit/nms.hpp>
#include <locuskit/nms/rotated_nms.hpp>

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

/// A count or None (unlimited): TypeError for a non-integer (2.7), ValueError for a negative or
/// too large one (2**70), naming the argument (the public wrappers check first; this guards _core).
std::size_t to_max(py::object v, const char* name) {
  if (v.is_none()) return std::numeric_limits<std::size_t>::max();
  if (!PyIndex_Check(v.ptr()))
    throw type_error(std::string(name) + ": expected an integer or None, got " + Py_TYPE(v.ptr())->tp_name);
  const py::int_ i = py::reinterpret_steal<py::int_>(PyNumber_Index(v.ptr()));
  if (!i) throw py::error_already_set();
  int overflow = 0;
  const long long x = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (overflow || x < 0)
    throw std::invalid_argument(std::string(name) + ": must lie in [0, 2^63 - 1] or be None, got " +
                                py::repr(i).cast<std::string>());
  return static_cast<std::size_t>(x);
}

/// Inputs up to this many boxes reuse a per-thread workspace (kept between calls: fresh scratch
/// per call costs page faults, 2.1-2.6 ms instead of 0.8 ms at 10k boxes); larger ones use a
/// temporary, so an idle thread holds at most ~50 MB of NMS scratch.
constexpr std::size_t max_cached_workspace_boxes = std::size_t(1) << 20;

template <class T>
NmsWorkspace<T>* thread_workspace(std::size_t n) {
  thread_local NmsWorkspace<T> ws;
  return n <= max_cached_workspace_boxes ? &ws : nullptr;
}

/// Per-thread buffer for kept indices (same reuse rule).
std::int64_t* thread_keep_buffer(std::size_t n, std::vector<std::int64_t>& temporary) {
  thread_local std::vector<std::int64_t> keep;
  std::vector<std::int64_t>& buf = n <= max_cached_workspace_boxes ? keep : temporary;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

/// (N, 4) boxes and (N,) scores of the same float dtype.
template <class T>
std::size_t boxes_scores(const py::array& boxes, const py::array& scores, const T*& b, const T*& s) {
  std::size_t n = 0;
  b = boxes_data<T>(boxes, "boxes", n);
  s = vector_data<T>(scores, "scores", static_cast<py::ssize_t>(n), "boxes");
  return n;
}

/// True iff every box is finite and xyxy (x1 <= x2, y1 <= y2) and no score is NaN: one
/// branch-free pass (the common case costs ~0.3 ns per box instead of the checks' ~2 ns).
template <class T>
bool all_valid(const T* b, const T* s, std::size_t n) noexcept {
  const T big = std::numeric_limits<T>::max();
  unsigned bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const T* r = b + 4 * i;
    // x1 >= -max and x2 >= x1 and x2 <= max: both finite and ordered (NaN fails every comparison).
    bad |= static_cast<unsigned>(!(r[0] >= -big)) | static_cast<unsigned>(!(r[2] >= r[0])) |
           static_cast<unsigned>(!(r[2] <= big)) | static_cast<unsigned>(!(r[1] >= -big)) |
           static_cast<unsigned>(!(r[3] >= r[1])) | static_cast<unsigned>(!(r[3] <= big)) |
           static_cast<unsigned>(s[i] != s[i]);
  }
  return bad == 0;
}

template <class T>
void validate(const T* b, const T* s, std::size_t n) {
  if (all_valid(b, s, n)) return;
  check_boxes_xyxy(b, n, "boxes");  // names the first offending element
  check_finite(s, n, "scores", /*allow_inf=*/true);
}

py::array_t<std::int64_t> indices_array(const std::int64_t* keep, std::size_t k) {
  auto out = new_array<std::int64_t>({static_cast<py::ssize_t>(k)});
  std::copy(keep, keep + k, out.mutable_data());
  return out;
}

py::array_t<std::int64_t> indices_array(const std::vector<std::int64_t>& keep, std::size_t k) {
  return indices_array(keep.data(), k);
}

template <class T>
py::array_t<T> values_array(const std::vector<T>& v, std::size_t k, py::ssize_t cols = 0) {
  auto out = cols ? new_array<T>({static_cast<py::ssize_t>(k), cols}) : new_array<T>({static_cast<py::ssize_t>(k)});
  std::copy(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k * (cols ? cols : 1)), out.mutable_data());
  return out;
}

/// Runs `f(T{}, b, s, n)` (GIL released, inputs validated) for the common (boxes, scores) calls.
template <class F>
decltype(auto) with_boxes_scores(const py::array& boxes, const py::array& scores, F&& f) {
  return with_float_dtype(boxes, "boxes", [&](auto tag) {
    using T = decltype(tag);
    const T *b, *s;
    const std::size_t n = boxes_scores<T>(boxes, scores, b, s);
    return f(tag, b, s, n);
  });
}

/// The NMS calls that return only indices: validates (b, s) and runs `run(keep)` (returning the
/// kept count) with the GIL released; the kept indices as an int64 array.
template <class T, class Run>
py::array kept_indices(const T* b, const T* s, std::size_t n, Run&& run) {
  std::vector<std::int64_t> temporary;
  std::int64_t* keep = thread_keep_buffer(n, temporary);
  std::size_t k = 0;
  {
    py::gil_scoped_release release;
    validate(b, s, n);
    k = run(keep);
  }
  return indices_array(keep, k);
}

/// The NmsParams of nms / batched_nms from the Python arguments (checked, naming them).
NmsParams nms_params(double iou_threshold, const std::string& rule, const py::object& max_output) {
  check_unit(iou_threshold, "iou_threshold");
  NmsParams opts{parse_rule(rule), to_max(max_output, "max_output")};
  opts.iou_threshold = iou_threshold;
  return opts;
}

template <class T>
py::array nms_kept(const T* b, const T* s, std::size_t n, const NmsParams& opts) {
  return kept_indices(b, s, n, [&](std::int64_t* keep) {
    return nms(NmsInputs<T>{b, s, n}, opts, NmsOutputs<T>{keep}, thread_workspace<T>(n));
  });
}

py::array nms_py(const py::array& boxes, const py::array& scores, double iou_threshold,
                 const std::string& rule, py::object max_output) {
  const NmsParams opts = nms_params(iou_threshold, rule, max_output);
  return with_boxes_scores(boxes, scores, [&](auto, const auto* b, const auto* s, std::size_t n) -> py::array {
    return nms_kept(b, s, n, opts);
  });
}

/// nms on two raw CPU buffers: the tensor fast path of locuskit.nms, whose caller has checked that
/// both are contiguous, strided, not lazily negated CPU tensors of one float dtype, boxes (n, 4)
/// and scores (n,), alive for the call (tensor.numpy() would cost ~1 us per argument).
py::array nms_buffers_py(std::uintptr_t boxes, std::uintptr_t scores, std::size_t n, bool float64,
                         double iou_threshold, const std::string& rule) {
  const NmsParams opts = nms_params(iou_threshold, rule, py::none());
  auto run = [&](auto tag) -> py::array {
    using T = decltype(tag);
    // The caller's checks make these hold; a direct call with a bad address must not crash.
    if (n > 0 && (boxes == 0 || scores == 0 || boxes % alignof(T) != 0 || scores % alignof(T) != 0))
      throw std::invalid_argument("nms_buffers: null or misaligned buffer address");
    return nms_kept(reinterpret_cast<const T*>(boxes), reinterpret_cast<const T*>(scores), n, opts);
  };
  return float64 ? run(double{}) : run(float{});
}

py::array batched_nms_py(const py::array& boxes, const py::array& scores, const py::array& idxs,
                         double iou_threshold, const std::string& rule, py::object max_output) {
  const NmsParams opts = nms_params(iou_threshold, rule, max_output);
  return with_boxes_scores(boxes, scores, [&](auto tag, const auto* b, const auto* s, std::size_t n) -> py::array {
    using T = decltype(tag);
    const std::int64_t* c = vector_data<std::int64_t>(idxs, "idxs", static_cast<py::ssize_t>(n), "boxes rows");
    return kept_indices(b, s, n, [&](std::int64_t* keep) {
      return batched_nms(NmsInputs<T>{b, s, n, c}, opts, NmsOutputs<T>{keep}, thread_workspace<T>(n));
    });
  });
}

py::tuple soft_nms_py(const py::array& boxes, const py::array& scores, const std::string& method,
                      double iou_threshold, double sigma, double score_threshold, const std::string& rule,
                      py::object max_output) {
  SoftNmsParams p;
  if (method == "linear") p.method = SoftNmsMethod::linear;
  else if (method == "gaussian") p.method = SoftNmsMethod::gaussian;
  else throw std::invalid_argument("method: expected 'linear' or 'gaussian', got '" + method + "'");
  check_unit(iou_threshold, "iou_threshold");
  if (!(sigma > 0) || !std::isfinite(sigma)) throw std::invalid_argument("sigma: must be > 0, got " + std::to_string(sigma));
  if (!std::isfinite(score_threshold)) throw std::invalid_argument("score_threshold: must be finite");
  p.iou_threshold = iou_threshold;
  p.sigma = sigma;
  p.score_threshold = score_threshold;
  if (rule == "opencv") p.overlap_formula = SoftNmsOverlap::opencv;  // OpenCV's double-then-float overlap
  else p.rule = parse_rule(rule);
  p.max_output = to_max(max_output, "max_output");
  return with_boxes_scores(boxes, scores, [&](auto tag, const auto* b, const auto* s, std::size_t n) -> py::tuple {
    using T = decltype(tag);
    std::vector<std::int64_t> keep(n);
    std::vector<T> out(n);
    std::size_t k = 0;
    {
      py::gil_scoped_release release;
      validate(b, s, n);
      k = soft_nms(NmsInputs<T>{b, s, n}, p, NmsOutputs<T>{keep.data(), out.data()}, thread_workspace<T>(n));
    }
    return py::make_tuple(indices_array(keep, k), values_array(out, k));
  });
}

py::array diou_nms_py(const py::array& boxes, const py::array& scores, double iou_threshold, double beta,
                      const std::string& rule) {
  check_unit(iou_threshold, "iou_threshold");
  if (!(beta > 0) || !std::isfinite(beta)) throw std::invalid_argument("beta: must be > 0, got " + std::to_string(beta));
  const DiouNmsParams p{iou_threshold, beta, parse_rule(rule)};
  return with_boxes_scores(boxes, scores, [&](auto tag, const auto* b, const auto* s, std::size_t n) -> py::array {
    using T = decltype(tag);
    return kept_indices(b, s, n, [&](std::int64_t* keep) {
      return diou_nms(NmsInputs<T>{b, s, n}, p, NmsOutputs<T>{keep}, thread_workspace<T>(n));
    });
  });
}

template <bool Cluster>
py::array fast_cluster_py(const py::array& boxes, const py::array& scores, double iou_threshold,
                          py::object top_k, const std::string& rule) {
  check_unit(iou_threshold, "iou_threshold");
  const FastNmsParams p{iou_threshold, to_max(top_k, "top_k"), parse_rule(rule)};
  return with_boxes_scores(boxes, scores, [&](auto tag, const auto* b, const auto* s, std::size_t n) -> py::array {
    using T = decltype(tag);
    return kept_indices(b, s, n, [&](std::int64_t* keep) {
      const NmsInputs<T> in{b, s, n};
      return Cluster ? cluster_nms(in, p, NmsOutputs<T>{keep}) : fast_nms(in, p, NmsOutputs<T>{keep});
    });
  });
}

py::tuple matrix_nms_py(const py::array& boxes, const py::array& scores, py::object labels,
                        const std::string& kernel, double sigma, double filter_threshold, py::object pre_top_k,
                        py::object max_output) {
  MatrixNmsParams p;
  if (kernel == "gaussian") p.kernel = MatrixNmsKernel::gaussian;
  else if (kernel == "linear") p.kernel = MatrixNmsKernel::linear;
  else throw std::invalid_argument("kernel: expected 'gaussian' or 'linear', got '" + kernel + "'");
  if (!std::isfinite(sigma) || sigma < 0) throw std::invalid_argument("sigma: must be finite and >= 0");
  if (std::isnan(filter_threshold)) throw std::invalid_argument("filter_threshold: is NaN");
  p.sigma = sigma;
  p.filter_threshold = filter_threshold;
  p.pre_top_k = to_max(pre_top_k, "pre_top_k");
  p.max_output = to_max(max_output, "max_output");
  return with_boxes_scores(boxes, scores, [&](auto tag, const auto* b, const auto* s, std::size_t n) -> py::tuple {
    using T = decltype(tag);
    const std::int64_t* l = nullptr;
    if (!labels.is_none())
      l = vector_data<std::int64_t>(labels.cast<py::array>(), "labels", static_cast<py::ssize_t>(n), "boxes rows");
    std::vector<std::int64_t> keep(n);
    std::vector<T> out(n);
    std::size_t k = 0;
    {
      py::gil_scoped_release release;
      validate(b, s, n);
      k = matrix_nms(NmsInputs<T>{b, s, n, l}, p, NmsOutputs<T>{keep.data(), out.data()}, thread_workspace<T>(n));
    }
    return py::make_tuple(indices_array(keep, k), values_array(out, k));
  });
}

py::tuple weighted_nms_py(const py::array& boxes, const py::array& scores, double iou_threshold,
                          const std::string& rule) {
  check_unit(iou_threshold, "iou_threshold");
  WeightedNmsParams p;
  p.iou_threshold = iou_threshold;
  p.rule = parse_rule(rule);
  return with_boxes_scores(boxes, scores, [&](auto tag, const auto* b, const auto* s, std::size_t n) -> py::tuple {
    using T = decltype(tag);
    std::vector<std::int64_t> keep(n);
    std::vector<T> out(4 * n);
    std::size_t k = 0;
    {
      py::gil_scoped_release release;
      validate(b, s, n);
      k = weighted_nms(NmsInputs<T>{b, s, n}, p, NmsOutputs<T>{keep.data(), nullptr, out.data()}, thread_workspace<T>(n));
    }
    return py::make_tuple(indices_array(keep, k), values_array(out, k, 4));
  });
}

py::tuple wbf_py(const py::array& boxes, const py::array& scores, const py::array& labels, const py::array& models,
                 const py::array& weights, double iou_thr, double skip_box_thr, const std::string& conf_type,
                 bool allows_overflow) {
  WbfParams p;
  check_unit(iou_thr, "iou_thr");
  if (!std::isfinite(skip_box_thr)) throw std::invalid_argument("skip_box_thr: must be finite");
  p.iou_threshold = iou_thr;
  p.skip_box_threshold = skip_box_thr;
  p.allows_overflow = allows_overflow;
  if (conf_type == "avg") p.conf_type = WbfConfType::avg;
  else if (conf_type == "max") p.conf_type = WbfConfType::max;
  else if (conf_type == "box_and_model_avg") p.conf_type = WbfConfType::box_and_model_avg;
  else if (conf_type == "absent_model_aware_avg") p.conf_type = WbfConfType::absent_model_aware_avg;
  else throw std::invalid_argument("conf_type: expected 'avg', 'max', 'box_and_model_avg' or 'absent_model_aware_avg', got '" + conf_type + "'");
  return with_boxes_scores(boxes, scores, [&](auto tag, const auto* b, const auto* s, std::size_t n) -> py::tuple {
    using T = decltype(tag);
    const std::int64_t* l = vector_data<std::int64_t>(labels, "labels", static_cast<py::ssize_t>(n), "boxes rows");
    const std::int64_t* md = vector_data<std::int64_t>(models, "models", static_cast<py::ssize_t>(n), "boxes rows");
    const T* w = vector_data<T>(weights, "weights", -1, "boxes");
    const std::size_t num_models = static_cast<std::size_t>(weights.shape(0));
    for (std::size_t i = 0; i < 4 * n; ++i)
      if (!std::isfinite(b[i])) throw std::invalid_argument("boxes: non-finite coordinate in row " + std::to_string(i / 4));
    check_finite(s, n, "scores", true);
    check_finite(w, num_models, "weights");
    std::vector<T> ob(4 * n), os(n);
    std::vector<std::int64_t> ol(n);
    std::size_t k = 0;
    {
      py::gil_scoped_release release;
      thread_local WbfWorkspace<T> ws;  // reused by this thread's calls, like thread_workspace
      k = weighted_boxes_fusion(WbfInputs<T>{b, s, l, md, n, w, num_models}, p,
                                WbfOutputs<T>{ob.data(), os.data(), ol.data()},
                                n <= max_cached_workspace_boxes ? &ws : nullptr);
    }
    return py::make_tuple(values_array(ob, k, 4), values_array(os, k), indices_array(ol, k));
  });
}

py::tuple multiclass_nms_py(const py::array& boxes, const py::array& scores, double score_threshold,
                            double iou_threshold, py::object max_output_per_class, std::size_t max_total,
                            std::size_t max_candidates, bool class_agnostic, const std::string& rule) {
  check_unit(iou_threshold, "iou_threshold");
  if (std::isnan(score_threshold)) throw std::invalid_argument("score_threshold: is NaN");
  MulticlassNmsParams p;
  p.score_threshold = score_threshold;
  p.iou_threshold = iou_threshold;
  p.max_output_per_class = to_max(max_output_per_class, "max_output_per_class");
  p.max_total = max_total;
  p.max_candidates = max_candidates;
  p.class_agnostic = class_agnostic;
  p.rule = parse_rule(rule);
  p.parallel = Parallel{num_threads()};
  return with_float_dtype(boxes, "boxes", [&](auto tag) -> py::tuple {
    using T = decltype(tag);
    require_dtype<T>(boxes, "boxes");
    require_dtype<T>(scores, "scores", "boxes");
    require_contiguous(boxes, "boxes");
    require_contiguous(scores, "scores");
    if (scores.ndim() != 3)
      throw std::invalid_argument("scores: expected shape (B, N, C), got " + shape_str(scores));
    const py::ssize_t B = scores.shape(0), N = scores.shape(1), C = scores.shape(2);
    bool per_class = false;
    if (boxes.ndim() == 3 && boxes.shape(0) == B && boxes.shape(1) == N && boxes.shape(2) == 4) per_class = false;
    else if (boxes.ndim() == 4 && boxes.shape(0) == B && boxes.shape(1) == N && boxes.shape(2) == C && boxes.shape(3) == 4)
      per_class = true;
    else
      throw std::invalid_argument("boxes: expected shape (B, N, 4) or (B, N, C, 4) matching scores " +
                                  shape_str(scores) + ", got " + shape_str(boxes));
    const T* b = static_cast<const T*>(boxes.data());
    const T* s = static_cast<const T*>(scores.data());
    const std::size_t K = max_total;
    auto ob = new_array<T>({B, static_cast<py::ssize_t>(K), 4});
    auto os = new_array<T>({B, static_cast<py::ssize_t>(K)});
    auto oc = new_array<std::int32_t>({B, static_cast<py::ssize_t>(K)});
    auto oi = new_array<std::int64_t>({B, static_cast<py::ssize_t>(K)});
    auto cnt = new_array<std::int32_t>({B});
    T *pb = ob.mutable_data(), *ps = os.mutable_data();
    std::int32_t *pc = oc.mutable_data(), *pn = cnt.mutable_data();
    std::int64_t* pi = oi.mutable_data();
    thread_local MulticlassNmsWorkspace<T> ws;  // reused by this thread's calls (see thread_workspace)
    {
      py::gil_scoped_release release;
      check_boxes_xyxy(b, static_cast<std::size_t>(B * N * (per_class ? C : 1)), "boxes");
      check_finite(s, static_cast<std::size_t>(B * N * C), "scores", true);
      const MulticlassNmsInputs<T> in{b, s, static_cast<std::size_t>(B), static_cast<std::size_t>(N),
                                      static_cast<std::size_t>(C), per_class};
      multiclass_nms(in, p, MulticlassNmsOutputs<T>{pb, ps, pc, pi, pn}, &ws);
    }
    return py::make_tuple(ob, os, oc, oi, cnt);
  });
}

}  // namespace

/// "degrees_ccw" (detectron2) | "radians_cw" (mmcv/mmrotate) | "radians_ccw" | "degrees_cw" (OpenCV).
rotated::AngleConvention parse_angle_convention(const std::string& s) {
  if (s == "degrees_ccw") return rotated::AngleConvention::degrees_ccw;
  if (s == "radians_cw") return rotated::AngleConvention::radians_cw;
  if (s == "radians_ccw") return rotated::AngleConvention::radians_ccw;
  if (s == "degrees_cw") return rotated::AngleConvention::degrees_cw;
  throw std::invalid_argument("angle_convention: expected 'degrees_ccw', 'radians_cw', 'radians_ccw' or "
                              "'degrees_cw', got '" + s + "'");
}

RotatedIoU parse_rotated_iou(const std::string& convention, const std::string& iou) {
  RotatedIoU ov;
  ov.convention = parse_angle_convention(convention);
  if (iou == "exact") {
    ov.mode = RotatedIouMode::exact;
  } else if (iou == "detectron2") {
    if (ov.convention != rotated::AngleConvention::degrees_ccw)
      throw std::invalid_argument("iou: 'detectron2' needs angle_convention 'degrees_ccw' (detectron2's)");
    ov.mode = RotatedIouMode::detectron2;
  } else {
    throw std::invalid_argument("iou: expected 'exact' or 'detectron2', got '" + iou + "'");
  }
  return ov;
}

/// (N, 5) rotated boxes and (N,) scores of the same float dtype; runs `f(T{}, b, s, n)`.
template <class F>
decltype(auto) with_rotated_boxes_scores(const py::array& boxes, const py::array& scores, F&& f) {
  return with_float_dtype(boxes, "boxes", [&](auto tag) {
    using T = decltype(tag);
    require_dtype<T>(boxes, "boxes");
    require_shape(boxes, "boxes", {-1, 5}, "(N, 5) (cx, cy, w, h, angle)");
    require_contiguous(boxes, "boxes");
    const std::size_t n = static_cast<std::size_t>(boxes.shape(0));
    const T* b = static_cast<const T*>(boxes.data());
    const T* s = vector_data<T>(scores, "scores", static_cast<py::ssize_t>(n), "boxes");
    return f(tag, b, s, n);
  });
}

template <class T>
void validate_rotated(const T* b, const T* s, std::size_t n) {
  check_finite(b, 5 * n, "boxes");
  check_finite(s, n, "scores", /*allow_inf=*/true);
}

py::array nms_rotated_py(const py::array& boxes, const py::array& scores, py::object idxs, double iou_threshold,
                         const std::string& rule, const std::string& angle_convention, const std::string& iou,
                         py::object max_output) {
  check_unit(iou_threshold, "iou_threshold");
  RotatedNmsParams p;
  p.iou_threshold = iou_threshold;
  p.rule = parse_rule(rule);
  p.overlap = parse_rotated_iou(angle_convention, iou);
  p.max_output = to_max(max_output, "max_output");
  return with_rotated_boxes_scores(boxes, scores, [&](auto tag, const auto* b, const auto* s,
                                                      std::size_t n) -> py::array {
    using T = decltype(tag);
    const std::int64_t* c = nullptr;
    if (!idxs.is_none())
      c = vector_data<std::int64_t>(idxs.cast<py::array>(), "idxs", static_cast<py::ssize_t>(n), "boxes rows");
    std::vector<std::int64_t> keep(n);
    std::size_t k = 0;
    {
      py::gil_scoped_release release;
      validate_rotated(b, s, n);
      const NmsInputs<T> in{b, s, n, c};
      k = c ? batched_nms_rotated(in, p, NmsOutputs<T>{keep.data()}, thread_workspace<T>(n))
            : nms_rotated(in, p, NmsOutputs<T>{keep.data()}, thread_workspace<T>(n));
    }
    return indices_array(keep, k);
  });
}

py::tuple soft_nms_rotated_py(const py::array& boxes, const py::array& scores, const std::string& method,
                              double iou_threshold, double sigma, double score_threshold, const std::string& rule,
                              const std::string& angle_convention, const std::string& iou, py::object max_output) {
  BasicSoftNmsParams<RotatedIoU> p;
  if (method == "linear") p.method = SoftNmsMethod::linear;
  else if (method == "gaussian") p.method = SoftNmsMethod::gaussian;
  else throw std::invalid_argument("method: expected 'linear' or 'gaussian', got '" + method + "'");
  check_unit(iou_threshold, "iou_threshold");
  if (!(sigma > 0) || !std::isfinite(sigma)) throw std::invalid_argument("sigma: must be > 0, got " + std::to_string(sigma));
  if (!std::isfinite(score_threshold)) throw std::invalid_argument("score_threshold: must be finite");
  p.iou_threshold = iou_threshold;
  p.sigma = sigma;
  p.score_threshold = score_threshold;
  p.rule = parse_rule(rule);
  p.max_output = to_max(max_output, "max_output");
  p.overlap = parse_rotated_iou(angle_convention, iou);
  return with_rotated_boxes_scores(boxes, scores, [&](auto tag, const auto* b, const auto* s,
                                                      std::size_t n) -> py::tuple {
    using T = decltype(tag);
    std::vector<std::int64_t> keep(n);
    std::vector<T> out(n);
    std::size_t k = 0;
    {
      py::gil_scoped_release release;
      validate_rotated(b, s, n);
      k = soft_nms(NmsInputs<T>{b, s, n}, p, NmsOutputs<T>{keep.data(), out.data()});
    }
    return py::make_tuple(indices_array(keep, k), values_array(out, k));
  });
}

void bind_nms(py::module_& parent) {
  py::module_ m = parent.def_submodule("nms", "The NMS family, axis-aligned and rotated (use locuskit.ops)");
  m.def("nms_rotated", &nms_rotated_py, py::arg("boxes"), py::arg("scores"), py::arg("idxs"), py::arg("iou_threshold"),
        py::arg("rule"), py::arg("angle_convention"), py::arg("iou"), py::arg("max_output"));
  m.def("soft_nms_rotated", &soft_nms_rotated_py, py::arg("boxes"), py::arg("scores"), py::arg("method"),
        py::arg("iou_threshold"), py::arg("sigma"), py::arg("score_threshold"), py::arg("rule"),
        py::arg("angle_convention"), py::arg("iou"), py::arg("max_output"));
  m.def("nms", &nms_py, py::arg("boxes"), py::arg("scores"), py::arg("iou_threshold"),
        py::arg("rule") = "torchvision", py::arg("max_output") = py::none());
  m.def("nms_buffers", &nms_buffers_py, py::arg("boxes_address"), py::arg("scores_address"), py::arg("n"),
        py::arg("float64"), py::arg("iou_threshold"), py::arg("rule") = "torchvision",
        "Private: nms on raw CPU buffers (locuskit.nms's tensor fast path checks them first).");
  m.def("batched_nms", &batched_nms_py, py::arg("boxes"), py::arg("scores"), py::arg("idxs"),
        py::arg("iou_threshold"), py::arg("rule") = "torchvision", py::arg("max_output") = py::none());
  m.def("soft_nms", &soft_nms_py, py::arg("boxes"), py::arg("scores"), py::arg("method"), py::arg("iou_threshold"),
        py::arg("sigma"), py::arg("score_threshold"), py::arg("rule"), py::arg("max_output"));
  m.def("diou_nms", &diou_nms_py, py::arg("boxes"), py::arg("scores"), py::arg("iou_threshold"), py::arg("beta"),
        py::arg("rule"));
  m.def("fast_nms", &fast_cluster_py<false>, py::arg("boxes"), py::arg("scores"), py::arg("iou_threshold"),
        py::arg("top_k"), py::arg("rule"));
  m.def("cluster_nms", &fast_cluster_py<true>, py::arg("boxes"), py::arg("scores"), py::arg("iou_threshold"),
        py::arg("top_k"), py::arg("rule"));
  m.def("matrix_nms", &matrix_nms_py, py::arg("boxes"), py::arg("scores"), py::arg("labels"), py::arg("kernel"),
        py::arg("sigma"), py::arg("filter_threshold"), py::arg("pre_top_k"), py::arg("max_output"));
  m.def("weighted_nms", &weighted_nms_py, py::arg("boxes"), py::arg("scores"), py::arg("iou_threshold"),
        py::arg("rule"));
  m.def("weighted_boxes_fusion", &wbf_py, py::arg("boxes"), py::arg("scores"), py::arg("labels"), py::arg("models"),
        py::arg("weights"), py::arg("iou_thr"), py::arg("skip_box_thr"), py::arg("conf_type"),
        py::arg("allows_overflow"));
  m.def("multiclass_nms", &multiclass_nms_py, py::arg("boxes"), py::arg("scores"), py::arg("score_threshold"),
        py::arg("iou_threshold"), py::arg("max_output_per_class"), py::arg("max_total"), py::arg("max_candidates"),
        py::arg("class_agnostic"), py::arg("rule"));
}

}  // namespace locuskit::python
