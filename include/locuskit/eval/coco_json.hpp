#pragma once
/// \file coco_json.hpp
/// Loading COCO ground-truth files and result files with simdjson (requires simdjson; not part
/// of the umbrella eval.hpp, so the core stays dependency-free). Mirrors pycocotools' `COCO()` and
/// `COCO.loadRes()` semantics (notes rules 1-3): file order kept, results get id = 1 + index,
/// area = w*h and iscrowd = 0 when the first result has a box, RLE area / box when it has only a
/// mask, box and area from the keypoints when it has only keypoints.
///
/// Errors are typed so that bindings can raise what pycocotools raises:
/// `coco_missing_field` (KeyError), `coco_results_mismatch` (AssertionError), `coco_empty_results`
/// (IndexError), `parse_error` (malformed JSON or wrong types; ValueError).
#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "../detail/eval/json_stream.hpp"
#include "../mask/polygon.hpp"
#include "coco_params.hpp"
#include "rle.hpp"

namespace locuskit {

/// A required field is absent (pycocotools raises KeyError).
class coco_missing_field : public std::invalid_argument {
 public:
  coco_missing_field(std::string field, const std::string& msg) : std::invalid_argument(msg), field_(std::move(field)) {}
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};
/// A result refers to an image that is not in the ground truth (pycocotools: AssertionError).
class coco_results_mismatch : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};
/// An empty results list (pycocotools: IndexError in loadRes).
class coco_empty_results : public std::out_of_range {
 public:
  using std::out_of_range::out_of_range;
};

/// Owning columns of annotations or results; `view()` gives the CocoAnnotations the evaluator reads.
/// A field absent from some entries keeps NaN there and its first index in `first_missing_*`
/// (−1 when every entry has it): pycocotools only fails when evaluation reads it, and so can callers.
struct CocoTable {
  std::vector<std::int64_t> id, image_id, category_id, num_keypoints;
  std::vector<double> bbox, area, iscrowd, score, keypoints;
  std::size_t keypoint_values = 0;
  long first_missing_bbox = -1, first_missing_area = -1, first_missing_iscrowd = -1, first_missing_score = -1,
       first_missing_keypoints = -1, first_missing_num_keypoints = -1, first_missing_segmentation = -1;
  /// Segmentation, one RLE per row (ragged; see CocoAnnotations::segm_*). Polygons and
  /// uncompressed RLE are converted at load (polygons at their image's height and width, the
  /// parts of one object merged by union, as pycocotools' annToRLE), compressed RLE is decoded.
  std::vector<std::uint64_t> segm_offset{0};
  std::vector<std::uint32_t> segm_counts;
  std::vector<std::uint32_t> segm_size;  ///< (N, 2) height, width
  std::vector<std::uint8_t> segm_kind;   ///< SegmKind per row
  long first_invalid_segmentation = -1;  ///< first row of kind segm_invalid, −1 if none
  std::string segm_error;                ///< why that row could not be converted
  std::size_t size() const noexcept { return id.size(); }
  /// Appends one row to the segmentation column.
  void push_segm(SegmKind kind, const std::uint32_t* counts, std::size_t m, std::uint32_t height, std::uint32_t width) {
    segm_counts.insert(segm_counts.end(), counts, counts + m);
    segm_offset.push_back(segm_counts.size());
    segm_size.push_back(height), segm_size.push_back(width);
    segm_kind.push_back(static_cast<std::uint8_t>(kind));
  }
  /// Appends a segm_invalid row, remembering the first reason.
  void push_invalid_segm(std::size_t row, std::string why) {
    if (first_invalid_segmentation < 0) first_invalid_segmentation = static_cast<long>(row), segm_error = std::move(why);
    push_segm(segm_invalid, nullptr, 0, 0, 0);
  }
  /// Column views; a column missing anywhere is null (the evaluator then reports it).
  CocoAnnotations view() const noexcept {
    CocoAnnotations a;
    a.size = size();
    a.id = id.data();
    a.image_id = image_id.data();
    a.category_id = category_id.data();
    a.bbox = first_missing_bbox < 0 ? bbox.data() : nullptr;
    a.area = first_missing_area < 0 ? area.data() : nullptr;
    a.iscrowd = first_missing_iscrowd < 0 ? iscrowd.data() : nullptr;
    a.score = first_missing_score < 0 ? score.data() : nullptr;
    a.keypoints = first_missing_keypoints < 0 && keypoint_values ? keypoints.data() : nullptr;
    a.keypoint_values = keypoint_values;
    a.num_keypoints = first_missing_num_keypoints < 0 ? num_keypoints.data() : nullptr;
    if (segm_kind.size() == size() && segm_offset.size() == size() + 1) {
      a.segm_offset = segm_offset.data();
      a.segm_counts = segm_counts.data();
      a.segm_size = segm_size.data();
      a.segm_kind = segm_kind.data();
    }
    return a;
  }
};

/// A COCO ground-truth file: image ids (file order), categories (file order) and annotations.
struct CocoGroundTruth {
  std::vector<std::int64_t> image_ids;
  std::vector<double> image_width, image_height;  ///< NaN where absent
  std::vector<std::int64_t> category_ids;
  std::vector<std::string> category_names;
  CocoTable annotations;
  /// Which top-level lists the file has (pycocotools raises KeyError where it reads an absent one:
  /// `categories` in getCatIds / loadRes, `images` in loadRes).
  bool has_images = false, has_categories = false, has_annotations = false;
};

