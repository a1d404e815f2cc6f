// detail/mot/numeric.hpp: the per-component assignment shortcut against the full solver.
#include <locuskit/detail/mot/numeric.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "test_support.hpp"

using namespace locuskit;

namespace {
// Positive pairs of the solver's (scipy-identical) assignment, in row order.
void solver_positive_pairs(const std::vector<double>& m, std::size_t nr, std::size_t nc, std::vector<std::int64_t>& r,
                           std::vector<std::int64_t>& c) {
  const std::size_t k = std::min(nr, nc);
  std::vector<std::int64_t> rr(k), cc(k);
  linear_sum_assignment(m.data(), nr, nc, rr.data(), cc.data(), true);
  r.clear(), c.clear();
  for (std::size_t q = 0; q < k; ++q)
    if (m[static_cast<std::size_t>(rr[q]) * nc + static_cast<std::size_t>(cc[q])] > 0) r.push_back(rr[q]), c.push_back(cc[q]);
}
}  // namespace

TEST_CASE("mot max_score_pairs: the per-component shortcut gives the solver's positive pairs") {
  std::mt19937_64 rng(20261205);
  detail::MotAssignScratch scratch;
  std::vector<std::int64_t> r, c, sr, sc;
  int shortcut_used = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    const std::size_t nr = 1 + rng() % 12, nc = 1 + rng() % 12;
    const double density = 0.02 + 0.3 * static_cast<double>(rng() % 1000) / 1000.0;
    std::vector<double> m(nr * nc, 0.0);
    for (double& x : m) {
      const double u = std::uniform_real_distribution<double>(0, 1)(rng);
      if (u < density) {
        // Ties on purpose: a few quantised values, sometimes the CLEAR-style 1000 bonus.
        const int kind = static_cast<int>(rng() % 4);
        x = kind == 0 ? 0.5 : kind == 1 ? 0.25 + 0.25 * static_cast<double>(rng() % 3)
                                         : std::uniform_real_distribution<double>(0.01, 1)(rng);
        if (rng() % 8 == 0) x += 1000;
      }
    }
    detail::max_score_pairs(m.data(), nr, nc, r, c, scratch);
    std::vector<std::int64_t> pr, pc;  // keep positive pairs only (the callers' rule)
    for (std::size_t q = 0; q < r.size(); ++q)
      if (m[static_cast<std::size_t>(r[q]) * nc + static_cast<std::size_t>(c[q])] > 0) pr.push_back(r[q]), pc.push_back(c[q]);
    solver_positive_pairs(m, nr, nc, sr, sc);
    if (r.size() != std::min(nr, nc) || pr.size() != r.size()) ++shortcut_used;
    CAPTURE(trial);
    REQUIRE(pr == sr);
    REQUIRE(pc == sc);
  }
  CHECK(shortcut_used > 1000);  // the shortcut path was actually exercised
}

TEST_CASE("mot max_score_pairs: an exact tie inside a component is left to the solver") {
  // One row, two equal columns: scipy's choice (column 0 here) must come from the solver.
  const std::vector<double> m{0.7, 0.7, 0.0, 0.0, 0.0, 0.9};
  detail::MotAssignScratch scratch;
  std::vector<std::int64_t> r, c, sr, sc;
  detail::max_score_pairs(m.data(), 2, 3, r, c, scratch);
  solver_positive_pairs(m, 2, 3, sr, sc);
  CHECK(r == sr);
  CHECK(c == sc);
}

namespace {
// TrackEval's `_calculate_box_ious(box_format='xywh')` for one pair, operation by operation as
// numpy does it (np.maximum(x, 0) keeps -0.0, as std::max(x, 0.0) does).
double trackeval_iou(const double* g, const double* t) {
  const double eps = detail::mot_eps;
  const double gx1 = g[0] + g[2], gy1 = g[1] + g[3], tx1 = t[0] + t[2], ty1 = t[1] + t[3];
  const double inter0 = std::max(std::min(gx1, tx1) - std::max(g[0], t[0]), 0.0) *
                        std::max(std::min(gy1, ty1) - std::max(g[1], t[1]), 0.0);
  const double ga = (gx1 - g[0]) * (gy1 - g[1]), ta = (tx1 - t[0]) * (ty1 - t[1]);
  const double uni = ga + ta - inter0;
  double inter = inter0;
  if (ga <= 0 + eps || ta <= 0 + eps || uni <= 0 + eps) inter = 0;
  return inter / (uni <= 0 + eps ? 1.0 : uni);
}
}  // namespace

