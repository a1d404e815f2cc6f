// Python bindings for the traj area (_core.traj): trajectory files, association, alignment,
// APE/RPE and the KITTI odometry metric. Validation happens here with the GIL held; the kernels
// run with it released.
#include <locuskit/traj.hpp>

#include "arrays.hpp"
#include "batch_arrays.hpp"

namespace locuskit::python {
namespace {

TrajectoryFormat parse_format(const std::string& s) {
  if (s == "tum") return TrajectoryFormat::tum;
  if (s == "kitti") return TrajectoryFormat::kitti;
  if (s == "euroc") return TrajectoryFormat::euroc;
  throw std::invalid_argument("format: expected 'tum', 'kitti' or 'euroc', got '" + s + "'");
}

// Parsed columns go to NumPy without a copy (move_to_numpy: a 1M-pose file is 128 MB of poses).
py::tuple to_py(TrajectoryData&& d) {
  const auto n = static_cast<py::ssize_t>(d.size());
  py::object stamps = py::none(), ns = py::none();
  if (!d.stamps.empty()) stamps = move_to_numpy(std::move(d.stamps), {n});
  if (!d.stamps_ns.empty()) ns = move_to_numpy(std::move(d.stamps_ns), {n});
  return py::make_tuple(stamps, ns, move_to_numpy(std::move(d.poses), {n, 4, 4}), d.warnings);
}

py::tuple read_trajectory_py(const std::string& path, const std::string& format) {
  const TrajectoryFormat f = parse_format(format);
  TrajectoryData d;
  {
    py::gil_scoped_release release;
    d = read_trajectory(path, f, max_trajectory_file_bytes, Parallel{num_threads()});
  }
  return to_py(std::move(d));
}

py::tuple parse_trajectory_py(const std::string& text, const std::string& format, const std::string& name) {
  const TrajectoryFormat f = parse_format(format);
  TrajectoryData d;
  {
    py::gil_scoped_release release;
    d = parse_trajectory(text, f, name, Parallel{num_threads()});
  }
  return to_py(std::move(d));
}

py::array_t<std::int64_t> to_array(const std::vector<std::int64_t>& v) {
  auto a = new_array<std::int64_t>({static_cast<py::ssize_t>(v.size())});
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

py::tuple associate_py(const py::array& ref, const py::array& est, double max_diff, double offset) {
  const double* r = vector_data<double>(ref, "ref_stamps", -1);
  const double* e = vector_data<double>(est, "est_stamps", -1);
  check_finite(r, static_cast<std::size_t>(ref.shape(0)), "ref_stamps", 1);
  check_finite(e, static_cast<std::size_t>(est.shape(0)), "est_stamps", 1);
  std::vector<std::int64_t> ri, ei;
  {
    py::gil_scoped_release release;
    associate_stamps(r, static_cast<std::size_t>(ref.shape(0)), e, static_cast<std::size_t>(est.shape(0)), max_diff,
                     offset, ri, ei);
  }
  return py::make_tuple(to_array(ri), to_array(ei));
}

const double* poses_data(const py::array& a, const char* name, std::size_t& n) {
  const double* p = batch_data<double>(a, name, {4, 4}, "(N, 4, 4) float64", n);
  check_finite(p, 16 * n, name, 16);
  return p;
}

py::tuple umeyama_py(const py::array& x, const py::array& y, bool with_scale, long long n_to_align) {
  std::size_t nx = 0, ny = 0;
  const double* px = poses_data(x, "est_poses", nx);
  const double* py_ = poses_data(y, "ref_poses", ny);
  if (nx != ny) throw std::invalid_argument("umeyama: est_poses and ref_poses have different lengths");
  Alignment a;
  {
    py::gil_scoped_release release;
    a = umeyama_alignment(px, py_, nx, with_scale, n_to_align);
  }
  auto R = new_array<double>({3, 3});
  auto t = new_array<double>({3});
  Eigen::Map<Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(R.mutable_data()) = a.R;
  Eigen::Map<Eigen::Vector3d>(t.mutable_data()) = a.t;
  return py::make_tuple(R, t, a.s);
}

py::array apply_alignment_py(const py::array& poses, const py::array& R, const py::array& t, double s, bool scale_only) {
  std::size_t n = 0;
  const double* p = poses_data(poses, "poses", n);
  Alignment a;
  std::size_t k = 0;
  const double* rr = batch_data<double>(R, "R", {3}, "(3, 3)", k);
  if (k != 3) throw std::invalid_argument("R: expected shape (3, 3)");
  const double* tt = vector_data<double>(t, "t", 3);
  a.R = Eigen::Map<const Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(rr);
  a.t = Eigen::Map<const Eigen::Vector3d>(tt);
  a.s = s;
  auto out = new_array<double>({static_cast<py::ssize_t>(n), 4, 4});
  double* o = out.mutable_data();
  std::copy(p, p + 16 * n, o);
  py::gil_scoped_release release;
  apply_alignment(o, n, a, scale_only);
  return std::move(out);
}

PoseRelation parse_relation(const std::string& s) {
  if (s == "trans_part" || s == "translation") return PoseRelation::translation;
  if (s == "angle_rad") return PoseRelation::rotation_angle_rad;
  if (s == "angle_deg") return PoseRelation::rotation_angle_deg;
  if (s == "rot_part") return PoseRelation::rotation_part;
  if (s == "full") return PoseRelation::full;
  if (s == "point_distance") return PoseRelation::point_distance;
  throw std::invalid_argument(
      "relation: expected 'trans_part', 'angle_deg', 'angle_rad', 'rot_part', 'full' or 'point_distance', got '" + s + "'");
}

py::array ape_py(const py::array& ref, const py::array& est, const std::string& relation) {
  const PoseRelation rel = parse_relation(relation);
  std::size_t nr = 0, ne = 0;
  const double* r = poses_data(ref, "ref_poses", nr);
  const double* e = poses_data(est, "est_poses", ne);
  if (nr != ne) throw std::invalid_argument("ape: ref_poses and est_poses have different lengths (associate first)");
  auto out = new_array<double>({static_cast<py::ssize_t>(nr)});
  double* o = out.mutable_data();
  py::gil_scoped_release release;
  ape_errors(r, e, nr, rel, o, Parallel{num_threads()});
  return std::move(out);
}

DeltaUnit parse_delta_unit(const std::string& unit) {
  DeltaUnit u;
  if (unit == "f" || unit == "frames") u = DeltaUnit::frames;
  else if (unit == "m" || unit == "meters") u = DeltaUnit::meters;
  else if (unit == "d" || unit == "degrees") u = DeltaUnit::degrees;
  else if (unit == "r" || unit == "radians") u = DeltaUnit::radians;
  else throw std::invalid_argument("unit: expected 'f' (frames), 'm' (meters), 'd' (degrees) or 'r' (radians), got '" +
                                   unit + "'");
  return u;
}

py::tuple rpe_pairs_py(const py::array& poses, double delta, const std::string& unit, bool all_pairs, double rel_tol) {
  const DeltaUnit u = parse_delta_unit(unit);
  std::size_t n = 0;
  const double* p = poses_data(poses, "poses", n);
  std::vector<std::int64_t> a, b;
  {
    py::gil_scoped_release release;
    rpe_pairs(p, n, delta, u, all_pairs, rel_tol, a, b);
  }
  return py::make_tuple(to_array(a), to_array(b));
}

py::array rpe_py(const py::array& ref, const py::array& est, const py::array& first, const py::array& second,
                 const std::string& relation) {
  const PoseRelation rel = parse_relation(relation);
  std::size_t nr = 0, ne = 0;
  const double* r = poses_data(ref, "ref_poses", nr);
  const double* e = poses_data(est, "est_poses", ne);
  if (nr != ne) throw std::invalid_argument("rpe: ref_poses and est_poses have different lengths (associate first)");
  const std::int64_t* f = vector_data<std::int64_t>(first, "first", -1);
  const std::int64_t* s = vector_data<std::int64_t>(second, "second", first.shape(0), "first");
  const std::size_t np = static_cast<std::size_t>(first.shape(0));
  for (std::size_t k = 0; k < np; ++k)
    if (f[k] < 0 || s[k] < 0 || static_cast<std::size_t>(f[k]) >= nr || static_cast<std::size_t>(s[k]) >= nr)
      throw std::invalid_argument("rpe: pair " + std::to_string(k) + " is out of range");
  auto out = new_array<double>({static_cast<py::ssize_t>(np)});
  double* o = out.mutable_data();
  py::gil_scoped_release release;
  rpe_errors(r, e, f, s, np, rel, o, Parallel{num_threads()});
  return std::move(out);
}

py::dict stats_to_dict(const ErrorStatistics& s) {
  py::dict d;
  d["rmse"] = s.rmse;
  d["mean"] = s.mean;
  d["median"] = s.median;
  d["std"] = s.std;
  d["min"] = s.min;
  d["max"] = s.max;
  d["sse"] = s.sse;
  d["n"] = s.n;
  return d;
}

py::dict statistics_py(const py::array& e) {
  const double* p = vector_data<double>(e, "errors", -1);
  return stats_to_dict(error_statistics(p, static_cast<std::size_t>(e.shape(0))));
}

py::dict kitti_py(const py::array& gt, const py::array& est, const std::string& precision) {
  KittiPrecision prec;
  if (precision == "devkit") prec = KittiPrecision::devkit;
  else if (precision == "double") prec = KittiPrecision::double_;
  else throw std::invalid_argument("precision: expected 'devkit' or 'double', got '" + precision + "'");
  std::size_t ng = 0, ne = 0;
  const double* g = poses_data(gt, "gt_poses", ng);
  const double* e = poses_data(est, "est_poses", ne);
  if (ng != ne)
    throw std::invalid_argument("kitti: gt_poses has " + std::to_string(ng) + " poses and est_poses " + std::to_string(ne) +
                                " (the devkit needs equal counts)");
  check_finite(g, 16 * ng, "gt_poses", 16);
  check_finite(e, 16 * ne, "est_poses", 16);
  KittiResult r;
  {
    py::gil_scoped_release release;
    r = kitti_odometry_metric(g, e, ng, prec, Parallel{num_threads()});
  }
  auto seg = new_array<double>({static_cast<py::ssize_t>(r.segments.size()), 5});
  double* o = seg.mutable_data();
  for (std::size_t i = 0; i < r.segments.size(); ++i) {
    const auto& s = r.segments[i];
    o[5 * i] = static_cast<double>(s.first_frame);
    o[5 * i + 1] = s.r_err;
    o[5 * i + 2] = s.t_err;
    o[5 * i + 3] = s.len;
    o[5 * i + 4] = s.speed;
  }
  py::dict per;
  for (int li = 0; li < 8; ++li) {
    py::dict d;
    d["n"] = r.length_count[li];
    d["t_err_fraction"] = r.length_t_err[li];
    d["r_err_rad_per_m"] = r.length_r_err[li];
    per[py::str(std::to_string(static_cast<int>(r.lengths[li])))] = d;
  }
  py::dict d;
  d["segments"] = seg;
  d["t_err_fraction"] = r.t_err;
  d["r_err_rad_per_m"] = r.r_err;
  d["per_length"] = per;
  d["gt_path_length_m"] = r.gt_path_length;
  return d;
}

AlignMode parse_align_mode(const std::string& s) {
  if (s == "none") return AlignMode::none;
  if (s == "se3") return AlignMode::se3;
  if (s == "sim3") return AlignMode::sim3;
  if (s == "scale") return AlignMode::scale;
  if (s == "origin") return AlignMode::origin;
  throw std::invalid_argument("align_mode: expected 'none', 'se3', 'sim3', 'scale' or 'origin', got '" + s + "'");
}

// A whole evaluation from two files; plain Python numbers and strings come back (no NumPy).
py::dict evaluate_files_py(const std::string& ref_path, const std::string& est_path, const std::string& ref_format,
                           const std::string& est_format, const std::string& metric, const std::string& relation,
                           const std::string& align_mode, long long n_to_align, double t_max_diff, double t_offset,
                           py::object t_start, py::object t_end, double delta, const std::string& delta_unit,
                           bool all_pairs, double delta_tol, bool pairs_from_reference) {
  EvaluationOptions o;
  if (metric != "ape" && metric != "rpe")
    throw std::invalid_argument("metric: expected 'ape' or 'rpe', got '" + metric + "'");
  o.rpe = metric == "rpe";
  o.point_distance_error_ratio = relation == "point_distance_error_ratio";
  if (o.point_distance_error_ratio && !o.rpe)
    throw std::invalid_argument("relation: point_distance_error_ratio is an RPE relation");
  o.relation = o.point_distance_error_ratio ? PoseRelation::point_distance : parse_relation(relation);
  o.align = parse_align_mode(align_mode);
  o.n_to_align = n_to_align;
  o.t_max_diff = t_max_diff;
  o.t_offset = t_offset;
  if (!t_start.is_none()) o.has_t_start = true, o.t_start = t_start.cast<double>();
  if (!t_end.is_none()) o.has_t_end = true, o.t_end = t_end.cast<double>();
  o.delta = delta;
  o.delta_unit = parse_delta_unit(delta_unit);
  o.all_pairs = all_pairs;
  o.delta_tol = delta_tol;
  o.pairs_from_reference = pairs_from_reference;
  const TrajectoryFormat rf = parse_format(ref_format), ef = parse_format(est_format);
  TrajectoryData ref, est;
  Evaluation e;
  {
    py::gil_scoped_release release;
    const Parallel par{num_threads()};
    ref = read_trajectory(ref_path, rf, max_trajectory_file_bytes, par);
    est = read_trajectory(est_path, ef, max_trajectory_file_bytes, par);
    e = evaluate_trajectories(ref, est, o, par);
  }
  std::vector<std::string> warnings = ref.warnings;
  warnings.insert(warnings.end(), est.warnings.begin(), est.warnings.end());
  py::dict d;
  d["stats"] = stats_to_dict(e.stats);
  d["scale"] = e.scale;
  d["associated"] = e.associated;
  d["shorter_side"] = e.shorter_side;
  d["reused_rows"] = e.reused_rows;
  d["zero_reference_steps"] = e.zero_reference_steps;
  d["ignored_zero_distance_pairs"] = e.ignored_zero_distance_pairs;
  d["warnings"] = warnings;
  d["stamped"] = !ref.stamps.empty();
  return d;
}

}  // namespace

void bind_traj(py::module_& parent) {
  auto m = parent.def_submodule("traj", "trajectory evaluation (use locuskit.traj)");
  m.def("read", &read_trajectory_py, py::arg("path"), py::arg("format"));
  m.def("parse", &parse_trajectory_py, py::arg("text"), py::arg("format"), py::arg("name") = "<string>");
  m.def("associate", &associate_py, py::arg("ref_stamps"), py::arg("est_stamps"), py::arg("max_diff"),
        py::arg("offset"));
  m.def("umeyama", &umeyama_py, py::arg("est_poses"), py::arg("ref_poses"), py::arg("with_scale"),
        py::arg("n_to_align") = -1);
  m.def("apply_alignment", &apply_alignment_py, py::arg("poses"), py::arg("R"), py::arg("t"), py::arg("s"),
        py::arg("scale_only") = false);
  m.def("ape", &ape_py, py::arg("ref_poses"), py::arg("est_poses"), py::arg("relation"));
  m.def("rpe_pairs", &rpe_pairs_py, py::arg("poses"), py::arg("delta"), py::arg("unit"), py::arg("all_pairs"),
        py::arg("rel_tol"));
  m.def("rpe", &rpe_py, py::arg("ref_poses"), py::arg("est_poses"), py::arg("first"), py::arg("second"),
        py::arg("relation"));
  m.def("statistics", &statistics_py, py::arg("errors"));
  m.def("evaluate_files", &evaluate_files_py, py::arg("ref_path"), py::arg("est_path"), py::arg("ref_format"),
        py::arg("est_format"), py::arg("metric"), py::arg("relation"), py::arg("align_mode"), py::arg("n_to_align"),
        py::arg("t_max_diff"), py::arg("t_offset"), py::arg("t_start"), py::arg("t_end"), py::arg("delta"),
        py::arg("delta_unit"), py::arg("all_pairs"), py::arg("delta_tol"), py::arg("pairs_from_reference"));
  m.def("kitti", &kitti_py, py::arg("gt_poses"), py::arg("est_poses"), py::arg("precision"));
}

}  // namespace locuskit::python
