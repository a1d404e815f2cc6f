// HOTA pieces: numpy's summation order reproduced on sparse matrices, alphas, hand-checked cases.
#include <locuskit/mot/hota.hpp>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <random>
#include <string>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE("mot hota: sparse numpy sum equals the dense numpy order bit for bit") {
  std::mt19937 rng(7);
  for (std::size_t n : {1u, 7u, 8u, 9u, 127u, 128u, 129u, 1000u, 8192u, 8193u, 20000u, 70001u}) {
    std::vector<double> dense(n, 0.0);
    std::vector<std::uint64_t> idx;
    std::vector<double> val;
    std::uniform_real_distribution<double> u(0, 1);
    for (std::size_t i = 0; i < n; ++i)
      if (u(rng) < 0.1) dense[i] = u(rng) * 1e3 / 7;
    for (std::size_t i = 0; i < n; ++i)
      if (dense[i] != 0) idx.push_back(i), val.push_back(dense[i]);
    CAPTURE(n);
    CHECK(test::same_bits(detail::sparse_numpy_sum(n, idx.data(), val.data(), idx.size()),
                          numpy_sum(dense.data(), n)));
  }
}

TEST_CASE("mot hota: alphas are numpy.arange(0.05, 0.99, 0.05)") {
  CHECK(hota_alpha(0) == 0.05);
  CHECK(hota_alpha(2) == 0.15000000000000002);
  CHECK(hota_alpha(6) == 0.35000000000000003);
  CHECK(hota_alpha(11) == 0.6000000000000001);
  CHECK(hota_alpha(18) == 0.9500000000000001);
}

TEST_CASE("mot hota: a perfect tracker scores 1, an empty one 0 with LocA 1") {
  const MotRows gt = parse_mot("1,1,0,0,10,10,1,1,1\n2,1,1,0,10,10,1,1,1\n", MotFileKind::ground_truth, "gt");
  const MotRows same = parse_mot("1,5,0,0,10,10,1\n2,5,1,0,10,10,1\n", MotFileKind::tracker, "t");
  const HotaResult r = hota_sequence(preprocess_mot_sequence(gt, same, 2));
  for (int a = 0; a < hota_num_alphas; ++a) {
    CHECK(r.HOTA[a] == 1.0);
    CHECK(r.LocA[a] == 1.0);
    CHECK(r.HOTA_TP[a] == 2.0);
  }
  const HotaResult e = hota_sequence(preprocess_mot_sequence(gt, parse_mot("", MotFileKind::tracker, "t"), 2));
  CHECK(e.HOTA_FN[5] == 2.0);
  CHECK(e.HOTA[5] == 0.0);
  CHECK(e.LocA[5] == 1.0);
  CHECK(e.LocA0 == 1.0);
  CHECK(e.HOTALocA0 == 0.0);
}

TEST_CASE("mot hota: a half-overlapping box is a TP up to alpha 1/3 only") {
  // IoU of [0,10]x[0,10] and [5,15]x[0,10] = 50/150 = 1/3.
  const MotRows gt = parse_mot("1,1,0,0,10,10,1,1,1\n", MotFileKind::ground_truth, "gt");
  const MotRows trk = parse_mot("1,1,5,0,10,10,1\n", MotFileKind::tracker, "t");
  const HotaResult r = hota_sequence(preprocess_mot_sequence(gt, trk, 1));
  CHECK(r.HOTA_TP[5] == 1.0);  // alpha 0.30
  CHECK(r.HOTA_TP[6] == 0.0);  // alpha 0.35
  CHECK(r.HOTA_FP[6] == 1.0);
  CHECK(r.DetA[0] == 1.0);
}

TEST_CASE("mot hota: row sums over the non-zero IoUs equal numpy's dense row sums (zeros of both signs)") {
  // hota_sequence sums each frame row as 0.0 + np.sum(row) over its non-zero entries only; rows
  // may hold -0.0 IoUs (a non-overlapping pair), which the sparse sum leaves out.
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 3000; ++trial) {
    const std::size_t n = 1 + rng() % (trial % 10 == 0 ? 400 : 40);
    std::vector<double> dense(n, 0.0);
    std::vector<std::uint64_t> idx;
    std::vector<double> val;
    for (std::size_t i = 0; i < n; ++i) {
      const double p = u(rng);
      dense[i] = p < 0.3 ? -0.0 : p < 0.5 ? u(rng) : p < 0.55 ? 0.5 : 0.0;
      if (dense[i] != 0) idx.push_back(i), val.push_back(dense[i]);
    }
    CAPTURE(trial);
    CHECK(test::same_bits(0.0 + detail::sparse_pairwise_sum(0, n, idx.data(), val.data(), 0, idx.size()),
                          0.0 + detail::numpy_pairwise_sum(dense.data(), n)));
  }
}

