// Python bindings for the mask area (submodule _core.mask): COCO RLE masks as pycocotools' dicts
// {"size": [h, w], "counts": bytes}. Thin: parse and validate with the GIL held, release it around
// the kernels. locuskit.mask (Python) does pycocotools' input dispatch on top of these.
#include <locuskit/mask.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

py::dict rle_to_dict(const Rle& r) {
  std::string s;
  s.reserve(r.counts.size() * 2);
  rle_to_string(r.counts.data(), r.counts.size(), s);
  py::dict d;
  py::list size;
  size.append(py::int_(r.height));
  size.append(py::int_(r.width));
  d["size"] = size;
  d["counts"] = py::bytes(s);
  return d;
}

py::list rles_to_list(const std::vector<Rle>& rles) {
  py::list out;
  for (const auto& r : rles) out.append(rle_to_dict(r));
  return out;
}

std::size_t size_entry(const py::handle& size, int k, const char* name, std::size_t i) {
  const auto v = py::reinterpret_borrow<py::object>(size)[py::int_(k)].cast<long long>();
  if (v < 0)
    throw std::invalid_argument(std::string(name) + "[" + std::to_string(i) + "]['size'] has a negative entry");
  return static_cast<std::size_t>(v);
}

// One RLE dict ({'size': [h, w], 'counts': str | bytes}) -> Rle; errors name the argument and index.
Rle rle_from_dict(const py::handle& obj, const char* name, std::size_t i) {
  if (!py::isinstance<py::dict>(obj))
    throw type_error(std::string(name) + "[" + std::to_string(i) + "]: expected an RLE dict, got " +
                     py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>());
  const auto d = py::reinterpret_borrow<py::dict>(obj);
  if (!d.contains("counts") || !d.contains("size"))
    throw std::invalid_argument(std::string(name) + "[" + std::to_string(i) + "]: an RLE dict needs 'size' and 'counts'");
  const py::object counts = d["counts"];
  std::string text;
  if (py::isinstance<py::bytes>(counts)) text = counts.cast<std::string>();
  else if (py::isinstance<py::str>(counts)) text = counts.cast<std::string>();
  else
    throw type_error(std::string(name) + "[" + std::to_string(i) + "]['counts']: expected str or bytes (compressed RLE), got " +
                     py::str(py::type::handle_of(counts).attr("__name__")).cast<std::string>() +
                     "; convert uncompressed RLE with frPyObjects first");
  Rle r;
  const py::object size = d["size"];
  if (py::len(size) != 2)
    throw std::invalid_argument(std::string(name) + "[" + std::to_string(i) + "]['size'] must be [height, width]");
  r.height = size_entry(size, 0, name, i);
  r.width = size_entry(size, 1, name, i);
  try {
    r.counts = rle_counts_from_string(text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(name) + "[" + std::to_string(i) + "]: " + e.what());
  }
  return r;
}

std::vector<Rle> rles_from_list(const py::sequence& objs, const char* name) {
  std::vector<Rle> out;
  out.reserve(py::len(objs));
  std::size_t i = 0;
  for (const auto& o : objs) out.push_back(rle_from_dict(o, name, i++));
  return out;
}

py::list encode_py(const py::array& mask) {
  const bool is_u8 = mask.dtype().is(py::dtype::of<std::uint8_t>());
  const bool is_bool = mask.dtype().is(py::dtype::of<bool>());
  if (!is_u8 && !is_bool)
    throw std::invalid_argument("encode: Buffer dtype mismatch, expected 'uint8_t' but got " + dtype_str(mask) +
                                " (pass a uint8 or bool mask)");
  if (mask.ndim() != 3)
    throw std::invalid_argument("encode: Buffer has wrong number of dimensions (expected 3, got " +
                                std::to_string(mask.ndim()) + ")");
  if (!(mask.flags() & py::array::f_style))
    throw std::invalid_argument("encode: ndarray is not Fortran contiguous (pass np.asfortranarray(mask))");
  const auto h = static_cast<std::size_t>(mask.shape(0)), w = static_cast<std::size_t>(mask.shape(1)),
             n = static_cast<std::size_t>(mask.shape(2));
  const auto* data = static_cast<const std::uint8_t*>(mask.data());
  std::vector<Rle> rles(n);
  {
    py::gil_scoped_release release;
    for (std::size_t i = 0; i < n; ++i) rles[i] = rle_encode(data + i * h * w, h, w);
  }
  return rles_to_list(rles);
}

