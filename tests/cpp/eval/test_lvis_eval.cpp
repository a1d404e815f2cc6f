// LVIS federated evaluation against the lvis API's LVISEval (stored outputs, bitwise), plus
// determinism across thread counts and the loader's errors.
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <string>

#include <locuskit/eval.hpp>

#include "test_support.hpp"

#if defined(LOCUSKIT_TEST_HAVE_SIMDJSON)
#include <locuskit/eval/lvis_json.hpp>

namespace {

const std::string kLocal = std::string(LOCUSKIT_TEST_DATA_DIR) + "/eval/lvis";
const std::string kShared = std::string(LOCUSKIT_SHARED_REFERENCE_DIR) + "/lvis";

bool exists(const std::string& p) { return std::ifstream(p).good(); }

bool same_vec(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// Checks every case of one expected.json; returns how many were checked.
int check_cases(const std::string& root) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(root + "/expected.json").value_unsafe();
  simdjson::dom::object cases = doc["cases"].get_object().value_unsafe();
  int checked = 0;
  for (auto c : cases) {
    const std::string id(c.key);
    CAPTURE(id);
    simdjson::dom::object cs = c.value.get_object().value_unsafe();
    const std::string type(cs["iou_type"].get_string().value_unsafe());
    const auto gt = locuskit::load_lvis_ground_truth(root + "/" + std::string(cs["gt"].get_string().value_unsafe()),
                                                     type == "segm");
    const auto dt = locuskit::load_coco_results(root + "/" + std::string(cs["dt"].get_string().value_unsafe()), gt.coco);
    const auto p = locuskit::lvis_params_for(gt, type == "segm" ? locuskit::IouType::segm : locuskit::IouType::bbox);
    const auto ev = locuskit::lvis_evaluate(gt.coco.annotations.view(), dt.view(), gt.labels, p, locuskit::Parallel{1});
    const auto acc = locuskit::coco_accumulate(ev.coco);
    const auto sum = locuskit::lvis_summarize(acc, ev);
    simdjson::dom::object want = cs["results"].get_object().value_unsafe();
    std::size_t j = 0;
    for (auto kv : want) {
      REQUIRE(j < sum.keys.size());
      CHECK(sum.keys[j] == std::string(kv.key));
      CAPTURE(sum.keys[j]);
      CHECK(locuskit::test::same_bits(sum.values[j], kv.value.get_double().value_unsafe()));
      ++j;
    }
    CHECK(j == sum.keys.size());
    CHECK(ev.results_after_cap == std::size_t(cs["num_results_after_cap"].get_int64().value_unsafe()));
    CHECK(ev.dt_evaluated == std::size_t(cs["num_dt_evaluated"].get_int64().value_unsafe()));
    CHECK(ev.gt_evaluated == std::size_t(cs["num_gt_evaluated"].get_int64().value_unsafe()));
    // Per-category AP (mean of precision[:, :, k, all] over cells > -1) and frequency groups.
    simdjson::dom::object per_cat = cs["per_category_AP"].get_object().value_unsafe();
    for (auto kv : per_cat) {
      const std::int64_t cat = std::stoll(std::string(kv.key));
      const auto& ids = ev.params.coco.cat_ids;
      const std::size_t k = std::size_t(std::lower_bound(ids.begin(), ids.end(), cat) - ids.begin());
      REQUIRE(k < ids.size());
      CHECK(locuskit::test::same_bits(locuskit::lvis_category_ap(acc, k), kv.value.get_double().value_unsafe()));
    }
    simdjson::dom::object groups = cs["freq_groups"].get_object().value_unsafe();
    std::size_t g = 0;
    for (auto kv : groups) {
      simdjson::dom::array members = kv.value.get_array().value_unsafe();
      std::size_t m = 0;
      for (auto cat : members) {
        REQUIRE(m < ev.freq_groups[g].size());
        CHECK(ev.params.coco.cat_ids[ev.freq_groups[g][m++]] == cat.get_int64().value_unsafe());
      }
      CHECK(m == ev.freq_groups[g].size());
      ++g;
    }
    // Same bits with several threads.
    const auto ev3 = locuskit::lvis_evaluate(gt.coco.annotations.view(), dt.view(), gt.labels, p, locuskit::Parallel{3});
    const auto acc3 = locuskit::coco_accumulate(ev3.coco, nullptr, locuskit::Parallel{3});
    CHECK(same_vec(acc3.precision, acc.precision));
    CHECK(same_vec(acc3.recall, acc.recall));
    ++checked;
  }
  return checked;
}

}  // namespace

TEST_CASE("lvis: lvis_evaluate equals LVISEval bitwise on the stored cases (tests/data)") {
  REQUIRE(exists(kLocal + "/expected.json"));
  CHECK(check_cases(kLocal) == 3);
}

TEST_CASE("lvis: lvis_evaluate equals LVISEval bitwise on the shared reference (real val subset, segm, heavy)") {
  if (!exists(kShared + "/expected.json")) {
    MESSAGE("../shared/reference/lvis absent, skipped");
    return;
  }
  CHECK(check_cases(kShared) >= 6);
}