namespace detail {
namespace cocojson {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Where an error happened ("results.json: results[17]"), formatted only when thrown.
struct Ctx {
  const std::string* name;
  const char* list;
  std::size_t index;
};
inline std::ostream& operator<<(std::ostream& os, const Ctx& c) {
  return os << *c.name << ": " << c.list << "[" << c.index << "]";
}

inline bool number(element e, double& out) noexcept {
  switch (e.type()) {
    case element_type::DOUBLE: out = double(e); return true;
    case element_type::INT64: out = static_cast<double>(int64_t(e)); return true;
    case element_type::UINT64: out = static_cast<double>(uint64_t(e)); return true;
    case element_type::BOOL: out = bool(e) ? 1.0 : 0.0; return true;
    default: return false;
  }
}

inline double need_number(element e, const Ctx& ctx, const char* field) {
  double v;
  if (!number(e, v)) throw parse_error(detail::concat(ctx, ": field '", field, "' must be a number"));
  return v;
}

// `num_keypoints`: the evaluation only asks whether it equals 0 (pycocotools: `num_keypoints == 0`
// marks the GT ignored), so 0 stays 0, an integral value in int64's range is kept, and any other
// number (0.5, 1e35, NaN: all != 0 in Python) becomes 1. Never a double -> int cast out of range
// (undefined behaviour; found by fuzz_coco_ground_truth) nor a truncation of 0.5 to 0.
inline std::int64_t keypoint_count(double v) noexcept {
  if (v == 0) return 0;
  if (v >= -9.2e18 && v <= 9.2e18 && v == std::trunc(v)) return static_cast<std::int64_t>(v);
  return 1;
}

// Integer ids (Python equality: 7.0 == 7, so integral doubles are accepted).
inline bool integer_id(element e, std::int64_t& out) noexcept {
  switch (e.type()) {
    case element_type::INT64: out = int64_t(e); return true;
    case element_type::UINT64: {
      const uint64_t u = uint64_t(e);
      if (u > uint64_t(std::numeric_limits<int64_t>::max())) return false;
      out = static_cast<int64_t>(u);
      return true;
    }
    case element_type::DOUBLE: {
      const double d = double(e);
      if (!(d == std::floor(d)) || std::fabs(d) > 9.2e18) return false;
      out = static_cast<int64_t>(d);
      return true;
    }
    default: return false;
  }
}

inline std::int64_t need_id(element e, const Ctx& ctx, const char* field) {
  std::int64_t v;
  if (!integer_id(e, v)) {
    if (e.type() == element_type::STRING)
      throw parse_error(detail::concat(ctx, ": '", field, "' is the string \"", std::string_view(e),
                               "\"; locuskit needs integer ids (pycocotools compares ids by Python equality, so a "
                               "string id never matches a numeric one)"));
    if (e.type() == element_type::UINT64)
      throw parse_error(detail::concat(ctx, ": '", field, "' is ", uint64_t(e),
                                       ", beyond int64 (locuskit stores ids as int64, up to 2^63 - 1)"));
    throw parse_error(detail::concat(ctx, ": '", field, "' must be an integer (within int64)"));
  }
  return v;
}

inline void read_box(element e, const Ctx& ctx, double* out) {
  if (e.type() != element_type::ARRAY) throw parse_error(detail::concat(ctx, ": 'bbox' must be a list of 4 numbers"));
  std::size_t n = 0;
  simdjson::dom::array arr = e.get_array().value_unsafe();
  for (element v : arr) {
    if (n == 4) throw parse_error(detail::concat(ctx, ": 'bbox' has more than 4 values"));
    out[n++] = need_number(v, ctx, "bbox");
  }
  if (n != 4) throw parse_error(detail::concat(ctx, ": 'bbox' has ", n, " values, expected 4 (x, y, width, height)"));
}

inline std::size_t read_keypoints(element e, const Ctx& ctx, std::vector<double>& out) {
  if (e.type() != element_type::ARRAY) throw parse_error(detail::concat(ctx, ": 'keypoints' must be a list of numbers"));
  std::size_t n = 0;
  simdjson::dom::array arr = e.get_array().value_unsafe();
  for (element v : arr) {
    out.push_back(need_number(v, ctx, "keypoints"));
    ++n;
  }
  if (n % 3 != 0) throw parse_error(detail::concat(ctx, ": 'keypoints' has ", n, " values, not a multiple of 3 (x, y, v)"));
  return n;
}

inline element parse(simdjson::dom::parser& parser, const simdjson::padded_string& text, const std::string& name) {
  element doc;
  auto err = parser.parse(text).get(doc);
  if (err) {
    const std::string_view t(text.data(), text.size());
    const bool non_finite = t.find("NaN") != std::string_view::npos || t.find("Infinity") != std::string_view::npos;
    if (err == simdjson::NUMBER_ERROR || err == simdjson::NUMBER_OUT_OF_RANGE)
      throw parse_error(detail::concat(
          name, ": a number the ground-truth loader cannot represent (an integer >= 2^64, or beyond the double "
                "range such as 1e400). It is valid JSON, but ground-truth ids must be int64 and values finite "
                "doubles (", simdjson::error_message(err), ")"));
    throw parse_error(detail::concat(name, ": malformed JSON (", simdjson::error_message(err), ")",
                                     non_finite ? "; it contains NaN or Infinity, which JSON does not allow (Python's "
                                                  "json.dump writes them for non-finite floats: check the boxes and areas)"
                                                : ""));
  }
  return doc;
}

inline simdjson::padded_string load_file(const std::string& path) {
  simdjson::padded_string s;
  auto err = simdjson::padded_string::load(path).get(s);
  if (err) throw parse_error(detail::concat(path, ": cannot read file (", simdjson::error_message(err), ")"));
  return s;
}

inline void set_missing(long& slot, std::size_t i) {
  if (slot < 0) slot = static_cast<long>(i);
}

// Image id -> size, sorted by id (the last entry of an id wins). `ok` when both are
// non-negative integers (pycocotools passes them to C as unsigned sizes).
struct ImageSize {
  std::int64_t id;
  std::uint32_t h, w;
  bool ok;
};

inline std::vector<ImageSize> image_sizes(const CocoGroundTruth& gt) {
  std::vector<ImageSize> v;
  v.reserve(gt.image_ids.size());
  auto dim = [](double x, std::uint32_t& out) {
    if (!(x >= 0 && x <= 4294967295.0 && x == std::floor(x))) return false;
    out = static_cast<std::uint32_t>(x);
    return true;
  };
  for (std::size_t i = 0; i < gt.image_ids.size(); ++i) {
    ImageSize s{gt.image_ids[i], 0, 0, false};
    s.ok = dim(gt.image_height[i], s.h) && dim(gt.image_width[i], s.w);
    v.push_back(s);
  }
  std::stable_sort(v.begin(), v.end(), [](const ImageSize& a, const ImageSize& b) { return a.id < b.id; });
  // keep the last of equal ids
  std::vector<ImageSize> out;
  for (const ImageSize& s : v) {
    if (!out.empty() && out.back().id == s.id) out.back() = s;
    else out.push_back(s);
  }
  return out;
}

// Size of image `id`, or nullptr.
inline const ImageSize* find_size(const std::vector<ImageSize>& sizes, std::int64_t id) {
  auto it = std::lower_bound(sizes.begin(), sizes.end(), id, [](const ImageSize& s, std::int64_t v) { return s.id < v; });
  return it != sizes.end() && it->id == id ? &*it : nullptr;
}

// One {size, counts} object (compressed string or uncompressed list) into `out`; false + why.
inline bool rle_object(element e, Rle& out, std::string& why) {
  if (e.type() != element_type::OBJECT) return why = "an RLE must be an object {size, counts}", false;
  simdjson::dom::object o = e.get_object().value_unsafe();
  element counts, size;
  bool has_counts = false, has_size = false;
  for (auto f : o) {
    if (f.key == "counts") counts = f.value, has_counts = true;
    else if (f.key == "size") size = f.value, has_size = true;
  }
  if (!has_counts || !has_size) return why = "an RLE needs 'size' and 'counts'", false;
  if (size.type() != element_type::ARRAY) return why = "'size' must be [height, width]", false;
  double hw[2];
  std::size_t n = 0;
  simdjson::dom::array size_arr = size.get_array().value_unsafe();
  for (element v : size_arr) {
    double x;
    if (n >= 2 || !number(v, x) || !(x >= 0 && x <= 4294967295.0 && x == std::floor(x)))
      return why = "'size' must be two non-negative integers [height, width]", false;
    hw[n++] = x;
  }
  if (n != 2) return why = "'size' must be [height, width]", false;
  out.height = static_cast<std::size_t>(hw[0]), out.width = static_cast<std::size_t>(hw[1]);
  out.counts.clear();
  if (counts.type() == element_type::STRING) {
    try {
      out.counts = rle_counts_from_string(std::string_view(counts));
    } catch (const std::invalid_argument& ex) {
      return why = ex.what(), false;
    }
    return true;
  }
  if (counts.type() != element_type::ARRAY) return why = "'counts' must be a string or a list of integers", false;
  simdjson::dom::array counts_arr = counts.get_array().value_unsafe();
  for (element v : counts_arr) {
    double x;
    if (!number(v, x) || !(x >= 0 && x <= 4294967295.0 && x == std::floor(x)))
      return why = "uncompressed RLE 'counts' must be non-negative integers below 2^32", false;
    out.counts.push_back(static_cast<std::uint32_t>(x));
  }
  return true;
}

// Resource limits (docs/eval.md): a mask is rasterised at load, so a polygon whose outline
// would take more than 2^26 grid points (coordinates far outside any image), or an image of 2^32
// pixels or more (beyond what 32-bit RLE counts hold), is refused rather than allocated.
constexpr double kMaxPolygonGridPoints = double(1 << 26);
constexpr std::uint64_t kMaxMaskPixels = std::uint64_t(1) << 32;

inline bool polygon_within_limits(const std::vector<double>& xy, std::string& why) {
  double total = 0;
  const std::size_t k = xy.size() / 2;
  for (std::size_t j = 0; j < k; ++j) {
    const std::size_t e = (j + 1) % k;
    total += 5 * std::fmax(std::fabs(xy[2 * j] - xy[2 * e]), std::fabs(xy[2 * j + 1] - xy[2 * e + 1])) + 2;
  }
  if (total <= kMaxPolygonGridPoints) return true;  // NaN / inf coordinates are reported by the rasteriser
  why = "the polygon's outline is too long to rasterise (a documented resource limit, docs/eval.md)";
  return false;
}

// Polygons [[x0, y0, ...], ...] at h x w, merged by union (pycocotools' annToRLE); false + why.
inline bool polygons_rle(simdjson::dom::array parts, std::uint32_t h, std::uint32_t w, Rle& out, std::string& why) {
  if (std::uint64_t(h) * w >= kMaxMaskPixels)
    return why = "the image has 2^32 pixels or more (a documented resource limit, docs/eval.md)", false;
  std::vector<Rle> rles;
  std::vector<double> xy;
  for (element part : parts) {
    if (part.type() != element_type::ARRAY) return why = "every polygon must be a list of coordinates", false;
    xy.clear();
    simdjson::dom::array coords = part.get_array().value_unsafe();
    for (element v : coords) {
      double x;
      if (!number(v, x)) return why = "polygon coordinates must be numbers", false;
      xy.push_back(x);
    }
    if (!polygon_within_limits(xy, why)) return false;
    try {
      rles.push_back(rle_from_polygon(xy.data(), xy.size() / 2, h, w));
    } catch (const std::invalid_argument& ex) {
      return why = ex.what(), false;
    }
  }
  out = rle_merge(rles.data(), rles.size(), false);
  return true;
}

// A ground-truth `segmentation` (pycocotools' annToRLE) appended to the table's RLE column.
inline void gt_segmentation(element e, const ImageSize* img, CocoTable& t, std::size_t row, const Ctx& ctx) {
  Rle r;
  std::string why;
  bool ok = false;
  if (e.type() == element_type::OBJECT) {
    ok = rle_object(e, r, why);
  } else if (e.type() == element_type::ARRAY) {
    simdjson::dom::array parts = e.get_array().value_unsafe();
    element first;
    if (parts.size() == 0) {
      why = "an empty segmentation list (pycocotools' frPyObjects: IndexError)";
    } else if ((first = parts.at(0).value_unsafe()).type() == element_type::ARRAY) {
      simdjson::dom::array first_arr = first.get_array().value_unsafe();
      const std::size_t n0 = first_arr.size();
      if (n0 == 4) why = "a first polygon of 4 numbers is read as a box by pycocotools' frPyObjects (TypeError)";
      else if (n0 < 4) why = "a polygon needs more than 4 coordinates";
      else if (!img) why = "its image is not in 'images' (pycocotools' annToRLE: KeyError)";
      else if (!img->ok) why = "its image has no integer 'height' and 'width' to rasterise the polygon at";
      else ok = polygons_rle(parts, img->h, img->w, r, why);
    } else if (first.type() == element_type::OBJECT) {  // a list of uncompressed RLEs: merged
      std::vector<Rle> rles;
      ok = true;
      for (element p : parts) {
        rles.emplace_back();
        if (!(ok = rle_object(p, rles.back(), why))) break;
      }
      if (ok) r = rle_merge(rles.data(), rles.size(), false);
    } else {
      why = "not a list of polygons";
    }
  } else {
    why = "'segmentation' must be polygons (a list of lists) or an RLE object";
  }
  if (!ok) return t.push_invalid_segm(row, detail::concat(ctx, ": 'segmentation': ", why));
  if (r.height > 0xFFFFFFFFu || r.width > 0xFFFFFFFFu) return t.push_invalid_segm(row, detail::concat(ctx, ": mask too large"));
  t.push_segm(segm_rle, r.counts.data(), r.counts.size(), static_cast<std::uint32_t>(r.height),
              static_cast<std::uint32_t>(r.width));
}

}  // namespace cocojson
}  // namespace detail