py::array decode_py(const py::sequence& objs) {
  const auto rles = rles_from_list(objs, "rleObjs");
  if (rles.empty()) throw std::invalid_argument("decode: rleObjs is empty (pycocotools reads past the end here)");
  const std::size_t h = rles[0].height, w = rles[0].width, n = rles.size();
  py::array_t<std::uint8_t, py::array::f_style> out({static_cast<py::ssize_t>(h), static_cast<py::ssize_t>(w),
                                                     static_cast<py::ssize_t>(n)});
  bool ok;
  {
    py::gil_scoped_release release;
    ok = rle_decode(rles.data(), n, out.mutable_data(), h * w * n);
  }
  if (!ok) throw std::invalid_argument("Invalid RLE mask representation");
  return std::move(out);
}

py::dict merge_py(const py::sequence& objs, bool intersect) {
  const auto rles = rles_from_list(objs, "rleObjs");
  Rle merged;
  {
    py::gil_scoped_release release;
    merged = rle_merge(rles.data(), rles.size(), intersect);
  }
  return rle_to_dict(merged);
}

py::array area_py(const py::sequence& objs) {
  const auto rles = rles_from_list(objs, "rleObjs");
  auto out = new_array<std::uint32_t>({static_cast<py::ssize_t>(rles.size())});
  for (std::size_t i = 0; i < rles.size(); ++i)
    out.mutable_data()[i] = static_cast<std::uint32_t>(rle_area(rles[i]));  // uint32 as the peer
  return std::move(out);
}

py::array to_bbox_py(const py::sequence& objs) {
  const auto rles = rles_from_list(objs, "rleObjs");
  auto out = new_array<double>({static_cast<py::ssize_t>(rles.size()), 4});
  for (std::size_t i = 0; i < rles.size(); ++i) {
    const auto bb = rle_to_bbox(rles[i]);
    std::memcpy(out.mutable_data() + 4 * i, bb.data(), sizeof(bb));
  }
  return std::move(out);
}

const std::uint8_t* crowd_data(const py::array& iscrowd, std::size_t n) {
  return vector_data<std::uint8_t>(iscrowd, "iscrowd", static_cast<py::ssize_t>(n));
}

py::array rle_iou_py(const py::sequence& dt, const py::sequence& gt, const py::array& iscrowd) {
  const auto d = rles_from_list(dt, "dt"), g = rles_from_list(gt, "gt");
  const auto* crowd = crowd_data(iscrowd, g.size());
  auto out = new_array<double>({static_cast<py::ssize_t>(d.size()), static_cast<py::ssize_t>(g.size())});
  double* o = out.mutable_data();
  {
    py::gil_scoped_release release;
    rle_iou_matrix(d.data(), d.size(), g.data(), g.size(), crowd, o, Parallel{num_threads()});
  }
  return std::move(out);
}

py::array bbox_iou_py(const py::array& dt, const py::array& gt, const py::array& iscrowd) {
  std::size_t m = 0, n = 0;
  const double* d = boxes_data<double>(dt, "dt", m);
  const double* g = boxes_data<double>(gt, "gt", n);
  const auto* crowd = crowd_data(iscrowd, n);
  auto out = new_array<double>({static_cast<py::ssize_t>(m), static_cast<py::ssize_t>(n)});
  double* o = out.mutable_data();
  {
    py::gil_scoped_release release;
    bbox_xywh_iou_matrix(d, m, g, n, crowd, o, Parallel{num_threads()});
  }
  return std::move(out);
}

