// MOTChallenge files and TrackEval-exact MOT metrics: the `_core.mot` submodule. Results come back
// as dicts keyed by TrackEval's metric and field names (HOTA arrays as float64 arrays of 19); the
// GIL is released while files are read and evaluated.
#include <locuskit/mot.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

MotFileKind kind_of(const std::string& kind) {
  if (kind == "gt" || kind == "ground_truth") return MotFileKind::ground_truth;
  if (kind == "tracker") return MotFileKind::tracker;
  if (kind == "detections") return MotFileKind::detections;
  throw std::invalid_argument("kind: expected 'gt', 'tracker' or 'detections', got '" + kind + "'");
}

py::array_t<double> array_of(const HotaResult::Array& a) {
  py::array_t<double> out(hota_num_alphas);
  std::copy(a.begin(), a.end(), out.mutable_data());
  return out;
}

py::dict metrics_dict(const MotMetrics& m, const MotMetricSet& which, bool with_frames) {
  py::dict out;
  if (which.hota) {
    const HotaResult& h = m.hota;
    py::dict d;
    d["HOTA"] = array_of(h.HOTA), d["DetA"] = array_of(h.DetA), d["AssA"] = array_of(h.AssA);
    d["DetRe"] = array_of(h.DetRe), d["DetPr"] = array_of(h.DetPr), d["AssRe"] = array_of(h.AssRe);
    d["AssPr"] = array_of(h.AssPr), d["LocA"] = array_of(h.LocA), d["OWTA"] = array_of(h.OWTA);
    d["HOTA_TP"] = array_of(h.HOTA_TP), d["HOTA_FN"] = array_of(h.HOTA_FN), d["HOTA_FP"] = array_of(h.HOTA_FP);
    d["HOTA(0)"] = h.HOTA0, d["LocA(0)"] = h.LocA0, d["HOTALocA(0)"] = h.HOTALocA0;
    out["HOTA"] = d;
  }
  if (which.clear) {
    const ClearResult& c = m.clear;
    py::dict d;
    d["MOTA"] = c.MOTA, d["MOTP"] = c.MOTP, d["MODA"] = c.MODA, d["CLR_Re"] = c.CLR_Re, d["CLR_Pr"] = c.CLR_Pr;
    d["MTR"] = c.MTR, d["PTR"] = c.PTR, d["MLR"] = c.MLR, d["sMOTA"] = c.sMOTA, d["CLR_TP"] = c.CLR_TP;
    d["CLR_FN"] = c.CLR_FN, d["CLR_FP"] = c.CLR_FP, d["IDSW"] = c.IDSW, d["MT"] = c.MT, d["PT"] = c.PT, d["ML"] = c.ML;
    d["Frag"] = c.Frag, d["CLR_F1"] = c.CLR_F1, d["FP_per_frame"] = c.FP_per_frame, d["MOTAL"] = c.MOTAL;
    d["MOTP_sum"] = c.MOTP_sum, d["CLR_Frames"] = c.CLR_Frames;
    out["CLEAR"] = d;
  }
  if (which.identity) {
    const IdentityResult& i = m.identity;
    py::dict d;
    d["IDF1"] = i.IDF1, d["IDR"] = i.IDR, d["IDP"] = i.IDP, d["IDTP"] = i.IDTP, d["IDFN"] = i.IDFN, d["IDFP"] = i.IDFP;
    out["Identity"] = d;
  }
  py::dict d;
  d["Dets"] = m.count.Dets, d["GT_Dets"] = m.count.GT_Dets, d["IDs"] = m.count.IDs, d["GT_IDs"] = m.count.GT_IDs;
  if (with_frames) d["Frames"] = m.count.Frames;
  out["Count"] = d;
  return out;
}

