// Python bindings for the eval area (submodule _core.eval): COCO file loading (simdjson), the COCO evaluator
// (evaluate / accumulate / summarize) and VOC AP. Thin: validate with the GIL held, release it
// around the C++ work.
#include <locuskit/eval.hpp>
#include <locuskit/eval/coco_json.hpp>
#include <locuskit/eval/coco_results_reader.hpp>

#include <cmath>
#include <cstring>
#include <iterator>
#include <memory>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

template <class T>
py::array_t<T> to_numpy(const std::vector<T>& v, std::vector<py::ssize_t> shape) {
  auto out = new_array<T>(std::move(shape));
  if (!v.empty()) std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(T));
  return out;
}

// The loaders' tables cross into Python as this class (the C++ CocoTable, owned), read like the
// dict of arrays they used to be: t["bbox"], t.get("score"), t.keys(), dict(t). Columns are NumPy
// views of the C++ vectors (no copy; each keeps the table alive); the evaluator reads the vectors
// directly (annotations_of), so nothing is converted at each evaluation.
struct PyCocoTable {
  CocoTable t;
};

const char* const kTableKeys[] = {"id", "image_id", "category_id", "bbox", "area", "iscrowd", "score",
                                  "num_keypoints", "keypoints", "missing", "segm_offset", "segm_counts",
                                  "segm_size", "segm_kind", "segm_error"};

template <class T>
py::array column_view(const std::vector<T>& v, std::vector<py::ssize_t> shape, const py::object& owner) {
  if (v.empty()) return new_array<T>(std::move(shape));
  return py::array_t<T>(std::move(shape), v.data(), owner);
}

py::dict missing_of(const CocoTable& t) {
  py::dict missing;
  auto add = [&](const char* f, long i) {
    if (i >= 0) missing[f] = i;
  };
  add("bbox", t.first_missing_bbox);
  add("area", t.first_missing_area);
  add("iscrowd", t.first_missing_iscrowd);
  add("score", t.first_missing_score);
  add("keypoints", t.first_missing_keypoints);
  add("num_keypoints", t.first_missing_num_keypoints);
  add("segmentation", t.first_missing_segmentation);
  return missing;
}

py::object table_item(const py::object& self, const std::string& key) {
  const CocoTable& t = self.cast<const PyCocoTable&>().t;
  const auto n = static_cast<py::ssize_t>(t.size());
  if (key == "id") return column_view(t.id, {n}, self);
  if (key == "image_id") return column_view(t.image_id, {n}, self);
  if (key == "category_id") return column_view(t.category_id, {n}, self);
  if (key == "bbox") return column_view(t.bbox, {n, 4}, self);
  if (key == "area") return column_view(t.area, {n}, self);
  if (key == "iscrowd") return column_view(t.iscrowd, {n}, self);
  if (key == "score") return t.score.size() == t.size() ? py::object(column_view(t.score, {n}, self)) : py::none();
  if (key == "num_keypoints") return column_view(t.num_keypoints, {n}, self);
  if (key == "keypoints") {
    const auto kv = static_cast<py::ssize_t>(t.keypoint_values);
    if (t.keypoints.size() == static_cast<std::size_t>(n * kv)) return column_view(t.keypoints, {n, kv}, self);
    return new_array<double>({n, 0});
  }
  if (key == "missing") return missing_of(t);
  // Segmentation: one RLE per row, ragged (counts of row n: segm_counts[segm_offset[n]:segm_offset[n+1]]).
  if (key == "segm_offset") return column_view(t.segm_offset, {static_cast<py::ssize_t>(t.segm_offset.size())}, self);
  if (key == "segm_counts") return column_view(t.segm_counts, {static_cast<py::ssize_t>(t.segm_counts.size())}, self);
  if (key == "segm_size") return column_view(t.segm_size, {n, 2}, self);
  if (key == "segm_kind") return column_view(t.segm_kind, {n}, self);
  if (key == "segm_error") return t.first_invalid_segmentation >= 0 ? py::object(py::str(t.segm_error)) : py::none();
  throw py::key_error(key);
}

bool is_table_key(const std::string& key) {
  for (const char* k : kTableKeys)
    if (key == k) return true;
  return false;
}

// What the evaluator reads of a loaded table: the same views as of its dict form (a column some
// annotation lacks is null, as _coco._strip makes it), straight from the vectors.
template <class T>
const T* nonnull(const std::vector<T>& v) {
  static const T zero{};
  return v.empty() ? &zero : v.data();
}

CocoAnnotations annotations_of_table(const CocoTable& t) {
  CocoAnnotations v;
  const std::size_t n = t.size();
  v.size = n;
  v.id = nonnull(t.id);
  v.image_id = nonnull(t.image_id);
  v.category_id = nonnull(t.category_id);
  v.bbox = t.first_missing_bbox < 0 ? nonnull(t.bbox) : nullptr;
  v.area = t.first_missing_area < 0 ? nonnull(t.area) : nullptr;
  v.iscrowd = t.first_missing_iscrowd < 0 ? nonnull(t.iscrowd) : nullptr;
  v.score = t.first_missing_score < 0 && t.score.size() == n ? nonnull(t.score) : nullptr;
  if (t.first_missing_keypoints < 0) {
    v.keypoints = nonnull(t.keypoints);
    v.keypoint_values = t.keypoints.size() == n * t.keypoint_values ? t.keypoint_values : 0;
  }
  v.num_keypoints = t.first_missing_num_keypoints < 0 ? nonnull(t.num_keypoints) : nullptr;
  if (t.segm_kind.size() == n && t.segm_offset.size() == n + 1 && t.segm_size.size() == 2 * n) {
    v.segm_kind = nonnull(t.segm_kind);
    v.segm_offset = nonnull(t.segm_offset);
    v.segm_size = nonnull(t.segm_size);
    v.segm_counts = nonnull(t.segm_counts);
  }
  return v;
}

simdjson::padded_string text_of(const py::object& src, std::string& name) {
  if (py::isinstance<py::bytes>(src)) {
    name = "<json>";
    const std::string s = src.cast<std::string>();
    return simdjson::padded_string(s);
  }
  name = py::str(src).cast<std::string>();
  py::gil_scoped_release release;
  return detail::cocojson::load_file(name);
}

py::dict load_gt_py(const py::object& src) {
  std::string name;
  CocoGroundTruth gt;
  {
    auto text = text_of(src, name);
    py::gil_scoped_release release;
    gt = parse_coco_ground_truth(std::move(text), name);
  }
  py::dict d;
  const auto ni = static_cast<py::ssize_t>(gt.image_ids.size());
  d["image_ids"] = to_numpy(gt.image_ids, {ni});
  d["image_width"] = to_numpy(gt.image_width, {ni});
  d["image_height"] = to_numpy(gt.image_height, {ni});
  d["category_ids"] = to_numpy(gt.category_ids, {static_cast<py::ssize_t>(gt.category_ids.size())});
  d["category_names"] = gt.category_names;
  d["annotations"] = py::cast(PyCocoTable{std::move(gt.annotations)});
  py::dict lists;
  lists["images"] = gt.has_images, lists["categories"] = gt.has_categories, lists["annotations"] = gt.has_annotations;
  d["lists"] = lists;
  return d;
}