TEST_CASE("mot MotBoxes: iou and the listed non-zero IoUs of a frame equal TrackEval's formula bit for bit") {
  // mot_rows_nonzero_iou (the float overlap mask, the pairs listed four per mask word, their IoUs
  // two at a time, the ±0 ones squeezed out) against the plain dense per-pair formula, on random
  // and degenerate boxes: zero, negative and eps-sized sizes, ±0, touching edges, corners that
  // overflow to inf, huge and tiny values, coordinates equal after rounding to float.
  std::mt19937_64 rng(1205);
  std::uniform_real_distribution<double> u(0, 1);
  auto coord = [&](bool size) {
    switch (static_cast<int>(rng() % 12)) {
      case 0: return size ? 0.0 : -0.0;
      case 1: return static_cast<double>(rng() % 4);
      case 2: return 1e-9 * static_cast<double>(rng() % 3);
      case 3: return rng() % 8 == 0 ? (rng() % 2 ? 1 : -1) * 1.5e308 : 1000 * u(rng) - 100;
      case 4: return size ? -static_cast<double>(rng() % 3) : 5.0;                // negative size
      case 5: return size ? 1e-8 * static_cast<double>(1 + rng() % 2) : 1.0;     // area ~ eps
      case 6: return 777.0 + 1e-10 * static_cast<double>(rng() % 5);             // one float, five doubles
      case 7: return size ? 1e-160 : 1e-300 * static_cast<double>(rng() % 3);    // underflowing products
      case 8: return (rng() % 2 ? 1 : -1) * 1e300;
      default: return size ? 200 * u(rng) : 1000 * u(rng) - 100;
    }
  };
  std::size_t overlapping = 0, total = 0, long_rows = 0, squeezed = 0;
  detail::MotOverlapScratch scratch;
  detail::MotFloatCorners corners;
  for (int trial = 0; trial < 3000; ++trial) {
    const std::size_t ng = 1 + rng() % 7, nt = trial % 10 == 0 ? 60 + rng() % 100 : rng() % 12;  // > 64: blocks
    std::vector<double> g(4 * ng), t(4 * nt);
    for (std::size_t k = 0; k < g.size(); ++k) g[k] = coord(k % 4 >= 2);
    for (std::size_t k = 0; k < t.size(); ++k) t[k] = coord(k % 4 >= 2);
    // Sometimes a tracker box copies a GT box, shares an edge with it or overlaps it a little.
    for (std::size_t j = 0; j < nt; ++j) {
      const std::size_t i = rng() % ng;
      if (rng() % 4 == 0) std::copy_n(g.begin() + 4 * i, 4, t.begin() + 4 * j);
      if (rng() % 8 == 0) t[4 * j] = g[4 * i] + g[4 * i + 2], t[4 * j + 1] = g[4 * i + 1];  // touching on the right
      if (rng() % 8 == 0) t[4 * j] = g[4 * i] + 0.5 * g[4 * i + 2], t[4 * j + 1] = g[4 * i + 1];
    }
    std::vector<std::size_t> go(ng), to(nt);
    for (std::size_t k = 0; k < ng; ++k) go[k] = k;
    for (std::size_t k = 0; k < nt; ++k) to[k] = k;
    const detail::MotBoxes gb(g.data(), go.data(), ng), tb(t.data(), to.data(), nt);
    // The rows: all of them from g0 (null list), or a list in any order with repeats.
    const std::size_t g0 = rng() % ng, nr = trial % 2 == 0 ? ng - g0 : 1 + rng() % 6, row0 = rng() % 3;
    std::vector<std::size_t> rows(nr);
    for (std::size_t r = 0; r < nr; ++r) rows[r] = trial % 2 == 0 ? g0 + r : rng() % ng;
    const std::size_t b0 = nt > 0 ? rng() % nt : 0, n = nt - b0;  // odd and even lengths, any start
    long_rows += n > 64;
    corners.assign(tb, b0, n);
    const std::size_t slots = nr * n + 1;
    std::vector<std::uint64_t> ij(slots + 1, ~std::uint64_t{0});
    std::vector<double> v(slots + 1, -7.0);
    const std::size_t m = detail::mot_rows_nonzero_iou(gb, trial % 2 == 0 ? nullptr : rows.data(), g0, nr, row0, tb,
                                                       corners, b0, n, ij.data(), v.data(), scratch);
    std::size_t q = 0;
    for (std::size_t r = 0; r < nr; ++r) {
      const std::size_t i = rows[r];
      for (std::size_t j = 0; j < n; ++j) {
        double want = trackeval_iou(&g[4 * i], &t[4 * (b0 + j)]);
        // Corners that overflow to inf make TrackEval's IoU NaN (inf - inf); MotBoxes gives +0
        // there (its union test is `> eps`, false for NaN), as it always has.
        if (std::isnan(want)) want = 0.0;
        const double got = gb.iou(i, tb, b0 + j);
        CAPTURE(trial);
        CAPTURE(r);
        CAPTURE(j);
        REQUIRE(std::signbit(got) == std::signbit(want));
        REQUIRE(got == want);
        ++total;
        if (want == 0) {  // not listed; the mask may still have kept it (squeezed out)
          squeezed += ((gb.overlap_mask(i, corners, j, 1)) & 1) != 0;
          continue;
        }
        ++overlapping;
        REQUIRE(q < m);
        std::uint32_t rc[2];
        std::memcpy(rc, &ij[q], sizeof rc);
        CHECK(rc[0] == row0 + r);
        REQUIRE(rc[1] == j);
        REQUIRE(test::same_bits(v[q], want));
        ++q;
      }
    }
    CHECK(q == m);
    CHECK(v[slots] == -7.0);  // nothing written past the slots
    CHECK(ij[slots] == ~std::uint64_t{0});
  }
  CHECK(overlapping > total / 50);
  CHECK(long_rows > 50);
  CHECK(squeezed > 100);  // the second pass ran on pairs the mask kept with IoU ±0
}