py::list fr_bbox_py(const py::array& boxes, std::size_t h, std::size_t w) {
  std::size_t n = 0;
  const double* b = boxes_data<double>(boxes, "bb", n);
  std::vector<Rle> rles(n);
  {
    py::gil_scoped_release release;
    for (std::size_t i = 0; i < n; ++i) rles[i] = rle_from_bbox(b + 4 * i, h, w);
  }
  return rles_to_list(rles);
}

py::list fr_poly_py(const py::sequence& polygons, std::size_t h, std::size_t w) {
  std::vector<Rle> rles;
  rles.reserve(py::len(polygons));
  std::size_t i = 0;
  for (const auto& p : polygons) {
    const auto arr = py::array::ensure(p);
    if (!arr) throw type_error("poly[" + std::to_string(i) + "]: expected a sequence of coordinates");
    const auto name = "poly[" + std::to_string(i) + "]";
    const double* xy = vector_data<double>(arr, name.c_str(), -1);
    const auto k = static_cast<std::size_t>(arr.shape(0)) / 2;
    rles.push_back(rle_from_polygon(xy, k, h, w));
    ++i;
  }
  return rles_to_list(rles);
}

py::bytes string_from_counts_py(const py::array& counts) {
  const auto* c = vector_data<std::uint32_t>(counts, "counts", -1);
  std::string s;
  rle_to_string(c, static_cast<std::size_t>(counts.shape(0)), s);
  return py::bytes(s);
}

py::array counts_from_string_py(const py::object& text) {
  std::string s;
  if (py::isinstance<py::bytes>(text) || py::isinstance<py::str>(text)) s = text.cast<std::string>();
  else throw type_error("counts: expected str or bytes");
  const auto c = rle_counts_from_string(s);
  auto out = new_array<std::uint32_t>({static_cast<py::ssize_t>(c.size())});
  if (!c.empty()) std::memcpy(out.mutable_data(), c.data(), c.size() * sizeof(std::uint32_t));
  return std::move(out);
}


// Calls f(T{}) for the integer dtype of `a` (the label-map dtypes numpy has).
template <class F>
void with_integer_dtype(const py::array& a, const char* name, F&& f) {
  const auto k = a.dtype().kind();
  const auto size = a.dtype().itemsize();
  if (k == 'i') {
    if (size == 1) return f(std::int8_t{});
    if (size == 2) return f(std::int16_t{});
    if (size == 4) return f(std::int32_t{});
    if (size == 8) return f(std::int64_t{});
  } else if (k == 'u' || k == 'b') {
    if (size == 1) return f(std::uint8_t{});
    if (size == 2) return f(std::uint16_t{});
    if (size == 4) return f(std::uint32_t{});
    if (size == 8) return f(std::uint64_t{});
  }
  throw type_error(std::string(name) + ": dtype " + dtype_str(a) + " is not an integer label dtype");
}

void require_same_shape(const py::array& a, const py::array& b, const char* na, const char* nb) {
  bool same = a.ndim() == b.ndim();
  for (py::ssize_t d = 0; same && d < a.ndim(); ++d) same = a.shape(d) == b.shape(d);
  if (!same)
    throw std::invalid_argument(std::string(na) + " and " + nb + " have different shapes: " + shape_str(a) + " vs " +
                                shape_str(b));
}

