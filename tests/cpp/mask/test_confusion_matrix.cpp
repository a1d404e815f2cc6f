// mask/confusion_matrix.hpp: counts, ignore_index, reduce_zero_label, out-of-range labels, threads.
#include <doctest/doctest.h>

#include <locuskit/mask/confusion_matrix.hpp>

#include <cstdint>
#include <random>
#include <vector>

TEST_CASE("confusion matrix: rows = GT, columns = prediction, extra index for out-of-range labels") {
  const std::uint8_t pred[] = {0, 1, 9, 1, 2, 255};
  const std::uint8_t gt[] = {0, 1, 1, 7, 255, 2};
  std::vector<std::uint64_t> m(16, 0);  // 3 classes + "outside"
  locuskit::confusion_matrix_update(pred, gt, 6, locuskit::LabelRules{3, 255, false}, m.data());
  // (0,0) (1,1) (1,out) (out,1); GT 255 ignored; (2,out)
  const std::vector<std::uint64_t> expected = {1, 0, 0, 0, /**/ 0, 1, 0, 1, /**/ 0, 0, 0, 1, /**/ 0, 1, 0, 0};
  CHECK(m == expected);
}

TEST_CASE("confusion matrix: reduce_zero_label maps GT 0 -> ignored, k -> k-1, 255 stays ignored") {
  const std::uint8_t pred[] = {0, 0, 1, 0};
  const std::uint8_t gt[] = {0, 1, 2, 255};
  std::vector<std::uint64_t> m(9, 0);
  locuskit::confusion_matrix_update(pred, gt, 4, locuskit::LabelRules{2, 255, true}, m.data());
  CHECK(m == std::vector<std::uint64_t>{1, 0, 0, 0, 1, 0, 0, 0, 0});
}

TEST_CASE("confusion matrix: signed negatives and uint64 above INT64_MAX are outside; thread count irrelevant") {
  const std::int64_t pred[] = {-1, 0};
  const std::int64_t gt[] = {0, -3};
  std::vector<std::uint64_t> m(4, 0);
  locuskit::confusion_matrix_update(pred, gt, 2, locuskit::LabelRules{1, 255, false}, m.data());
  CHECK(m == std::vector<std::uint64_t>{0, 1, 1, 0});
  const std::uint64_t up[] = {~std::uint64_t(0)}, ug[] = {~std::uint64_t(0)};
  std::vector<std::uint64_t> mu(4, 0);
  locuskit::confusion_matrix_update(up, ug, 1, locuskit::LabelRules{1, -1, false}, mu.data());
  CHECK(mu == std::vector<std::uint64_t>{0, 0, 0, 1});
  std::mt19937 rng(5);
  std::vector<std::int32_t> p(300000), g(300000);
  for (auto& v : p) v = static_cast<std::int32_t>(rng() % 7);
  for (auto& v : g) v = static_cast<std::int32_t>(rng() % 7);
  std::vector<std::uint64_t> one(49, 0), four(49, 0), naive(49, 0);
  locuskit::confusion_matrix_update(p.data(), g.data(), p.size(), locuskit::LabelRules{6, 255, false}, one.data());
  locuskit::confusion_matrix_update(p.data(), g.data(), p.size(), locuskit::LabelRules{6, 255, false}, four.data(),
                                    locuskit::Parallel{4});
  for (std::size_t i = 0; i < p.size(); ++i) ++naive[static_cast<std::size_t>(std::min(g[i], 6) * 7 + std::min(p[i], 6))];
  CHECK(one == naive);
  CHECK(four == naive);
}

TEST_CASE("confusion matrix: the 8-bit pair-histogram path equals the generic path (uint8, int8, rules)") {
  std::mt19937 rng(9);
  std::vector<std::uint8_t> p8(200000), g8(200000);
  for (auto& v : p8) v = static_cast<std::uint8_t>(rng() % 9 == 0 ? 255 : rng() % 7);
  for (auto& v : g8) v = static_cast<std::uint8_t>(rng() % 11 == 0 ? 255 : rng() % 8);
  std::vector<std::int32_t> p32(p8.begin(), p8.end()), g32(g8.begin(), g8.end());
  std::vector<std::int8_t> ps(p8.size()), gs(g8.size());
  for (std::size_t i = 0; i < p8.size(); ++i) {
    ps[i] = static_cast<std::int8_t>(p8[i]);  // 255 -> -1
    gs[i] = static_cast<std::int8_t>(g8[i]);
  }
  std::vector<std::int32_t> ps32(ps.begin(), ps.end()), gs32(gs.begin(), gs.end());
  for (bool reduce : {false, true}) {
    const locuskit::LabelRules rules{6, 255, reduce};
    std::vector<std::uint64_t> a(49, 0), b(49, 0), c(49, 0), d(49, 0);
    locuskit::confusion_matrix_update(p8.data(), g8.data(), p8.size(), rules, a.data(), locuskit::Parallel{3});
    locuskit::confusion_matrix_update(p32.data(), g32.data(), p32.size(), rules, b.data());
    CHECK(a == b);
    const locuskit::LabelRules signed_rules{6, -1, reduce};
    locuskit::confusion_matrix_update(ps.data(), gs.data(), ps.size(), signed_rules, c.data());
    locuskit::confusion_matrix_update(ps32.data(), gs32.data(), ps32.size(), signed_rules, d.data());
    CHECK(c == d);
  }
}