#if defined(__SSE2__)
TEST_CASE("mot MotBoxes::iou2: both lanes equal iou() bit for bit, ±0 included") {
  std::mt19937_64 rng(2612);
  const double values[] = {0.0, -0.0, 1.0, 2.0, 3.0, 1e-9, 1e-8, -1.0, 777.0, 777.0000000001, 1e300, -1e300, 1.5e308, 1e-300, 5.5};
  auto pick = [&] { return values[rng() % (sizeof values / sizeof values[0])]; };
  std::vector<double> g(4 * 64), t(4 * 64);
  for (double& x : g) x = pick();
  for (double& x : t) x = pick();
  for (std::size_t j = 0; j < 64; j += 3) std::copy_n(g.begin() + 4 * (rng() % 64), 4, t.begin() + 4 * j);
  std::vector<std::size_t> o(64);
  for (std::size_t k = 0; k < 64; ++k) o[k] = k;
  const detail::MotBoxes gb(g.data(), o.data(), 64), tb(t.data(), o.data(), 64);
  std::size_t nonzero = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    const std::size_t i0 = rng() % 64, i1 = rng() % 64, j0 = rng() % 64, j1 = rng() % 64;
    double got[2];
    _mm_storeu_pd(got, gb.iou2(i0, i1, tb, j0, j1));
    CAPTURE(trial);
    REQUIRE(test::same_bits(got[0], gb.iou(i0, tb, j0)));
    REQUIRE(test::same_bits(got[1], gb.iou(i1, tb, j1)));
    nonzero += got[0] != 0;
  }
  CHECK(nonzero > 250);
}
#endif

