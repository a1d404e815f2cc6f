// CocoResultsReader: a results file read in chunks of rows gives load_coco_results' columns,
// ids and errors, whatever the chunk size (issue 14, bounded memory).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "test_support.hpp"

#if defined(LOCUSKIT_TEST_HAVE_SIMDJSON)
#include <locuskit/eval/coco_results_reader.hpp>

namespace {

template <class T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

template <class T>
void append(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace

TEST_CASE("eval: CocoResultsReader chunks concatenate to load_coco_results, for every chunk size") {
  const simdjson::padded_string gt_text(std::string(
      R"({"images":[{"id":1,"height":20,"width":30},{"id":2,"height":20,"width":30}],"categories":[{"id":1}],"annotations":[]})"));
  const auto gt = locuskit::parse_coco_ground_truth(gt_text);
  std::string text = "[";
  for (int i = 0; i < 2500; ++i) {  // > 1 MiB read chunk is not needed: chunks of rows are the point here
    if (i) text += ",\n";
    text += R"({"image_id":)" + std::to_string(1 + i % 2) + R"(,"category_id":1,"bbox":[)" + std::to_string(i % 17) +
            ".5,2,3,4],\"score\":" + (i == 7 ? std::string("NaN") : "0." + std::to_string(100 + i)) + "}";
  }
  text += "]";
  const std::string path = "coco_reader_test_results.json";
  std::ofstream(path, std::ios::binary) << text;
  const auto whole = locuskit::load_coco_results(path, gt);
  for (std::size_t rows : {std::size_t(1), std::size_t(3), std::size_t(1000), std::size_t(5000)}) {
    locuskit::CocoResultsReader reader(path, gt);
    locuskit::CocoTable all;
    std::size_t chunks = 0;
    for (;;) {
      auto t = reader.next(rows);
      if (t.size() == 0) break;
      CHECK(t.size() <= rows);
      CHECK(t.segm_kind.size() == t.size());
      append(all.id, t.id), append(all.image_id, t.image_id), append(all.bbox, t.bbox), append(all.score, t.score);
      append(all.area, t.area), append(all.segm_kind, t.segm_kind);
      ++chunks;
    }
    CHECK(reader.done());
    CHECK(reader.rows() == 2500);
    CHECK(chunks == (2500 + rows - 1) / rows);
    CHECK(same(all.id, whole.id));  // ids are 1 + the index in the whole file
    CHECK(same(all.image_id, whole.image_id));
    CHECK(same(all.bbox, whole.bbox));
    CHECK(same(all.score, whole.score));  // NaN bits included
    CHECK(same(all.area, whole.area));
    CHECK(same(all.segm_kind, whole.segm_kind));
  }
  std::remove(path.c_str());
}

TEST_CASE("eval: CocoResultsReader reports errors where load_coco_results does, when the row is reached") {
  const simdjson::padded_string gt_text(std::string(R"({"images":[{"id":1}],"categories":[{"id":1}],"annotations":[]})"));
  const auto gt = locuskit::parse_coco_ground_truth(gt_text);
  auto write = [](const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; };
  const std::string p = "coco_reader_test_bad.json";
  write(p, R"([{"image_id":1,"category_id":1,"bbox":[0,0,1,1],"score":1},{"image_id":5,"category_id":1,"bbox":[0,0,1,1]}])");
  {
    locuskit::CocoResultsReader r(p, gt);
    CHECK(r.next(1).size() == 1);
    CHECK_THROWS_AS(r.next(1), locuskit::coco_results_mismatch);
  }
  write(p, "{}");
  CHECK_THROWS_AS(locuskit::CocoResultsReader(p, gt), locuskit::coco_results_mismatch);
  write(p, "[]");
  CHECK_THROWS_AS(locuskit::CocoResultsReader(p, gt), locuskit::coco_empty_results);
  {
    locuskit::CocoResultsReader r(p, gt, true);
    CHECK(r.next(4).size() == 0);
    CHECK(r.done());
  }
  write(p, R"([{"image_id":1,"category_id":1,"bbox":[0,0,1,1]}] trailing)");
  {
    locuskit::CocoResultsReader r(p, gt);
    CHECK_THROWS_AS(r.next(4), locuskit::parse_error);
  }
  write(p, R"([{"image_id":1,"category_id":1,"bbox":[0,0)");
  {
    locuskit::CocoResultsReader r(p, gt);
    CHECK_THROWS_AS(r.next(4), locuskit::parse_error);
  }
  {
    locuskit::CocoResultsReader r(p, gt);
    CHECK_THROWS_AS(r.next(0), std::invalid_argument);
  }
  std::remove(p.c_str());
  CHECK_THROWS_AS(locuskit::CocoResultsReader("/nonexistent/results.json", gt), locuskit::parse_error);
}

#endif
