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
#include <ostream>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
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
  std::size_t size() const noexcept { return id.size(); }
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
    throw parse_error(detail::concat(ctx, ": '", field, "' must be an integer"));
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
    throw parse_error(detail::concat(name, ": malformed JSON (", simdjson::error_message(err), ")",
                                     non_finite ? "; it contains NaN or Infinity, which JSON does not allow (Python's "
                                                  "json.dump writes them for non-finite floats: check scores and boxes)"
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

}  // namespace cocojson
}  // namespace detail

/// Parses a COCO ground-truth JSON document (an object with `images`, `categories`,
/// `annotations`; absent lists read as empty). `id`, `image_id` and `category_id` are required
/// on every annotation (coco_missing_field, as pycocotools' createIndex); `area`, `iscrowd`,
/// `bbox`, `keypoints`, `num_keypoints` may be absent (recorded; the evaluator fails on them).
/// O(file size). Thread-safe (own parser).
namespace detail {
namespace cocojson {
inline CocoGroundTruth ground_truth_from(element doc, const std::string& name);
inline CocoTable results_from(element doc, const CocoGroundTruth& gt, const std::string& name, bool allow_empty);
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

inline CocoGroundTruth detail::cocojson::ground_truth_from(element doc, const std::string& name) {
  namespace cj = detail::cocojson;
  if (doc.type() != cj::element_type::OBJECT)
    throw parse_error(detail::concat(name, ": expected a JSON object with 'images', 'categories', 'annotations'"));
  CocoGroundTruth gt;
  CocoTable& t = gt.annotations;
  std::vector<long> kp_at;  // offset of each annotation's keypoints in t.keypoints, or -1
  simdjson::dom::object root = doc.get_object().value_unsafe();
  for (auto field : root) {
    const std::string_view key = field.key;
    cj::element list = field.value;
    const bool images = key == "images", cats = key == "categories", anns = key == "annotations";
    if (!images && !cats && !anns) continue;
    if (list.type() != cj::element_type::ARRAY) throw parse_error(detail::concat(name, ": '", key, "' must be a list"));
    const char* lname = images ? "images" : cats ? "categories" : "annotations";
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
             has_crowd = false, has_kp = false, has_nkp = false, has_seg = false;
        std::int64_t id = 0, img = 0, cat = 0, nkp = 0;
        double box[4] = {NAN, NAN, NAN, NAN}, area = NAN, crowd = NAN;
        const std::size_t kp0 = t.keypoints.size();
        std::size_t nkv = 0;
        for (auto f : obj) {
          const std::string_view k = f.key;
          if (k == "id") has_id = true, id = cj::need_id(f.value, ctx, "id");
          else if (k == "image_id") has_img = true, img = cj::need_id(f.value, ctx, "image_id");
          else if (k == "category_id") has_cat = true, cat = cj::need_id(f.value, ctx, "category_id");
          else if (k == "bbox") has_bbox = true, cj::read_box(f.value, ctx, box);
          else if (k == "area") has_area = true, area = cj::need_number(f.value, ctx, "area");
          else if (k == "iscrowd") has_crowd = true, crowd = cj::need_number(f.value, ctx, "iscrowd");
          else if (k == "keypoints") has_kp = true, nkv = cj::read_keypoints(f.value, ctx, t.keypoints);
          else if (k == "num_keypoints") has_nkp = true, nkp = static_cast<std::int64_t>(cj::need_number(f.value, ctx, "num_keypoints"));
          else if (k == "segmentation") has_seg = true;
        }
        if (!has_id) throw coco_missing_field("id", detail::concat(ctx, ": missing field 'id'"));
        if (!has_img) throw coco_missing_field("image_id", detail::concat(ctx, ": missing field 'image_id'"));
        if (!has_cat) throw coco_missing_field("category_id", detail::concat(ctx, ": missing field 'category_id'"));
        const std::size_t n = t.id.size();
        t.id.push_back(id), t.image_id.push_back(img), t.category_id.push_back(cat);
        t.bbox.insert(t.bbox.end(), box, box + 4);
        t.area.push_back(area), t.iscrowd.push_back(crowd), t.num_keypoints.push_back(nkp);
        if (!has_bbox) cj::set_missing(t.first_missing_bbox, n);
        if (!has_area) cj::set_missing(t.first_missing_area, n);
        if (!has_crowd) cj::set_missing(t.first_missing_iscrowd, n);
        if (!has_nkp) cj::set_missing(t.first_missing_num_keypoints, n);
        if (!has_seg) cj::set_missing(t.first_missing_segmentation, n);
        if (!has_kp) {
          cj::set_missing(t.first_missing_keypoints, n);
          kp_at.push_back(-1);
        } else {
          if (t.keypoint_values == 0) t.keypoint_values = nkv;
          if (nkv != t.keypoint_values)
            throw parse_error(detail::concat(ctx, ": 'keypoints' has ", nkv, " values, earlier annotations have ",
                                     t.keypoint_values));
          kp_at.push_back(static_cast<long>(kp0));
        }
      }
      ++i;
    }
  }
  // Annotations without keypoints get NaN rows so the matrix stays rectangular.
  if (t.keypoint_values && t.keypoints.size() != t.size() * t.keypoint_values) {
    std::vector<double> full(t.size() * t.keypoint_values, NAN);
    for (std::size_t n = 0; n < t.size(); ++n)
      if (kp_at[n] >= 0)
        std::copy_n(t.keypoints.begin() + kp_at[n], t.keypoint_values, full.begin() + n * t.keypoint_values);
    t.keypoints.swap(full);
  }
  t.score.clear();
  t.first_missing_score = 0;
  return gt;
}