TEST_CASE("mot MotBoxes::overlap_mask keeps every pair with a non-zero IoU, including edge cases") {
  // xywh boxes: touching edges (IoU 0: may be dropped), tiny overlaps, zero sizes, ±0, huge values.
  const std::vector<double> t{0, 0, 10, 10,   10, 0, 10, 10,   9.999999999, 0, 10, 10,  -0.0, -0.0, 0, 0,
                              5, 5, 0, 0,     1e308, 1e308, 1e308, 1e308,  -1e308, -1e308, 1e308, 1e308,
                              0, 10, 10, 10,  0, 9.5, 10, 10};
  const std::vector<double> g{0, 0, 10, 10,  -1e308, -1e308, 1e308, 1e308,  5, 5, 0, 0};
  const std::size_t nt = t.size() / 4, ng = g.size() / 4;
  std::vector<std::size_t> to(nt), go(ng);
  for (std::size_t k = 0; k < nt; ++k) to[k] = k;
  for (std::size_t k = 0; k < ng; ++k) go[k] = k;
  const detail::MotBoxes gb(g.data(), go.data(), ng), tb(t.data(), to.data(), nt);
  detail::MotFloatCorners corners;
  corners.assign(tb, 0, nt);
  for (std::size_t i = 0; i < ng; ++i) {
    const std::uint64_t mask = gb.overlap_mask(i, corners, 0, nt);
    for (std::size_t j = 0; j < nt; ++j) {
      const double want = gb.iou(i, tb, j);
      CAPTURE(i);
      CAPTURE(j);
      const double te = trackeval_iou(&g[4 * i], &t[4 * j]);
      CHECK(want == (std::isnan(te) ? 0.0 : te));  // NaN: overflowing corners, see above
      if (want != 0) CHECK(((mask >> j) & 1) == 1);
    }
  }
  // Box 0 against itself, the sliver at x = 9.999999999 and the box at y = 9.5 overlap. The boxes
  // touching at x = 10 or y = 10 pass the float comparisons (<=: a superset), IoU 0 all the same.
  const std::uint64_t m0 = gb.overlap_mask(0, corners, 0, nt);
  CHECK((m0 & 1) == 1);
  CHECK(((m0 >> 2) & 1) == 1);
  CHECK(((m0 >> 8) & 1) == 1);
  CHECK(gb.iou(0, tb, 1) == 0);
  CHECK(gb.iou(0, tb, 7) == 0);
  // Boxes 1e-9 apart in double are one box apart in float: kept by the mask, not overlapping.
  const std::vector<double> a{1000, 0, 1, 1}, b{1001.000000001, 0, 1, 1}, c{1000.999999999, 0, 1, 1};
  const std::size_t zero = 0;
  const detail::MotBoxes ba(a.data(), &zero, 1), bb(b.data(), &zero, 1), bc(c.data(), &zero, 1);
  detail::MotFloatCorners cb, cc;
  cb.assign(bb, 0, 1), cc.assign(bc, 0, 1);
  CHECK(ba.overlap_mask(0, cb, 0, 1) == 1);
  CHECK(ba.iou(0, bb, 0) == 0);
  CHECK(ba.overlap_mask(0, cc, 0, 1) == 1);
  CHECK(ba.iou(0, bc, 0) > 0);
}

namespace {
std::vector<std::uint32_t> all_positions(std::size_t nr, std::size_t nc) {
  std::vector<std::uint32_t> ij;
  for (std::size_t i = 0; i < nr; ++i)
    for (std::size_t j = 0; j < nc; ++j) ij.push_back(static_cast<std::uint32_t>(i)), ij.push_back(static_cast<std::uint32_t>(j));
  return ij;
}
bool certify(const std::vector<double>& m, std::size_t nr, std::size_t nc, std::vector<std::int64_t>& r,
             std::vector<std::int64_t>& c, detail::MotAssignScratch& s) {
  const std::vector<std::uint32_t> all = all_positions(nr, nc);
  return detail::unique_best_line_pairs(m.data(), nr, nc, all.data(), nr * nc, r, c, s);
}
}  // namespace

