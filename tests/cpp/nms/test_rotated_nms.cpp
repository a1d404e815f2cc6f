// nms/rotated_nms.hpp: greedy, class-aware and soft NMS with the RotatedIoU policy. Parity with
// detectron2 on its fixtures is in tests/python/test_nms_rotated.py; here: hand-checkable cases,
// and the rotated engine against the axis-aligned one on boxes whose IoU both compute exactly.
#include <locuskit/nms.hpp>

#include <random>
#include <vector>

#include "nms/integer_boxes.hpp"
#include "test_support.hpp"

using namespace locuskit;
using locuskit::test::integer_boxes;

namespace {
template <class T>
std::vector<std::int64_t> run_nms_rotated(const std::vector<T>& boxes, const std::vector<T>& scores,
                                          const RotatedNmsParams& p) {
  const std::size_t n = scores.size();
  std::vector<std::int64_t> keep(n);
  keep.resize(nms_rotated(boxes.data(), scores.data(), n, p, keep.data()));
  return keep;
}

}  // namespace

TEST_CASE_TEMPLATE("nms_rotated: detectron2's >= rule, 90/-90, ties, max_output", T, float, double) {
  RotatedNmsParams p;
  // (5,3,4,2,90) and (5,3,4,2,-90) are the same region: IoU 1.
  CHECK(run_nms_rotated<T>({5, 3, 4, 2, 90, 5, 3, 4, 2, -90}, {T(0.6), T(0.9)}, p) == std::vector<std::int64_t>{1});
  // Half-overlap rectangles: IoU exactly 0.5 is suppressed by >= and kept by >.
  const std::vector<T> half = {T(0.5), T(0.5), 1, 1, 0, T(0.25), T(0.5), T(0.5), 1, 0};
  CHECK(run_nms_rotated<T>(half, {T(0.9), T(0.8)}, p) == std::vector<std::int64_t>{0});
  p.rule = IouRule::torchvision;
  CHECK(run_nms_rotated<T>(half, {T(0.9), T(0.8)}, p) == std::vector<std::int64_t>{0, 1});
  // Equal scores: lower index first (stable).
  p.rule = IouRule::greater_equal;
  CHECK(run_nms_rotated<T>({0, 0, 10, 10, 0, 1, 0, 10, 10, 0, 100, 0, 4, 4, 45}, {1, 1, 1}, p) ==
        std::vector<std::int64_t>{0, 2});
  p.max_output = 1;
  CHECK(run_nms_rotated<T>({0, 0, 10, 10, 0, 100, 0, 4, 4, 45}, {1, 1}, p) == std::vector<std::int64_t>{0});
  p.max_output = 0;
  CHECK(run_nms_rotated<T>({0, 0, 10, 10, 0}, {1}, p).empty());
  CHECK(run_nms_rotated<T>({}, {}, RotatedNmsParams{}).empty());
}

TEST_CASE_TEMPLATE("nms_rotated: degenerate pairs have IoU 0 (suppress only below a negative threshold)", T, float,
                   double) {
  const std::vector<T> boxes = {5, 5, 0, 0, 30, 5, 5, 0, 0, 30, 9, 9, 0, 4, 10};  // zero-area boxes
  const std::vector<T> scores = {3, 2, 1};
  for (auto mode : {RotatedIouMode::exact, RotatedIouMode::detectron2}) {
    RotatedNmsParams p;
    p.overlap.mode = mode;
    CHECK(run_nms_rotated(boxes, scores, p).size() == 3);
    p.iou_threshold = -0.5;
    CHECK(run_nms_rotated(boxes, scores, p) == std::vector<std::int64_t>{0});
    std::vector<std::int64_t> keep(3);
    std::vector<T> out(3);
    SoftNmsParams sp;
    REQUIRE(soft_nms_rotated(boxes.data(), scores.data(), 3, sp, p.overlap, keep.data(), out.data()) == 3);
    CHECK(out[1] == scores[1]);
    CHECK(out[2] == scores[2]);
  }
}

TEST_CASE_TEMPLATE("batched_nms_rotated: classes never interact; equals per-class nms_rotated", T, float, double) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> pos(0, 60), size(2, 20), ang(-180, 180), sc(0, 1);
  std::uniform_int_distribution<int> cls(-2, 3);
  const std::size_t n = 300;
  std::vector<T> boxes, scores;
  std::vector<std::int64_t> classes;
  for (std::size_t i = 0; i < n; ++i) {
    boxes.insert(boxes.end(), {T(pos(rng)), T(pos(rng)), T(size(rng)), T(size(rng)), T(ang(rng))});
    scores.push_back(T(sc(rng)));
    classes.push_back(cls(rng));
  }
  RotatedNmsParams p;
  std::vector<std::int64_t> keep(n);
  keep.resize(batched_nms_rotated(boxes.data(), scores.data(), classes.data(), n, p, keep.data()));
  std::vector<char> want(n, 0);
  for (int c = -2; c <= 3; ++c) {
    std::vector<T> b, s;
    std::vector<std::int64_t> idx;
    for (std::size_t i = 0; i < n; ++i)
      if (classes[i] == c) {
        b.insert(b.end(), boxes.begin() + 5 * i, boxes.begin() + 5 * i + 5);
        s.push_back(scores[i]);
        idx.push_back(static_cast<std::int64_t>(i));
      }
    for (const std::int64_t k : run_nms_rotated(b, s, p)) want[idx[k]] = 1;
  }
  std::vector<char> got(n, 0);
  for (std::size_t i = 0; i < keep.size(); ++i) {
    got[keep[i]] = 1;
    if (i > 0) CHECK(scores[keep[i - 1]] >= scores[keep[i]]);
  }
  CHECK(got == want);
}

TEST_CASE("rotated NMS equals axis-aligned NMS on integer boxes at angle 0 / 180 degrees") {
  using T = double;
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    std::vector<T> xyxy, rot, s;
    integer_boxes<T>(200, seed, xyxy, rot, s);
    const std::size_t n = s.size();
    for (double thr : {0.0, 0.3, 0.5, 0.7}) {
      for (auto rule : {IouRule::torchvision, IouRule::greater_equal}) {
        std::vector<std::int64_t> want(n);
        NmsOptions o;
        o.rule = rule;
        want.resize(nms(xyxy.data(), s.data(), n, thr, want.data(), o));
        RotatedNmsParams p;
        p.iou_threshold = thr;
        p.rule = rule;
        CHECK(run_nms_rotated(rot, s, p) == want);
      }
      SoftNmsParams sp;
      sp.iou_threshold = thr;
      for (auto method : {SoftNmsMethod::linear, SoftNmsMethod::gaussian}) {
        sp.method = method;
        sp.score_threshold = 0.05;
        std::vector<std::int64_t> kw(n), kg(n);
        std::vector<T> sw(n), sg(n);
        const std::size_t a = soft_nms(xyxy.data(), s.data(), n, kw.data(), sw.data(), sp);
        const std::size_t b = soft_nms_rotated(rot.data(), s.data(), n, sp, RotatedIoU{}, kg.data(), sg.data());
        REQUIRE(a == b);
        for (std::size_t i = 0; i < a; ++i) {
          CHECK(kw[i] == kg[i]);
          CHECK(sw[i] == sg[i]);
        }
      }
    }
  }
}
