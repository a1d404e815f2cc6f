// COCO evaluation against pycocotools 2.0.11's stored statistics (bitwise), plus determinism
// across thread counts and the loader's error behaviour.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <locuskit/eval.hpp>

#include "test_support.hpp"

#if defined(LOCUSKIT_TEST_HAVE_SIMDJSON)
#include <locuskit/eval/coco_json.hpp>

namespace {

const std::string kLocal = std::string(LOCUSKIT_TEST_DATA_DIR) + "/eval/detection";
const std::string kShared = std::string(LOCUSKIT_SHARED_REFERENCE_DIR) + "/detection";

bool same_vec(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

bool exists(const std::string& p) { return std::ifstream(p).good(); }

// A reference file from the lean local copy, else from the shared reference; "" if neither.
std::string ref_file(const std::string& rel) {
  for (const std::string& root : {kLocal, kShared})
    if (exists(root + "/" + rel)) return root + "/" + rel;
  return "";
}

std::vector<double> doubles(simdjson::dom::element e) {
  std::vector<double> v;
  simdjson::dom::array arr = e.get_array().value_unsafe();
  for (auto x : arr) v.push_back(x.get_double().value_unsafe());
  return v;
}

// Applies expected.json's non_default_params to p.
void apply_params(locuskit::CocoParams& p, simdjson::dom::object nd) {
  for (auto f : nd) {
    if (f.key == "iouThrs") p.iou_thrs = doubles(f.value);
    else if (f.key == "recThrs") p.rec_thrs = doubles(f.value);
    else if (f.key == "maxDets") {
      p.max_dets.clear();
      for (double v : doubles(f.value)) p.max_dets.push_back(static_cast<std::int64_t>(v));
    } else if (f.key == "useCats") p.use_cats = f.value.get_int64().value_unsafe() != 0;
    else if (f.key == "areaRng") {
      p.area_rng.clear();
      simdjson::dom::array ranges = f.value.get_array().value_unsafe();
      for (auto r : ranges) {
        auto v = doubles(r);
        p.area_rng.push_back({v[0], v[1]});
      }
    } else if (f.key == "areaRngLbl") {
      p.area_rng_lbl.clear();
      simdjson::dom::array labels = f.value.get_array().value_unsafe();
      for (auto s : labels) p.area_rng_lbl.emplace_back(std::string_view(s));
    } else {
      FAIL("unknown parameter ", std::string(f.key));
    }
  }
}

}  // namespace

TEST_CASE("eval: coco_evaluate stats equal pycocotools bitwise on every stored bbox/segm/keypoints case") {
  const std::string expected = ref_file("expected.json");
  if (expected.empty()) {
    MESSAGE("reference data not found (tests/data/eval or ../shared/reference), skipped");
    return;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(expected).value_unsafe();
  int checked = 0;
  simdjson::dom::object cases = doc["cases"].get_object().value_unsafe();
  for (auto c : cases) {
    const std::string id(c.key);
    simdjson::dom::object cs = c.value.get_object().value_unsafe();
    const std::string type(cs["iouType"].get_string().value_unsafe());
    if (cs["gt"].is_null() || !cs["gt_transform"].is_null() || !cs["dt_transform"].is_null())
      continue;
    if (cs["error"].error() == simdjson::SUCCESS) continue;  // pycocotools raised
    if (cs["stats"].is_null()) continue;
    CAPTURE(id);
    const std::string gt_path = ref_file(std::string(cs["gt"].get_string().value_unsafe()));
    const std::string dt_path = ref_file(std::string(cs["dt"].get_string().value_unsafe()));
    if (gt_path.empty() || dt_path.empty()) continue;  // bulky synthetic cases live in the shared reference only
    auto gt = locuskit::load_coco_ground_truth(gt_path);
    auto dt = locuskit::load_coco_results(dt_path, gt);
    auto p = locuskit::coco_params_for(gt, type == "keypoints" ? locuskit::IouType::keypoints
                                           : type == "segm"    ? locuskit::IouType::segm
                                                               : locuskit::IouType::bbox);
    apply_params(p, cs["non_default_params"].get_object().value_unsafe());
    const auto ev = locuskit::coco_evaluate(gt.annotations.view(), dt.view(), p, locuskit::Parallel{1});
    const auto acc = locuskit::coco_accumulate(ev);
    const auto sum = locuskit::coco_summarize(acc, ev.params);
    const auto want = doubles(cs["stats"]);
    REQUIRE(sum.stats.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      CAPTURE(i);
      CHECK(locuskit::test::same_bits(sum.stats[i], want[i]));
    }
    std::size_t li = 0;
    simdjson::dom::array lines = cs["summary_lines"].get_array().value_unsafe();
    for (auto line : lines)
      CHECK(sum.lines.at(li++) == std::string(std::string_view(line)));
    // Same bits with several threads.
    const auto ev3 = locuskit::coco_evaluate(gt.annotations.view(), dt.view(), p, locuskit::Parallel{3});
    const auto acc3 = locuskit::coco_accumulate(ev3, nullptr, locuskit::Parallel{3});
    CHECK(same_vec(acc3.precision, acc.precision));
    CHECK(same_vec(acc3.recall, acc.recall));
    CHECK(same_vec(acc3.scores, acc.scores));
    ++checked;
  }
  CHECK(checked >= (exists(kShared + "/expected.json") ? 30 : 20));
  MESSAGE("cases checked: ", checked);
}

TEST_CASE("eval: loader errors mirror pycocotools") {
  const simdjson::padded_string gt_text(std::string(
      R"({"images":[{"id":1}],"categories":[{"id":1}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,2,2],"area":4,"iscrowd":0}]})"));
  const auto gt = locuskit::parse_coco_ground_truth(gt_text);
  CHECK(gt.annotations.size() == 1);
  CHECK_THROWS_AS(locuskit::parse_coco_results(simdjson::padded_string(std::string("[]")), gt),
                  locuskit::coco_empty_results);
  CHECK(locuskit::parse_coco_results(simdjson::padded_string(std::string("[]")), gt, "r", true).size() == 0);
  CHECK_THROWS_AS(locuskit::parse_coco_results(simdjson::padded_string(std::string(
                                                   R"([{"image_id":2,"category_id":1,"bbox":[0,0,1,1],"score":1}])")),
                                               gt),
                  locuskit::coco_results_mismatch);
  CHECK_THROWS_AS(locuskit::parse_coco_results(simdjson::padded_string(std::string(
                                                   R"([{"image_id":"1","category_id":1,"bbox":[0,0,1,1],"score":1}])")),
                                               gt),
                  locuskit::coco_results_mismatch);
  CHECK_THROWS_AS(locuskit::parse_coco_results(
                      simdjson::padded_string(std::string(R"([{"category_id":1,"bbox":[0,0,1,1],"score":1}])")), gt),
                  locuskit::coco_missing_field);
  CHECK_THROWS_AS(locuskit::parse_coco_results(simdjson::padded_string(std::string(R"([{"image_id":1,)")), gt),
                  locuskit::parse_error);
  const auto r = locuskit::parse_coco_results(
      simdjson::padded_string(std::string(R"([{"image_id":1,"category_id":1,"bbox":[0,0,2,3]}])")), gt);
  CHECK(r.first_missing_score == 0);  // pycocotools fails only when evaluate() reads it
  CHECK(r.area[0] == 6.0);
  CHECK(r.id[0] == 1);
  auto p = locuskit::coco_params_for(gt, locuskit::IouType::bbox);
  CHECK_THROWS_AS(locuskit::coco_evaluate(gt.annotations.view(), r.view(), p), std::invalid_argument);
  p.max_dets.clear();
  const auto r2 = locuskit::parse_coco_results(
      simdjson::padded_string(std::string(R"([{"image_id":1,"category_id":1,"bbox":[0,0,2,3],"score":0.5}])")), gt);
  CHECK_THROWS_AS(locuskit::coco_evaluate(gt.annotations.view(), r2.view(), p), std::out_of_range);
}
TEST_CASE("eval: num_keypoints of any number loads without UB; only == 0 ignores (the 1 h fuzz run's finding)") {
  // 8.9e34 was cast to int64 (undefined behaviour, UBSan); 0.5 was truncated to 0, which made the
  // GT ignored where pycocotools' `num_keypoints == 0` is False.
  const simdjson::padded_string gt_text(std::string(
      R"({"images":[{"id":1}],"categories":[{"id":1}],"annotations":[)"
      R"({"id":1,"image_id":1,"category_id":1,"bbox":[0,0,2,2],"area":4,"iscrowd":0,"num_keypoints":88888888888888888888888888888887384.69},)"
      R"({"id":2,"image_id":1,"category_id":1,"bbox":[0,0,2,2],"area":4,"iscrowd":0,"num_keypoints":0.5},)"
      R"({"id":3,"image_id":1,"category_id":1,"bbox":[0,0,2,2],"area":4,"iscrowd":0,"num_keypoints":0.0},)"
      R"({"id":4,"image_id":1,"category_id":1,"bbox":[0,0,2,2],"area":4,"iscrowd":0,"num_keypoints":-3}]})"));
  const auto gt = locuskit::parse_coco_ground_truth(gt_text);
  REQUIRE(gt.annotations.num_keypoints.size() == 4);
  CHECK(gt.annotations.num_keypoints[0] != 0);
  CHECK(gt.annotations.num_keypoints[1] != 0);
  CHECK(gt.annotations.num_keypoints[2] == 0);
  CHECK(gt.annotations.num_keypoints[3] == -3);
}

TEST_CASE("eval: results are streamed with Python json's number rules, across chunk boundaries") {
  const simdjson::padded_string gt_text(std::string(
      R"({"images":[{"id":1},{"id":2}],"categories":[{"id":1}],"annotations":[]})"));
  const auto gt = locuskit::parse_coco_ground_truth(gt_text);
  // NaN / Infinity literals, 1e400, an integer past 2^64, escapes in keys, a float id equal to an integer.
  const std::string text =
      R"([{"image_id":1,"category_id":1,"bbox":[0,0,18446744073709551616,2],"score":NaN},)"
      R"({"image_id":2.0,"category_id":1,"b\u0062ox":[1e400,-1e400,1e-400,-Infinity],"score":Infinity,)"
      R"("extra":{"a":[1,{"b":null}],"c":"\"x\\"},"segmentation":[[1,2,3]]}])";
  const auto t = locuskit::parse_coco_results(text, gt);
  REQUIRE(t.size() == 2);
  CHECK(std::isnan(t.score[0]));
  CHECK(t.bbox[2] == 18446744073709551616.0);
  CHECK(t.image_id[1] == 2);
  CHECK(t.bbox[4] == INFINITY);
  CHECK(t.bbox[5] == -INFINITY);
  CHECK((t.bbox[6] == 0 && !std::signbit(t.bbox[6])));
  CHECK(t.score[1] == INFINITY);
  CHECK(t.id[1] == 2);
  // Malformed input names the line; trailing data and unterminated lists are errors.
  try {
    locuskit::parse_coco_results(std::string("[\n{\"image_id\":1,\n\"category_id\":1 \"bbox\":[]}]"), gt, "r.json");
    FAIL("no error");
  } catch (const locuskit::parse_error& e) {
    CHECK(std::string(e.what()).find("r.json: malformed JSON at line 3") != std::string::npos);
  }
  CHECK_THROWS_AS(locuskit::parse_coco_results(std::string("[] x"), gt, "r", true), locuskit::parse_error);
  CHECK_THROWS_AS(locuskit::parse_coco_results(std::string("[{\"image_id\":1"), gt), locuskit::parse_error);
  CHECK_THROWS_AS(locuskit::parse_coco_results(std::string("[{\"image_id\":01}]"), gt), locuskit::parse_error);
  CHECK_THROWS_AS(locuskit::parse_coco_results(std::string(R"([{"image_id":1,"category_id":1.5,"bbox":[0,0,1,1]}])"), gt),
                  locuskit::parse_error);
  CHECK_THROWS_AS(locuskit::parse_coco_results(std::string(R"([{"image_id":9223372036854775808,"category_id":1,"bbox":[0,0,1,1]}])"), gt),
                  locuskit::coco_results_mismatch);
  // A file larger than the 1 MiB read chunk, with tokens cut at every offset modulo the result size.
  std::string big = "[";
  for (int i = 0; i < 30000; ++i) {
    if (i) big += ",\n";
    big += R"({"image_id":)" + std::to_string(1 + i % 2) + R"(,"category_id":1,"bbox":[)" + std::to_string(i) +
           ".25,2.5,3e1,4E-1],\"score\":0." + std::to_string(100000 + i) + R"(,"name":"r\u00e9sultat )" +
           std::to_string(i) + "\"}";
  }
  big += "]";
  const std::string path = "coco_stream_test_results.json";
  std::ofstream(path, std::ios::binary) << big;
  const auto f = locuskit::load_coco_results(path, gt);
  const auto m = locuskit::parse_coco_results(big, gt);
  std::remove(path.c_str());
  REQUIRE(f.size() == 30000);
  CHECK(same_vec(f.bbox, m.bbox));
  CHECK(same_vec(f.score, m.score));
  CHECK(f.bbox[4 * 29999] == 29999.25);
  CHECK(f.score[29999] == 0.129999);
  CHECK(f.bbox[3] == 0.4);
}