py::array confusion_matrix_py(const py::array& pred, const py::array& gt, long long num_classes,
                              long long ignore_index, bool reduce_zero_label) {
  if (num_classes < 1 || num_classes > 65535)
    throw std::invalid_argument("num_classes must be in [1, 65535], got " + std::to_string(num_classes));
  require_same_shape(pred, gt, "pred", "gt");
  require_contiguous(pred, "pred");
  require_contiguous(gt, "gt");
  if (!pred.dtype().is(gt.dtype()))
    throw type_error("pred and gt must have the same dtype (" + dtype_str(pred) + " vs " + dtype_str(gt) + ")");
  const auto side = static_cast<py::ssize_t>(num_classes + 1);
  auto out = new_array<std::uint64_t>({side, side});
  std::fill(out.mutable_data(), out.mutable_data() + side * side, std::uint64_t{0});
  const auto n = static_cast<std::size_t>(pred.size());
  const LabelRules rules{num_classes, ignore_index, reduce_zero_label};
  std::uint64_t* m = out.mutable_data();
  with_integer_dtype(pred, "pred", [&](auto tag) {
    using T = decltype(tag);
    const auto* p = static_cast<const T*>(pred.data());
    const auto* g = static_cast<const T*>(gt.data());
    py::gil_scoped_release release;
    confusion_matrix_update(p, g, n, rules, m, Parallel{num_threads()});
  });
  return std::move(out);
}

// Binary mask (bool / uint8 0-1), 1..3-D, C-contiguous -> shape vector; ValueError otherwise.
std::vector<std::size_t> binary_shape(const py::array& a, const char* name) {
  if (!a.dtype().is(py::dtype::of<bool>()) && !a.dtype().is(py::dtype::of<std::uint8_t>()))
    throw type_error(std::string(name) + ": dtype " + dtype_str(a) + " is not supported; pass a bool or uint8 mask");
  if (a.ndim() < 1 || a.ndim() > 3)
    throw std::invalid_argument(std::string(name) + ": expected a 1-D, 2-D or 3-D mask, got shape " + shape_str(a));
  require_contiguous(a, name);
  std::vector<std::size_t> shape;
  for (py::ssize_t d = 0; d < a.ndim(); ++d) shape.push_back(static_cast<std::size_t>(a.shape(d)));
  return shape;
}

py::tuple surface_distances_py(const py::array& pred, const py::array& gt, const py::array& spacing,
                               bool full_connectivity) {
  const auto shape = binary_shape(pred, "pred");
  binary_shape(gt, "gt");
  require_same_shape(pred, gt, "pred", "gt");
  const int ndim = static_cast<int>(shape.size());
  const double* sp = vector_data<double>(spacing, "spacing", ndim);
  for (int a = 0; a < ndim; ++a)
    if (!(sp[a] > 0) || !std::isfinite(sp[a]))
      throw std::invalid_argument("spacing must be finite and > 0, got " + std::to_string(sp[a]));
  const auto n = static_cast<std::size_t>(pred.size());
  const auto* p = static_cast<const std::uint8_t*>(pred.data());
  const auto* g = static_cast<const std::uint8_t*>(gt.data());
  // 0/1 bytes, 8 at a time; the first offending byte is located only on failure.
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t wp, wg;
    std::memcpy(&wp, p + i, 8);
    std::memcpy(&wg, g + i, 8);
    if ((wp | wg) & 0xFEFEFEFEFEFEFEFEull) break;
  }
  for (; i < n; ++i)
    if (p[i] > 1 || g[i] > 1)
      throw std::invalid_argument(std::string(p[i] > 1 ? "pred" : "gt") + ": mask is not binary (value " +
                                  std::to_string(p[i] > 1 ? p[i] : g[i]) + "); pass 0/1 or bool");
  std::pair<std::vector<double>, std::vector<double>> d;
  {
    py::gil_scoped_release release;
    d = locuskit::surface_distances(p, g, shape.data(), ndim, sp, full_connectivity, Parallel{num_threads()});
  }
  const auto& d_pg = d.first;
  const auto& d_gp = d.second;
  auto to_np = [](const std::vector<double>& v) {
    auto a = new_array<double>({static_cast<py::ssize_t>(v.size())});
    if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(double));
    return a;
  };
  return py::make_tuple(to_np(d_pg), to_np(d_gp));
}

