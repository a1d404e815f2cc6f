// nms/weighted_boxes_fusion.hpp: hand-computed fusions (ensemble-boxes semantics; the parity with
// ensemble-boxes itself is in tests/python/test_wbf*.py), the input clean-up, the four confidence
// types, label separation, ordering and a reused workspace.
#include <locuskit/nms/weighted_boxes_fusion.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

namespace {
template <class T>
struct Fused {
  std::vector<T> boxes, scores;
  std::vector<std::int64_t> labels;
};

template <class T>
Fused<T> fuse(const std::vector<T>& boxes, const std::vector<T>& scores, const std::vector<std::int64_t>& labels,
              const std::vector<std::int64_t>& models, const std::vector<T>& weights, const WbfParams& p,
              WbfWorkspace<T>* ws = nullptr) {
  const std::size_t n = scores.size();
  Fused<T> f{std::vector<T>(4 * n), std::vector<T>(n), std::vector<std::int64_t>(n)};
  const WbfInputs<T> in{boxes.data(), scores.data(), labels.data(), models.data(), n, weights.data(), weights.size()};
  const std::size_t k = weighted_boxes_fusion(in, p, WbfOutputs<T>{f.boxes.data(), f.scores.data(), f.labels.data()}, ws);
  if (!ws) {  // the positional form forwards to the same call
    Fused<T> g{std::vector<T>(4 * n), std::vector<T>(n), std::vector<std::int64_t>(n)};
    REQUIRE(weighted_boxes_fusion(boxes.data(), scores.data(), labels.data(), models.data(), n, weights.data(),
                                  weights.size(), g.boxes.data(), g.scores.data(), g.labels.data(), p) == k);
    CHECK(std::equal(g.scores.begin(), g.scores.begin() + k, f.scores.begin()));
  }
  f.boxes.resize(4 * k), f.scores.resize(k), f.labels.resize(k);
  return f;
}
}  // namespace

TEST_CASE_TEMPLATE("weighted_boxes_fusion: two models fused by hand, labels kept apart, four confidences", T, float,
                   double) {
  // Model 0 (weight 2): A; model 1 (weight 1): B overlapping A (IoU 0.16 / 0.2 = 0.8) and C of
  // another label at the same place. sw: A 1.8, B 0.6, C 0.3; W = 3.
  const std::vector<T> boxes = {T(0.1), T(0.1), T(0.5), T(0.5), T(0.1), T(0.1), T(0.5), T(0.6),
                                T(0.1), T(0.1), T(0.5), T(0.5)};
  const std::vector<T> scores = {T(0.9), T(0.6), T(0.3)};
  const std::vector<std::int64_t> labels = {0, 0, 1}, models = {0, 1, 1};
  const std::vector<T> weights = {2, 1};
  WbfParams p;
  const auto f = fuse(boxes, scores, labels, models, weights, p);
  REQUIRE(f.scores.size() == 2);
  CHECK(f.labels == std::vector<std::int64_t>{0, 1});
  // Fused A+B: (1.8 A + 0.6 B) / 2.4 -> y2 = (0.9 + 0.36) / 2.4 = 0.525.
  CHECK(f.boxes[0] == doctest::Approx(0.1));
  CHECK(f.boxes[2] == doctest::Approx(0.5));
  CHECK(f.boxes[3] == doctest::Approx(0.525));
  CHECK(f.scores[0] == doctest::Approx(0.8));  // avg: mean sw 1.2 * min(M=2, n=2) / W=3
  CHECK(f.scores[1] == doctest::Approx(0.1));  // C alone: 0.3 * min(2, 1) / 3
  p.conf_type = WbfConfType::max;
  CHECK(fuse(boxes, scores, labels, models, weights, p).scores[0] == doctest::Approx(0.9));  // 1.8 / max w 2
  p.conf_type = WbfConfType::box_and_model_avg;
  CHECK(fuse(boxes, scores, labels, models, weights, p).scores[0] == doctest::Approx(0.8));  // 2.4/3 * 3/3
  p.conf_type = WbfConfType::absent_model_aware_avg;
  const auto g = fuse(boxes, scores, labels, models, weights, p);
  CHECK(g.scores[0] == doctest::Approx(0.8));  // 2.4 / (3 + 0 absent)
  CHECK(g.scores[1] == doctest::Approx(0.3 / (1.0 + 2.0)));  // model 0 (weight 2) absent from C's cluster
  // Above the pair's IoU the boxes stay apart: three clusters, ordered by confidence.
  p = WbfParams{};
  p.iou_threshold = 0.85;  // above their IoU 0.8
  const auto h = fuse(boxes, scores, labels, models, weights, p);
  REQUIRE(h.scores.size() == 3);
  CHECK(h.scores[0] == doctest::Approx(1.8 / 3));
  CHECK(h.scores[1] == doctest::Approx(0.6 / 3));
  CHECK(h.scores[2] == doctest::Approx(0.3 / 3));
  CHECK(h.labels == std::vector<std::int64_t>{0, 0, 1});
}