/// Parses a COCO ground-truth JSON document (an object with `images`, `categories`,
/// `annotations`; absent lists read as empty). `id`, `image_id` and `category_id` are required
/// on every annotation (coco_missing_field, as pycocotools' createIndex); `area`, `iscrowd`,
/// `bbox`, `keypoints`, `num_keypoints` may be absent (recorded; the evaluator fails on them).
/// O(file size). Thread-safe (own parser).
namespace detail {
namespace cocojson {
// `masks` false: segmentations are skipped (read as absent), e.g. for box-only evaluations.
inline CocoGroundTruth ground_truth_from(element doc, const std::string& name, bool masks = true);
}  // namespace cocojson
}  // namespace detail

inline CocoGroundTruth parse_coco_ground_truth(const simdjson::padded_string& text,
                                               const std::string& name = "ground truth") {
  simdjson::dom::parser parser;
  return detail::cocojson::ground_truth_from(detail::cocojson::parse(parser, text, name), name);
}

/// Parses and takes ownership of `text`, releasing it as soon as the DOM is built (lower peak memory).
inline CocoGroundTruth parse_coco_ground_truth(simdjson::padded_string&& text, const std::string& name = "ground truth") {
  simdjson::dom::parser parser;
  detail::cocojson::element doc = detail::cocojson::parse(parser, text, name);
  simdjson::padded_string().swap(text);
  return detail::cocojson::ground_truth_from(doc, name);
}