// Results are streamed into columns (from the file in chunks, or from the bytes in place).
py::object load_results_py(const py::object& src, const py::array& gt_image_ids, bool allow_empty,
                         const py::object& gt_image_height, const py::object& gt_image_width) {
  CocoGroundTruth gt;
  const auto n_img = gt_image_ids.ndim() == 1 ? gt_image_ids.shape(0) : -1;
  const auto* ids = vector_data<std::int64_t>(gt_image_ids, "gt_image_ids", n_img);
  gt.image_ids.assign(ids, ids + gt_image_ids.shape(0));
  // Image sizes (NaN where unknown): polygons and boxes of results are rasterised at them.
  gt.image_height.assign(gt.image_ids.size(), NAN);
  gt.image_width.assign(gt.image_ids.size(), NAN);
  if (!gt_image_height.is_none() && !gt_image_width.is_none()) {
    const py::array hh = gt_image_height.cast<py::array>(), ww = gt_image_width.cast<py::array>();
    const double* h = vector_data<double>(hh, "gt_image_height", n_img);
    const double* w = vector_data<double>(ww, "gt_image_width", n_img);
    gt.image_height.assign(h, h + n_img);
    gt.image_width.assign(w, w + n_img);
  }
  CocoTable t;
  if (py::isinstance<py::bytes>(src)) {
    char* data = nullptr;
    Py_ssize_t size = 0;
    if (PyBytes_AsStringAndSize(src.ptr(), &data, &size) != 0) throw py::error_already_set();
    py::gil_scoped_release release;  // `src` keeps the bytes alive
    t = parse_coco_results(std::string_view(data, static_cast<std::size_t>(size)), gt, "<json>", allow_empty);
  } else {
    const std::string path = py::str(src).cast<std::string>();
    py::gil_scoped_release release;
    t = load_coco_results(path, gt, allow_empty);
  }
  return py::cast(PyCocoTable{std::move(t)});
}

// A results file read in chunks of rows (CocoResultsReader), for evaluations larger than memory.
struct PyResultsReader {
  CocoGroundTruth gt;  // image ids and sizes only; outlives the reader
  std::unique_ptr<CocoResultsReader> reader;
};

std::unique_ptr<PyResultsReader> results_reader_py(const std::string& path, const py::array& gt_image_ids,
                                                   bool allow_empty, const py::object& gt_image_height,
                                                   const py::object& gt_image_width) {
  auto r = std::make_unique<PyResultsReader>();
  const auto n_img = gt_image_ids.ndim() == 1 ? gt_image_ids.shape(0) : -1;
  const auto* ids = vector_data<std::int64_t>(gt_image_ids, "gt_image_ids", n_img);
  r->gt.image_ids.assign(ids, ids + gt_image_ids.shape(0));
  r->gt.image_height.assign(r->gt.image_ids.size(), NAN);
  r->gt.image_width.assign(r->gt.image_ids.size(), NAN);
  if (!gt_image_height.is_none() && !gt_image_width.is_none()) {
    const py::array hh = gt_image_height.cast<py::array>(), ww = gt_image_width.cast<py::array>();
    const double* h = vector_data<double>(hh, "gt_image_height", n_img);
    const double* w = vector_data<double>(ww, "gt_image_width", n_img);
    r->gt.image_height.assign(h, h + n_img);
    r->gt.image_width.assign(w, w + n_img);
  }
  py::gil_scoped_release release;
  r->reader = std::make_unique<CocoResultsReader>(path, r->gt, allow_empty);
  return r;
}

py::object results_reader_next_py(PyResultsReader& self, std::size_t max_rows) {
  CocoTable t;
  {
    py::gil_scoped_release release;
    t = self.reader->next(max_rows);
  }
  return py::cast(PyCocoTable{std::move(t)});
}

// Column of a table dict: None / absent -> nullptr, else a contiguous array of T with n rows.
template <class T>
const T* column(const py::dict& d, const char* key, const char* table, py::ssize_t n, py::ssize_t cols,
                std::size_t* cols_out = nullptr) {
  if (!d.contains(key) || d[key].is_none()) return nullptr;
  py::array a = d[key].cast<py::array>();
  const std::string name = std::string(table) + "['" + key + "']";
  require_dtype<T>(a, name.c_str());
  require_contiguous(a, name.c_str());
  if (cols < 0) {  // (n, any)
    if (a.ndim() != 2 || a.shape(0) != n)
      throw std::invalid_argument(name + ": expected shape (" + std::to_string(n) + ", K), got " + shape_str(a));
    if (cols_out) *cols_out = static_cast<std::size_t>(a.shape(1));
  } else if (cols == 0) {
    if (a.ndim() != 1 || a.shape(0) != n)
      throw std::invalid_argument(name + ": expected shape (" + std::to_string(n) + ",), got " + shape_str(a));
  } else {
    if (a.ndim() != 2 || a.shape(0) != n || a.shape(1) != cols)
      throw std::invalid_argument(name + ": expected shape (" + std::to_string(n) + ", " + std::to_string(cols) +
                                  "), got " + shape_str(a));
  }
  return static_cast<const T*>(a.data());
}

CocoAnnotations view_of_dict(const py::dict& d, const char* table) {
  CocoAnnotations v;
  if (!d.contains("id")) throw std::invalid_argument(std::string(table) + ": missing 'id'");
  py::array ids = d["id"].cast<py::array>();
  const py::ssize_t n = ids.ndim() == 1 ? ids.shape(0) : -1;
  if (n < 0) throw std::invalid_argument(std::string(table) + "['id']: expected a 1-D array");
  v.size = static_cast<std::size_t>(n);
  v.id = column<std::int64_t>(d, "id", table, n, 0);
  v.image_id = column<std::int64_t>(d, "image_id", table, n, 0);
  v.category_id = column<std::int64_t>(d, "category_id", table, n, 0);
  v.bbox = column<double>(d, "bbox", table, n, 4);
  v.area = column<double>(d, "area", table, n, 0);
  v.iscrowd = column<double>(d, "iscrowd", table, n, 0);
  v.score = column<double>(d, "score", table, n, 0);
  v.keypoints = column<double>(d, "keypoints", table, n, -1, &v.keypoint_values);
  v.num_keypoints = column<std::int64_t>(d, "num_keypoints", table, n, 0);
  v.segm_kind = column<std::uint8_t>(d, "segm_kind", table, n, 0);
  if (v.segm_kind) {
    v.segm_offset = column<std::uint64_t>(d, "segm_offset", table, n + 1, 0);
    v.segm_size = column<std::uint32_t>(d, "segm_size", table, n, 2);
    if (!v.segm_offset || !v.segm_size || !d.contains("segm_counts"))
      throw std::invalid_argument(std::string(table) + ": segm_kind needs segm_offset, segm_counts and segm_size");
    py::array c = d["segm_counts"].cast<py::array>();
    const py::ssize_t total = static_cast<py::ssize_t>(v.segm_offset[n]);
    v.segm_counts = column<std::uint32_t>(d, "segm_counts", table, c.ndim() == 1 ? c.shape(0) : -1, 0);
    if (v.segm_offset[0] != 0 || c.shape(0) < total)
      throw std::invalid_argument(std::string(table) + "['segm_offset']: must start at 0 and end within segm_counts");
    for (py::ssize_t i = 0; i < n; ++i)
      if (v.segm_offset[i] > v.segm_offset[i + 1])
        throw std::invalid_argument(std::string(table) + "['segm_offset']: must not decrease");
  }
  return v;
}

// A table argument: the bound CocoTable (read in place) or a dict of arrays (checked column by column).
CocoAnnotations view_of(const py::object& table, const char* name) {
  if (py::isinstance<PyCocoTable>(table)) return annotations_of_table(table.cast<const PyCocoTable&>().t);
  if (!py::isinstance<py::dict>(table))
    throw py::type_error(std::string(name) + ": expected a CocoTable or a dict of column arrays");
  return view_of_dict(table.cast<py::dict>(), name);
}


// The one Params type as Python sees it: C++ CocoParams (pycocotools' names and defaults,
// defined once in CocoParams::defaults) plus what pycocotools' users rely on that a C++ struct
// cannot hold: whether a threshold grid was assigned as a list (pycocotools' summarize() finds
// IoU=.50/.75 only in an ndarray) and which area bounds were Python ints (0 ** 2, 32 ** 2).
// Grids are handed out as NumPy views (in-place edits reach the C++ vector); a reassigned grid's
// old buffer is retired, not freed, so a view taken before stays valid.
struct PyCocoParams : CocoParams {
  bool iou_thrs_list = false, rec_thrs_list = false, sigmas_list = false;
  std::vector<std::uint8_t> area_int;  // 2 per range: 1 = the bound reads back as a Python int
  std::vector<std::vector<double>> retired;