TEST_CASE("lvis: federated rules on a hand-built case") {
  // Image 1: cat 1 positive (two GT, one ignore:1), cat 2 negative, cat 3 unlabeled, cat 4
  // not exhaustive (one GT). Image 2: only a GT of area 0 (does not exist for evaluation).
  const simdjson::padded_string text(std::string(R"({
    "images":[{"id":1,"neg_category_ids":[2],"not_exhaustive_category_ids":[4]},
              {"id":2,"neg_category_ids":[],"not_exhaustive_category_ids":[]}],
    "categories":[{"id":1,"frequency":"f"},{"id":2,"frequency":"c"},{"id":3,"frequency":"r"},{"id":4,"frequency":"r"}],
    "annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,10,10],"area":100},
                   {"id":2,"image_id":1,"category_id":1,"bbox":[50,50,10,10],"area":100,"ignore":1},
                   {"id":3,"image_id":1,"category_id":4,"bbox":[20,20,10,10],"area":100},
                   {"id":4,"image_id":2,"category_id":1,"bbox":[0,0,10,10],"area":0}]})"));
  const auto gt = locuskit::parse_lvis_ground_truth(text);
  REQUIRE(gt.labels.gt_ignore.size() == 4);
  CHECK(gt.labels.gt_ignore[1] == 1);
  const auto dt = locuskit::parse_coco_results(simdjson::padded_string(std::string(R"([
    {"image_id":1,"category_id":1,"bbox":[0,0,10,10],"score":0.9},
    {"image_id":1,"category_id":1,"bbox":[50,50,10,10],"score":0.8},
    {"image_id":1,"category_id":2,"bbox":[0,0,10,10],"score":0.7},
    {"image_id":1,"category_id":3,"bbox":[0,0,10,10],"score":0.6},
    {"image_id":1,"category_id":4,"bbox":[80,80,10,10],"score":0.5},
    {"image_id":2,"category_id":1,"bbox":[0,0,10,10],"score":0.4}])")),
                                               gt.coco);
  const auto p = locuskit::lvis_params_for(gt, locuskit::IouType::bbox);
  const auto ev = locuskit::lvis_evaluate(gt.coco.annotations.view(), dt.view(), gt.labels, p);
  CHECK(ev.gt_evaluated == 3);           // the area-0 GT is gone
  CHECK(ev.results_after_cap == 6);
  CHECK(ev.dt_evaluated == 4);           // unlabeled cat 3 and image 2's cat 1 dropped
  const auto acc = locuskit::coco_accumulate(ev.coco);
  // cat 1: one TP, the det on the ignored GT is ignored -> AP 1 (within eps); cat 2: no GT -> -1;
  // cat 4: the unmatched det is ignored (not exhaustive), the GT is missed -> recall 0.
  CHECK(locuskit::lvis_category_ap(acc, 0) == doctest::Approx(1.0));  // 1 / (1 + eps)
  CHECK(locuskit::lvis_category_ap(acc, 1) == -1.0);
  CHECK(locuskit::lvis_category_ap(acc, 3) == 0.0);
  CHECK(acc.recall[(0 * acc.K + 3) * acc.A + 0] == 0.0);
  const auto sum = locuskit::lvis_summarize(acc, ev);
  CHECK(sum.keys.at(9) == "AR@300");
  CHECK(sum.lines.at(6) ==
        " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=300 catIds=  r] = 0.000");
  // The cap keeps the best `max_dets` per image across categories, ties in file order.
  auto p1 = p;
  p1.max_dets = 1;
  const auto ev1 = locuskit::lvis_evaluate(gt.coco.annotations.view(), dt.view(), gt.labels, p1);
  CHECK(ev1.results_after_cap == 2);
  CHECK(ev1.dt_evaluated == 1);
}

TEST_CASE("lvis: loader and parameter errors") {
  const simdjson::padded_string no_neg(std::string(
      R"({"images":[{"id":1,"not_exhaustive_category_ids":[]}],"categories":[{"id":1,"frequency":"f"}],"annotations":[]})"));
  CHECK_THROWS_AS(locuskit::parse_lvis_ground_truth(no_neg), locuskit::coco_missing_field);
  const simdjson::padded_string no_freq(std::string(
      R"({"images":[{"id":1,"neg_category_ids":[],"not_exhaustive_category_ids":[]}],"categories":[{"id":1}],"annotations":[]})"));
  const auto gt = locuskit::parse_lvis_ground_truth(no_freq);
  const locuskit::CocoTable none;
  const auto p = locuskit::lvis_params_for(gt, locuskit::IouType::bbox);
  CHECK_THROWS_AS(locuskit::lvis_evaluate(gt.coco.annotations.view(), none.view(), gt.labels, p), std::invalid_argument);
  const auto pk = locuskit::lvis_params_for(gt, locuskit::IouType::keypoints);
  CHECK_THROWS_AS(locuskit::lvis_evaluate(gt.coco.annotations.view(), none.view(), gt.labels, pk), std::invalid_argument);
  const simdjson::padded_string bad_list(std::string(
      R"({"images":[{"id":1,"neg_category_ids":3,"not_exhaustive_category_ids":[]}],"categories":[],"annotations":[]})"));
  CHECK_THROWS_AS(locuskit::parse_lvis_ground_truth(bad_list), locuskit::parse_error);
}

#endif  // LOCUSKIT_TEST_HAVE_SIMDJSON
