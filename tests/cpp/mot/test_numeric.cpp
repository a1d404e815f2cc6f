// detail/mot/numeric.hpp: the per-component assignment shortcut against the full solver.
#include <locuskit/detail/mot/numeric.hpp>

#include <random>
#include <vector>

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