TEST_CASE("mot unique_best_line_pairs: the certificate agrees with the solver; ties and near-ties are refused") {
  // Matrices shaped like HOTA's score matrices: each row overlaps a few columns, one of them
  // usually much better; then ties (equal entries), near-ties (1e-13 apart) and conflicts.
  std::mt19937_64 rng(31337);
  std::uniform_real_distribution<double> u(0, 1);
  detail::MotAssignScratch scratch;
  std::vector<std::int64_t> r, c, sr, sc;
  int certified = 0, refused = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    const std::size_t nr = 1 + rng() % 10, nc = 1 + rng() % 10;
    std::vector<double> m(nr * nc, 0.0);
    const int mode = static_cast<int>(rng() % 5);
    for (std::size_t i = 0; i < nr; ++i) {
      const std::size_t k = rng() % 4;  // entries in this row
      for (std::size_t q = 0; q < k; ++q) {
        const std::size_t j = rng() % nc;
        double x = mode == 0 ? 0.25 * static_cast<double>(1 + rng() % 3)  // many exact ties
                   : mode == 1 ? 0.5 + 1e-13 * static_cast<double>(rng() % 3)  // near-ties
                               : u(rng);
        if (mode == 2 && q == 0) x = 2 + u(rng);  // a clear best per row
        m[i * nc + j] = x;
      }
    }
    if (mode == 3 && nr > 1 && nc > 1) m[nc + 0] = m[0] = 0.75;  // two rows share a column, tied
    const std::vector<std::uint32_t> all = all_positions(nr, nc);  // zeros included: skipped
    const bool ok = detail::unique_best_line_pairs(m.data(), nr, nc, all.data(), nr * nc, r, c, scratch);
    solver_positive_pairs(m, nr, nc, sr, sc);
    CAPTURE(trial);
    if (ok) {
      ++certified;
      REQUIRE(r == sr);
      REQUIRE(c == sc);
    } else {
      ++refused;
    }
    // Through max_score_pairs as HOTA (no search) and CLEAR (search of small components) call it.
    for (const std::size_t max_component : {std::size_t{1}, std::size_t{6}}) {
      detail::max_score_pairs(m.data(), nr, nc, r, c, scratch, max_component);
      std::vector<std::int64_t> pr, pc;
      for (std::size_t q = 0; q < r.size(); ++q)
        if (m[static_cast<std::size_t>(r[q]) * nc + static_cast<std::size_t>(c[q])] > 0) pr.push_back(r[q]), pc.push_back(c[q]);
      REQUIRE(pr == sr);
      REQUIRE(pc == sc);
    }
    // As HOTA calls it: with the list of its non-zero entries only.
    std::vector<std::uint32_t> nz;
    for (std::size_t i = 0; i < nr; ++i)
      for (std::size_t j = 0; j < nc; ++j)
        if (m[i * nc + j] != 0) nz.push_back(static_cast<std::uint32_t>(i)), nz.push_back(static_cast<std::uint32_t>(j));
    detail::max_score_pairs(m.data(), nr, nc, r, c, scratch, 1, nz.data(), nz.size() / 2);
    std::vector<std::int64_t> pr, pc;
    for (std::size_t q = 0; q < r.size(); ++q)
      if (m[static_cast<std::size_t>(r[q]) * nc + static_cast<std::size_t>(c[q])] > 0) pr.push_back(r[q]), pc.push_back(c[q]);
    REQUIRE(pr == sr);
    REQUIRE(pc == sc);
  }
  CHECK(certified > 5000);
  CHECK(refused > 5000);
}

TEST_CASE("mot unique_best_line_pairs: exact and near ties are left to the solver") {
  detail::MotAssignScratch scratch;
  std::vector<std::int64_t> r, c;
  // Row 0 has two equal entries: no row certificate; column 0 and 1 both pick row 0: none by columns.
  const std::vector<double> tie{0.7, 0.7, 0.0, 0.0, 0.0, 0.9};
  CHECK_FALSE(certify(tie, 2, 3, r, c, scratch));
  // Entries 1e-12 apart: within the margin, refused.
  const std::vector<double> near{0.5, 0.5 + 1e-12, 0.0, 0.3};
  CHECK_FALSE(certify(near, 2, 2, r, c, scratch));
  // Rows conflict (both prefer column 0) but columns do not: certified by columns.
  const std::vector<double> cols_only{0.9, 0.0, 0.8, 0.0};
  REQUIRE(certify(cols_only, 2, 2, r, c, scratch));
  CHECK(r == std::vector<std::int64_t>{0});
  CHECK(c == std::vector<std::int64_t>{0});
}

TEST_CASE("mot max_score_pairs: the non-zero list path equals the matrix scan path") {
  // HOTA and CLEAR pass each frame's non-zero (row, column) list; the list may also name entries
  // that are ±0. Same pairs as the matrix path (and so as the solver) on random, tie-heavy matrices.
  std::mt19937_64 rng(1205);
  detail::MotAssignScratch s1, s2;
  std::vector<std::int64_t> r1, c1, r2, c2;
  int list_decided = 0;
  for (int trial = 0; trial < 6000; ++trial) {
    const std::size_t nr = 1 + rng() % 14, nc = 1 + rng() % 14;
    const double density = 0.02 + 0.4 * static_cast<double>(rng() % 1000) / 1000.0;
    std::vector<double> m(nr * nc, 0.0);
    std::vector<std::uint32_t> ij;
    for (std::size_t i = 0; i < nr; ++i)
      for (std::size_t j = 0; j < nc; ++j) {
        double& x = m[i * nc + j];
        const double u = std::uniform_real_distribution<double>(0, 1)(rng);
        if (u < density) {
          const int kind = static_cast<int>(rng() % 5);
          x = kind == 0 ? 0.5 : kind == 1 ? 0.25 * static_cast<double>(rng() % 3) : kind == 2 ? -0.0
                                                                                 : std::uniform_real_distribution<double>(0.01, 1)(rng);
        }
        if (x != 0 || (u < density && rng() % 2)) ij.push_back(static_cast<std::uint32_t>(i)), ij.push_back(static_cast<std::uint32_t>(j));
      }
    // HOTA's setting (max_component 1) and CLEAR's (6), alternately.
    const std::size_t max_component = trial % 2 ? 6 : 1;
    detail::max_score_pairs(m.data(), nr, nc, r1, c1, s1, max_component);
    detail::max_score_pairs(m.data(), nr, nc, r2, c2, s2, max_component, ij.data(), ij.size() / 2);
    if (r2.size() < std::min(nr, nc)) ++list_decided;
    CAPTURE(trial);
    REQUIRE(r1 == r2);
    REQUIRE(c1 == c2);
  }
  CHECK(list_decided > 1000);
}

