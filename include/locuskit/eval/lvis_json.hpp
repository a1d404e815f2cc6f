#pragma once
/// \file lvis_json.hpp
/// Loading LVIS ground-truth files (requires simdjson, like coco_json.hpp): the COCO part
/// (images, categories, annotations as `CocoGroundTruth`) plus the federated labels
/// (`neg_category_ids`, `not_exhaustive_category_ids` per image, `frequency` per category,
/// `ignore` per annotation) as `LvisLabels`. Results files are COCO results files
/// (`load_coco_results(path, gt.coco)`).
#include <string>

#include "coco_json.hpp"
#include "lvis_eval.hpp"

namespace locuskit {

/// An LVIS ground truth: its COCO tables and its federated labels.
struct LvisGroundTruth {
  CocoGroundTruth coco;
  LvisLabels labels;
};

namespace detail {
namespace lvisjson {

namespace cj = detail::cocojson;

// Appends the integer ids of a JSON list (`field` of images[i]) to `out`.
inline void read_id_list(cj::element e, const cj::Ctx& ctx, const char* field, std::vector<std::int64_t>& out) {
  if (e.type() != cj::element_type::ARRAY)
    throw parse_error(detail::concat(ctx, ": '", field, "' must be a list of category ids"));
  const simdjson::dom::array items = e.get_array().value_unsafe();
  for (cj::element v : items) out.push_back(cj::need_id(v, ctx, field));
}

inline LvisLabels labels_from(cj::element doc, const std::string& name) {
  LvisLabels lab;
  simdjson::dom::object root = doc.get_object().value_unsafe();
  for (auto field : root) {
    const bool images = field.key == "images", cats = field.key == "categories", anns = field.key == "annotations";
    if (!images && !cats && !anns) continue;
    const char* lname = images ? "images" : cats ? "categories" : "annotations";
    std::size_t i = 0;
    const simdjson::dom::array items = field.value.get_array().value_unsafe();  // shape checked by the COCO pass
    for (cj::element item : items) {
      const cj::Ctx ctx{&name, lname, i++};
      simdjson::dom::object obj = item.get_object().value_unsafe();
      if (images) {
        bool has_neg = false, has_ne = false;
        for (auto f : obj) {
          if (f.key == "id") lab.image_ids.push_back(cj::need_id(f.value, ctx, "id"));
          else if (f.key == "neg_category_ids") has_neg = true, read_id_list(f.value, ctx, "neg_category_ids", lab.neg_category_ids);
          else if (f.key == "not_exhaustive_category_ids")
            has_ne = true, read_id_list(f.value, ctx, "not_exhaustive_category_ids", lab.not_exhaustive_category_ids);
        }
        if (!has_neg) throw coco_missing_field("neg_category_ids", detail::concat(ctx, ": missing field 'neg_category_ids'"));
        if (!has_ne)
          throw coco_missing_field("not_exhaustive_category_ids",
                                   detail::concat(ctx, ": missing field 'not_exhaustive_category_ids'"));
        lab.neg_offset.push_back(lab.neg_category_ids.size());
        lab.not_exhaustive_offset.push_back(lab.not_exhaustive_category_ids.size());
      } else if (cats) {
        std::string freq;
        for (auto f : obj) {
          if (f.key == "id") lab.category_ids.push_back(cj::need_id(f.value, ctx, "id"));
          else if (f.key == "frequency") {
            if (f.value.type() != cj::element_type::STRING)
              throw parse_error(detail::concat(ctx, ": 'frequency' must be a string ('r', 'c' or 'f')"));
            freq = std::string(std::string_view(f.value));
          }
        }
        lab.frequency.push_back(std::move(freq));
      } else {
        std::uint8_t ign = 0;
        for (auto f : obj)
          if (f.key == "ignore") {
            if (f.value.type() == cj::element_type::BOOL) ign = bool(f.value);
            else ign = cj::need_number(f.value, ctx, "ignore") != 0;  // the API tests truthiness
          }
        lab.gt_ignore.push_back(ign);
      }
    }
  }
  return lab;
}

}  // namespace lvisjson
}  // namespace detail

/// Parses an LVIS ground-truth JSON text (the COCO format plus the federated fields). Every
/// image needs `neg_category_ids` and `not_exhaustive_category_ids` (coco_missing_field, the
/// API's KeyError); a category without `frequency` is reported when evaluated. `masks` false
/// skips the segmentations (enough for bbox evaluation; polygons are not rasterised). O(file
/// size). Thread-safe (own parser).
inline LvisGroundTruth parse_lvis_ground_truth(const simdjson::padded_string& text,
                                               const std::string& name = "ground truth", bool masks = true) {
  simdjson::dom::parser parser;
  detail::cocojson::element doc = detail::cocojson::parse(parser, text, name);
  LvisGroundTruth gt;
  gt.coco = detail::cocojson::ground_truth_from(doc, name, masks);
  gt.labels = detail::lvisjson::labels_from(doc, name);
  return gt;
}

/// Reads and parses an LVIS ground-truth file (see parse_lvis_ground_truth).
inline LvisGroundTruth load_lvis_ground_truth(const std::string& path, bool masks = true) {
  return parse_lvis_ground_truth(detail::cocojson::load_file(path), path, masks);
}

/// The LVIS API's parameters for a ground truth (sorted unique image and category ids).
inline LvisParams lvis_params_for(const LvisGroundTruth& gt, IouType type) {
  return lvis_params_for(gt.coco.image_ids, gt.coco.category_ids, type);
}

}  // namespace locuskit