/// Reads and parses a ground-truth file (see parse_coco_ground_truth).
inline CocoGroundTruth load_coco_ground_truth(const std::string& path) {
  return parse_coco_ground_truth(detail::cocojson::load_file(path), path);  // rvalue: text released early
}

/// Parses a COCO results JSON document (a list of objects) against a ground truth, as
/// `COCO.loadRes`: every `image_id` must be a GT image (coco_results_mismatch), an empty list
/// raises coco_empty_results unless `allow_empty`; the first result picks the branch (box, mask
/// or keypoints, notes rule 2); ids are 1 + index; `score` may be absent (recorded).
/// O(file size). Thread-safe.
inline CocoTable parse_coco_results(const simdjson::padded_string& text, const CocoGroundTruth& gt,
                                    const std::string& name = "results", bool allow_empty = false) {
  simdjson::dom::parser parser;
  return detail::cocojson::results_from(detail::cocojson::parse(parser, text, name), gt, name, allow_empty);
}

/// Parses and takes ownership of `text`, releasing it as soon as the DOM is built (lower peak memory).
inline CocoTable parse_coco_results(simdjson::padded_string&& text, const CocoGroundTruth& gt,
                                    const std::string& name = "results", bool allow_empty = false) {
  simdjson::dom::parser parser;
  detail::cocojson::element doc = detail::cocojson::parse(parser, text, name);
  simdjson::padded_string().swap(text);
  return detail::cocojson::results_from(doc, gt, name, allow_empty);
}

