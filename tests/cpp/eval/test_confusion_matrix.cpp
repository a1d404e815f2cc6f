// Detection confusion matrix (eval/confusion_matrix.hpp) on hand-made images.
#include <doctest/doctest.h>

#include <locuskit/eval/confusion_matrix.hpp>

TEST_CASE("confusion_matrix: own class first, then any class, background row and column, crowd and score") {
  // Image 1: GT class 10 at A=(0,0,10,10), class 20 at B=(20,0,10,10), crowd class 10 at (40,0,20,20).
  // Image 2: GT class 20 at (0,0,10,10), no detection (missed).
  const std::vector<std::int64_t> gid{1, 2, 3, 4}, gimg{1, 1, 1, 2}, gcat{10, 20, 10, 20};
  const std::vector<double> gbox{0, 0, 10, 10, 20, 0, 10, 10, 40, 0, 20, 20, 0, 0, 10, 10}, garea{100, 100, 400, 100},
      gcrowd{0, 0, 1, 0};
  // Detections: class 20 on A (0.95, confusion: A is the only GT there) ; class 10 on A (0.9, A taken -> background);
  // class 10 on B (0.8, confusion 20 -> 10... B is free); class 10 inside the crowd (0.7, ignored);
  // class 20 far away (0.6, background); class 10 on A with score 0.1 (dropped by the score threshold).
  const std::vector<std::int64_t> did{1, 2, 3, 4, 5, 6}, dimg{1, 1, 1, 1, 1, 1}, dcat{20, 10, 10, 10, 20, 10};
  const std::vector<double> dbox{0, 0, 10, 10, 0, 0, 10, 10, 20, 0, 10, 10, 45, 5, 5, 5, 100, 100, 5, 5, 0, 0, 10, 10};
  const std::vector<double> dscore{0.95, 0.9, 0.8, 0.7, 0.6, 0.1}, darea(6, 100.0);
  locuskit::CocoAnnotations g, d;
  g.size = 4, g.id = gid.data(), g.image_id = gimg.data(), g.category_id = gcat.data(), g.bbox = gbox.data(),
  g.area = garea.data(), g.iscrowd = gcrowd.data();
  d.size = 6, d.id = did.data(), d.image_id = dimg.data(), d.category_id = dcat.data(), d.bbox = dbox.data(),
  d.area = darea.data(), d.score = dscore.data();
  const auto cm = locuskit::detection_confusion_matrix(g, d, {1, 2}, {10, 20});
  REQUIRE(cm.K == 2);
  // rows: GT 10, GT 20, background; columns: pred 10, pred 20, background
  CHECK(cm.counts == std::vector<std::int64_t>{0, 1, 0,    //
                                               1, 0, 1,    //
                                               1, 1, 0});  //
  locuskit::ConfusionParams p;
  p.score_thresh = 0.0;  // the 0.1 detection on A now also counts (A taken: background)
  CHECK(locuskit::detection_confusion_matrix(g, d, {1, 2}, {10, 20}, p).counts[2 * 3 + 0] == 2);
}