namespace {
// The non-zero (row, column) list of m in row-major order, as HOTA passes it (sometimes with a
// zero entry listed too: the functions skip it).
std::vector<std::uint32_t> nonzero_list(const std::vector<double>& m, std::size_t nr, std::size_t nc, std::mt19937_64& rng) {
  std::vector<std::uint32_t> ij;
  for (std::size_t i = 0; i < nr; ++i)
    for (std::size_t j = 0; j < nc; ++j)
      if (m[i * nc + j] != 0 || rng() % 16 == 0) ij.push_back(static_cast<std::uint32_t>(i)), ij.push_back(static_cast<std::uint32_t>(j));
  return ij;
}
}  // namespace

TEST_CASE("mot certified_component_pairs / certified_greedy_pairs: a certified matching is the solver's; ties refused") {
  // HOTA-like continuous scores (few entries per row, conflicts between rows), exact ties,
  // near-ties (1e-13 apart), CLEAR-like scores with the 1000 continuity bonus, and planted
  // duplicates. Whatever a certificate accepts must equal the whole-matrix solver's positive pairs.
  std::mt19937_64 rng(20261205);
  std::uniform_real_distribution<double> u(0, 1);
  detail::MotAssignScratch scratch;
  std::vector<std::int64_t> r, c, sr, sc;
  int accepted[2][5] = {}, tried[5] = {};
  for (int trial = 0; trial < 24000; ++trial) {
    const bool large = rng() % 8 == 0;
    const std::size_t nr = 1 + rng() % (large ? 30 : 12), nc = 1 + rng() % (large ? 30 : 12);
    const int mode = static_cast<int>(rng() % 5);
    std::vector<double> m(nr * nc, 0.0);
    for (std::size_t i = 0; i < nr; ++i) {
      const std::size_t k = rng() % 5;  // entries in this row (a column may repeat)
      for (std::size_t q = 0; q < k; ++q) {
        const std::size_t j = (i + rng() % 3) % nc;  // near the diagonal: rows share columns
        m[i * nc + j] = mode == 1   ? 0.25 * static_cast<double>(1 + rng() % 3)
                        : mode == 2 ? 0.5 + 1e-13 * static_cast<double>(rng() % 3)
                        : mode == 3 ? (rng() % 3 == 0 ? 1000.0 : 0.0) + 0.5 + 0.5 * u(rng)
                                    : u(rng);
      }
    }
    if (mode == 4 && nr * nc > 1) {  // copy one entry onto another position (maybe a deciding tie)
      const std::size_t a = rng() % (nr * nc), b = rng() % (nr * nc);
      if (m[a] > 0) m[b] = m[a];
    }
    const std::vector<std::uint32_t> ij = nonzero_list(m, nr, nc, rng);
    solver_positive_pairs(m, nr, nc, sr, sc);
    ++tried[mode];
    CAPTURE(trial);
    CAPTURE(mode);
    for (int way = 0; way < 2; ++way) {
      const bool ok = way == 0 ? detail::certified_component_pairs(m.data(), nr, nc, ij.data(), ij.size() / 2, r, c, scratch)
                               : detail::certified_greedy_pairs(m.data(), nr, nc, ij.data(), ij.size() / 2, r, c, scratch);
      if (!ok) continue;
      ++accepted[way][mode];
      REQUIRE(r == sr);
      REQUIRE(c == sc);
    }
  }
  for (int way = 0; way < 2; ++way) {
    CAPTURE(way);
    // Continuous scores: nearly always certified (greedy's candidate is optimal less often).
    CHECK(accepted[way][0] > tried[0] * (way == 0 ? 9 : 6) / 10);
    CHECK(accepted[way][3] > tried[3] * (way == 0 ? 9 : 7) / 10);
    CHECK(accepted[way][1] < tried[1] * 6 / 10);  // ties: often refused (where they decide)
    CHECK(accepted[way][2] < tried[2] * 6 / 10);
  }
  // Both ways of finding the duals are exercised: the midpoint duals alone prove most accepted
  // matchings, the relaxation the rest (the REQUIREs above hold for either).
  const int total_accepted = [&] {
    int n = 0;
    for (int way = 0; way < 2; ++way)
      for (int mode = 0; mode < 5; ++mode) n += accepted[way][mode];
    return n;
  }();
  CHECK(scratch.midpoint_certified > static_cast<std::size_t>(total_accepted) / 4);
  CHECK(scratch.midpoint_certified < static_cast<std::size_t>(total_accepted));
}

