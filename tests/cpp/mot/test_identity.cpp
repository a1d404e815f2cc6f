// Identity metrics: the reduced id matching against a brute-force search over all id matchings.
#include <locuskit/mot/identity.hpp>

#include <algorithm>
#include <random>
#include <string>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE("mot identity: IDTP is the best one-to-one id matching (brute force)") {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 30; ++trial) {
    // 3 GT ids, 4 tracker ids on a few positions over 12 frames.
    std::string gt_text, trk_text;
    std::uniform_int_distribution<int> pos(0, 3), coin(0, 3);
    for (int f = 1; f <= 12; ++f) {
      for (int g = 1; g <= 3; ++g)
        if (coin(rng)) gt_text += std::to_string(f) + "," + std::to_string(g) + "," + std::to_string(100 * g) + ",0,10,10,1,1,1\n";
      for (int t = 1; t <= 4; ++t)
        if (coin(rng)) trk_text += std::to_string(f) + "," + std::to_string(t) + "," + std::to_string(100 * (1 + pos(rng) % 3)) + ",0,10,10,1\n";
    }
    const MotSequenceData d = preprocess_mot_sequence(parse_mot(gt_text, MotFileKind::ground_truth, "gt"),
                                                      parse_mot(trk_text, MotFileKind::tracker, "t"), 12);
    if (d.num_gt_dets == 0 || d.num_tracker_dets == 0) continue;
    // co-occurrence counts
    std::vector<std::vector<int>> c(d.num_gt_ids, std::vector<int>(d.num_tracker_ids, 0));
    std::vector<double> sim;
    for (std::int64_t t = 0; t < d.num_timesteps; ++t) {
      mot_frame_similarity(d, t, sim);
      for (std::size_t i = 0; i < d.num_gt(t); ++i)
        for (std::size_t j = 0; j < d.num_trk(t); ++j)
          if (sim[i * d.num_trk(t) + j] >= 0.5) ++c[d.gt_ids[d.gt_begin[t] + i]][d.tracker_ids[d.trk_begin[t] + j]];
    }
    // brute force: every injective map from GT ids to tracker ids or "none"
    std::vector<int> perm(d.num_tracker_ids);
    for (int k = 0; k < d.num_tracker_ids; ++k) perm[k] = k;
    int best = 0;
    do {
      int s = 0;
      for (int g = 0; g < d.num_gt_ids && g < d.num_tracker_ids; ++g) s += c[g][perm[g]];
      best = std::max(best, s);
    } while (std::next_permutation(perm.begin(), perm.end()));
    const IdentityResult r = identity_sequence(d);
    CAPTURE(trial);
    CHECK(r.IDTP == best);
    CHECK(r.IDFN == d.num_gt_dets - best);
    CHECK(r.IDFP == d.num_tracker_dets - best);
    CHECK(r.IDF1 == static_cast<double>(best) / std::max(1.0, best + 0.5 * r.IDFP + 0.5 * r.IDFN));
  }
}