TEST_CASE_TEMPLATE("weighted_boxes_fusion: skipped, inverted, clipped and zero-area boxes; bad model ids", T, float,
                   double) {
  const std::vector<T> weights = {1};
  const std::vector<std::int64_t> models = {0, 0, 0, 0}, labels = {0, 1, 2, 3};
  // Row 0 inverted and partly outside [0, 1]: swapped then clipped to (0.2, 0, 1, 0.4). Row 1 below
  // skip_box_threshold, row 2 zero width, row 3 zero area after clipping: all dropped.
  const std::vector<T> boxes = {T(1.5), T(0.4), T(0.2), T(-0.3), T(0.1), T(0.1), T(0.3), T(0.3),
                                T(0.2), T(0.1), T(0.2), T(0.9),  T(1.2), T(0.1), T(1.5), T(0.5)};
  const std::vector<T> scores = {T(0.5), T(0.05), T(0.9), T(0.9)};
  WbfParams p;
  p.skip_box_threshold = 0.1;
  const auto f = fuse(boxes, scores, labels, models, weights, p);
  REQUIRE(f.scores.size() == 1);
  CHECK(f.labels[0] == 0);
  const std::vector<double> want = {0.2, 0.0, 1.0, 0.4};
  for (int q = 0; q < 4; ++q) CHECK(f.boxes[q] == doctest::Approx(want[q]));
  CHECK(f.scores[0] == doctest::Approx(0.5));
  std::vector<std::int64_t> bad = {0, 0, 1, 0};
  CHECK_THROWS_AS(fuse(boxes, scores, labels, bad, weights, p), std::invalid_argument);
  bad[2] = -1;
  CHECK_THROWS_AS(fuse(boxes, scores, labels, bad, weights, p), std::invalid_argument);
  CHECK(fuse<T>({}, {}, {}, {}, weights, p).scores.empty());
}

TEST_CASE_TEMPLATE("weighted_boxes_fusion: a reused workspace gives the fresh result", T, float, double) {
  WbfWorkspace<T> ws;
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    const std::size_t n = 40 * seed;
    auto boxes = test::random_boxes<T>(n, seed, T(1));
    const auto scores = test::tie_scores<T>(n, seed, 5);
    std::vector<std::int64_t> labels(n), models(n);
    for (std::size_t i = 0; i < n; ++i) labels[i] = std::int64_t(i % 3), models[i] = std::int64_t(i % 4);
    const std::vector<T> weights = {1, 2, T(0.5), 3};
    for (auto conf : {WbfConfType::avg, WbfConfType::max, WbfConfType::box_and_model_avg,
                      WbfConfType::absent_model_aware_avg}) {
      WbfParams p;
      p.conf_type = conf;
      const auto fresh = fuse(boxes, scores, labels, models, weights, p);
      const auto warm = fuse(boxes, scores, labels, models, weights, p, &ws);
      CHECK(fresh.boxes == warm.boxes);
      CHECK(fresh.scores == warm.scores);
      CHECK(fresh.labels == warm.labels);
      for (std::size_t r = 1; r < fresh.scores.size(); ++r) CHECK(fresh.scores[r - 1] >= fresh.scores[r]);
    }
  }
}