// The inverse of metrics_dict for what combining reads (the raw per-sequence fields; derived
// fields are recomputed by the combine step), so a per-sequence dict kept in a state combines
// exactly as inside evaluate_mot_files.
MotMetrics metrics_of(const py::dict& in, const MotMetricSet& which) {
  MotMetrics m;
  const auto fam = [&](const char* name) -> py::dict {
    if (!in.contains(name)) throw std::invalid_argument(std::string("per_sequence: a sequence has no '") + name + "' metrics");
    return py::cast<py::dict>(in[name]);
  };
  if (which.hota) {
    const py::dict d = fam("HOTA");
    const auto arr = [&](const char* f, HotaResult::Array& out) {
      const auto a = py::cast<py::array_t<double, py::array::c_style | py::array::forcecast>>(d[f]);
      if (a.ndim() != 1 || a.shape(0) != hota_num_alphas)
        throw std::invalid_argument(std::string("per_sequence: HOTA field '") + f + "' must have 19 values");
      std::copy(a.data(), a.data() + hota_num_alphas, out.begin());
    };
    HotaResult& h = m.hota;
    arr("HOTA_TP", h.HOTA_TP), arr("HOTA_FN", h.HOTA_FN), arr("HOTA_FP", h.HOTA_FP);
    arr("AssA", h.AssA), arr("AssRe", h.AssRe), arr("AssPr", h.AssPr), arr("LocA", h.LocA);
  }
  if (which.clear) {
    const py::dict d = fam("CLEAR");
    ClearResult& c = m.clear;
    const auto i64 = [&](const char* f) { return py::cast<std::int64_t>(d[f]); };
    c.CLR_TP = i64("CLR_TP"), c.CLR_FN = i64("CLR_FN"), c.CLR_FP = i64("CLR_FP"), c.IDSW = i64("IDSW");
    c.MT = i64("MT"), c.PT = i64("PT"), c.ML = i64("ML"), c.CLR_Frames = i64("CLR_Frames");
    c.Frag = py::cast<double>(d["Frag"]), c.MOTP_sum = py::cast<double>(d["MOTP_sum"]);
  }
  if (which.identity) {
    const py::dict d = fam("Identity");
    IdentityResult& i = m.identity;
    i.IDTP = py::cast<std::int64_t>(d["IDTP"]), i.IDFN = py::cast<std::int64_t>(d["IDFN"]);
    i.IDFP = py::cast<std::int64_t>(d["IDFP"]);
  }
  const py::dict d = fam("Count");
  m.count.Dets = py::cast<std::int64_t>(d["Dets"]), m.count.GT_Dets = py::cast<std::int64_t>(d["GT_Dets"]);
  m.count.IDs = py::cast<std::int64_t>(d["IDs"]), m.count.GT_IDs = py::cast<std::int64_t>(d["GT_IDs"]);
  return m;
}

py::dict rows_dict(const MotRows& r) {
  const std::size_t n = r.size();
  auto vec = [](const auto& v) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
    std::copy(v.begin(), v.end(), a.mutable_data());
    return a;
  };
  py::dict d;
  d["frame"] = vec(r.frame);
  d["id"] = vec(r.id);
  py::array_t<double> boxes({static_cast<py::ssize_t>(n), py::ssize_t{4}});
  std::copy(r.boxes.begin(), r.boxes.end(), boxes.mutable_data());
  d["boxes"] = boxes;
  d["confidence"] = vec(r.confidence);
  d["class_id"] = vec(r.class_id);
  d["visibility"] = vec(r.visibility);
  std::vector<std::int64_t> line(r.line.begin(), r.line.end());
  d["line"] = vec(line);
  return d;
}