  PyCocoParams() = default;
  explicit PyCocoParams(CocoParams p) : CocoParams(std::move(p)) { default_area_int(); }
  PyCocoParams(const PyCocoParams& o)
      : CocoParams(o), iou_thrs_list(o.iou_thrs_list), rec_thrs_list(o.rec_thrs_list), sigmas_list(o.sigmas_list),
        area_int(o.area_int) {}
  PyCocoParams& operator=(const PyCocoParams& o) {
    static_cast<CocoParams&>(*this) = o;
    iou_thrs_list = o.iou_thrs_list, rec_thrs_list = o.rec_thrs_list, sigmas_list = o.sigmas_list;
    area_int = o.area_int;
    return *this;
  }
  // pycocotools' literals: 0 ** 2, 32 ** 2, 96 ** 2 are ints, 1e5 ** 2 a float.
  void default_area_int() {
    area_int.assign(2 * area_rng.size(), 0);
    for (std::size_t i = 0; i < area_int.size(); ++i) area_int[i] = area_rng[i / 2][i % 2] != 1e10;
  }
  void replace_grid(std::vector<double>& grid, std::vector<double>&& v) {
    retired.push_back(std::move(grid));
    grid = std::move(v);
  }
};

IouType parse_iou_type(const std::string& s) {
  if (s == "bbox") return IouType::bbox;
  if (s == "segm") return IouType::segm;
  if (s == "keypoints") return IouType::keypoints;
  if (s == "boundary") return IouType::boundary;
  throw std::invalid_argument("iouType: expected 'bbox', 'segm', 'boundary' or 'keypoints', got '" + s + "'");
}

std::string type_name(const py::handle& v) { return py::str(py::type::handle_of(v).attr("__name__")).cast<std::string>(); }

// An integer id / count: Python int, NumPy integer, bool, or a float equal to an integer (as
// pycocotools' dict lookups accept 7.0 for 7). TypeError / ValueError name `field`[i].
std::int64_t int_of(const py::handle& v, const std::string& field) {
  if (PyLong_CheckExact(v.ptr())) {
    int overflow = 0;
    const long long out = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
    if (overflow) throw std::invalid_argument(field + ": " + py::repr(v).cast<std::string>() + " is beyond int64");
    return static_cast<std::int64_t>(out);
  }
  if (PyFloat_Check(v.ptr()) || py::isinstance(v, py::module_::import("numpy").attr("floating"))) {
    const double d = v.cast<double>();
    if (!(d == std::floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0))
      throw std::invalid_argument(field + ": " + py::repr(v).cast<std::string>() + " is not an integer within int64");
    return static_cast<std::int64_t>(d);
  }
  PyObject* idx = PyNumber_Index(v.ptr());
  if (!idx) {
    PyErr_Clear();
    throw locuskit::type_error(field + ": expected an integer, got " + type_name(v) + " " + py::repr(v).cast<std::string>());
  }
  int overflow = 0;
  const long long out = PyLong_AsLongLongAndOverflow(idx, &overflow);
  Py_DECREF(idx);
  if (overflow) throw std::invalid_argument(field + ": " + py::repr(v).cast<std::string>() + " is beyond int64");
  return static_cast<std::int64_t>(out);
}

void require_sequence(const py::handle& v, const char* field) {
  if (py::isinstance<py::str>(v) || py::isinstance<py::bytes>(v) || !py::hasattr(v, "__iter__") ||
      py::isinstance<py::dict>(v))
    throw locuskit::type_error(std::string(field) + ": expected a list or array, got " + type_name(v));
}

std::vector<std::int64_t> ints_of(const py::handle& v, const char* field) {
  require_sequence(v, field);
  std::vector<std::int64_t> out;
  std::size_t i = 0;
  for (const py::handle item : v) out.push_back(int_of(item, std::string(field) + "[" + std::to_string(i++) + "]"));
  return out;
}

