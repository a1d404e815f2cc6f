// Identity metrics: the reduced id matching against a brute-force search over all id matchings.
#include <locuskit/mot/identity.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

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

TEST_CASE("mot identity: the per-component co-occurrence matching equals one solve of the whole matrix") {
  // Random sparse id-pair counts (several components, some large, ties in the counts) against
  // the solver on the dense G×T matrix; and the map overload (py-motmetrics') alike.
  std::mt19937_64 rng(1212);
  for (int trial = 0; trial < 2000; ++trial) {
    const std::size_t G = 1 + rng() % 15, T = 1 + rng() % 25;
    std::vector<double> dense(G * T, 0.0);
    std::unordered_map<std::uint64_t, std::int64_t> by_key;
    const std::size_t n = rng() % (2 * (G + T));
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t g = rng() % G, t = (g * T / G + rng() % 4) % T;  // near a diagonal: components
      const std::int64_t c = 1 + static_cast<std::int64_t>(rng() % (trial % 3 ? 40 : 3));
      dense[g * T + t] += static_cast<double>(c);
      by_key[g * T + t] += c;
    }
    std::vector<std::uint32_t> gt, trk;
    std::vector<std::int64_t> count;
    for (const auto& kv : by_key)
      gt.push_back(static_cast<std::uint32_t>(kv.first / T)), trk.push_back(static_cast<std::uint32_t>(kv.first % T)), count.push_back(kv.second);
    const std::size_t k = std::min(G, T);
    std::vector<std::int64_t> mr(k), mc(k);
    linear_sum_assignment(dense.data(), G, T, mr.data(), mc.data(), /*maximize=*/true);
    std::int64_t want = 0;
    for (std::size_t q = 0; q < k; ++q) want += static_cast<std::int64_t>(dense[static_cast<std::size_t>(mr[q]) * T + static_cast<std::size_t>(mc[q])]);
    CAPTURE(trial);
    CHECK(detail::max_cooccurrence_matching(gt.data(), trk.data(), count.data(), count.size(), G, T) == want);
    CHECK(detail::max_cooccurrence_matching(by_key, T) == want);
  }
}

TEST_CASE("mot IdPairTable: values per (GT id, tracker id) pair, key order, front moves") {
  detail::IdPairTable<int> table(4);
  const std::uint32_t pairs[][2] = {{2, 7}, {0, 3}, {2, 1}, {2, 7}, {3, 0}, {2, 5}, {2, 1}, {2, 1}, {0, 3}};
  for (const auto& p : pairs) ++table.at(p[0], p[1]);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> keys;
  std::vector<int> values;
  for (const std::uint32_t sl : table.key_order()) keys.emplace_back(table.slots[sl].gt, table.slots[sl].trk), values.push_back(table.slots[sl].value);
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> want_keys{{0, 3}, {2, 1}, {2, 5}, {2, 7}, {3, 0}};
  CHECK(keys == want_keys);
  CHECK(values == std::vector<int>{2, 3, 1, 2, 1});
}