MotRows rows_of(const py::array& frame, const py::array& id, const py::array& boxes, const py::array& confidence,
                const py::object& class_id, const py::object& visibility) {
  require_dtype<std::int64_t>(frame, "frame");
  require_dtype<std::int64_t>(id, "id");
  require_dtype<double>(boxes, "boxes");
  require_dtype<double>(confidence, "confidence");
  require_shape(frame, "frame", {-1}, "(N,)");
  const py::ssize_t n = frame.shape(0);
  require_shape(id, "id", {n}, "(N,) like frame");
  require_shape(boxes, "boxes", {n, 4}, "(N, 4) x, y, w, h");
  require_shape(confidence, "confidence", {n}, "(N,) like frame");
  require_contiguous(frame, "frame");
  require_contiguous(id, "id");
  require_contiguous(boxes, "boxes");
  require_contiguous(confidence, "confidence");
  MotRows r;
  const auto N = static_cast<std::size_t>(n);
  const auto* f = static_cast<const std::int64_t*>(frame.data());
  const auto* i = static_cast<const std::int64_t*>(id.data());
  const auto* b = static_cast<const double*>(boxes.data());
  const auto* c = static_cast<const double*>(confidence.data());
  r.frame.assign(f, f + N);
  r.id.assign(i, i + N);
  r.boxes.assign(b, b + 4 * N);
  r.confidence.assign(c, c + N);
  auto optional = [&](const py::object& o, const char* name, std::vector<double>& out) {
    if (o.is_none()) return out.assign(N, std::nan(""));
    py::array a = py::cast<py::array>(o);
    require_dtype<double>(a, name);
    require_shape(a, name, {n}, "(N,) like frame");
    require_contiguous(a, name);
    const auto* p = static_cast<const double*>(a.data());
    out.assign(p, p + N);
  };
  optional(class_id, "class_id", r.class_id);
  optional(visibility, "visibility", r.visibility);
  return r;
}

}  // namespace