inline CocoGroundTruth detail::cocojson::ground_truth_from(element doc, const std::string& name, bool masks) {
  namespace cj = detail::cocojson;
  if (doc.type() != cj::element_type::OBJECT)
    throw parse_error(detail::concat(name, ": expected a JSON object with 'images', 'categories', 'annotations'"));
  CocoGroundTruth gt;
  CocoTable& t = gt.annotations;
  simdjson::dom::object root = doc.get_object().value_unsafe();
  // Images first: polygons are rasterised at their image's size (the last entry of an id wins,
  // as pycocotools' imgs dict).
  std::vector<std::pair<std::string_view, cj::element>> lists;
  for (auto field : root)
    if (field.key == "images") lists.emplace_back(field.key, field.value);
  for (auto field : root)
    if (field.key == "categories" || field.key == "annotations") lists.emplace_back(field.key, field.value);
  std::vector<cj::ImageSize> sizes;
  bool sizes_ready = false;
  for (const auto& field : lists) {
    const std::string_view key = field.first;
    cj::element list = field.second;
    const bool images = key == "images", cats = key == "categories", anns = key == "annotations";
    if (anns && !sizes_ready) sizes = cj::image_sizes(gt), sizes_ready = true;
    if (list.type() != cj::element_type::ARRAY) throw parse_error(detail::concat(name, ": '", key, "' must be a list"));
    const char* lname = images ? "images" : cats ? "categories" : "annotations";
    (images ? gt.has_images : cats ? gt.has_categories : gt.has_annotations) = true;
    std::size_t i = 0;
    simdjson::dom::array items = list.get_array().value_unsafe();
    for (cj::element item : items) {
      const cj::Ctx ctx{&name, lname, i};
      if (item.type() != cj::element_type::OBJECT) throw parse_error(detail::concat(ctx, " must be an object"));
      simdjson::dom::object obj = item.get_object().value_unsafe();
      if (images || cats) {
        bool have_id = false;
        std::int64_t id = 0;
        double w = NAN, h = NAN;
        std::string cname;
        for (auto f : obj) {
          if (f.key == "id") have_id = true, id = cj::need_id(f.value, ctx, "id");
          else if (images && f.key == "width") cj::number(f.value, w);
          else if (images && f.key == "height") cj::number(f.value, h);
          else if (cats && f.key == "name" && f.value.type() == cj::element_type::STRING)
            cname = std::string(std::string_view(f.value));
        }
        if (!have_id) throw coco_missing_field("id", detail::concat(ctx, ": missing field 'id'"));
        if (images) gt.image_ids.push_back(id), gt.image_width.push_back(w), gt.image_height.push_back(h);
        else gt.category_ids.push_back(id), gt.category_names.push_back(std::move(cname));
      } else {
        bool has_id = false, has_img = false, has_cat = false, has_bbox = false, has_area = false,
             has_crowd = false, has_kp = false, has_nkp = false, has_seg = false, has_score = false;
        std::int64_t id = 0, img = 0, cat = 0, nkp = 0;
        double box[4] = {NAN, NAN, NAN, NAN}, area = NAN, crowd = NAN, score = NAN;
        std::size_t nkv = 0;
        cj::element seg_elem;
        for (auto f : obj) {
          const std::string_view k = f.key;
          if (k == "id") has_id = true, id = cj::need_id(f.value, ctx, "id");
          else if (k == "image_id") has_img = true, img = cj::need_id(f.value, ctx, "image_id");
          else if (k == "category_id") has_cat = true, cat = cj::need_id(f.value, ctx, "category_id");
          else if (k == "bbox") has_bbox = true, cj::read_box(f.value, ctx, box);
          else if (k == "area") has_area = true, area = cj::need_number(f.value, ctx, "area");
          else if (k == "iscrowd") has_crowd = true, crowd = cj::need_number(f.value, ctx, "iscrowd");
          else if (k == "keypoints") has_kp = true, nkv = cj::read_keypoints(f.value, ctx, t.keypoints);
          else if (k == "num_keypoints") has_nkp = true, nkp = cj::keypoint_count(cj::need_number(f.value, ctx, "num_keypoints"));
          else if (k == "segmentation") {
            has_seg = masks;
            seg_elem = f.value;
          }
          else if (k == "score") has_score = true, score = cj::need_number(f.value, ctx, "score");
        }
        if (!has_id) throw coco_missing_field("id", detail::concat(ctx, ": missing field 'id'"));
        if (!has_img) throw coco_missing_field("image_id", detail::concat(ctx, ": missing field 'image_id'"));
        if (!has_cat) throw coco_missing_field("category_id", detail::concat(ctx, ": missing field 'category_id'"));
        const std::size_t n = t.id.size();
        t.id.push_back(id), t.image_id.push_back(img), t.category_id.push_back(cat);
        t.bbox.insert(t.bbox.end(), box, box + 4);
        t.area.push_back(area), t.iscrowd.push_back(crowd), t.num_keypoints.push_back(nkp), t.score.push_back(score);
        if (!has_score) cj::set_missing(t.first_missing_score, n);
        if (!has_bbox) cj::set_missing(t.first_missing_bbox, n);
        if (!has_area) cj::set_missing(t.first_missing_area, n);
        if (!has_crowd) cj::set_missing(t.first_missing_iscrowd, n);
        if (!has_nkp) cj::set_missing(t.first_missing_num_keypoints, n);
        if (!has_seg) {
          cj::set_missing(t.first_missing_segmentation, n);
          t.push_segm(segm_missing, nullptr, 0, 0, 0);
        } else {
          cj::gt_segmentation(seg_elem, cj::find_size(sizes, img), t, n, ctx);
        }
        if (!has_kp) {
          cj::set_missing(t.first_missing_keypoints, n);
        } else {
          if (t.keypoint_values == 0) t.keypoint_values = nkv;
          if (nkv != t.keypoint_values)
            throw parse_error(detail::concat(ctx, ": 'keypoints' has ", nkv, " values, earlier annotations have ",
                                     t.keypoint_values));
        }
      }
      ++i;
    }
  }
  // With keypoints missing anywhere the column is unusable (evaluation reports the missing
  // field): drop it rather than pad it to rows x keypoints (resource limit, docs/eval.md).
  if (t.first_missing_keypoints >= 0) std::vector<double>().swap(t.keypoints);
  if (t.size() == 0) t.first_missing_score = 0;  // no scores: ground truth
  return gt;
}

