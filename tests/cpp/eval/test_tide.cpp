// TIDE (eval/tide.hpp) against tidecv's stored outputs (tests/data/eval/tide, else the shared
// reference): AP, the six main dAP, the two special dAP and the error counts, bitwise.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include <locuskit/eval.hpp>

#include "fixture_path.hpp"

TEST_CASE("fixture_path: the tests/data copy first, then the shared reference, else empty") {
  const std::string local = std::string(LOCUSKIT_TEST_DATA_DIR) + "/eval/tide/expected.json";
  const std::string shared = std::string(LOCUSKIT_SHARED_REFERENCE_DIR) + "/tide/expected.json";
  CHECK(locuskit_test::fixture_path("eval/tide", "tide", "expected.json") == local);
  CHECK(locuskit_test::fixture_path("eval/tide", "tide", "no_such_file.json").empty());
  // Not in tests/data under that name: the shared reference's copy, where the clone has ../shared.
  const bool have_shared = std::ifstream(shared).good();
  CHECK(locuskit_test::fixture_path("eval/no_such_dir", "tide", "expected.json") == (have_shared ? shared : ""));
}

#if defined(LOCUSKIT_TEST_HAVE_SIMDJSON)
#include <locuskit/eval/coco_json.hpp>
#include <simdjson.h>

namespace {

std::string tide_file(const std::string& rel) { return locuskit_test::fixture_path("eval/tide", "tide", rel); }

}  // namespace

TEST_CASE("tide: tide_evaluate equals tidecv bitwise on every stored case (AP, dAP, counts)") {
  const std::string expected = tide_file("expected.json");
  REQUIRE_MESSAGE(!expected.empty(), "tests/data/eval/tide/expected.json is part of the repository");
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(expected).value_unsafe();
  const char* main_names[6] = {"Cls", "Loc", "Both", "Dupe", "Bkg", "Miss"};
  int checked = 0;
  simdjson::dom::object cases = doc["cases"].get_object().value_unsafe();
  for (auto c : cases) {
    const std::string id(c.key);
    CAPTURE(id);
    simdjson::dom::element cs = c.value;
    const std::string gt_path = tide_file(std::string(cs["gt"].get_string().value_unsafe()));
    const std::string dt_path = tide_file(std::string(cs["dt"].get_string().value_unsafe()));
    if (gt_path.empty() || dt_path.empty()) continue;  // synth_* live in the shared reference only
    auto gt = locuskit::load_coco_ground_truth(gt_path);
    auto dt = locuskit::load_coco_results(dt_path, gt);
    simdjson::dom::element res = cs["results"];
    for (int threads : {1, 3}) {
      const auto r = locuskit::tide_evaluate(gt.annotations.view(), dt.view(), gt.image_ids, {},
                                             locuskit::Parallel{threads});
      CHECK(r.ap == res["AP50"].get_double().value_unsafe());
      for (int e = 0; e < 6; ++e) {
        CAPTURE(main_names[e]);
        CHECK(r.main_dap[e] == res["main_errors_dAP"][main_names[e]].get_double().value_unsafe());
        CHECK(r.error_counts[e] == res["error_counts"][main_names[e]].get_uint64().value_unsafe());
      }
      CHECK(r.special_dap[0] == res["special_errors_dAP"]["FalsePos"].get_double().value_unsafe());
      CHECK(r.special_dap[1] == res["special_errors_dAP"]["FalseNeg"].get_double().value_unsafe());
      for (std::size_t k = 0; k < r.class_ids.size(); ++k)
        if (r.class_counted[k])
          CHECK(r.class_ap[k] == res["per_class_AP50"][std::to_string(r.class_ids[k])].get_double().value_unsafe());
    }
    // evaluate_range: AP at each threshold, as separate AP-only runs and in one call.
    simdjson::dom::object per_t = res["AP_per_threshold"].get_object().value_unsafe();
    locuskit::TideParams all;
    std::vector<double> want;
    for (auto t : per_t) {
      locuskit::TideParams p;
      p.pos_thresh = std::stod(std::string(t.key));
      p.run_errors = false;
      CHECK(locuskit::tide_evaluate(gt.annotations.view(), dt.view(), gt.image_ids, p).ap ==
            t.value.get_double().value_unsafe());
      all.ap_thresholds.push_back(p.pos_thresh);
      want.push_back(t.value.get_double().value_unsafe());
    }
    CHECK(locuskit::tide_evaluate(gt.annotations.view(), dt.view(), gt.image_ids, all).ap_at_thresholds == want);
    ++checked;
  }
  CHECK(checked >= 1);
}

#endif  // LOCUSKIT_TEST_HAVE_SIMDJSON

TEST_CASE("tide: every error type on a hand-made image, and crowd regions absorb detections") {
  // One image, GT: class 1 box A at (0,0,10,10), class 2 box B at (20,0,10,10), crowd class 1 at (40,0,20,20).
  const std::vector<std::int64_t> gid{1, 2, 3}, gimg{7, 7, 7}, gcat{1, 2, 1};
  const std::vector<double> gbox{0, 0, 10, 10, 20, 0, 10, 10, 40, 0, 20, 20}, garea{100, 100, 400}, gcrowd{0, 0, 1};
  // Detections (score order): TP on A; dupe on A; class-2 on A (Cls, but A is used: fix removes it);
  // class 2 on B shifted (Loc, IoU 1/3); inside the crowd (ignored); far away (Bkg).
  const std::vector<std::int64_t> did{1, 2, 3, 4, 5, 6}, dimg{7, 7, 7, 7, 7, 7}, dcat{1, 1, 2, 2, 1, 1};
  const std::vector<double> dbox{0, 0, 10, 10, 0, 0, 10, 9, 0, 0, 10, 10, 25, 0, 10, 10, 45, 5, 5, 5, 100, 100, 5, 5};
  const std::vector<double> dscore{0.9, 0.8, 0.7, 0.6, 0.5, 0.4}, darea{100, 90, 100, 100, 25, 25};
  locuskit::CocoAnnotations g, d;
  g.size = 3, g.id = gid.data(), g.image_id = gimg.data(), g.category_id = gcat.data(), g.bbox = gbox.data(),
  g.area = garea.data(), g.iscrowd = gcrowd.data();
  d.size = 6, d.id = did.data(), d.image_id = dimg.data(), d.category_id = dcat.data(), d.bbox = dbox.data(),
  d.area = darea.data(), d.score = dscore.data();
  const auto r = locuskit::tide_evaluate(g, d, {7});
  using E = locuskit::TideError;
  CHECK(r.dt_error == std::vector<E>{E::none, E::dupe, E::cls, E::loc, E::bkg, E::bkg});
  CHECK(r.dt_ignored == std::vector<std::uint8_t>{0, 0, 0, 0, 1, 0});
  CHECK(r.dt_gt == std::vector<std::int64_t>{0, 0, 0, 1, -1, -1});
  CHECK(r.gt_error == std::vector<E>{E::none, E::fixable, E::not_evaluated});
  CHECK(r.error_counts[locuskit::tide_error_index(E::miss)] == 0);
}