TEST_CASE("eval: coco_params_for keeps each image id once, as pycocotools' imgs dict (regression)") {
  // pycocotools: params.imgIds = sorted(getImgIds()) = the keys of the id-keyed imgs dict; the
  // categories list is read as is (a repeated id stays repeated, which counts with useCats=0).
  const auto gt = locuskit::parse_coco_ground_truth(simdjson::padded_string(std::string(
      R"({"images":[{"id":3},{"id":1},{"id":3}],"categories":[{"id":2},{"id":2}],"annotations":[]})")));
  const auto p = locuskit::coco_params_for(gt, locuskit::IouType::bbox);
  CHECK(p.img_ids == std::vector<std::int64_t>{1, 3});
  CHECK(p.cat_ids == std::vector<std::int64_t>{2, 2});
}

TEST_CASE("eval: the segmentation column converts polygons and RLE at load, as pycocotools' annToRLE") {
  // One 30 x 20 image; the same rectangle as a polygon, as uncompressed RLE and as compressed RLE
  // (counts from pycocotools: frPyObjects([[2,2,12,2,12,7,2,7]], 20, 30) then merge).
  const auto poly = locuskit::rle_from_polygon(std::vector<double>{2, 2, 12, 2, 12, 7, 2, 7}.data(), 4, 20, 30);
  std::string unc = "[";
  for (std::size_t i = 0; i < poly.counts.size(); ++i) unc += (i ? "," : "") + std::to_string(poly.counts[i]);
  unc += "]";
  const std::string str = locuskit::rle_to_string(poly.counts);
  const std::string head = R"({"images":[{"id":1,"height":20,"width":30}],"categories":[{"id":1}],"annotations":[)";
  const std::string ann = R"({"id":1,"image_id":1,"category_id":1,"area":50,"iscrowd":0,"segmentation":)";
  const std::string text = head + ann + R"([[2,2,12,2,12,7,2,7]]},)" + ann + R"({"size":[20,30],"counts":)" + unc +
                           "}}," + ann + R"({"size":[20,30],"counts":")" + str + R"("}},)" + ann +
                           R"([[2,2,12,2]]},)" + R"({"id":5,"image_id":1,"category_id":1,"area":50,"iscrowd":0}]})";
  const auto gt = locuskit::parse_coco_ground_truth(simdjson::padded_string(text));
  const auto& t = gt.annotations;
  REQUIRE(t.size() == 5);
  for (std::size_t n = 0; n < 3; ++n) {
    CAPTURE(n);
    CHECK(t.segm_kind[n] == locuskit::segm_rle);
    CHECK(std::vector<std::uint32_t>(t.segm_counts.begin() + t.segm_offset[n], t.segm_counts.begin() + t.segm_offset[n + 1]) ==
          poly.counts);
    CHECK(t.segm_size[2 * n] == 20);
    CHECK(t.segm_size[2 * n + 1] == 30);
  }
  CHECK(t.segm_kind[3] == locuskit::segm_invalid);  // 4 numbers: pycocotools reads a box (TypeError)
  CHECK(t.first_invalid_segmentation == 3);
  CHECK(t.segm_kind[4] == locuskit::segm_missing);
  // A result with a box and no segmentation: loadRes' 4-corner polygon, at its image's size.
  const auto r = locuskit::parse_coco_results(
      simdjson::padded_string(std::string(R"([{"image_id":1,"category_id":1,"bbox":[2,2,10,5],"score":0.9}])")), gt);
  REQUIRE(r.segm_kind.size() == 1);
  CHECK(r.segm_kind[0] == locuskit::segm_box);
  CHECK(r.segm_size[0] == 20);
  // segm evaluation: the missing / invalid rows are refused; without them the box matches exactly.
  auto p = locuskit::coco_params_for(gt, locuskit::IouType::segm);
  CHECK_THROWS_AS(locuskit::coco_evaluate(t.view(), r.view(), p), std::invalid_argument);
  locuskit::CocoTable first = t;
  first.id.resize(1), first.image_id.resize(1), first.category_id.resize(1), first.area.resize(1);
  first.iscrowd.resize(1), first.bbox.resize(4), first.segm_kind.resize(1), first.segm_offset.resize(2);
  first.segm_size.resize(2), first.num_keypoints.resize(1), first.score.resize(1);
  first.first_missing_bbox = -1;
  const auto ev = locuskit::coco_evaluate(first.view(), r.view(), p);
  const auto acc = locuskit::coco_accumulate(ev);
  CHECK(acc.recall[0] == 1.0);  // IoU 1 at every threshold
  p.iou_type = locuskit::IouType::boundary;
  CHECK(locuskit::coco_accumulate(locuskit::coco_evaluate(first.view(), r.view(), p)).recall[0] == 1.0);
}

