// Open Images challenge metric: hand-built cases whose values the TF Object Detection API's
// OpenImagesChallengeEvaluator gives (run with tests/data/eval/openimages's runner); the stored
// synthetic cases are compared bitwise from Python (tests/python/test_openimages.py).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include <locuskit/eval/openimages.hpp>

TEST_CASE("openimages: group-of absorption, verified labels, invalid boxes (values of the TF OD API)") {
  // One image, classes a=0, b=1, c=2: a regular GT of a, a group-of GT of b, c only a verified
  // negative label. Results: a TP on a; two results inside b's group-of box (one entry); a FP
  // on c (negative label: evaluated, but c has no GT).
  const std::vector<std::int64_t> box_image{0, 0}, box_label{0, 1}, label_image{0}, label_label{2};
  const std::vector<double> box{0.1, 0.1, 0.3, 0.3, 0.5, 0.5, 0.9, 0.9};  // ymin, xmin, ymax, xmax
  const std::vector<std::uint8_t> group_of{0, 1};
  locuskit::OidGroundTruth gt;
  gt.boxes = 2, gt.box_image = box_image.data(), gt.box_label = box_label.data(), gt.box = box.data();
  gt.group_of = group_of.data();
  gt.labels = 1, gt.label_image = label_image.data(), gt.label_label = label_label.data();
  const std::vector<std::int64_t> d_image{0, 0, 0, 0}, d_label{0, 1, 1, 2};
  const std::vector<double> d_score{0.9, 0.8, 0.7, 0.6};
  const std::vector<double> d_box{0.1, 0.1, 0.3, 0.3, 0.6, 0.6, 0.62, 0.62, 0.7, 0.7, 0.72, 0.72, 0.1, 0.1, 0.2, 0.2};
  locuskit::OidDetections dt;
  dt.size = 4, dt.image = d_image.data(), dt.label = d_label.data(), dt.score = d_score.data(), dt.box = d_box.data();
  auto r = locuskit::oid_challenge_evaluate(gt, dt, 3);
  CHECK(r.ap[0] == 1.0);
  CHECK(r.ap[1] == 1.0);
  CHECK(std::isnan(r.ap[2]));
  CHECK(r.mean_ap == 1.0);
  CHECK(r.num_entries[1] == 1);  // the group-of box counts once
  CHECK(r.num_gt[1] == 1.0);

  // An unverified class on the image, an invalid box and a result on an image without GT are
  // dropped before matching; group_of_weight 0 ignores results in group-of boxes.
  const std::vector<std::int64_t> e_image{0, 0, 5}, e_label{0, 0, 0};
  const std::vector<double> e_score{0.5, 0.95, 0.99};
  const std::vector<double> e_box{0.1, 0.1, 0.3, 0.3, 0.4, 0.4, 0.4, 0.5, 0.1, 0.1, 0.3, 0.3};
  locuskit::OidDetections dt2;
  dt2.size = 3, dt2.image = e_image.data(), dt2.label = e_label.data(), dt2.score = e_score.data(), dt2.box = e_box.data();
  auto r2 = locuskit::oid_challenge_evaluate(gt, dt2, 3);
  CHECK(r2.num_entries[0] == 1);
  CHECK(r2.ap[0] == 1.0);
  CHECK(r2.ap[1] == 0.0);  // GT but no entries
  locuskit::OidParams p0;
  p0.group_of_weight = 0;
  auto r3 = locuskit::oid_challenge_evaluate(gt, dt, 3, p0);
  CHECK(r3.num_gt[1] == 0.0);
  CHECK(std::isnan(r3.ap[1]));
  CHECK(r3.num_entries[1] == 0);

  const std::vector<std::int64_t> bad{7};
  locuskit::OidDetections dt3 = dt;
  dt3.size = 1, dt3.label = bad.data();
  CHECK_THROWS_AS(locuskit::oid_challenge_evaluate(gt, dt3, 3), std::invalid_argument);
}
