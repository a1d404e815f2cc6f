// nms/io.hpp: every NMS variant takes (NmsInputs, Params, NmsOutputs, Workspace*); the positional
// forms are forwarders, so here: the new form with one shared workspace equals a fresh call, and
// the members only the new form has (max_output of weighted_nms, its kept_scores, cluster_nms's
// iterations through the outputs) do what they say.
#include <locuskit/nms.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("nms/io: every variant through (inputs, params, outputs, workspace)", T, float, double) {
  NmsWorkspace<T> ws;
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    const std::size_t n = 50 * seed;
    const auto boxes = test::random_boxes<T>(n, seed, T(60));
    const auto scores = test::tie_scores<T>(n, seed, 9);
    const auto loc = test::tie_scores<T>(n, seed + 50, 7);
    std::vector<std::int64_t> classes(n);
    for (std::size_t i = 0; i < n; ++i) classes[i] = std::int64_t(i % 3);
    const NmsInputs<T> in{boxes.data(), scores.data(), n, classes.data(), loc.data()};
    std::vector<std::int64_t> k0(n), k1(n);
    std::vector<T> s0(n), s1(n), b0(4 * n), b1(4 * n);
    const NmsOutputs<T> fresh{k0.data(), s0.data(), b0.data()}, warm{k1.data(), s1.data(), b1.data()};
    auto same = [&](std::size_t a, std::size_t b, bool scores_too, bool boxes_too) {
      REQUIRE(a == b);
      CHECK(std::equal(k0.begin(), k0.begin() + a, k1.begin()));
      if (scores_too) CHECK(std::equal(s0.begin(), s0.begin() + a, s1.begin()));
      if (boxes_too) CHECK(std::equal(b0.begin(), b0.begin() + 4 * a, b1.begin()));
    };
    NmsParams np;
    np.iou_threshold = 0.45, np.max_output = 20;
    same(nms(in, np, fresh), nms(in, np, warm, &ws), false, false);
    same(batched_nms(in, np, fresh), batched_nms(in, np, warm, &ws), false, false);
    SoftNmsParams sp;
    sp.score_threshold = 0.1;
    same(soft_nms(in, sp, fresh), soft_nms(in, sp, warm, &ws), true, false);
    DiouNmsParams dp;
    same(diou_nms(in, dp, fresh), diou_nms(in, dp, warm, &ws), false, false);
    FastNmsParams fp;
    fp.top_k = 100;
    same(fast_nms(in, fp, fresh), fast_nms(in, fp, warm, &ws), false, false);
    std::size_t it0 = 0, it1 = 0;
    NmsOutputs<T> fresh_it = fresh, warm_it = warm;
    fresh_it.iterations = &it0, warm_it.iterations = &it1;
    same(cluster_nms(in, fp, fresh_it), cluster_nms(in, fp, warm_it, &ws), false, false);
    CHECK(it0 == it1);
    CHECK(it0 >= 1);
    MatrixNmsParams mp;
    same(matrix_nms(in, mp, fresh), matrix_nms(in, mp, warm, &ws), true, false);
    IouGuidedNmsParams gp;
    same(iou_guided_nms(in, gp, fresh), iou_guided_nms(in, gp, warm, &ws), true, false);
    same(batched_iou_guided_nms(in, gp, fresh), batched_iou_guided_nms(in, gp, warm, &ws), true, false);
    // weighted_nms: kept_scores are the kept boxes' own scores; max_output cuts a prefix.
    WeightedNmsParams wp;
    const std::size_t all = weighted_nms(in, wp, fresh);
    for (std::size_t i = 0; i < all; ++i) CHECK(s0[i] == scores[std::size_t(k0[i])]);
    wp.max_output = all / 2;
    same(weighted_nms(in, wp, warm, &ws), all / 2, true, true);
    // The positional forms forward to the same code.
    std::vector<std::int64_t> kp(n);
    const std::size_t kn = nms(boxes.data(), scores.data(), n, 0.45, kp.data());
    np.max_output = n;
    REQUIRE(nms(in, np, fresh) == kn);
    CHECK(std::equal(kp.begin(), kp.begin() + kn, k0.begin()));
  }
}
