// multiclass_nms with a reused MulticlassNmsWorkspace and the thread pool: results must not depend
// on the workspace's history or on the thread count; the padded layout, checked by hand, below.
#include <locuskit/nms/multiclass_nms.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "nms/integer_boxes.hpp"
#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("multiclass_nms: a reused workspace and any thread count give the fresh result", T, float, double) {
  MulticlassNmsWorkspace<T> ws;
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    const std::size_t B = 1 + seed % 4, N = 40 * seed, C = 1 + seed % 5, K = 30;
    std::vector<T> boxes;
    for (std::size_t b = 0; b < B; ++b) {
      const auto bb = test::random_boxes<T>(N * C, seed * 10 + std::uint32_t(b));
      boxes.insert(boxes.end(), bb.begin(), bb.end());
    }
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> level(0, 7);
    std::vector<T> scores(B * N * C);
    for (auto& s : scores) s = T(level(rng)) / T(8);  // heavy ties
    for (bool per_class : {false, true}) {
      MulticlassNmsParams p;
      p.score_threshold = 0.2;
      p.max_total = K;
      p.max_output_per_class = seed % 2 ? 5 : 100;
      p.class_agnostic = seed % 3 == 0;
      std::vector<T> ob0(B * K * 4), os0(B * K), ob(B * K * 4), os(B * K);
      std::vector<std::int32_t> oc0(B * K), cnt0(B), oc(B * K), cnt(B);
      std::vector<std::int64_t> oi0(B * K), oi(B * K);
      multiclass_nms(boxes.data(), per_class, scores.data(), B, N, C, p, ob0.data(), os0.data(), oc0.data(),
                     oi0.data(), cnt0.data());
      for (int threads : {1, 2, 3, 8}) {
        CAPTURE(seed);
        CAPTURE(threads);
        multiclass_nms(boxes.data(), per_class, scores.data(), B, N, C, p, ob.data(), os.data(), oc.data(),
                       oi.data(), cnt.data(), Parallel{threads}, &ws);
        CHECK(cnt == cnt0);
        CHECK(oi == oi0);
        CHECK(oc == oc0);
        CHECK(os == os0);
        CHECK(ob == ob0);
      }
    }
  }
}

TEST_CASE("multiclass_nms: N x C that wraps size_t is rejected, not truncated") {
  MulticlassNmsParams p;
  const float dummy = 0;
  float ob[4], os[1];
  std::int32_t oc[1], cnt[1];
  std::int64_t oi[1];
  const std::size_t huge = std::size_t(1) << 33;  // huge * huge wraps to 2^66 mod 2^64 = 0
  CHECK_THROWS_AS(multiclass_nms(&dummy, false, &dummy, 1, huge, huge, p, ob, os, oc, oi, cnt), std::invalid_argument);
}

TEST_CASE_TEMPLATE("multiclass_nms: padded layout, per-class caps, class-agnostic", T, float, double) {
  // One image, 3 boxes, 2 classes. Boxes 0 and 1 overlap (IoU 0.81), box 2 is apart.
  const T boxes[12] = {0, 0, 10, 10, 0, 0, 9, 9, 50, 50, 60, 60};
  const T scores[6] = {T(0.9), T(0.1), T(0.8), T(0.7), T(0.2), T(0.05)};  // (N=3, C=2)
  const std::size_t K = 4;
  T ob[4 * K], os[K];
  std::int32_t oc[K], cnt[1];
  std::int64_t oi[K];
  MulticlassNmsParams p;
  p.score_threshold = 0.06;
  p.max_total = K;
  multiclass_nms(boxes, false, scores, 1, 3, 2, p, ob, os, oc, oi, cnt);
  // Candidates: (0,c0) .9, (1,c0) .8, (1,c1) .7, (2,c0) .2, (0,c1) .1. Class 0: box 0 suppresses
  // box 1; class 1: box 1 (.7) suppresses box 0 (.1).
  REQUIRE(cnt[0] == 3);
  const std::int64_t want_n[3] = {0, 1, 2};
  const std::int32_t want_c[3] = {0, 1, 0};
  for (int r = 0; r < 3; ++r) {
    CHECK(oi[r] == want_n[r]);
    CHECK(oc[r] == want_c[r]);
  }
  CHECK(os[2] == T(0.2));
  CHECK(oi[3] == -1);
  p.class_agnostic = true;
  multiclass_nms(boxes, false, scores, 1, 3, 2, p, ob, os, oc, oi, cnt);
  REQUIRE(cnt[0] == 2);  // (0,c0) suppresses box 1 in both classes and (0,c1) itself
  CHECK(oi[0] == 0);
  CHECK(oi[1] == 2);
  CHECK(oi[2] == -1);
  CHECK(oc[3] == -1);
  CHECK(os[2] == T(0));
  CHECK(ob[8] == T(0));
  p.class_agnostic = false;
  p.max_output_per_class = 1;
  multiclass_nms(boxes, false, scores, 1, 3, 2, p, ob, os, oc, oi, cnt);
  REQUIRE(cnt[0] == 2);
  CHECK(oi[0] == 0);
  CHECK(oc[1] == 1);
}

