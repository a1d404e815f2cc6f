// VOC AP (eval/voc.hpp) against the stored reference numbers of rafaelpadilla's fixture, bitwise.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <locuskit/eval/voc.hpp>

#include "test_support.hpp"

#if defined(LOCUSKIT_TEST_HAVE_SIMDJSON)
#include <simdjson.h>

namespace {

struct Boxes {
  std::vector<std::int64_t> image;
  std::vector<double> score, xyxy;
};

// Reads per-image "class [score] x y w h" files (sorted by name, lines in order) as xyxy.
Boxes read_dir(const std::filesystem::path& dir, bool with_score) {
  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  Boxes b;
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::ifstream in(files[i]);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string cls;
      double s = 0, x, y, w, h;
      if (!(ls >> cls)) continue;
      if (with_score) ls >> s;
      ls >> x >> y >> w >> h;
      b.image.push_back(static_cast<std::int64_t>(i));
      b.score.push_back(s);
      b.xyxy.insert(b.xyxy.end(), {x, y, x + w, y + h});
    }
  }
  return b;
}

}  // namespace

TEST_CASE("eval: voc_evaluate_class equals the reference (tp/fp, recall, precision, four AP variants)") {
  const std::string root = std::string(LOCUSKIT_TEST_DATA_DIR) + "/eval/detection";
  if (!std::ifstream(root + "/expected.json").good()) {
    MESSAGE("test data absent, skipped");
    return;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(root + "/expected.json").value_unsafe();
  simdjson::dom::object voc = doc["voc"].get_object().value_unsafe();
  int checked = 0;
  for (auto fx : voc) {
    CAPTURE(std::string(fx.key));
    const std::string gdir(fx.value["gt_dir"].get_string().value_unsafe());
    const std::string ddir(fx.value["det_dir"].get_string().value_unsafe());
    if (!std::filesystem::exists(root + "/" + gdir)) continue;
    const Boxes g = read_dir(root + "/" + gdir, false), d = read_dir(root + "/" + ddir, true);
    for (const char* conv : {"plus_one", "continuous"}) {
      simdjson::dom::object thrs = fx.value[conv].get_object().value_unsafe();
      for (auto th : thrs) {
        locuskit::VocOptions opt;
        opt.iou_threshold = std::stod(std::string(th.key));
        opt.plus_one = std::string(conv) == "plus_one";
        const auto r = locuskit::voc_evaluate_class(d.image.data(), d.score.data(), d.xyxy.data(), d.image.size(),
                                                    g.image.data(), g.xyxy.data(), nullptr, g.image.size(), opt);
        CAPTURE(conv);
        CAPTURE(opt.iou_threshold);
        std::int64_t tp = 0, fp = 0;
        for (std::size_t i = 0; i < r.tp.size(); ++i) tp += r.tp[i], fp += r.fp[i];
        CHECK(tp == th.value["tp"].get_int64().value_unsafe());
        CHECK(fp == th.value["fp"].get_int64().value_unsafe());
        for (const char* key : {"ap_11point", "ap_all_point", "ap_11point_sum_then_divide", "ap_all_point_np_sum"}) {
          CAPTURE(key);
          const double want = th.value[key].get_double().value_unsafe();
          const double got = std::string(key) == "ap_11point"     ? r.ap_11point
                             : std::string(key) == "ap_all_point" ? r.ap_all_point
                             : std::string(key) == "ap_11point_sum_then_divide" ? r.ap_11point_sum_then_divide
                                                                                 : r.ap_all_point_np_sum;
          CHECK(locuskit::test::same_bits(got, want));
        }
        ++checked;
      }
    }
  }
  CHECK(checked == 16);
}
#endif

TEST_CASE("eval: voc difficult GT is ignored, no fallback to the second-best GT") {
  const double gt[8] = {0, 0, 10, 10, 20, 20, 30, 30};
  const std::uint8_t diff[2] = {0, 1};
  const std::int64_t gimg[2] = {0, 0}, dimg[3] = {0, 0, 0};
  const double det[12] = {0, 0, 10, 10, 20, 20, 30, 30, 0, 0, 10, 9};
  const double score[3] = {0.9, 0.8, 0.7};
  const auto r = locuskit::voc_evaluate_class(dimg, score, det, 3, gimg, gt, diff, 2);
  CHECK(r.npos == 1);
  CHECK(r.tp == std::vector<std::uint8_t>{1, 0, 0});
  CHECK(r.fp == std::vector<std::uint8_t>{0, 0, 1});
  CHECK(r.ap_all_point == 1.0);
  CHECK(r.best_f1 == 1.0);
}