/// Reads and parses a ground-truth file (see parse_coco_ground_truth).
inline CocoGroundTruth load_coco_ground_truth(const std::string& path) {
  return parse_coco_ground_truth(detail::cocojson::load_file(path), path);  // rvalue: text released early
}

namespace detail {
namespace cocojson {

// The fields of one result the loader uses (others are skipped unparsed).
struct ResultRecord {
  enum IdKind { id_ok, id_string, id_not_integer, id_too_large };
  bool has_img = false, has_cat = false, has_score = false, has_bbox = false, has_seg = false, has_kp = false;
  IdKind img_kind = id_ok, cat_kind = id_ok;
  std::int64_t img = 0, cat = 0;
  std::string img_text;  // a string or out-of-range image_id, for the message
  double score = NAN;
  bool score_bad = false;
  std::size_t bbox_n = 0;      // values read (up to 5: more is an error)
  bool bbox_bad = false;       // not a list of numbers
  double bbox[4] = {NAN, NAN, NAN, NAN};
  bool seg_object = false, has_counts = false, has_size = false;
  std::string counts;
  double size[2] = {0, 0};
  std::size_t size_n = 0;
  bool kp_bad = false;
  std::vector<double> kp;
  // segmentation given as polygons (coordinates of all parts, part sizes) or uncompressed counts
  bool seg_list = false, seg_list_bad = false, counts_list = false, counts_bad = false;
  std::vector<double> poly;
  std::vector<std::size_t> poly_parts;
  std::vector<double> ucounts;
  void clear() noexcept {  // keeps the buffers' capacity
    seg_list = seg_list_bad = counts_list = counts_bad = false;
    poly.clear(), poly_parts.clear(), ucounts.clear();
    has_img = has_cat = has_score = has_bbox = has_seg = has_kp = false;
    img_kind = cat_kind = id_ok;
    img = cat = 0;
    img_text.clear();
    score = NAN;
    score_bad = bbox_bad = seg_object = has_counts = has_size = kp_bad = false;
    bbox_n = size_n = 0;
    bbox[0] = bbox[1] = bbox[2] = bbox[3] = NAN;
    size[0] = size[1] = 0;
    counts.clear();
    kp.clear();
  }
};

// A number where JSON allows one (true / false read as 1 / 0, as Python's arithmetic does).
inline bool stream_number(JsonStream& js, double& out) {
  const int c = js.peek();
  if (c == '-' || (c >= '0' && c <= '9') || c == 'N' || c == 'I') {
    out = js.number().value;
    return true;
  }
  if (c == 't') return js.literal("true"), out = 1.0, true;
  if (c == 'f') return js.literal("false"), out = 0.0, true;
  js.skip_value();
  return false;
}

// An id: an integer token within int64, or a float equal to one (Python: 7.0 == 7).
inline ResultRecord::IdKind stream_id(JsonStream& js, std::int64_t& out, std::string& text) {
  const int c = js.peek();
  if (c == '"') {
    js.string(text);
    return ResultRecord::id_string;
  }
  if (!(c == '-' || (c >= '0' && c <= '9') || c == 'N' || c == 'I')) {
    js.skip_value();
    return ResultRecord::id_not_integer;
  }
  const JsonNumber n = js.number();
  if (n.is_integer_token) {
    if (n.fits_int64) return out = n.as_int64, ResultRecord::id_ok;
    text = "an integer beyond int64";
    return ResultRecord::id_too_large;
  }
  const double d = n.value;
  if (d == std::floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
    out = static_cast<std::int64_t>(d);
    return ResultRecord::id_ok;
  }
  return ResultRecord::id_not_integer;
}

// A list of numbers appended to `out` (n counts them); false if it is not one.
template <class Put>
inline bool stream_numbers(JsonStream& js, Put&& put) {
  if (js.peek() != '[') {
    js.skip_value();
    return false;
  }
  js.advance();
  if (js.peek() == ']') return js.advance(), true;
  bool ok = true;
  for (;;) {
    double v;
    if (stream_number(js, v)) put(v);
    else ok = false;
    if (!js.more(']', "in a list")) return ok;
  }
}

template <std::size_t N>
inline bool key_is(const std::string& k, const char (&name)[N]) noexcept {
  return k.size() == N - 1 && std::memcmp(k.data(), name, N - 1) == 0;
}

inline void read_result(JsonStream& js, ResultRecord& r, std::string& key) {
  js.advance();  // '{'
  if (js.peek() == '}') return js.advance();
  for (;;) {
    if (js.peek() != '"') js.fail(concat("expected a key", js.found()));
    js.string(key);
    js.expect(':', "after a key");
    if (key_is(key, "image_id")) {
      r.has_img = true;
      r.img_kind = stream_id(js, r.img, r.img_text);
    } else if (key_is(key, "category_id")) {
      r.has_cat = true;
      std::string unused;
      r.cat_kind = stream_id(js, r.cat, unused);
    } else if (key_is(key, "score")) {
      r.has_score = true;
      r.score_bad = !stream_number(js, r.score);
    } else if (key_is(key, "bbox")) {
      r.has_bbox = true;
      r.bbox_n = 0;
      r.bbox_bad = !stream_numbers(js, [&](double v) {
        if (r.bbox_n < 4) r.bbox[r.bbox_n] = v;
        if (r.bbox_n < 5) ++r.bbox_n;
      });
    } else if (key_is(key, "segmentation")) {
      r.has_seg = true;
      if (js.peek() == '[') {  // polygons [[x0, y0, ...], ...]
        r.seg_list = true;
        js.advance();
        if (js.peek() == ']') {
          js.advance();
        } else {
          for (;;) {
            if (js.peek() == '[') {
              const std::size_t before = r.poly.size();
              if (!stream_numbers(js, [&](double v) { r.poly.push_back(v); })) r.seg_list_bad = true;
              r.poly_parts.push_back(r.poly.size() - before);
            } else {
              js.skip_value();
              r.seg_list_bad = true;
            }
            if (!js.more(']', "in 'segmentation'")) break;
          }
        }
      } else if (js.peek() != '{') {
        js.skip_value();
      } else {
        r.seg_object = true;
        js.advance();
        if (js.peek() == '}') {
          js.advance();
        } else {
          std::string sk;
          for (;;) {
            if (js.peek() != '"') js.fail(concat("expected a key", js.found()));
            js.string(sk);
            js.expect(':', "after a key");
            if (sk == "counts" && js.peek() == '"') {
              js.string(r.counts);
              r.has_counts = true;
            } else if (sk == "counts" && js.peek() == '[') {
              r.counts_list = true;
              r.counts_bad = !stream_numbers(js, [&](double v) { r.ucounts.push_back(v); });
            } else if (sk == "size") {
              r.size_n = 0;
              r.has_size = stream_numbers(js, [&](double v) {
                if (r.size_n < 2) r.size[r.size_n] = v;
                ++r.size_n;
              }) && r.size_n >= 2;
            } else {
              js.skip_value();
            }
            if (!js.more('}', "in 'segmentation'")) break;
          }
        }
      }
    } else if (key_is(key, "keypoints")) {
      r.has_kp = true;
      r.kp.clear();
      r.kp_bad = !stream_numbers(js, [&](double v) { r.kp.push_back(v); });
    } else {
      js.skip_value();
    }
    if (!js.more('}', "in a result")) return;
  }
}

// loadRes' per-result rules (notes rule 2) applied to one record.
class ResultsBuilder {
 public:
  ResultsBuilder(const CocoGroundTruth& gt, const std::string& name, std::size_t reserve)
      : imgs_(gt.image_ids), sizes_(image_sizes(gt)), name_(name) {
    std::sort(imgs_.begin(), imgs_.end());
    // Capacity only: pages are touched as rows arrive, so an over-estimate costs address space.
    t_.id.reserve(reserve), t_.image_id.reserve(reserve), t_.category_id.reserve(reserve);
    t_.bbox.reserve(4 * reserve), t_.area.reserve(reserve), t_.score.reserve(reserve);
  }

