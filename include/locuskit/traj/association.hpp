#pragma once
/// \file association.hpp
/// Timestamp association with evo's semantics (`sync.associate_trajectories`, notes §B) in
/// O((N + M) log M) instead of evo's O(N·M).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <locuskit/error.hpp>

namespace locuskit {

/// Associates reference and estimate stamps (float64 seconds) as evo does:
/// the side with fewer stamps is the query (the estimate on equal length); each query stamp s, in
/// file order, takes the long-side index j minimizing |(long[j] + off) − s| (lowest index on a
/// tie) and is kept if that difference is ≤ max_diff (inclusive). `offset` is added to the
/// estimate's stamps (off = +offset when the estimate is the long side, −offset subtracted from
/// the reference otherwise, the same floating-point expression as evo). The matching is NOT
/// one-to-one: a long-side pose can be used several times. Output: row indices into each input,
/// in the query side's file order.
///
/// O((N + M) log M) whatever the order of the stamps: an unsorted long side is sorted once
/// (stably, so each run of equal stamps starts with its lowest row), then each query is a binary
/// search; evo's O(N·M) scan gives the same indices (argmin with the first minimum). Throws
/// std::invalid_argument for a NaN or infinite stamp. Thread-safe.
inline void associate_stamps(const double* ref, std::size_t n_ref, const double* est, std::size_t n_est,
                             double max_diff, double offset, std::vector<std::int64_t>& ref_idx,
                             std::vector<std::int64_t>& est_idx) {
  LOCUSKIT_CHECK(max_diff >= 0 && std::isfinite(offset), std::invalid_argument,
                 "associate: max_diff must be >= 0 and offset finite");
  ref_idx.clear();
  est_idx.clear();
  for (std::size_t i = 0; i < n_ref; ++i)
    LOCUSKIT_CHECK(std::isfinite(ref[i]), std::invalid_argument, "associate: reference stamp ", i, " is not finite");
  for (std::size_t i = 0; i < n_est; ++i)
    LOCUSKIT_CHECK(std::isfinite(est[i]), std::invalid_argument, "associate: estimate stamp ", i, " is not finite");
  const bool est_longer = n_est > n_ref;
  const double* lng = est_longer ? est : ref;
  const double* qry = est_longer ? ref : est;
  const std::size_t nl = est_longer ? n_est : n_ref, nq = est_longer ? n_ref : n_est;
  const double off = est_longer ? offset : -offset;
  if (nl == 0 || nq == 0) return;
  // Long side shifted, in ascending order: value[p] and its row row[p] (stable by row).
  std::vector<double> value(nl);
  std::vector<std::size_t> row(nl);
  for (std::size_t j = 0; j < nl; ++j) value[j] = lng[j] + off, row[j] = j;
  if (!std::is_sorted(value.begin(), value.end())) {
    std::stable_sort(row.begin(), row.end(), [&](std::size_t a, std::size_t b) { return value[a] < value[b]; });
    std::vector<double> sorted(nl);
    for (std::size_t p = 0; p < nl; ++p) sorted[p] = value[row[p]];
    value.swap(sorted);
  }
  auto group_begin = [&](std::size_t p) {  // first position holding value[p]
    return static_cast<std::size_t>(std::lower_bound(value.begin(), value.begin() + static_cast<std::ptrdiff_t>(p),
                                                     value[p]) - value.begin());
  };
  auto group_end = [&](std::size_t p) {  // one past the last position holding value[p]
    return static_cast<std::size_t>(std::upper_bound(value.begin() + static_cast<std::ptrdiff_t>(p), value.end(),
                                                     value[p]) - value.begin());
  };
  for (std::size_t i = 0; i < nq; ++i) {
    const double s = qry[i];
    // |value − s| is non-increasing left of s and non-decreasing right of it (rounding can make
    // neighbouring values tie): the minimum lies in the groups next to s and any groups that tie
    // with them; within a group the first position has the lowest row.
    const std::size_t k =
        static_cast<std::size_t>(std::lower_bound(value.begin(), value.end(), s) - value.begin());
    double best_d = 0;
    std::size_t best = nl;  // a row; nl = none yet
    auto consider = [&](double d, std::size_t r) {
      if (best == nl || d < best_d || (d == best_d && r < best)) best_d = d, best = r;
    };
    if (k > 0) {
      std::size_t g = group_begin(k - 1);
      const double d = std::abs(value[g] - s);
      consider(d, row[g]);
      while (g > 0 && std::abs(value[g - 1] - s) == d) {
        g = group_begin(g - 1);
        consider(d, row[g]);
      }
    }
    if (k < nl) {
      std::size_t g = k;  // lower_bound: the first position of its group
      const double d = std::abs(value[g] - s);
      consider(d, row[g]);
      for (std::size_t e = group_end(g); e < nl && std::abs(value[e] - s) == d; e = group_end(e)) consider(d, row[e]);
    }
    if (best_d <= max_diff) {
      if (est_longer) {
        ref_idx.push_back(static_cast<std::int64_t>(i));
        est_idx.push_back(static_cast<std::int64_t>(best));
      } else {
        ref_idx.push_back(static_cast<std::int64_t>(best));
        est_idx.push_back(static_cast<std::int64_t>(i));
      }
    }
  }
}

}  // namespace locuskit