void bind_mot(py::module_& parent) {
  py::module_ m = parent.def_submodule("mot", "MOTChallenge files and TrackEval-exact MOT metrics (C++ core).");

  m.def(
      "read",
      [](const std::string& path, const std::string& kind) {
        MotRows r;
        {
          py::gil_scoped_release release;
          r = read_mot(path, kind_of(kind));
        }
        return rows_dict(r);
      },
      py::arg("path"), py::arg("kind"));
  m.def(
      "parse",
      [](const std::string& text, const std::string& kind, const std::string& name) {
        return rows_dict(parse_mot(text, kind_of(kind), name));
      },
      py::arg("text"), py::arg("kind"), py::arg("name"));
  m.def(
      "format",
      [](const py::array& frame, const py::array& id, const py::array& boxes, const py::array& confidence,
         const py::object& class_id, const py::object& visibility, const std::string& kind) {
        return format_mot(rows_of(frame, id, boxes, confidence, class_id, visibility), kind_of(kind));
      },
      py::arg("frame"), py::arg("id"), py::arg("boxes"), py::arg("confidence"), py::arg("class_id"),
      py::arg("visibility"), py::arg("kind"));

  m.def(
      "evaluate_files",
      [](const std::vector<std::string>& names, const std::vector<std::string>& gt_paths,
         const std::vector<std::int64_t>& seq_lengths, const std::vector<std::vector<std::string>>& tracker_paths,
         const std::string& benchmark, bool do_preproc, bool hota, bool clear, bool identity) {
        if (gt_paths.size() != names.size() || seq_lengths.size() != names.size())
          throw std::invalid_argument("names, gt_paths and seq_lengths must have the same length");
        std::vector<MotSequenceSpec> specs(names.size());
        for (std::size_t s = 0; s < names.size(); ++s) specs[s] = {names[s], gt_paths[s], seq_lengths[s]};
        const MotPreprocessOptions options{benchmark, do_preproc};
        const MotMetricSet which{hota, clear, identity};
        MotEvaluation ev;
        {
          py::gil_scoped_release release;
          ev = evaluate_mot_files(specs, tracker_paths, options, which, Parallel{num_threads()});
        }
        const std::size_t S = ev.sequences.size();
        py::list per_tracker, combined;
        for (std::size_t k = 0; k < tracker_paths.size(); ++k) {
          py::dict seqs;
          for (std::size_t s = 0; s < S; ++s) seqs[py::str(ev.sequences[s])] = metrics_dict(ev.per_sequence[k * S + s], which, true);
          per_tracker.append(seqs);
          combined.append(metrics_dict(ev.combined[k], which, false));
        }
        return py::make_tuple(ev.sequences, per_tracker, combined);
      },
      py::arg("names"), py::arg("gt_paths"), py::arg("seq_lengths"), py::arg("tracker_paths"), py::arg("benchmark"),
      py::arg("do_preproc"), py::arg("hota"), py::arg("clear"), py::arg("identity"));

  m.def(
      "combine",
      [](const py::list& per_sequence, bool hota, bool clear, bool identity) {
        const MotMetricSet which{hota, clear, identity};
        std::vector<MotMetrics> seqs;
        for (const py::handle& h : per_sequence) seqs.push_back(metrics_of(py::cast<py::dict>(h), which));
        std::vector<const MotMetrics*> ptrs;
        for (const MotMetrics& s : seqs) ptrs.push_back(&s);
        return metrics_dict(combine_mot_metrics(ptrs, which), which, false);
      },
      py::arg("per_sequence"), py::arg("hota"), py::arg("clear"), py::arg("identity"),
      "TrackEval's combination of per-sequence metric dicts (as evaluate_files returns them), "
      "given in sorted sequence-name order: the combine step evaluate_files runs.");

  m.def(
      "motmetrics_files",
      [](const std::vector<std::string>& names, const std::vector<std::string>& gt_paths,
         const std::vector<std::int64_t>& seq_lengths, const std::vector<std::vector<std::string>>& tracker_paths) {
        if (gt_paths.size() != names.size() || seq_lengths.size() != names.size())
          throw std::invalid_argument("names, gt_paths and seq_lengths must have the same length");
        const std::size_t S = names.size();
        std::vector<MotmetricsResult> per(tracker_paths.size() * S), overall(tracker_paths.size());
        {
          py::gil_scoped_release release;
          std::vector<MotRows> gt(S);
          for (std::size_t s = 0; s < S; ++s) gt[s] = read_mot(gt_paths[s], MotFileKind::ground_truth);
          for (std::size_t k = 0; k < tracker_paths.size(); ++k) {
            if (tracker_paths[k].size() != S) throw std::invalid_argument("tracker_paths: one path per sequence");
            std::vector<const MotmetricsResult*> seqs;
            for (std::size_t s = 0; s < S; ++s) {
              per[k * S + s] = motmetrics_sequence(gt[s], read_mot(tracker_paths[k][s], MotFileKind::tracker),
                                                   seq_lengths[s], gt_paths[s], tracker_paths[k][s]);
              seqs.push_back(&per[k * S + s]);
            }
            overall[k] = motmetrics_combine(seqs);
          }
        }
        const auto as_dict = [](const MotmetricsResult& r) {
          py::dict d;
#define LK_MM(f) d[#f] = r.f
          LK_MM(idf1); LK_MM(idp); LK_MM(idr); LK_MM(recall); LK_MM(precision); LK_MM(num_unique_objects);
          LK_MM(mostly_tracked); LK_MM(partially_tracked); LK_MM(mostly_lost); LK_MM(num_false_positives);
          LK_MM(num_misses); LK_MM(num_switches); LK_MM(num_fragmentations); LK_MM(mota); LK_MM(motp);
          LK_MM(num_transfer); LK_MM(num_ascend); LK_MM(num_migrate); LK_MM(idtp); LK_MM(idfn); LK_MM(idfp);
          LK_MM(num_detections); LK_MM(num_objects); LK_MM(num_predictions); LK_MM(num_frames);
#undef LK_MM
          return d;
        };
        py::list out;
        for (std::size_t k = 0; k < tracker_paths.size(); ++k) {
          py::dict seqs;
          for (std::size_t s = 0; s < S; ++s) seqs[py::str(names[s])] = as_dict(per[k * S + s]);
          seqs["OVERALL"] = as_dict(overall[k]);
          out.append(seqs);
        }
        return out;
      },
      py::arg("names"), py::arg("gt_paths"), py::arg("seq_lengths"), py::arg("tracker_paths"));
}

}  // namespace locuskit::python