  void add(const ResultRecord& r, std::size_t i) {
    const Ctx ctx{&name_, "results", i};
    if (!r.has_img) throw coco_missing_field("image_id", concat(ctx, ": missing field 'image_id'"));
    if (r.img_kind == ResultRecord::id_string)
      throw coco_results_mismatch(concat("Results do not correspond to current coco set: ", ctx, " has image_id \"",
                                         r.img_text, "\" (a string), which is not an image id of the ground truth"));
    if (r.img_kind != ResultRecord::id_ok)
      throw coco_results_mismatch(concat("Results do not correspond to current coco set: ", ctx, " has image_id ",
                                         r.img_kind == ResultRecord::id_too_large ? r.img_text : "that is not an integer",
                                         ", which is not an image id of the ground truth (locuskit: int64 ids)"));
    if (!std::binary_search(imgs_.begin(), imgs_.end(), r.img))
      throw coco_results_mismatch(concat("Results do not correspond to current coco set: ", ctx, " has image_id ",
                                         r.img, ", which is not an image of the ground truth"));
    if (!r.has_cat) throw coco_missing_field("category_id", concat(ctx, ": missing field 'category_id'"));
    if (r.cat_kind != ResultRecord::id_ok)
      throw parse_error(concat(ctx, ": 'category_id' must be an integer within int64 (locuskit stores ids as int64; ",
                               r.cat_kind == ResultRecord::id_string ? "a string" : "this value",
                               " can never equal a ground-truth category id)"));
    if (r.has_score && r.score_bad) throw parse_error(concat(ctx, ": field 'score' must be a number"));
    if (i == 0) {
      if (r.has_bbox && !(r.bbox_n == 0 && !r.bbox_bad)) branch_ = box;
      else if (r.has_seg) branch_ = mask;
      else if (r.has_kp) branch_ = kpts;
      else throw parse_error(concat(ctx, ": a result needs 'bbox', 'segmentation' or 'keypoints'"));
    }
    double bb[4] = {NAN, NAN, NAN, NAN};
    double area = NAN;
    if (branch_ == box) {
      if (!r.has_bbox) throw coco_missing_field("bbox", concat(ctx, ": missing field 'bbox' (the first result has one)"));
      box_of(r, ctx, bb);
      area = bb[2] * bb[3];
    } else if (branch_ == mask) {
      if (!r.has_seg) throw coco_missing_field("segmentation", concat(ctx, ": missing field 'segmentation'"));
      if (!r.seg_object)
        throw parse_error(concat(ctx, ": 'segmentation' of a result must be a compressed RLE {size, counts}"));
      if (!r.has_counts || !r.has_size)
        throw parse_error(concat(ctx, ": 'segmentation' of a result must be a compressed RLE {\"size\": [h, w], \"counts\": str}"));
      std::vector<std::uint32_t>& c = mask_counts_;
      try {
        c = rle_counts_from_string(r.counts);
      } catch (const std::invalid_argument& e) {
        throw parse_error(concat(ctx, ": ", e.what()));
      }
      for (double v : r.size)
        if (!(v >= 0 && v <= 4294967295.0))
          throw parse_error(concat(ctx, ": 'segmentation.size' must be two non-negative image dimensions"));
      area = static_cast<double>(rle_area(c));
      if (r.has_bbox) box_of(r, ctx, bb);
      else rle_to_bbox(c, static_cast<std::uint32_t>(r.size[0]), static_cast<std::uint32_t>(r.size[1]), bb);
    } else if (!r.has_kp) {
      throw coco_missing_field("keypoints", concat(ctx, ": missing field 'keypoints'"));
    }
    if (r.has_kp) {
      if (r.kp_bad) throw parse_error(concat(ctx, ": 'keypoints' must be a list of numbers"));
      if (r.kp.size() % 3 != 0)
        throw parse_error(concat(ctx, ": 'keypoints' has ", r.kp.size(), " values, not a multiple of 3 (x, y, v)"));
    }
    if (branch_ == kpts) {  // box and area from all keypoints, unlabelled ones included
      if (r.kp.empty()) throw parse_error(concat(ctx, ": 'keypoints' is empty"));
      double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
      bool nan = false;
      for (std::size_t j = 0; j < r.kp.size(); j += 3) {
        const double x = r.kp[j], y = r.kp[j + 1];
        nan = nan || x != x || y != y;
        x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
      }
      if (nan) x0 = x1 = y0 = y1 = NAN;  // np.min / np.max propagate NaN
      area = (x1 - x0) * (y1 - y0);
      bb[0] = x0, bb[1] = y0, bb[2] = x1 - x0, bb[3] = y1 - y0;
    }
    segmentation(r, ctx, i, branch_ == mask ? &mask_counts_ : nullptr);
    if (i == 0) t_.keypoint_values = r.has_kp ? r.kp.size() : 0;
    if (t_.first_missing_keypoints < 0) {
      if (r.has_kp && r.kp.size() == t_.keypoint_values) {
        t_.keypoints.insert(t_.keypoints.end(), r.kp.begin(), r.kp.end());
      } else {
        // The column is unusable from here on (evaluation reports the missing field), so it is
        // dropped instead of padded: padding could need rows x keypoints of the first result.
        set_missing(t_.first_missing_keypoints, i);
        std::vector<double>().swap(t_.keypoints);
      }
    }
    t_.id.push_back(static_cast<std::int64_t>(i) + 1);
    t_.image_id.push_back(r.img);
    t_.category_id.push_back(r.cat);
    t_.bbox.insert(t_.bbox.end(), bb, bb + 4);
    t_.area.push_back(area);
    t_.score.push_back(r.score);
    if (!r.has_score) set_missing(t_.first_missing_score, i);
  }