py::array squared_distance_transform_py(const py::array& seeds, const py::array& spacing) {
  const auto shape = binary_shape(seeds, "seeds");
  const double* sp = vector_data<double>(spacing, "spacing", static_cast<py::ssize_t>(shape.size()));
  std::vector<py::ssize_t> out_shape(shape.begin(), shape.end());
  auto out = new_array<double>(out_shape);
  double* o = out.mutable_data();
  const auto* s = static_cast<const std::uint8_t*>(seeds.data());
  {
    py::gil_scoped_release release;
    squared_distance_transform(s, shape.data(), static_cast<int>(shape.size()), sp, o, Parallel{num_threads()});
  }
  return std::move(out);
}

}  // namespace

void bind_mask(py::module_& parent) {
  auto m = parent.def_submodule("mask", "COCO RLE masks (use locuskit.mask, the pycocotools.mask drop-in)");
  m.def("encode", &encode_py, py::arg("mask"),
        "RLE dicts of a Fortran-contiguous (h, w, n) uint8/bool array (pycocotools _mask.encode).");
  m.def("decode", &decode_py, py::arg("rleObjs"),
        "(h, w, n) Fortran-ordered uint8 masks of a list of RLE dicts (pycocotools _mask.decode).");
  m.def("merge", &merge_py, py::arg("rleObjs"), py::arg("intersect") = false,
        "Union (or intersection) of RLE dicts as one RLE dict (pycocotools _mask.merge).");
  m.def("area", &area_py, py::arg("rleObjs"), "uint32 foreground pixel counts (pycocotools _mask.area).");
  m.def("to_bbox", &to_bbox_py, py::arg("rleObjs"), "(n, 4) float64 [x, y, w, h] boxes (pycocotools _mask.toBbox).");
  m.def("rle_iou", &rle_iou_py, py::arg("dt"), py::arg("gt"), py::arg("iscrowd"),
        "(len(dt), len(gt)) float64 mask IoU of RLE dicts; iscrowd uint8 (len(gt),). Multithreaded.");
  m.def("bbox_iou", &bbox_iou_py, py::arg("dt"), py::arg("gt"), py::arg("iscrowd"),
        "(m, n) float64 IoU of (m, 4) and (n, 4) float64 xywh boxes with the crowd rule.");
  m.def("fr_bbox", &fr_bbox_py, py::arg("bb"), py::arg("h"), py::arg("w"),
        "RLE dicts of (n, 4) float64 xywh boxes rasterised as polygons (pycocotools frBbox).");
  m.def("fr_poly", &fr_poly_py, py::arg("poly"), py::arg("h"), py::arg("w"),
        "RLE dicts of polygons given as 1-D float64 arrays [x0, y0, x1, y1, ...] (pycocotools frPoly).");
  m.def("string_from_counts", &string_from_counts_py, py::arg("counts"),
        "Compressed RLE string (bytes) of uint32 counts (pycocotools rleToString).");
  m.def("counts_from_string", &counts_from_string_py, py::arg("counts"),
        "uint32 counts of a compressed RLE string; ValueError on a corrupt string.");
  m.def("confusion_matrix", &confusion_matrix_py, py::arg("pred"), py::arg("gt"), py::arg("num_classes"),
        py::arg("ignore_index"), py::arg("reduce_zero_label"),
        "(C+1, C+1) uint64 pixel counts, rows = GT, columns = prediction, index C = label outside [0, C).");
  m.def("surface_distances", &surface_distances_py, py::arg("pred"), py::arg("gt"), py::arg("spacing"),
        py::arg("full_connectivity") = false,
        "(pred->gt, gt->pred) float64 distances from each surface voxel (C order) to the other surface.");
  m.def("squared_distance_transform", &squared_distance_transform_py, py::arg("seeds"), py::arg("spacing"),
        "Exact squared Euclidean distance to the nearest nonzero voxel (float64, +inf if none).");
}

}  // namespace locuskit::python