// A 1-D grid of real numbers (list, tuple or array of any real dtype).
std::vector<double> doubles_of(const py::handle& v, const char* field) {
  require_sequence(v, field);
  const py::array a = py::module_::import("numpy").attr("asarray")(v);
  const char kind = a.dtype().kind();
  if (a.size() > 0 && kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
    throw locuskit::type_error(std::string(field) + ": expected real numbers, got dtype " + dtype_str(a));
  if (a.ndim() != 1)
    throw std::invalid_argument(std::string(field) + ": expected a 1-D list or array, got shape " + shape_str(a));
  const auto d = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
  return std::vector<double>(d.data(), d.data() + d.size());
}

py::object grid_get(const py::object& self, const std::vector<double>& g, bool as_list) {
  if (as_list) {
    py::list out;
    for (double v : g) out.append(v);
    return out;
  }
  if (g.empty()) return new_array<double>({py::ssize_t{0}});
  return py::array_t<double>({static_cast<py::ssize_t>(g.size())}, const_cast<double*>(g.data()), self);
}

void set_area_rng(PyCocoParams& p, const py::handle& v) {
  require_sequence(v, "areaRng");
  std::vector<std::array<double, 2>> rng;
  std::vector<std::uint8_t> is_int;
  std::size_t i = 0;
  for (const py::handle r : v) {
    const std::string at = "areaRng[" + std::to_string(i++) + "]";
    require_sequence(r, at.c_str());
    if (py::len(r) != 2) throw std::invalid_argument(at + ": every range needs 2 values [lo, hi]");
    std::array<double, 2> lohi{};
    std::size_t j = 0;
    for (const py::handle b : r) {
      const bool integral = PyLong_Check(b.ptr()) || py::isinstance(b, py::module_::import("numpy").attr("integer"));
      if (!integral && !PyFloat_Check(b.ptr()) && !py::isinstance(b, py::module_::import("numpy").attr("floating")))
        throw locuskit::type_error(at + ": expected numbers, got " + type_name(b));
      lohi[j] = b.cast<double>();
      is_int.push_back(integral);
      ++j;
    }
    rng.push_back(lohi);
  }
  p.area_rng = std::move(rng);
  p.area_int = std::move(is_int);
}

py::list area_rng_get(const PyCocoParams& p) {
  py::list out;
  for (std::size_t i = 0; i < p.area_rng.size(); ++i) {
    py::list r;
    for (int j = 0; j < 2; ++j) {
      const double v = p.area_rng[i][j];
      if (2 * i + j < p.area_int.size() && p.area_int[2 * i + j] && std::fabs(v) < 9.007199254740992e15)
        r.append(py::int_(static_cast<long long>(v)));
      else
        r.append(v);
    }
    out.append(r);
  }
  return out;
}

std::vector<std::string> strings_of(const py::handle& v, const char* field) {
  require_sequence(v, field);
  std::vector<std::string> out;
  std::size_t i = 0;
  for (const py::handle s : v) {
    if (!py::isinstance<py::str>(s))
      throw locuskit::type_error(std::string(field) + "[" + std::to_string(i) + "]: expected a str, got " + type_name(s));
    out.push_back(s.cast<std::string>());
    ++i;
  }
  return out;
}

double dilation_ratio_of(const py::handle& v) {
  if (!PyFloat_Check(v.ptr()) && !PyLong_Check(v.ptr()) && !py::isinstance(v, py::module_::import("numpy").attr("number")))
    throw locuskit::type_error("dilation_ratio: expected a number, got " + type_name(v));
  const double d = v.cast<double>();
  if (!(d >= 0 && d < 1e6)) throw std::invalid_argument("dilation_ratio: expected a finite non-negative number");
  return d;
}

// Every field, in pycocotools' vars(Params()) order.
constexpr const char* params_fields[] = {"imgIds",     "catIds",  "iouThrs",        "recThrs", "maxDets",       "areaRng",
                                         "areaRngLbl", "useCats", "kpt_oks_sigmas", "iouType", "dilation_ratio"};

// The fields `p` has (kpt_oks_sigmas only when set, as pycocotools has it only for keypoints;
// dilation_ratio, the boundary-iou-api's, only for boundary).
std::vector<const char*> params_keys(const PyCocoParams& p) {
  std::vector<const char*> k;
  for (const char* f : params_fields) {
    if (std::strcmp(f, "kpt_oks_sigmas") == 0 && p.kpt_oks_sigmas.empty()) continue;
    if (std::strcmp(f, "dilation_ratio") == 0 && p.iou_type != IouType::boundary) continue;
    k.push_back(f);
  }
  return k;
}

bool is_params_field(const std::string& key) {
  for (const char* k : params_fields)
    if (key == k) return true;
  return false;
}

// A params argument of the entry points: the bound Params (read as it is) or a dict with its
// keys (state-file headers keep the parameters as JSON).
CocoParams params_of(const py::handle& obj) {
  if (py::isinstance<PyCocoParams>(obj)) return obj.cast<const PyCocoParams&>();
  if (!py::isinstance<py::dict>(obj)) throw locuskit::type_error("params: expected a Params, got " + type_name(obj));
  const py::dict d = py::reinterpret_borrow<py::dict>(obj);
  PyCocoParams p;
  p.iou_type = parse_iou_type(d["iouType"].cast<std::string>());
  p.img_ids = ints_of(d["imgIds"], "imgIds");
  p.cat_ids = ints_of(d["catIds"], "catIds");
  p.iou_thrs = doubles_of(d["iouThrs"], "iouThrs");
  p.rec_thrs = doubles_of(d["recThrs"], "recThrs");
  p.max_dets = ints_of(d["maxDets"], "maxDets");
  set_area_rng(p, d["areaRng"]);
  p.area_rng_lbl = strings_of(d["areaRngLbl"], "areaRngLbl");
  p.use_cats = py::bool_(d["useCats"]);
  if (d.contains("kpt_oks_sigmas") && !d["kpt_oks_sigmas"].is_none())
    p.kpt_oks_sigmas = doubles_of(d["kpt_oks_sigmas"], "kpt_oks_sigmas");
  if (d.contains("dilation_ratio") && !d["dilation_ratio"].is_none()) p.dilation_ratio = dilation_ratio_of(d["dilation_ratio"]);
  return p;
}

/// The matching state kept between evaluate() and accumulate().
struct PyEvaluation {
  CocoEvaluation ev;
};

PyEvaluation evaluate_py(const py::object& gt, const py::object& dt, const py::object& params, bool record_matches) {
  const CocoAnnotations g = view_of(gt, "gt"), d = view_of(dt, "dt");
  const CocoParams p = params_of(params);
  PyEvaluation out;
  {
    py::gil_scoped_release release;
    out.ev = coco_evaluate(g, d, p, Parallel{num_threads()}, record_matches);
  }
  return out;
}

py::tuple arrays_of(const CocoAccumulation& acc) {
  auto s = [](std::size_t v) { return static_cast<py::ssize_t>(v); };
  return py::make_tuple(to_numpy(acc.precision, {s(acc.T), s(acc.R), s(acc.K), s(acc.A), s(acc.M)}),
                        to_numpy(acc.recall, {s(acc.T), s(acc.K), s(acc.A), s(acc.M)}),
                        to_numpy(acc.scores, {s(acc.T), s(acc.R), s(acc.K), s(acc.A), s(acc.M)}));
}

// One evaluation in one call (evaluate + accumulate + summarize, GIL released throughout):
// (precision, recall, scores, stats or None, summary lines[, evaluation]). stats is None where
// pycocotools' summarize() raises IndexError (fewer than 3 maxDets, ...): the arrays are still
// valid. With keep_evaluation the matching state comes back too (the drop-in keeps it for an
// accumulate() with other recThrs and for evalImgs), so evaluate() + accumulate() is one call.
py::tuple evaluate_accumulate_py(const py::object& gt, const py::object& dt, const py::object& params,
                                 bool keep_evaluation) {
  const CocoAnnotations g = view_of(gt, "gt"), d = view_of(dt, "dt");
  const CocoParams p = params_of(params);
  auto kept = std::make_unique<PyEvaluation>();
  CocoAccumulation acc;
  CocoSummary sum;
  bool summarized = true;
  {
    py::gil_scoped_release release;
    const Parallel par{num_threads()};
    kept->ev = coco_evaluate(g, d, p, par);
    acc = coco_accumulate(kept->ev, nullptr, par);
    try {
      sum = coco_summarize(acc, kept->ev.params);
    } catch (const std::out_of_range&) {
      summarized = false;
    }
    if (!keep_evaluation) kept.reset();
  }
  py::tuple arrays = arrays_of(acc);
  py::object stats = py::none();
  if (summarized) stats = to_numpy(sum.stats, {static_cast<py::ssize_t>(sum.stats.size())});
  if (!keep_evaluation) return py::make_tuple(arrays[0], arrays[1], arrays[2], stats, sum.lines);
  return py::make_tuple(arrays[0], arrays[1], arrays[2], stats, sum.lines, py::cast(std::move(kept)));
}

// Per-unit matching records (units image-major: u = i * K + k) for pycocotools' evalImgs.
py::dict records_py(const PyEvaluation& self) {
  const CocoEvaluation& ev = self.ev;
  auto s = [](std::size_t v) { return static_cast<py::ssize_t>(v); };
  const std::size_t D = ev.dt_score.size();
  py::dict d;
  d["I"] = ev.I, d["K"] = ev.K, d["A"] = ev.A, d["T"] = ev.T;
  d["present"] = to_numpy(ev.present, {s(ev.present.size())});
  d["npig"] = to_numpy(ev.npig, {s(ev.present.size()), s(ev.A)});
  std::vector<std::int64_t> off(ev.dt_offset.begin(), ev.dt_offset.end()), goff(ev.gt_offset.begin(), ev.gt_offset.end());
  std::vector<std::int64_t> gidx(ev.gt_index.begin(), ev.gt_index.end());
  d["dt_offset"] = to_numpy(off, {s(off.size())});
  d["dt_id"] = to_numpy(ev.dt_id, {s(D)});
  d["dt_score"] = to_numpy(ev.dt_score, {s(D)});
  d["dt_state"] = to_numpy(ev.dt_state, {s(D), s(ev.A), s(ev.T)});
  if (ev.dt_match.size() == D * ev.A * ev.T) d["dt_match"] = to_numpy(ev.dt_match, {s(D), s(ev.A), s(ev.T)});
  else d["dt_match"] = py::none();
  d["gt_offset"] = to_numpy(goff, {s(goff.size())});
  d["gt_index"] = to_numpy(gidx, {s(gidx.size())});
  return d;
}

py::tuple accumulate_py(const PyEvaluation& self, const py::object& rec_thrs) {
  std::vector<double> r;
  const bool has = !rec_thrs.is_none();
  if (has) r = rec_thrs.cast<std::vector<double>>();
  CocoAccumulation acc;
  {
    py::gil_scoped_release release;
    acc = coco_accumulate(self.ev, has ? &r : nullptr, Parallel{num_threads()});
  }
  auto s = [](std::size_t v) { return static_cast<py::ssize_t>(v); };
  return py::make_tuple(to_numpy(acc.precision, {s(acc.T), s(acc.R), s(acc.K), s(acc.A), s(acc.M)}),
                        to_numpy(acc.recall, {s(acc.T), s(acc.K), s(acc.A), s(acc.M)}),
                        to_numpy(acc.scores, {s(acc.T), s(acc.R), s(acc.K), s(acc.A), s(acc.M)}));
}

// pycocotools' evalImgs from an evaluation run with record_matches: one dict (or None) per
// (category, area range, image), in that nesting order. gt_id / gt_area / gt_base_ignore are the
// ground-truth columns (base ignore = iscrowd, or num_keypoints == 0 for keypoints).
py::list eval_imgs_py(const PyEvaluation& self, const py::array& gt_id, const py::array& gt_area,
                      const py::array& gt_base_ignore, const py::list& img_ids, const py::list& cat_ids,
                      const py::list& area_rng, std::int64_t max_det) {
  const CocoEvaluation& ev = self.ev;
  const std::size_t I = ev.I, K = ev.K, A = ev.A, T = ev.T;
  if (ev.dt_match.size() != ev.dt_score.size() * A * T)
    throw std::invalid_argument("evaluation: run with record_matches=True");
  if (py::len(img_ids) != I || py::len(cat_ids) != K || py::len(area_rng) != A)
    throw std::invalid_argument("img_ids / cat_ids / area_rng do not match the evaluation");
  const auto n = gt_id.ndim() == 1 ? gt_id.shape(0) : -1;
  const auto* gid = vector_data<std::int64_t>(gt_id, "gt_id", n);
  const auto* garea = vector_data<double>(gt_area, "gt_area", n);
  const auto* gign = vector_data<std::uint8_t>(gt_base_ignore, "gt_base_ignore", n);
  for (std::uint32_t g : ev.gt_index)
    if (g >= static_cast<std::size_t>(n)) throw std::invalid_argument("gt columns shorter than the evaluation's GT");
  py::list out;
  std::vector<std::uint32_t> order, pos;
  std::vector<std::int64_t> ig;
  const py::object none = py::none();
  for (std::size_t k = 0; k < K; ++k) {
    for (std::size_t a = 0; a < A; ++a) {
      const py::list rng = area_rng[a].cast<py::list>();
      const double lo = rng[0].cast<double>(), hi = rng[1].cast<double>();
      for (std::size_t i = 0; i < I; ++i) {
        const std::size_t u = i * K + k;
        if (!ev.present[u]) {
          out.append(none);
          continue;
        }
        const std::size_t d0 = ev.dt_offset[u], D = ev.dt_offset[u + 1] - d0;
        const std::uint32_t* g = ev.gt_index.data() + ev.gt_offset[u];
        const std::size_t G = ev.gt_offset[u + 1] - ev.gt_offset[u];
        ig.resize(G);
        order.clear();
        pos.resize(G);
        for (std::size_t j = 0; j < G; ++j) ig[j] = gign[g[j]] || garea[g[j]] < lo || garea[g[j]] > hi;
        for (int pass = 0; pass < 2; ++pass)  // non-ignored first, stable (rule 13)
          for (std::size_t j = 0; j < G; ++j)
            if (ig[j] == pass) order.push_back(static_cast<std::uint32_t>(j));
        for (std::size_t j = 0; j < G; ++j) pos[order[j]] = static_cast<std::uint32_t>(j);
        auto dtm = new_array<double>({static_cast<py::ssize_t>(T), static_cast<py::ssize_t>(D)});
        auto gtm = new_array<double>({static_cast<py::ssize_t>(T), static_cast<py::ssize_t>(G)});
        auto dti = new_array<bool>({static_cast<py::ssize_t>(T), static_cast<py::ssize_t>(D)});
        auto gti = new_array<std::int64_t>({static_cast<py::ssize_t>(G)});
        double* pdtm = dtm.mutable_data();
        double* pgtm = gtm.mutable_data();
        bool* pdti = dti.mutable_data();
        std::fill(pgtm, pgtm + T * G, 0.0);
        for (std::size_t t = 0; t < T; ++t)
          for (std::size_t d = 0; d < D; ++d) {
            const std::size_t at = ((d0 + d) * A + a) * T + t;
            const std::int32_t m = ev.dt_match[at];
            pdtm[t * D + d] = m >= 0 ? static_cast<double>(gid[g[m]]) : 0.0;
            if (m >= 0) pgtm[t * G + pos[m]] = static_cast<double>(ev.dt_id[d0 + d]);
            pdti[t * D + d] = ev.dt_state[at] == CocoEvaluation::ignored;
          }
        py::list dt_ids(D), dt_scores(D), gt_ids(G);
        for (std::size_t d = 0; d < D; ++d) {
          dt_ids[d] = py::int_(ev.dt_id[d0 + d]);
          dt_scores[d] = py::float_(ev.dt_score[d0 + d]);
        }
        std::int64_t* pgti = gti.mutable_data();
        for (std::size_t j = 0; j < G; ++j) {
          gt_ids[j] = py::int_(gid[g[order[j]]]);
          pgti[j] = ig[order[j]];
        }
        py::dict r;
        r["image_id"] = img_ids[i];
        r["category_id"] = cat_ids[k];
        r["aRng"] = py::list(rng);
        r["maxDet"] = max_det;
        r["dtIds"] = dt_ids;
        r["gtIds"] = gt_ids;
        r["dtMatches"] = dtm;
        r["gtMatches"] = gtm;
        r["dtScores"] = dt_scores;
        r["gtIgnore"] = gti;
        r["dtIgnore"] = dti;
        out.append(r);
      }
    }
  }
  return out;
}

// accumulate() over pycocotools-style records (see coco_evaluation_from_states); arrays from
// locuskit.eval._coco.accumulate_records.
py::tuple accumulate_states_py(std::size_t I, std::size_t K, std::size_t A, std::size_t T,
                               std::vector<std::int64_t> max_dets, const py::array& present, const py::array& npig,
                               const py::array& dt_offset, const py::array& dt_score, const py::array& dt_state,
                               std::vector<double> rec_thrs) {
  auto vec = [](const py::array& a, const char* name, auto tag) {
    using T = decltype(tag);
    const T* p = vector_data<T>(a, name, -1);
    return std::vector<T>(p, p + a.shape(0));
  };
  const auto off64 = vec(dt_offset, "dt_offset", std::int64_t{});
  std::vector<std::size_t> off(off64.size());
  for (std::size_t i = 0; i < off.size(); ++i) {
    if (off64[i] < 0) throw std::invalid_argument("dt_offset: negative offset");
    off[i] = static_cast<std::size_t>(off64[i]);
  }
  if (off.empty()) throw std::invalid_argument("dt_offset: empty");
  CocoEvaluation ev = coco_evaluation_from_states(I, K, A, T, std::move(max_dets), vec(present, "present", std::uint8_t{}),
                                                  vec(npig, "npig", std::uint32_t{}), std::move(off),
                                                  vec(dt_score, "dt_score", double{}), vec(dt_state, "dt_state", std::uint8_t{}));
  CocoAccumulation acc;
  {
    py::gil_scoped_release release;
    acc = coco_accumulate(ev, &rec_thrs, Parallel{num_threads()});
  }
  auto s = [](std::size_t v) { return static_cast<py::ssize_t>(v); };
  return py::make_tuple(to_numpy(acc.precision, {s(acc.T), s(acc.R), s(acc.K), s(acc.A), s(acc.M)}),
                        to_numpy(acc.recall, {s(acc.T), s(acc.K), s(acc.A), s(acc.M)}),
                        to_numpy(acc.scores, {s(acc.T), s(acc.R), s(acc.K), s(acc.A), s(acc.M)}));
}

py::tuple summarize_py(const py::array& precision, const py::array& recall, const py::object& params) {
  CocoParams p = params_of(params);
  CocoAccumulation acc;
  require_dtype<double>(precision, "precision");
  require_dtype<double>(recall, "recall");
  require_contiguous(precision, "precision");
  require_contiguous(recall, "recall");
  if (precision.ndim() != 5 || recall.ndim() != 4)
    throw std::invalid_argument("precision must be (T, R, K, A, M) and recall (T, K, A, M)");
  acc.T = precision.shape(0), acc.R = precision.shape(1), acc.K = precision.shape(2), acc.A = precision.shape(3),
  acc.M = precision.shape(4);
  const double* pp = static_cast<const double*>(precision.data());
  const double* rr = static_cast<const double*>(recall.data());
  acc.precision.assign(pp, pp + precision.size());
  acc.recall.assign(rr, rr + recall.size());
  CocoSummary s = coco_summarize(acc, p);
  return py::make_tuple(to_numpy(s.stats, {static_cast<py::ssize_t>(s.stats.size())}), s.lines);
}

double numpy_mean_py(const py::array& a) {
  const double* p = vector_data<double>(a, "a", -1);
  if (a.shape(0) == 0) throw std::invalid_argument("a: empty");
  return numpy_mean(p, static_cast<std::size_t>(a.shape(0)));
}

py::dict voc_class_py(const py::array& det_image, const py::array& det_score, const py::array& det_boxes,
                      const py::array& gt_image, const py::array& gt_boxes, const py::object& gt_difficult,
                      double iou_threshold, bool plus_one, bool strict_threshold) {
  std::size_t n = 0, g = 0;
  const double* db = boxes_data<double>(det_boxes, "det_boxes", n);
  const double* gb = boxes_data<double>(gt_boxes, "gt_boxes", g);
  const auto* di = vector_data<std::int64_t>(det_image, "det_image", static_cast<py::ssize_t>(n));
  const auto* ds = vector_data<double>(det_score, "det_score", static_cast<py::ssize_t>(n));
  const auto* gi = vector_data<std::int64_t>(gt_image, "gt_image", static_cast<py::ssize_t>(g));
  const std::uint8_t* gd = nullptr;
  py::array gda;
  if (!gt_difficult.is_none()) {
    gda = gt_difficult.cast<py::array>();
    gd = vector_data<std::uint8_t>(gda, "gt_difficult", static_cast<py::ssize_t>(g));
  }
  VocClassResult r;
  {
    py::gil_scoped_release release;
    r = voc_evaluate_class(di, ds, db, n, gi, gb, gd, g, VocOptions{iou_threshold, plus_one, strict_threshold});
  }
  const auto sn = static_cast<py::ssize_t>(n);
  py::dict d;
  d["npos"] = r.npos;
  std::vector<std::int64_t> order(r.order.begin(), r.order.end());
  d["order"] = to_numpy(order, {sn});
  d["tp"] = to_numpy(r.tp, {sn});
  d["fp"] = to_numpy(r.fp, {sn});
  d["recall"] = to_numpy(r.recall, {sn});
  d["precision"] = to_numpy(r.precision, {sn});
  d["ap_11point"] = r.ap_11point;
  d["ap_all_point"] = r.ap_all_point;
  d["ap_11point_sum_then_divide"] = r.ap_11point_sum_then_divide;
  d["ap_all_point_np_sum"] = r.ap_all_point_np_sum;
  d["best_f1"] = r.best_f1;
  d["best_f1_score"] = r.best_f1_score;
  return d;
}

// --- Detection error analysis (issue 13): TIDE, LRP, score curves, confusion matrix. ---

std::vector<std::int64_t> id_vector(const py::array& a, const char* name) {
  const auto* p = vector_data<std::int64_t>(a, name, -1);
  return std::vector<std::int64_t>(p, p + a.shape(0));
}

py::dict tide_py(const py::object& gt, const py::object& dt, const py::array& image_ids, double pos_thresh,
                 double bg_thresh, std::int64_t max_dets, bool run_errors, const std::vector<double>& ap_thresholds) {
  const CocoAnnotations g = view_of(gt, "gt"), d = view_of(dt, "dt");
  const std::vector<std::int64_t> images = id_vector(image_ids, "image_ids");
  if (!(pos_thresh >= 0 && pos_thresh <= 1)) throw std::invalid_argument("pos_threshold: expected a number in [0, 1]");
  if (!(bg_thresh >= 0 && bg_thresh <= 1)) throw std::invalid_argument("background_threshold: expected a number in [0, 1]");
  for (double t : ap_thresholds)
    if (!(t >= 0 && t <= 1)) throw std::invalid_argument("thresholds: expected numbers in [0, 1]");
  TideResult r;
  {
    py::gil_scoped_release release;
    r = tide_evaluate(g, d, images, TideParams{pos_thresh, bg_thresh, max_dets, run_errors, ap_thresholds},
                      Parallel{num_threads()});
  }
  auto s = [](std::size_t v) { return static_cast<py::ssize_t>(v); };
  py::dict o;
  o["ap"] = r.ap;
  o["ap_at_thresholds"] = r.ap_at_thresholds;
  o["class_ids"] = to_numpy(r.class_ids, {s(r.class_ids.size())});
  o["class_ap"] = to_numpy(r.class_ap, {s(r.class_ap.size())});
  o["class_positives"] = to_numpy(r.class_positives, {s(r.class_positives.size())});
  o["class_counted"] = to_numpy(r.class_counted, {s(r.class_counted.size())});
  o["main_dap"] = std::vector<double>(r.main_dap.begin(), r.main_dap.end());
  o["special_dap"] = std::vector<double>(r.special_dap.begin(), r.special_dap.end());
  o["error_counts"] = std::vector<std::size_t>(r.error_counts.begin(), r.error_counts.end());
  std::vector<std::int8_t> de(r.dt_error.size()), ge(r.gt_error.size());
  for (std::size_t i = 0; i < de.size(); ++i) de[i] = static_cast<std::int8_t>(r.dt_error[i]);
  for (std::size_t i = 0; i < ge.size(); ++i) ge[i] = static_cast<std::int8_t>(r.gt_error[i]);
  o["dt_error"] = to_numpy(de, {s(de.size())});
  o["dt_ignored"] = to_numpy(r.dt_ignored, {s(r.dt_ignored.size())});
  o["dt_gt"] = to_numpy(r.dt_gt, {s(r.dt_gt.size())});
  o["gt_error"] = to_numpy(ge, {s(ge.size())});
  return o;
}

// One COCO evaluation with match IoUs, then optimal LRP and the per-class score curves (IoU
// threshold index 0, area range 0, the last maxDets).
py::dict lrp_curves_py(const py::object& gt, const py::object& dt, const py::object& params) {
  const CocoAnnotations g = view_of(gt, "gt"), d = view_of(dt, "dt");
  const CocoParams p = params_of(params);
  LrpResult l;
  ScoreCurves c;
  std::vector<std::int64_t> cat_ids;
  {
    py::gil_scoped_release release;
    const Parallel par{num_threads()};
    const CocoEvaluation ev = coco_evaluate(g, d, p, par, true);
    l = lrp_evaluate(ev, par);
    c = coco_score_curves(ev);
    cat_ids = ev.params.cat_ids;
  }
  auto s = [](std::size_t v) { return static_cast<py::ssize_t>(v); };
  const std::vector<py::ssize_t> kam{s(l.K), s(l.A), s(l.M)};
  py::dict o;
  o["tau"] = l.tau;
  o["olrp"] = to_numpy(l.olrp, kam);
  o["olrp_loc"] = to_numpy(l.olrp_loc, kam);
  o["olrp_fp"] = to_numpy(l.olrp_fp, kam);
  o["olrp_fn"] = to_numpy(l.olrp_fn, kam);
  o["threshold"] = to_numpy(l.threshold, kam);
  o["stats"] = std::vector<double>(l.stats.begin(), l.stats.end());
  o["cat_ids"] = to_numpy(cat_ids, {s(cat_ids.size())});
  std::vector<std::int64_t> off(c.offset.begin(), c.offset.end());
  o["curve_offset"] = to_numpy(off, {s(off.size())});
  o["curve_score"] = to_numpy(c.score, {s(c.score.size())});
  o["curve_tp"] = to_numpy(c.tp, {s(c.tp.size())});
  o["curve_fp"] = to_numpy(c.fp, {s(c.fp.size())});
  o["curve_npig"] = to_numpy(c.npig, {s(c.npig.size())});
  return o;
}

py::array confusion_py(const py::object& gt, const py::object& dt, const py::array& image_ids, const py::array& cat_ids,
                       double iou_thresh, double score_thresh, std::int64_t max_dets) {
  const CocoAnnotations g = view_of(gt, "gt"), d = view_of(dt, "dt");
  const std::vector<std::int64_t> images = id_vector(image_ids, "image_ids"), cats = id_vector(cat_ids, "cat_ids");
  if (!(iou_thresh >= 0 && iou_thresh <= 1)) throw std::invalid_argument("iou_threshold: expected a number in [0, 1]");
  if (score_thresh != score_thresh) throw std::invalid_argument("score_threshold: NaN");
  ConfusionMatrix cm;
  {
    py::gil_scoped_release release;
    cm = detection_confusion_matrix(g, d, images, cats, ConfusionParams{iou_thresh, score_thresh, max_dets},
                                    Parallel{num_threads()});
  }
  const auto w = static_cast<py::ssize_t>(cm.K + 1);
  return to_numpy(cm.counts, {w, w});
}

}  // namespace