TEST_CASE("mot hota: a row with one or two non-zeros sums to x or x + y in numpy's pairwise order") {
  // sparse_pairwise_sums takes that shortcut for any subtree: with two non-zeros the pairwise
  // tree adds them once (in some order; addition commutes) and otherwise adds zeros to a
  // non-negative sum. Checked against the dense order, and the sparse sum alike.
  std::mt19937 rng(19);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 5000; ++trial) {
    const std::size_t n = 2 + rng() % (trial % 10 == 0 ? 600 : 60);
    std::vector<double> dense(n, 0.0);
    const std::size_t a = rng() % n, b = (a + 1 + rng() % (n - 1)) % n;
    const double x = u(rng), y = trial % 3 ? u(rng) * 1e-7 : u(rng);
    dense[a] = x;
    CAPTURE(trial);
    CHECK(test::same_bits(0.0 + detail::numpy_pairwise_sum(dense.data(), n), x));
    dense[b] = y;
    CHECK(test::same_bits(0.0 + detail::numpy_pairwise_sum(dense.data(), n), x + y));
    const std::uint64_t lo = std::min(a, b), hi = std::max(a, b);
    const std::uint64_t idx[2] = {lo, hi};
    const double val[2] = {dense[lo], dense[hi]};
    CHECK(test::same_bits(detail::sparse_pairwise_sum(0, n, idx, val, 0, 2), x + y));
  }
}

TEST_CASE("mot hota: a matched pair counts for exactly the alphas with IoU >= alpha - eps (TP and LocA)") {
  // One GT box [0,10]x[0,10] per frame and one tracker box whose width sets the IoU (w / 10 for
  // w <= 10): IoUs 0.049, 0.05, 0.25, 1/3, 0.5, 0.55, 0.949, 0.95, 1 at and around the alphas.
  const double widths[] = {0.49, 0.5, 2.5, 10.0 / 3, 5, 5.5, 9.49, 9.5, 10};
  const std::size_t n = sizeof widths / sizeof widths[0];
  std::string g, t;
  for (std::size_t f = 0; f < n; ++f) {
    g += std::to_string(f + 1) + ",1,0,0,10,10,1,1,1\n";
    char line[96];
    std::snprintf(line, sizeof line, "%zu,1,0,0,%.17g,10,1\n", f + 1, widths[f]);
    t += line;
  }
  const MotSequenceData d = preprocess_mot_sequence(parse_mot(g, MotFileKind::ground_truth, "gt"),
                                                    parse_mot(t, MotFileKind::tracker, "t"), static_cast<std::int64_t>(n));
  REQUIRE(d.overlap_iou.size() == n);
  const HotaResult r = hota_sequence(d);
  for (int a = 0; a < hota_num_alphas; ++a) {
    // TrackEval: a match counts at alpha where its similarity >= alpha - eps; LocA sums those
    // similarities frame by frame (1e-10 floors).
    double tp = 0, loc = 0;
    for (std::size_t f = 0; f < n; ++f)
      if (d.overlap_iou[f] >= hota_alpha(a) - std::numeric_limits<double>::epsilon()) ++tp, loc += d.overlap_iou[f];
    CAPTURE(a);
    CHECK(r.HOTA_TP[a] == tp);
    CHECK(r.HOTA_FN[a] == static_cast<double>(n) - tp);
    CHECK(test::same_bits(r.LocA[a], std::max(1e-10, loc) / std::max(1e-10, tp)));
  }
  CHECK(r.HOTA_TP[0] == 8.0);   // all but 0.049
  CHECK(r.HOTA_TP[18] == 2.0);  // 0.95 and 1
}

TEST_CASE("mot hota: many arrays summed over shared positions (zeros included) equal each summed alone") {
  // hota_sequence sums the 3 x 19 association arrays in one traversal over the positions of every
  // matched id pair, where an array may hold +0; each must equal numpy's sum of its dense array.
  std::mt19937 rng(12);
  std::uniform_real_distribution<double> u(0, 1);
  for (const std::size_t n : {5u, 100u, 8192u, 20000u, 160000u}) {
    std::vector<std::uint64_t> idx;
    for (std::size_t i = 0; i < n; ++i)
      if (u(rng) < (n > 10000 ? 0.01 : 0.3)) idx.push_back(i);
    constexpr std::size_t N = 57;
    std::vector<std::vector<double>> val(N, std::vector<double>(idx.size()));
    const double* ptr[N];
    for (std::size_t v = 0; v < N; ++v) {
      const double p_zero = static_cast<double>(v) / N;  // later arrays mostly zero, as at high alphas
      for (double& x : val[v]) x = u(rng) < p_zero ? 0.0 : u(rng) * 37 / 3;
      ptr[v] = val[v].data();
    }
    double sums[N];
    detail::sparse_numpy_sums<N>(n, idx.data(), ptr, idx.size(), sums);
    for (std::size_t v = 0; v < N; ++v) {
      std::vector<double> dense(n, 0.0);
      for (std::size_t k = 0; k < idx.size(); ++k) dense[idx[k]] = val[v][k];
      CAPTURE(n);
      CAPTURE(v);
      CHECK(test::same_bits(sums[v], numpy_sum(dense.data(), n)));
    }
  }
}
