#pragma once
/// \file match/linear_assignment.hpp
/// Minimum-cost one-to-one assignment on a rectangular cost matrix (the Hungarian problem), as
/// `scipy.optimize.linear_sum_assignment`: shortest augmenting paths with dual potentials
/// (Jonker–Volgenant / Crouse 2016), O(r²·c) for r ≤ c.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "../error.hpp"

namespace locuskit {

/// Scratch space of linear_sum_assignment, kept between calls by a caller that solves many small
/// problems (one per frame, say) so that a warm workspace allocates nothing. Any state left in it
/// is overwritten by the next call; one workspace per thread.
struct LinearAssignmentWorkspace {
  std::vector<double> u, v, shortest, work;
  std::vector<std::int64_t> row4col, path, col4row, owner;
  std::vector<std::size_t> remaining, visited_rows;
  std::vector<std::uint8_t> in_cols;
};

namespace detail {
/// Core on a row-major nr×nc double matrix with nr <= nc. col4row[i] receives row i's column.
/// Uses (and resizes) the vectors of `ws` other than `work`, `col4row` and `owner`.
inline void lap_core(const double* cost, std::size_t nr, std::size_t nc, std::int64_t* col4row,
                     LinearAssignmentWorkspace& ws) {
  const double inf = std::numeric_limits<double>::infinity();
  ws.u.assign(nr, 0.0), ws.v.assign(nc, 0.0), ws.shortest.resize(nc);
  ws.row4col.assign(nc, -1), ws.path.assign(nc, -1);
  ws.remaining.resize(nc), ws.in_cols.resize(nc);
  std::vector<double>&u = ws.u, &v = ws.v, &shortest = ws.shortest;
  std::vector<std::int64_t>&row4col = ws.row4col, &path = ws.path;
  std::vector<std::size_t>&remaining = ws.remaining, &visited_rows = ws.visited_rows;
  std::vector<std::uint8_t>& in_cols = ws.in_cols;
  std::fill(col4row, col4row + nr, std::int64_t{-1});
  for (std::size_t cur = 0; cur < nr; ++cur) {
    // Dijkstra over reduced costs from row `cur` until a free column is reached.
    std::fill(shortest.begin(), shortest.end(), inf);
    std::fill(in_cols.begin(), in_cols.end(), 0);
    visited_rows.clear();
    std::size_t n_remaining = nc;
    for (std::size_t j = 0; j < nc; ++j) remaining[j] = nc - 1 - j;
    double min_val = 0;
    std::size_t i = cur;
    std::int64_t sink = -1;
    while (sink < 0) {
      visited_rows.push_back(i);
      double lowest = inf;
      std::size_t pick = 0;
      for (std::size_t it = 0; it < n_remaining; ++it) {
        const std::size_t j = remaining[it];
        const double r = min_val + cost[i * nc + j] - u[i] - v[j];
        if (r < shortest[j]) {
          path[j] = static_cast<std::int64_t>(i);
          shortest[j] = r;
        }
        // Prefer a free column among equals: it ends the search sooner.
        if (shortest[j] < lowest || (shortest[j] == lowest && row4col[j] < 0)) {
          lowest = shortest[j];
          pick = it;
        }
      }
      min_val = lowest;
      LOCUSKIT_CHECK(min_val < inf, std::invalid_argument, "cost matrix is infeasible");
      const std::size_t j = remaining[pick];
      if (row4col[j] < 0) sink = static_cast<std::int64_t>(j);
      else i = static_cast<std::size_t>(row4col[j]);
      in_cols[j] = 1;
      remaining[pick] = remaining[--n_remaining];
    }
    // Dual update keeps reduced costs non-negative; then flip the path.
    u[cur] += min_val;
    for (std::size_t r : visited_rows)
      if (r != cur) u[r] += min_val - shortest[static_cast<std::size_t>(col4row[r])];
    for (std::size_t j = 0; j < nc; ++j)
      if (in_cols[j]) v[j] -= min_val - shortest[j];
    std::size_t j = static_cast<std::size_t>(sink);
    while (true) {
      const std::size_t r = static_cast<std::size_t>(path[j]);
      row4col[j] = static_cast<std::int64_t>(r);
      const std::int64_t prev = col4row[r];
      col4row[r] = static_cast<std::int64_t>(j);
      if (r == cur) break;
      j = static_cast<std::size_t>(prev);
    }
  }
}
}  // namespace detail

/// Solves `min Σ cost[row_ind[k], col_ind[k]]` over one-to-one assignments of size
/// `min(nr, nc)`, like `scipy.optimize.linear_sum_assignment(cost, maximize)`. `cost` (nr, nc)
/// row-major. Writes `k = min(nr, nc)` pairs into `row_ind`, `col_ind` (each k) with `row_ind`
/// ascending, and returns k. The optimal total equals scipy's; when several assignments share
/// it, the one returned may differ. Throws std::invalid_argument on NaN (or −inf when minimising,
/// +inf when maximising: "invalid numeric entries") and when no finite assignment exists
/// ("cost matrix is infeasible"). Computed in double. O(k²·max(nr, nc)) time, O(nr·nc) memory
/// when nr > nc (a transposed copy), when maximising, or for float input, else O(nr + nc).
/// `ws`: scratch kept by the caller between calls (no allocation once warm; the result does not
/// depend on what it held). Thread-safe for distinct workspaces.
template <class T>
std::size_t linear_sum_assignment(const T* cost, std::size_t nr, std::size_t nc, std::int64_t* row_ind,
                                  std::int64_t* col_ind, bool maximize, LinearAssignmentWorkspace& ws) {
  for (std::size_t i = 0; i < nr * nc; ++i) {
    const double c = static_cast<double>(cost[i]);
    LOCUSKIT_CHECK(!std::isnan(c) && !(maximize ? c == std::numeric_limits<double>::infinity()
                                                : c == -std::numeric_limits<double>::infinity()),
                   std::invalid_argument, "cost matrix contains invalid numeric entries (NaN or ",
                   maximize ? "+inf" : "-inf", ")");
  }
  const std::size_t k = std::min(nr, nc);
  if (k == 0) return 0;
  const bool transpose = nc < nr;
  const std::size_t r = transpose ? nc : nr, c = transpose ? nr : nc;
  std::vector<double>& work = ws.work;
  const double* mat = nullptr;
  if (std::is_same<T, double>::value && !transpose && !maximize) {
    mat = reinterpret_cast<const double*>(cost);
  } else {
    work.resize(r * c);
    for (std::size_t i = 0; i < nr; ++i)
      for (std::size_t j = 0; j < nc; ++j) {
        const double x = static_cast<double>(cost[i * nc + j]);
        work[transpose ? j * nr + i : i * nc + j] = maximize ? -x : x;
      }
    mat = work.data();
  }
  std::vector<std::int64_t>& col4row = ws.col4row;
  col4row.resize(r);
  detail::lap_core(mat, r, c, col4row.data(), ws);
  if (!transpose) {
    for (std::size_t i = 0; i < r; ++i) row_ind[i] = static_cast<std::int64_t>(i), col_ind[i] = col4row[i];
  } else {
    // Rows of the transposed problem are original columns: sort the pairs by original row.
    std::vector<std::int64_t>& owner = ws.owner;
    owner.assign(nr, -1);
    for (std::size_t j = 0; j < r; ++j) owner[static_cast<std::size_t>(col4row[j])] = static_cast<std::int64_t>(j);
    std::size_t q = 0;
    for (std::size_t i = 0; i < nr; ++i)
      if (owner[i] >= 0) row_ind[q] = static_cast<std::int64_t>(i), col_ind[q] = owner[i], ++q;
  }
  return k;
}

/// As above with a workspace of its own (allocates O(nr + nc) per call). Thread-safe.
template <class T>
std::size_t linear_sum_assignment(const T* cost, std::size_t nr, std::size_t nc, std::int64_t* row_ind,
                                  std::int64_t* col_ind, bool maximize = false) {
  LinearAssignmentWorkspace ws;
  return linear_sum_assignment(cost, nr, nc, row_ind, col_ind, maximize, ws);
}

}  // namespace locuskit