TEST_CASE("mot certified_component_pairs / certified_greedy_pairs: hand-made cases") {
  detail::MotAssignScratch s;
  std::vector<std::int64_t> r, c;
  auto run = [&](bool greedy, const std::vector<double>& m, std::size_t nr, std::size_t nc) {
    std::vector<std::uint32_t> ij;
    for (std::size_t i = 0; i < nr; ++i)
      for (std::size_t j = 0; j < nc; ++j)
        if (m[i * nc + j] > 0) ij.push_back(static_cast<std::uint32_t>(i)), ij.push_back(static_cast<std::uint32_t>(j));
    return greedy ? detail::certified_greedy_pairs(m.data(), nr, nc, ij.data(), ij.size() / 2, r, c, s)
                  : detail::certified_component_pairs(m.data(), nr, nc, ij.data(), ij.size() / 2, r, c, s);
  };
  for (const bool greedy : {false, true}) {
    CAPTURE(greedy);
    // An exact tie and a near-tie that decide the matching: refused.
    CHECK_FALSE(run(greedy, {0.5, 0.5}, 1, 2));
    CHECK_FALSE(run(greedy, {0.5, 0.5 + 1e-12}, 1, 2));
    CHECK_FALSE(run(greedy, {0.5, 0.3 + 1e-12, 0.2, 0.0}, 2, 2));  // 0.5 vs 0.3 + 1e-12 + 0.2
    // 1 + 1e-17 vs 1: an entry below the margin decides (and rounds away in a sum): refused.
    CHECK_FALSE(run(greedy, {1.0, 1e-17, 1.0, 0.0}, 2, 2));
    // A tie that does not decide it (both rows take their own column either way): accepted.
    REQUIRE(run(greedy, {0.9, 0.0, 0.0, 0.9}, 2, 2));
    CHECK(r == std::vector<std::int64_t>{0, 1});
    CHECK(c == std::vector<std::int64_t>{0, 1});
  }
  // Greedy takes 0.9 then 0.1 (total 1.0) but 0.3 + 0.8 = 1.1 is optimal: the certificate refuses
  // greedy's matching; the per-component solve finds and certifies the optimum.
  const std::vector<double> m{0.9, 0.3, 0.8, 0.1};
  CHECK_FALSE(run(true, m, 2, 2));
  REQUIRE(run(false, m, 2, 2));
  CHECK(r == std::vector<std::int64_t>{0, 1});
  CHECK(c == std::vector<std::int64_t>{1, 0});
  // A component with more rows than columns (solved transposed): 0.6 + 0.2 beats 0.7 alone.
  const std::vector<double> tall{0.6, 0.0, 0.7, 0.2, 0.1, 0.0};
  REQUIRE(run(false, tall, 3, 2));
  CHECK(r == std::vector<std::int64_t>{0, 1});
  CHECK(c == std::vector<std::int64_t>{0, 1});
}

TEST_CASE("mot positive_part is std::max(0.0, v) bit for bit (NaN, -0, infinities, subnormals)") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  for (const double v : {0.0, -0.0, 1.0, -1.0, 1e-310, -1e-310, inf, -inf, nan, -nan, 0.5, 1e300}) {
    CAPTURE(v);
    CHECK(test::same_bits(detail::positive_part(v), std::max(0.0, v)));
  }
}