inline CocoTable detail::cocojson::results_from(element doc, const CocoGroundTruth& gt, const std::string& name,
                                                bool allow_empty) {
  namespace cj = detail::cocojson;
  if (doc.type() != cj::element_type::ARRAY)
    throw coco_results_mismatch(detail::concat(name, ": results must be a list of objects (got a JSON ",
                                       doc.type() == cj::element_type::OBJECT ? "object" : "value", ")"));
  simdjson::dom::array arr = doc.get_array().value_unsafe();
  CocoTable t;
  std::vector<std::int64_t> imgs(gt.image_ids);
  std::sort(imgs.begin(), imgs.end());
  enum Branch { box, mask, kpts, none } branch = none;
  std::vector<double> kp_tmp;
  std::size_t i = 0;
  const std::size_t n_total = arr.size();
  if (n_total == 0) {
    if (!allow_empty)
      throw coco_empty_results(detail::concat(name, ": the results list is empty (pycocotools' loadRes raises IndexError "
                                            "here; locuskit.eval.coco_evaluate accepts it)"));
  }
  t.id.reserve(n_total), t.image_id.reserve(n_total), t.category_id.reserve(n_total);
  t.bbox.reserve(4 * n_total), t.area.reserve(n_total), t.score.reserve(n_total);
  for (cj::element item : arr) {
    const cj::Ctx ctx{&name, "results", i};
    if (item.type() != cj::element_type::OBJECT) throw parse_error(detail::concat(ctx, " must be an object"));
    simdjson::dom::object obj = item.get_object().value_unsafe();
    bool has_img = false, has_cat = false, has_score = false, has_bbox = false, bbox_empty = false, has_seg = false,
         has_kp = false;
    std::int64_t img = 0, cat = 0;
    double score = NAN, bb[4] = {NAN, NAN, NAN, NAN};
    cj::element seg, kp, bbox_el;
    for (auto f : obj) {
      const std::string_view k = f.key;
      if (k == "image_id") {
        has_img = true;
        if (!cj::integer_id(f.value, img)) {
          if (f.value.type() == cj::element_type::STRING)
            throw coco_results_mismatch(detail::concat("Results do not correspond to current coco set: ", ctx, " has image_id \"",
                                               std::string_view(f.value),
                                               "\" (a string), which is not an image id of the ground truth"));
          throw parse_error(detail::concat(ctx, ": 'image_id' must be an integer"));
        }
      } else if (k == "category_id") has_cat = true, cat = cj::need_id(f.value, ctx, "category_id");
      else if (k == "score") has_score = true, score = cj::need_number(f.value, ctx, "score");
      else if (k == "bbox") {
        has_bbox = true;
        bbox_el = f.value;
        bbox_empty = f.value.type() == cj::element_type::ARRAY && f.value.get_array().value_unsafe().size() == 0;
      } else if (k == "segmentation") has_seg = true, seg = f.value;
      else if (k == "keypoints") has_kp = true, kp = f.value;
    }
    if (!has_img) throw coco_missing_field("image_id", detail::concat(ctx, ": missing field 'image_id'"));
    if (!std::binary_search(imgs.begin(), imgs.end(), img))
      throw coco_results_mismatch(detail::concat("Results do not correspond to current coco set: ", ctx, " has image_id ", img,
                                         ", which is not an image of the ground truth"));
    if (!has_cat) throw coco_missing_field("category_id", detail::concat(ctx, ": missing field 'category_id'"));
    if (i == 0) {
      if (has_bbox && !bbox_empty) branch = box;
      else if (has_seg) branch = mask;
      else if (has_kp) branch = kpts;
      else
        throw parse_error(detail::concat(ctx, ": a result needs 'bbox', 'segmentation' or 'keypoints'"));
    }
    double area = NAN;
    if (branch == box) {
      if (!has_bbox) throw coco_missing_field("bbox", detail::concat(ctx, ": missing field 'bbox' (the first result has one)"));
      cj::read_box(bbox_el, ctx, bb);
      area = bb[2] * bb[3];
    } else if (branch == mask) {
      if (!has_seg) throw coco_missing_field("segmentation", detail::concat(ctx, ": missing field 'segmentation'"));
      if (seg.type() != cj::element_type::OBJECT)
        throw parse_error(detail::concat(ctx, ": 'segmentation' of a result must be a compressed RLE {size, counts}"));
      std::string_view counts;
      double hw[2] = {0, 0};
      bool has_counts = false, has_size = false;
      simdjson::dom::object sobj = seg.get_object().value_unsafe();
      for (auto f : sobj) {
        if (f.key == "counts" && f.value.type() == cj::element_type::STRING) has_counts = true, counts = std::string_view(f.value);
        else if (f.key == "size" && f.value.type() == cj::element_type::ARRAY) {
          std::size_t n = 0;
          simdjson::dom::array sz = f.value.get_array().value_unsafe();
          for (cj::element v : sz)
            if (n < 2) hw[n++] = cj::need_number(v, ctx, "segmentation.size");
          has_size = n == 2;
        }
      }
      if (!has_counts || !has_size)
        throw parse_error(detail::concat(ctx, ": 'segmentation' of a result must be a compressed RLE {\"size\": [h, w], \"counts\": str}"));
      std::vector<std::uint32_t> c;
      try {
        c = rle_counts_from_string(counts);
      } catch (const std::invalid_argument& e) {
        throw parse_error(detail::concat(ctx, ": ", e.what()));
      }
      area = static_cast<double>(rle_area(c));
      if (has_bbox) cj::read_box(bbox_el, ctx, bb);
      else rle_to_bbox(c, static_cast<std::uint32_t>(hw[0]), static_cast<std::uint32_t>(hw[1]), bb);
    } else {  // keypoints: box and area from all keypoints, unlabelled ones included
      if (!has_kp) throw coco_missing_field("keypoints", detail::concat(ctx, ": missing field 'keypoints'"));
    }
    kp_tmp.clear();
    if (has_kp) cj::read_keypoints(kp, ctx, kp_tmp);
    if (branch == kpts) {
      if (kp_tmp.empty()) throw parse_error(detail::concat(ctx, ": 'keypoints' is empty"));
      double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
      bool nan = false;
      for (std::size_t j = 0; j < kp_tmp.size(); j += 3) {
        const double x = kp_tmp[j], y = kp_tmp[j + 1];
        nan = nan || x != x || y != y;
        x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
      }
      if (nan) x0 = x1 = y0 = y1 = NAN;  // np.min / np.max propagate NaN
      area = (x1 - x0) * (y1 - y0);
      bb[0] = x0, bb[1] = y0, bb[2] = x1 - x0, bb[3] = y1 - y0;
    }
    if (i == 0) t.keypoint_values = kp_tmp.size();
    if (has_kp && kp_tmp.size() == t.keypoint_values) {
      t.keypoints.insert(t.keypoints.end(), kp_tmp.begin(), kp_tmp.end());
    } else {
      cj::set_missing(t.first_missing_keypoints, i);
      t.keypoints.insert(t.keypoints.end(), t.keypoint_values, NAN);
    }
    t.id.push_back(static_cast<std::int64_t>(i) + 1);
    t.image_id.push_back(img);
    t.category_id.push_back(cat);
    t.bbox.insert(t.bbox.end(), bb, bb + 4);
    t.area.push_back(area);
    t.score.push_back(score);
    if (!has_score) cj::set_missing(t.first_missing_score, i);
    ++i;
  }
  t.iscrowd.assign(t.size(), 0.0);
  t.num_keypoints.assign(t.size(), 0);
  if (t.size() == 0) t.keypoint_values = 0;
  return t;
}

/// Reads and parses a results file (see parse_coco_results).
inline CocoTable load_coco_results(const std::string& path, const CocoGroundTruth& gt, bool allow_empty = false) {
  return parse_coco_results(detail::cocojson::load_file(path), gt, path, allow_empty);
}

/// pycocotools' default parameters for a ground truth: img_ids / cat_ids from its lists.
inline CocoParams coco_params_for(const CocoGroundTruth& gt, IouType type) {
  CocoParams p = CocoParams::defaults(type);
  p.img_ids = gt.image_ids;
  std::sort(p.img_ids.begin(), p.img_ids.end());
  p.cat_ids = gt.category_ids;
  std::sort(p.cat_ids.begin(), p.cat_ids.end());
  return p;
}

}  // namespace locuskit