void bind_eval_lvis(py::module_& m);        // bind_eval_lvis.cpp
void bind_eval_openimages(py::module_& m);  // bind_eval_openimages.cpp

void bind_eval(py::module_& parent) {
  auto m = parent.def_submodule("eval", "COCO / VOC evaluation (use locuskit.eval and locuskit.coco, the pycocotools drop-in)");
  // Exceptions (coco_missing_field -> KeyError, coco_results_mismatch -> AssertionError): errors.cpp.
  // The one Params type: pycocotools' names and defaults, defined once in C++ (CocoParams); the
  // drop-in's locuskit.coco.Params, coco_evaluate, CocoEvaluator and the CLI all use it.
  using P = PyCocoParams;
  auto grid_property = [](auto member, auto flag, const char* name) {
    return std::make_pair(
        py::cpp_function([member, flag](const py::object& self) {
          const P& p = self.cast<const P&>();
          return grid_get(self, p.*member, p.*flag);
        }),
        py::cpp_function([member, flag, name](P& p, const py::object& v) {
          p.replace_grid(p.*member, doubles_of(v, name));
          p.*flag = !py::isinstance<py::array>(v);
        }));
  };
  py::class_<P> params(m, "Params", py::dynamic_attr(),
                       "COCO evaluation parameters with pycocotools' names and defaults (C++ CocoParams): "
                       "Params(iou_type) gives the defaults of 'bbox', 'segm', 'boundary' or 'keypoints'. Fields "
                       "read back as pycocotools has them (lists; iouThrs / recThrs / kpt_oks_sigmas as NumPy "
                       "views, or lists when assigned lists); assignments are checked (TypeError / ValueError "
                       "naming the field). Also a mapping: p['maxDets'], keys(), dict(p).");
  params.def(py::init([](const std::string& t) { return P(CocoParams::defaults(parse_iou_type(t))); }),
             py::arg("iou_type") = "bbox")
      .def(py::init([](const P& other) { return P(other); }), py::arg("other"), "A copy of `other`'s fields.")
      .def_property(
          "iouType", [](const P& p) { return std::string(iou_type_name(p.iou_type)); },
          [](P& p, const py::object& t) {
            if (!py::isinstance<py::str>(t)) throw locuskit::type_error("iouType: expected a str, got " + type_name(t));
            p.iou_type = parse_iou_type(t.cast<std::string>());
          })
      .def_property(
          "imgIds", [](const P& p) { return py::cast(p.img_ids).cast<py::list>(); },
          [](P& p, const py::object& v) { p.img_ids = ints_of(v, "imgIds"); })
      .def_property(
          "catIds", [](const P& p) { return py::cast(p.cat_ids).cast<py::list>(); },
          [](P& p, const py::object& v) { p.cat_ids = ints_of(v, "catIds"); })
      .def_property(
          "maxDets", [](const P& p) { return py::cast(p.max_dets).cast<py::list>(); },
          [](P& p, const py::object& v) { p.max_dets = ints_of(v, "maxDets"); })
      .def_property("areaRng", &area_rng_get, [](P& p, const py::object& v) { set_area_rng(p, v); })
      .def_property(
          "areaRngLbl", [](const P& p) { return py::cast(p.area_rng_lbl).cast<py::list>(); },
          [](P& p, const py::object& v) { p.area_rng_lbl = strings_of(v, "areaRngLbl"); })
      .def_property(
          "useCats", [](const P& p) { return p.use_cats ? 1 : 0; },
          [](P& p, const py::object& v) {
            if (!PyLong_Check(v.ptr()) && !py::isinstance(v, py::module_::import("numpy").attr("integer")) &&
                !py::isinstance(v, py::module_::import("numpy").attr("bool_")))
              throw locuskit::type_error("useCats: expected 0 / 1 (or a bool), got " + type_name(v));
            p.use_cats = py::bool_(v);
          })
      .def_property(
          "dilation_ratio", [](const P& p) { return p.dilation_ratio; },
          [](P& p, const py::object& v) { p.dilation_ratio = dilation_ratio_of(v); });
  {
    auto [g, s] = grid_property(&P::iou_thrs, &P::iou_thrs_list, "iouThrs");
    params.def_property("iouThrs", g, s);
  }
  {
    auto [g, s] = grid_property(&P::rec_thrs, &P::rec_thrs_list, "recThrs");
    params.def_property("recThrs", g, s);
  }
  params
      .def_property(
          "kpt_oks_sigmas",
          [](const py::object& self) -> py::object {
            const P& p = self.cast<const P&>();
            // pycocotools' Params has the attribute only for keypoints
            if (p.kpt_oks_sigmas.empty() && p.iou_type != IouType::keypoints)
              throw py::attribute_error("'Params' object has no attribute 'kpt_oks_sigmas' (keypoints only)");
            return grid_get(self, p.kpt_oks_sigmas, p.sigmas_list);
          },
          [](P& p, const py::object& v) {
            p.replace_grid(p.kpt_oks_sigmas, doubles_of(v, "kpt_oks_sigmas"));
            p.sigmas_list = !py::isinstance<py::array>(v);
          })
      // The mapping view (what code written against the former dict of parameters reads).
      .def("keys", [](const P& p) {
        py::list out;
        for (const char* k : params_keys(p)) out.append(k);
        return out;
      })
      .def("__getitem__", [](const py::object& self, const std::string& key) -> py::object {
        for (const char* k : params_keys(self.cast<const P&>()))
          if (key == k) return self.attr(k);
        throw py::key_error(key);
      })
      .def("__setitem__", [](const py::object& self, const std::string& key, const py::object& v) {
        if (!is_params_field(key)) throw py::key_error(key);
        self.attr(key.c_str()) = v;
      })
      .def("__contains__", [](const P& p, const py::object& key) {
        if (!py::isinstance<py::str>(key)) return false;
        const std::string k = key.cast<std::string>();
        for (const char* f : params_keys(p))
          if (k == f) return true;
        return false;
      })
      .def("get", [](const py::object& self, const std::string& key, const py::object& fallback) -> py::object {
        for (const char* k : params_keys(self.cast<const P&>()))
          if (key == k) return self.attr(k);
        return fallback;
      }, py::arg("key"), py::arg("default") = py::none())
      .def("items", [](const py::object& self) {
        py::list out;
        for (const char* k : params_keys(self.cast<const P&>())) out.append(py::make_tuple(k, self.attr(k)));
        return out;
      })
      .def("__eq__", [](const P& a, const py::object& other) -> py::object {
        if (!py::isinstance<P>(other)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
        const P& b = other.cast<const P&>();
        auto same_doubles = [](const std::vector<double>& x, const std::vector<double>& y) {
          return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin(), [](double u, double v) {
                   return u == v || (u != u && v != v);
                 });
        };
        bool same_rng = a.area_rng.size() == b.area_rng.size();
        for (std::size_t i = 0; same_rng && i < a.area_rng.size(); ++i)
          same_rng = a.area_rng[i][0] == b.area_rng[i][0] && a.area_rng[i][1] == b.area_rng[i][1];
        return py::bool_(a.iou_type == b.iou_type && a.img_ids == b.img_ids && a.cat_ids == b.cat_ids &&
                         same_doubles(a.iou_thrs, b.iou_thrs) && same_doubles(a.rec_thrs, b.rec_thrs) &&
                         a.max_dets == b.max_dets && same_rng && a.area_rng_lbl == b.area_rng_lbl &&
                         a.use_cats == b.use_cats && same_doubles(a.kpt_oks_sigmas, b.kpt_oks_sigmas) &&
                         a.dilation_ratio == b.dilation_ratio);
      })
      .def("__repr__", [](const py::object& self) {
        const P& p = self.cast<const P&>();
        return "Params(iouType='" + std::string(iou_type_name(p.iou_type)) + "', " + std::to_string(p.img_ids.size()) +
               " images, " + std::to_string(p.cat_ids.size()) + " categories, maxDets=" +
               py::repr(self.attr("maxDets")).cast<std::string>() + ")";
      })
      // copy / deepcopy / pickle: the C++ fields, the type flags and the instance's own attributes
      .def(py::pickle(
          [](const py::object& self) {
            const P& p = self.cast<const P&>();
            PyObject* dict = PyObject_GenericGetDict(self.ptr(), nullptr);
            if (!dict) throw py::error_already_set();
            return py::make_tuple(std::string(iou_type_name(p.iou_type)), p.img_ids, p.cat_ids, p.iou_thrs, p.rec_thrs,
                                  p.max_dets, p.area_rng, p.area_int, p.area_rng_lbl, p.use_cats, p.kpt_oks_sigmas,
                                  p.dilation_ratio,
                                  py::make_tuple(p.iou_thrs_list, p.rec_thrs_list, p.sigmas_list),
                                  py::reinterpret_steal<py::dict>(dict));
          },
          [](const py::tuple& t) {
            if (t.size() != 14) throw std::invalid_argument("Params: invalid pickled state");
            P p;
            p.iou_type = parse_iou_type(t[0].cast<std::string>());
            p.img_ids = t[1].cast<std::vector<std::int64_t>>();
            p.cat_ids = t[2].cast<std::vector<std::int64_t>>();
            p.iou_thrs = t[3].cast<std::vector<double>>();
            p.rec_thrs = t[4].cast<std::vector<double>>();
            p.max_dets = t[5].cast<std::vector<std::int64_t>>();
            p.area_rng = t[6].cast<std::vector<std::array<double, 2>>>();
            p.area_int = t[7].cast<std::vector<std::uint8_t>>();
            p.area_rng_lbl = t[8].cast<std::vector<std::string>>();
            p.use_cats = t[9].cast<bool>();
            p.kpt_oks_sigmas = t[10].cast<std::vector<double>>();
            p.dilation_ratio = t[11].cast<double>();
            const py::tuple flags = t[12].cast<py::tuple>();
            p.iou_thrs_list = flags[0].cast<bool>(), p.rec_thrs_list = flags[1].cast<bool>(),
            p.sigmas_list = flags[2].cast<bool>();
            return std::make_pair(std::move(p), t[13].cast<py::dict>());
          }));
  py::class_<PyCocoTable>(m, "CocoTable",
                          "A loaded COCO annotation or result table (C++ CocoTable), read like a dict of "
                          "column arrays: t['bbox'] (N, 4), t.get('score'), t.keys(), dict(t). Columns are "
                          "views of the C++ data, no copy; the evaluator reads the table in place.")
      .def("__getitem__", &table_item, py::arg("key"))
      .def("get", [](const py::object& self, const std::string& key, const py::object& fallback) {
             return is_table_key(key) ? table_item(self, key) : fallback;
           }, py::arg("key"), py::arg("default") = py::none())
      .def("__contains__", [](const PyCocoTable&, const py::object& key) {
             return py::isinstance<py::str>(key) && is_table_key(key.cast<std::string>());
           })
      .def("keys", [](const PyCocoTable&) {
             py::list keys;
             for (const char* k : kTableKeys) keys.append(k);
             return keys;
           })
      .def("__iter__", [](const PyCocoTable&) {
             py::list keys;
             for (const char* k : kTableKeys) keys.append(k);
             return py::iter(keys);
           })
      .def("values", [](const py::object& self) {
             py::list out;
             for (const char* k : kTableKeys) out.append(table_item(self, k));
             return out;
           })
      .def("items", [](const py::object& self) {
             py::list out;
             for (const char* k : kTableKeys) out.append(py::make_tuple(k, table_item(self, k)));
             return out;
           })
      .def("__len__", [](const PyCocoTable&) { return std::size(kTableKeys); })
      .def_property_readonly("num_rows", [](const PyCocoTable& t) { return t.t.size(); })
      .def("__repr__", [](const PyCocoTable& t) { return "<CocoTable of " + std::to_string(t.t.size()) + " rows>"; });
  m.def("coco_load_gt", &load_gt_py, py::arg("source"),
        "Parses a COCO ground-truth file (path) or JSON bytes (simdjson): a dict of the image and category "
        "arrays with the annotations as a CocoTable.");
  m.def("coco_load_results", &load_results_py, py::arg("source"), py::arg("gt_image_ids"),
        py::arg("allow_empty") = false, py::arg("gt_image_height") = py::none(), py::arg("gt_image_width") = py::none(),
        "Parses a COCO results file (path) or JSON bytes as COCO.loadRes does, into a CocoTable.");
  py::class_<PyEvaluation>(m, "CocoEvaluation")
      .def("accumulate", &accumulate_py, py::arg("rec_thrs") = py::none())
      .def_property_readonly("num_results", [](const PyEvaluation& e) { return e.ev.dt_score.size(); })
      .def("records", &records_py)
      .def("eval_imgs", &eval_imgs_py, py::arg("gt_id"), py::arg("gt_area"), py::arg("gt_base_ignore"),
           py::arg("img_ids"), py::arg("cat_ids"), py::arg("area_rng"), py::arg("max_det"));
  py::class_<PyResultsReader>(m, "CocoResultsReader",
                              "A COCO results file read in chunks of rows (C++ CocoResultsReader): next(max_rows) "
                              "gives the column dict coco_load_results gives, for the next rows; empty at the end.")
      .def(py::init(&results_reader_py), py::arg("path"), py::arg("gt_image_ids"), py::arg("allow_empty") = false,
           py::arg("gt_image_height") = py::none(), py::arg("gt_image_width") = py::none())
      .def("next", &results_reader_next_py, py::arg("max_rows"))
      .def_property_readonly("rows", [](const PyResultsReader& r) { return r.reader->rows(); })
      .def_property_readonly("done", [](const PyResultsReader& r) { return r.reader->done(); });
  m.def("coco_evaluate", &evaluate_py, py::arg("gt"), py::arg("dt"), py::arg("params"),
        py::arg("record_matches") = false);
  m.def("coco_evaluate_accumulate", &evaluate_accumulate_py, py::arg("gt"), py::arg("dt"), py::arg("params"),
        py::arg("keep_evaluation") = false,
        "One COCO evaluation in one call (evaluate + accumulate + summarize, GIL released): "
        "(precision, recall, scores, stats or None, summary lines[, the CocoEvaluation if keep_evaluation]).");
  m.def("coco_accumulate_states", &accumulate_states_py, py::arg("I"), py::arg("K"), py::arg("A"), py::arg("T"),
        py::arg("max_dets"), py::arg("present"), py::arg("npig"), py::arg("dt_offset"), py::arg("dt_score"),
        py::arg("dt_state"), py::arg("rec_thrs"),
        "accumulate() over per-unit matching records (pycocotools' evalImgs, e.g. concatenated per batch).");
  m.def("coco_summarize", &summarize_py, py::arg("precision"), py::arg("recall"), py::arg("params"));
  m.def("_numpy_mean", &numpy_mean_py, py::arg("a"));
  m.def("voc_evaluate_class", &voc_class_py, py::arg("det_image"), py::arg("det_score"), py::arg("det_boxes"),
        py::arg("gt_image"), py::arg("gt_boxes"), py::arg("gt_difficult") = py::none(), py::arg("iou_threshold") = 0.5,
        py::arg("plus_one") = false, py::arg("strict_threshold") = false);
  m.def("tide_evaluate", &tide_py, py::arg("gt"), py::arg("dt"), py::arg("image_ids"), py::arg("pos_threshold") = 0.5,
        py::arg("background_threshold") = 0.1, py::arg("max_dets") = 100, py::arg("run_errors") = true,
        py::arg("ap_thresholds") = std::vector<double>{},
        "TIDE error analysis as tidecv (box mode): AP, dAP of the six main and two special errors, counts.");
  m.def("lrp_score_curves", &lrp_curves_py, py::arg("gt"), py::arg("dt"), py::arg("params"),
        "Optimal LRP as LRP-Error's COCOeval, and per-class cumulative TP/FP by score (one COCO evaluation).");
  m.def("confusion_matrix", &confusion_py, py::arg("gt"), py::arg("dt"), py::arg("image_ids"), py::arg("cat_ids"),
        py::arg("iou_threshold") = 0.5, py::arg("score_threshold") = 0.5, py::arg("max_dets") = 100,
        "Detection confusion matrix, (K + 1) x (K + 1): rows GT class + background, columns predicted + background.");
  bind_eval_lvis(m);
  bind_eval_openimages(m);
}

}  // namespace locuskit::python
