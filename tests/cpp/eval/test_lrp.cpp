// Optimal LRP (eval/lrp.hpp) against the LRP-Error repository's stored outputs, bitwise:
// stats[12..18] and the per-class oLRP, components and thresholds (area all, maxDets 100).
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include <locuskit/eval.hpp>

#include "fixture_path.hpp"

#if defined(LOCUSKIT_TEST_HAVE_SIMDJSON)
#include <locuskit/eval/coco_json.hpp>
#include <simdjson.h>

namespace {

std::string lrp_file(const std::string& rel) { return locuskit_test::fixture_path("eval/lrp", "lrp", rel); }

// null in the fixture = NaN.
bool same(double got, simdjson::dom::element want) {
  if (want.is_null()) return std::isnan(got);
  return got == want.get_double().value_unsafe();
}

}  // namespace

TEST_CASE("lrp: lrp_evaluate equals LRP-Error's COCOeval bitwise on every stored case") {
  const std::string expected = lrp_file("expected.json");
  REQUIRE_MESSAGE(!expected.empty(), "tests/data/eval/lrp/expected.json is part of the repository");
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(expected).value_unsafe();
  const char* stat_names[7] = {"oLRP", "oLRP_loc", "oLRP_FP", "oLRP_FN", "oLRP_small", "oLRP_medium", "oLRP_large"};
  int checked = 0;
  simdjson::dom::object cases = doc["cases"].get_object().value_unsafe();
  for (auto c : cases) {
    const std::string id(c.key);
    CAPTURE(id);
    simdjson::dom::element cs = c.value;
    const std::string gt_path = lrp_file(std::string(cs["gt"].get_string().value_unsafe()));
    const std::string dt_path = lrp_file(std::string(cs["dt"].get_string().value_unsafe()));
    if (gt_path.empty() || dt_path.empty()) continue;  // synth_* live in the shared reference only
    auto gt = locuskit::load_coco_ground_truth(gt_path);
    auto dt = locuskit::load_coco_results(dt_path, gt);
    const auto p = locuskit::coco_params_for(gt, locuskit::IouType::bbox);
    const auto ev = locuskit::coco_evaluate(gt.annotations.view(), dt.view(), p, locuskit::Parallel{2}, true);
    const auto r = locuskit::lrp_evaluate(ev, locuskit::Parallel{2});
    simdjson::dom::element res = cs["results"];
    for (int s = 0; s < 7; ++s) {
      CAPTURE(stat_names[s]);
      CHECK(r.stats[s] == res["stats"][stat_names[s]].get_double().value_unsafe());
    }
    const std::size_t a = 0, m = 2;  // area all, maxDets 100
    for (std::size_t k = 0; k < r.K; ++k) {
      simdjson::dom::element pc = res["per_class_all_100"][std::to_string(ev.params.cat_ids[k])];
      const std::size_t cell = (k * r.A + a) * r.M + m;
      CAPTURE(k);
      CHECK(same(r.olrp[cell], pc["olrp"]));
      CHECK(same(r.olrp_loc[cell], pc["olrp_loc"]));
      CHECK(same(r.olrp_fp[cell], pc["olrp_fp"]));
      CHECK(same(r.olrp_fn[cell], pc["olrp_fn"]));
      CHECK(same(r.threshold[cell], pc["lrp_opt_thr"]));
    }
    ++checked;
  }
  CHECK(checked >= 2);
}

#endif  // LOCUSKIT_TEST_HAVE_SIMDJSON

TEST_CASE("lrp: an evaluation without match IoUs is refused") {
  locuskit::CocoEvaluation ev;
  ev.T = 1;
  ev.dt_score = {0.5};
  CHECK_THROWS_AS(locuskit::lrp_evaluate(ev), std::invalid_argument);
}