TEST_CASE_TEMPLATE("multiclass_nms<RotatedIoU>: equals the axis-aligned one at 0 / 180 degrees and batched_nms", T,
                   float, double) {
  for (std::uint32_t seed = 1; seed <= 4; ++seed) {
    const std::size_t C = 3, N = 60, K = 50;
    std::vector<T> xyxy, rot, unused, scores;
    test::integer_boxes<T>(N * C, seed, xyxy, rot, unused);  // enough rows for per-class boxes
    scores = test::tie_scores<T>(N * C, seed, 6);
    for (bool per_class : {false, true}) {
      BasicMulticlassNmsParams<RotatedIoU> pr;
      pr.score_threshold = 0.1, pr.iou_threshold = 0.4, pr.max_total = K, pr.max_output_per_class = 12;
      pr.class_agnostic = seed == 3;
      MulticlassNmsParams pa;
      pa.score_threshold = 0.1, pa.iou_threshold = 0.4, pa.max_total = K, pa.max_output_per_class = 12;
      pa.class_agnostic = seed == 3;
      std::vector<T> oba(K * 4), osa(K), obr(K * 5), osr(K);
      std::vector<std::int32_t> oca(K), ca(1), ocr(K), cr(1);
      std::vector<std::int64_t> oia(K), oir(K);
      multiclass_nms(MulticlassNmsInputs<T>{xyxy.data(), scores.data(), 1, N, C, per_class}, pa,
                     MulticlassNmsOutputs<T>{oba.data(), osa.data(), oca.data(), oia.data(), ca.data()});
      multiclass_nms(MulticlassNmsInputs<T>{rot.data(), scores.data(), 1, N, C, per_class}, pr,
                     MulticlassNmsOutputs<T>{obr.data(), osr.data(), ocr.data(), oir.data(), cr.data()});
      CAPTURE(seed);
      CAPTURE(per_class);
      REQUIRE(cr[0] == ca[0]);
      CHECK(ocr == oca);
      CHECK(oir == oia);
      CHECK(osr == osa);
      for (std::int32_t k = 0; k < cr[0]; ++k) {
        const std::size_t row = per_class ? std::size_t(oir[k]) * C + std::size_t(ocr[k]) : std::size_t(oir[k]);
        CHECK(std::equal(obr.begin() + 5 * k, obr.begin() + 5 * k + 5, rot.begin() + 5 * row));
      }
    }
  }
  // Random rotated boxes: the per-class selection is batched_nms<RotatedIoU> over the candidates.
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> pos(0, 60), size(2, 20), ang(-180, 180), sc(0, 1);
  const std::size_t N = 120, C = 4, K = N * C;
  std::vector<T> boxes, scores;
  for (std::size_t i = 0; i < N; ++i)
    boxes.insert(boxes.end(), {T(pos(rng)), T(pos(rng)), T(size(rng)), T(size(rng)), T(ang(rng))});
  for (std::size_t q = 0; q < N * C; ++q) scores.push_back(T(sc(rng)));
  BasicMulticlassNmsParams<RotatedIoU> p;
  p.score_threshold = 0.3, p.iou_threshold = 0.2, p.max_total = K;
  std::vector<T> ob(K * 5), os(K);
  std::vector<std::int32_t> oc(K), cnt(1);
  std::vector<std::int64_t> oi(K);
  multiclass_nms(MulticlassNmsInputs<T>{boxes.data(), scores.data(), 1, N, C}, p,
                 MulticlassNmsOutputs<T>{ob.data(), os.data(), oc.data(), oi.data(), cnt.data()});
  std::vector<T> cand_boxes, cand_scores;
  std::vector<std::int64_t> cand_cls, cand_q;
  for (std::size_t q = 0; q < N * C; ++q)
    if (scores[q] > T(0.3)) {
      cand_boxes.insert(cand_boxes.end(), boxes.begin() + 5 * (q / C), boxes.begin() + 5 * (q / C) + 5);
      cand_scores.push_back(scores[q]);
      cand_cls.push_back(std::int64_t(q % C));
      cand_q.push_back(std::int64_t(q));
    }
  std::vector<std::int64_t> keep(cand_scores.size());
  BasicNmsOptions<RotatedIoU> o;
  keep.resize(batched_nms(cand_boxes.data(), cand_scores.data(), cand_cls.data(), cand_scores.size(), 0.2,
                          keep.data(), o));
  REQUIRE(std::size_t(cnt[0]) == keep.size());
  for (std::size_t k = 0; k < keep.size(); ++k) {
    CHECK(oi[k] == cand_q[keep[k]] / std::int64_t(C));
    CHECK(oc[k] == cand_q[keep[k]] % std::int64_t(C));
  }
}