TEST_CASE("eval: iouType boundary equals the boundary-iou-api's COCOeval bitwise (stored stats)") {
  const std::string dir = std::string(LOCUSKIT_SHARED_REFERENCE_DIR) + "/masks/boundary_iou";
  if (!exists(dir + "/expected.json")) {
    MESSAGE("../shared/reference/masks/boundary_iou absent, skipped");
    return;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(dir + "/expected.json").value_unsafe();
  const auto want = doubles(doc["boundary_ap"]["stats"]["boundary"]);
  const auto want_segm = doubles(doc["boundary_ap"]["stats"]["segm_pycocotools"]);
  auto gt = locuskit::load_coco_ground_truth(dir + "/boundary_ap/gt.json");
  auto dt = locuskit::load_coco_results(dir + "/boundary_ap/dt.json", gt);
  for (auto type : {locuskit::IouType::boundary, locuskit::IouType::segm}) {
    CAPTURE(locuskit::iou_type_name(type));
    auto p = locuskit::coco_params_for(gt, type);
    const auto ev = locuskit::coco_evaluate(gt.annotations.view(), dt.view(), p, locuskit::Parallel{2});
    const auto sum = locuskit::coco_summarize(locuskit::coco_accumulate(ev), ev.params);
    const auto& w = type == locuskit::IouType::boundary ? want : want_segm;
    REQUIRE(sum.stats.size() == w.size());
    for (std::size_t i = 0; i < w.size(); ++i) CHECK(locuskit::test::same_bits(sum.stats[i], w[i]));
  }
}

#endif  // LOCUSKIT_TEST_HAVE_SIMDJSON

TEST_CASE("eval: numpy_sum follows numpy's pairwise blocks") {
  // np.sum(np.full(10, 0.1)) is 1.0 in numpy 1.24 (eight partial sums); a left-to-right loop
  // gives 0.9999999999999999.
  std::vector<double> v(10, 0.1);
  CHECK(locuskit::numpy_sum(v.data(), v.size()) == 1.0);
  double seq = 0;
  for (double x : v) seq += x;
  CHECK(seq == 0.9999999999999999);
  std::vector<double> w(3, 0.1);
  CHECK(locuskit::numpy_sum(w.data(), w.size()) == 0.30000000000000004);
}

TEST_CASE("eval: rle decoding, area and box") {
  // A 4x4 mask (column-major) with pixels (x=1, y=1..2) and (x=2, y=1..2): runs 5,2,2,2,5.
  std::vector<std::uint32_t> counts = {5, 2, 2, 2, 5};
  CHECK(locuskit::rle_area(counts) == 4);
  double bb[4];
  locuskit::rle_to_bbox(counts, 4, 4, bb);
  CHECK(bb[0] == 1);
  CHECK(bb[1] == 1);
  CHECK(bb[2] == 2);
  CHECK(bb[3] == 2);
  // "52203" is pycocotools' string for counts [5, 2, 2, 2, 5]? Delta coding from the 4th count:
  // 5 -> '5', 2 -> '2', 2 -> '2', 2-2=0 -> '0', 5-2=3 -> '3'.
  CHECK(locuskit::rle_counts_from_string("52203") == counts);
}

TEST_CASE("eval: result ids <= 0 let one GT match several results (pycocotools' gtm > 0 test), no overflow") {
  // One GT, three identical results with id 0: pycocotools never marks the GT as matched, so all
  // three are true positives and recall is 3.
  const std::int64_t gid[1] = {5}, gimg[1] = {1}, gcat[1] = {1};
  const double gbox[4] = {0, 0, 10, 10}, garea[1] = {100}, gcrowd[1] = {0};
  const std::int64_t did[3] = {0, 0, 0}, dimg[3] = {1, 1, 1}, dcat[3] = {1, 1, 1};
  const double dbox[12] = {0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10}, darea[3] = {100, 100, 100},
               dscore[3] = {0.9, 0.8, 0.7};
  locuskit::CocoAnnotations gt{1, gid, gimg, gcat, gbox, garea, gcrowd};
  locuskit::CocoAnnotations dt{3, did, dimg, dcat, dbox, darea, nullptr, dscore};
  auto p = locuskit::CocoParams::defaults(locuskit::IouType::bbox);
  p.img_ids = {1};
  p.cat_ids = {1};
  const auto acc = locuskit::coco_accumulate(locuskit::coco_evaluate(gt, dt, p));
  CHECK(acc.recall[0 * acc.K * acc.A * acc.M + 0 * acc.M + 2] == 3.0);  // t=0, k=0, a=all, m=100
}

TEST_CASE("eval: use_cats=false pools a category once per listing in cat_ids (issue 10: was a heap overflow)") {
  // Two GT of category 1 and one of category 2 in image 1, one result of category 1. pycocotools
  // pools [_ for cId in p.catIds for _ in self._gts[imgId, cId]]: catIds [1, 1, 2] brings the two
  // category-1 GT and the result twice: 5 GT count and each copy of the result matches one.
  const std::int64_t gid[3] = {1, 2, 3}, gimg[3] = {1, 1, 1}, gcat[3] = {1, 1, 2};
  const double gbox[12] = {0, 0, 10, 10, 20, 20, 10, 10, 40, 40, 10, 10}, garea[3] = {100, 100, 100},
               gcrowd[3] = {0, 0, 0};
  const std::int64_t did[1] = {1}, dimg[1] = {1}, dcat[1] = {1};
  const double dbox[4] = {0, 0, 10, 10}, darea[1] = {100}, dscore[1] = {0.9};
  locuskit::CocoAnnotations gt{3, gid, gimg, gcat, gbox, garea, gcrowd};
  locuskit::CocoAnnotations dt{1, did, dimg, dcat, dbox, darea, nullptr, dscore};
  auto p = locuskit::CocoParams::defaults(locuskit::IouType::bbox);
  p.img_ids = {1};
  p.use_cats = false;
  for (const std::vector<std::int64_t>& cats : {std::vector<std::int64_t>{1, 1, 2}, {2, 1, 1, 2, 2}, {7, 1, 7}}) {
    p.cat_ids = cats;
    const auto ev = locuskit::coco_evaluate(gt, dt, p);
    std::uint32_t expect_gt = 0;
    std::size_t expect_dt = 0;
    for (std::int64_t c : cats) expect_gt += c == 1 ? 2 : c == 2 ? 1 : 0, expect_dt += c == 1;
    REQUIRE(ev.K == 1);
    CHECK(ev.npig[0] == expect_gt);                    // area "all"
    CHECK(ev.dt_offset[1] == std::min<std::size_t>(expect_dt, 100));
    const auto acc = locuskit::coco_accumulate(ev);
    // each copy of the result matches its own copy of GT 1: recall = copies / pooled GT
    CHECK(acc.recall[2] == double(expect_dt) / expect_gt);  // t=0.5, area all, maxDets 100
  }
}

TEST_CASE("eval: an evaluation rebuilt from its per-unit states accumulates identically (evalImgs path)") {
  // Three images, two categories, crowd GT, ties; the states are what pycocotools' evalImgs hold.
  const std::int64_t gid[5] = {1, 2, 3, 4, 5}, gimg[5] = {1, 1, 2, 3, 3}, gcat[5] = {1, 2, 1, 1, 2};
  const double gbox[20] = {0, 0, 10, 10, 20, 20, 30, 30, 5, 5, 40, 40, 0, 0, 50, 50, 60, 60, 5, 5};
  const double garea[5] = {100, 900, 1600, 2500, 25}, gcrowd[5] = {0, 0, 0, 1, 0};
  const std::int64_t did[6] = {1, 2, 3, 4, 5, 6}, dimg[6] = {1, 1, 2, 3, 3, 3}, dcat[6] = {1, 2, 1, 1, 1, 2};
  const double dbox[24] = {0, 0, 10, 9, 21, 20, 30, 30, 5, 5, 20, 40, 1, 1, 10, 10, 2, 2, 10, 10, 60, 60, 5, 6};
  const double darea[6] = {90, 900, 800, 100, 100, 30}, dscore[6] = {0.9, 0.8, 0.8, 0.7, 0.7, 0.5};
  locuskit::CocoAnnotations gt{5, gid, gimg, gcat, gbox, garea, gcrowd};
  locuskit::CocoAnnotations dt{6, did, dimg, dcat, dbox, darea, nullptr, dscore};
  auto p = locuskit::CocoParams::defaults(locuskit::IouType::bbox);
  p.img_ids = {1, 2, 3};
  p.cat_ids = {1, 2};
  p.max_dets = {1, 2, 100};
  const auto ev = locuskit::coco_evaluate(gt, dt, p);
  const auto ref = locuskit::coco_accumulate(ev);
  const auto rebuilt = locuskit::coco_evaluation_from_states(ev.I, ev.K, ev.A, ev.T, {2, 100, 1}, ev.present, ev.npig,
                                                             ev.dt_offset, ev.dt_score, ev.dt_state);
  const auto acc = locuskit::coco_accumulate(rebuilt, &p.rec_thrs);
  // max_dets given as {2, 100, 1}: m axis permuted (any order is allowed on this path)
  const std::size_t perm[3] = {1, 2, 0};
  bool same = acc.precision.size() == ref.precision.size();
  for (std::size_t c = 0; same && c < ref.precision.size(); ++c) {
    const std::size_t m = c % 3;
    same = acc.precision[c] == ref.precision[c - m + perm[m]] && acc.scores[c] == ref.scores[c - m + perm[m]];
  }
  CHECK(same);
  for (std::size_t c = 0; c < ref.recall.size(); ++c) CHECK(acc.recall[c] == ref.recall[c - c % 3 + perm[c % 3]]);
  CHECK_THROWS_AS(locuskit::coco_evaluation_from_states(ev.I, ev.K, ev.A, ev.T, {100}, ev.present, ev.npig,
                                                        ev.dt_offset, ev.dt_score, {}),
                  std::invalid_argument);
  CHECK_THROWS_AS(locuskit::coco_evaluation_from_states(std::size_t(1) << 40, std::size_t(1) << 40, 1, 1, {100}, {},
                                                        {}, {0}, {}, {}),
                  std::invalid_argument);
}

TEST_CASE("eval: negative maxDets cut like Python slices x[0:maxDet]") {
  // Result 3 is the only true positive.
  const std::int64_t gid[1] = {1}, gimg[1] = {1}, gcat[1] = {1};
  const double gbox[4] = {0, 0, 10, 10}, garea[1] = {100}, gcrowd[1] = {0};
  const std::int64_t did[3] = {1, 2, 3}, dimg[3] = {1, 1, 1}, dcat[3] = {1, 1, 1};
  const double dbox[12] = {50, 50, 5, 5, 60, 60, 5, 5, 0, 0, 10, 10}, darea[3] = {25, 25, 100};
  double dscore[3] = {0.9, 0.8, 0.7};  // the true positive ranks last
  locuskit::CocoAnnotations gt{1, gid, gimg, gcat, gbox, garea, gcrowd};
  locuskit::CocoAnnotations dt{3, did, dimg, dcat, dbox, darea, nullptr, dscore};
  auto p = locuskit::CocoParams::defaults(locuskit::IouType::bbox);
  p.img_ids = {1};
  p.cat_ids = {1};
  p.max_dets = {-1};  // evaluate() keeps dt[0:-1]: the true positive is cut
  auto ev = locuskit::coco_evaluate(gt, dt, p);
  CHECK(ev.dt_offset[1] == 2);
  CHECK(locuskit::coco_accumulate(ev).recall[0] == 0.0);
  p.max_dets = {3};
  CHECK(locuskit::coco_accumulate(locuskit::coco_evaluate(gt, dt, p)).recall[0] == 1.0);
  dscore[2] = 0.95;  // now it ranks first
  p.max_dets = {-4, -1, 2};  // evaluate() keeps dt[0:2]; accumulate keeps [0:-4] none, [0:-1] one, [0:2] two
  ev = locuskit::coco_evaluate(gt, dt, p);
  CHECK(ev.dt_offset[1] == 2);
  const auto acc = locuskit::coco_accumulate(ev);
  CHECK(acc.recall[0] == 0.0);  // nothing kept: recall 0 (pycocotools' nd == 0), not -1
  CHECK(acc.recall[1] == 1.0);
  CHECK(acc.recall[2] == 1.0);
  CHECK(acc.precision[1] > 0.99);  // r = 0, m = -1: the one kept result is a true positive
}