  CocoTable finish() {
    t_.iscrowd.assign(t_.size(), 0.0);
    t_.num_keypoints.assign(t_.size(), 0);
    if (t_.size() == 0) t_.keypoint_values = 0;
    return std::move(t_);
  }

  /// The rows added since the last take (for CocoResultsReader's chunks). What holds for the
  /// whole list carries over to the next chunk: the keypoint width and the first missing or
  /// invalid rows (global indices), so every chunk reports what the whole table would.
  CocoTable take() {
    CocoTable next;
    next.keypoint_values = t_.keypoint_values;
    next.first_missing_score = t_.first_missing_score;
    next.first_missing_keypoints = t_.first_missing_keypoints;
    next.first_invalid_segmentation = t_.first_invalid_segmentation;
    next.segm_error = t_.segm_error;
    const std::size_t kv = t_.keypoint_values;
    CocoTable out = std::move(t_);
    t_ = std::move(next);
    out.iscrowd.assign(out.size(), 0.0);
    out.num_keypoints.assign(out.size(), 0);
    if (out.first_missing_keypoints >= 0) std::vector<double>().swap(out.keypoints);
    out.keypoint_values = kv;
    return out;
  }

 private:
  static void box_of(const ResultRecord& r, const Ctx& ctx, double* out) {
    if (r.bbox_bad) throw parse_error(concat(ctx, ": 'bbox' must be a list of 4 numbers"));
    if (r.bbox_n > 4) throw parse_error(concat(ctx, ": 'bbox' has more than 4 values"));
    if (r.bbox_n != 4)
      throw parse_error(concat(ctx, ": 'bbox' has ", r.bbox_n, " values, expected 4 (x, y, width, height)"));
    std::copy_n(r.bbox, 4, out);
  }
  // The mask pycocotools' annToRLE gives this result (loadRes' 4-corner polygon of the box when
  // the box branch finds no segmentation), appended to the RLE column. `decoded`: the counts the
  // mask branch already decoded.
  void segmentation(const ResultRecord& r, const Ctx& ctx, std::size_t i, const std::vector<std::uint32_t>* decoded) {
    const ImageSize* img = find_size(sizes_, r.img);
    if (decoded) {
      t_.push_segm(segm_rle, decoded->data(), decoded->size(), static_cast<std::uint32_t>(r.size[0]),
                   static_cast<std::uint32_t>(r.size[1]));
      return;
    }
    if (!r.has_seg) {
      if (branch_ != box) return t_.push_segm(segm_missing, nullptr, 0, 0, 0);
      if (!img || !img->ok)
        return t_.push_invalid_segm(i, concat(ctx, ": its image has no integer 'height' and 'width' to rasterise the box at"));
      return t_.push_segm(segm_box, nullptr, 0, img->h, img->w);
    }
    if (r.seg_object) {
      if (!r.has_size) return t_.push_invalid_segm(i, concat(ctx, ": 'segmentation' needs 'size' [height, width]"));
      for (double v : r.size)
        if (!(v >= 0 && v <= 4294967295.0 && v == std::floor(v)))
          return t_.push_invalid_segm(i, concat(ctx, ": 'segmentation.size' must be two non-negative integers"));
      const auto h = static_cast<std::uint32_t>(r.size[0]), w = static_cast<std::uint32_t>(r.size[1]);
      if (r.has_counts) {
        try {
          seg_buf_ = rle_counts_from_string(r.counts);
        } catch (const std::invalid_argument& e) {
          return t_.push_invalid_segm(i, concat(ctx, ": ", e.what()));
        }
      } else if (r.counts_list && !r.counts_bad) {
        seg_buf_.clear();
        for (double v : r.ucounts) {
          if (!(v >= 0 && v <= 4294967295.0 && v == std::floor(v)))
            return t_.push_invalid_segm(i, concat(ctx, ": uncompressed RLE 'counts' must be non-negative integers"));
          seg_buf_.push_back(static_cast<std::uint32_t>(v));
        }
      } else {
        return t_.push_invalid_segm(i, concat(ctx, ": 'segmentation' needs 'counts' (a string or a list of integers)"));
      }
      return t_.push_segm(segm_rle, seg_buf_.data(), seg_buf_.size(), h, w);
    }
    if (!r.seg_list || r.seg_list_bad || r.poly_parts.empty())
      return t_.push_invalid_segm(i, concat(ctx, ": 'segmentation' must be polygons [[x0, y0, ...], ...] or an RLE object"));
    if (r.poly_parts[0] == 4)
      return t_.push_invalid_segm(i, concat(ctx, ": a first polygon of 4 numbers is read as a box by pycocotools' "
                                                 "frPyObjects (TypeError)"));
    if (r.poly_parts[0] < 4) return t_.push_invalid_segm(i, concat(ctx, ": a polygon needs more than 4 coordinates"));
    if (!img || !img->ok)
      return t_.push_invalid_segm(i, concat(ctx, ": its image has no integer 'height' and 'width' to rasterise the polygon at"));
    if (std::uint64_t(img->h) * img->w >= kMaxMaskPixels)
      return t_.push_invalid_segm(i, concat(ctx, ": the image has 2^32 pixels or more (a documented resource limit)"));
    std::vector<Rle> parts;
    std::size_t off = 0;
    std::string why;
    for (std::size_t b = 0, n = 0; n < r.poly_parts.size(); b += r.poly_parts[n++])
      if (!polygon_within_limits(std::vector<double>(r.poly.begin() + b, r.poly.begin() + b + r.poly_parts[n]), why))
        return t_.push_invalid_segm(i, concat(ctx, ": ", why));
    try {
      for (std::size_t n : r.poly_parts) {
        parts.push_back(rle_from_polygon(r.poly.data() + off, n / 2, img->h, img->w));
        off += n;
      }
    } catch (const std::invalid_argument& e) {
      return t_.push_invalid_segm(i, concat(ctx, ": ", e.what()));
    }
    const Rle m = rle_merge(parts.data(), parts.size(), false);
    t_.push_segm(segm_rle, m.counts.data(), m.counts.size(), img->h, img->w);
  }

  enum Branch { box, mask, kpts, none } branch_ = none;
  std::vector<std::int64_t> imgs_;
  std::vector<ImageSize> sizes_;
  std::vector<std::uint32_t> mask_counts_, seg_buf_;
  const std::string& name_;
  CocoTable t_;
};

// Streams a results list into columns: one record at a time, no document tree.
inline CocoTable read_results(JsonStream& js, const CocoGroundTruth& gt, bool allow_empty, std::size_t reserve) {
  const int c0 = js.peek();
  if (c0 != '[')
    throw coco_results_mismatch(concat(js.name(), ": results must be a list of objects (got ",
                                       c0 == '{' ? "a JSON object" : c0 < 0 ? "an empty file" : "a JSON value", ")"));
  js.advance();
  ResultsBuilder b(gt, js.name(), reserve);
  ResultRecord r;
  std::string key;
  std::size_t i = 0;
  if (js.peek() == ']') {
    js.advance();
  } else {
    for (;;) {
      if (js.peek() != '{') {
        js.skip_value();
        throw parse_error(concat(Ctx{&js.name(), "results", i}, " must be an object"));
      }
      r.clear();
      read_result(js, r, key);
      b.add(r, i++);
      if (!js.more(']', "after a result")) break;
    }
  }
  if (js.peek() >= 0) js.fail(concat("unexpected data after the results list", js.found()));
  if (i == 0 && !allow_empty)
    throw coco_empty_results(concat(js.name(), ": the results list is empty (pycocotools' loadRes raises IndexError "
                                               "here; locuskit.eval.coco_evaluate accepts it)"));
  return b.finish();
}

}  // namespace cocojson
}  // namespace detail

/// Parses a COCO results JSON text (a list of objects) against a ground truth, as
/// `COCO.loadRes`: every `image_id` must be a GT image (coco_results_mismatch), an empty list
/// raises coco_empty_results unless `allow_empty`; the first result picks the branch (box, mask
/// or keypoints, notes rule 2); ids are 1 + index; `score` may be absent (recorded). Reads what
/// Python's json reads (NaN / Infinity literals, numbers of any size: 1e400 is inf); NaN and
/// infinite scores and boxes are kept (pycocotools ranks them as NumPy does). Ids must be
/// integers within int64 (a float equal to one is accepted). O(text size), streaming: memory is
/// the columns only. Thread-safe.
inline CocoTable parse_coco_results(std::string_view text, const CocoGroundTruth& gt,
                                    const std::string& name = "results", bool allow_empty = false) {
  detail::cocojson::JsonStream js(text.data(), text.size(), name);
  return detail::cocojson::read_results(js, gt, allow_empty, text.size() / 48 + 16);
}

/// Reads a results file in 1 MiB chunks straight into columns (see parse_coco_results): peak
/// memory is the columns (~88 bytes per box result, about the size of the JSON text), not the
/// file plus a document tree.
inline CocoTable load_coco_results(const std::string& path, const CocoGroundTruth& gt, bool allow_empty = false) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw parse_error(detail::concat(path, ": cannot read file (", std::strerror(errno), ")"));
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{f};
  std::size_t size = 0;
  if (std::fseek(f, 0, SEEK_END) == 0) {
    const long n = std::ftell(f);
    if (n > 0) size = static_cast<std::size_t>(n);
    std::rewind(f);
  }
  detail::cocojson::JsonStream js(f, path);
  // A box result takes at least ~48 bytes of JSON: reserve for that many (address space only).
  return detail::cocojson::read_results(js, gt, allow_empty, size / 48 + 16);
}

/// pycocotools' default parameters for a ground truth: img_ids = sorted(getImgIds()) (the keys of
/// its id-keyed `imgs` dict: each id once), cat_ids = sorted(getCatIds()) (the `categories` list:
/// a repeated id stays repeated, which matters with use_cats = false).
inline CocoParams coco_params_for(const CocoGroundTruth& gt, IouType type) {
  CocoParams p = CocoParams::defaults(type);
  p.img_ids = gt.image_ids;
  std::sort(p.img_ids.begin(), p.img_ids.end());
  p.img_ids.erase(std::unique(p.img_ids.begin(), p.img_ids.end()), p.img_ids.end());
  p.cat_ids = gt.category_ids;
  std::sort(p.cat_ids.begin(), p.cat_ids.end());
  return p;
}

}  // namespace locuskit
