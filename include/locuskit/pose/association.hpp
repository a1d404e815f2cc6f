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
/// in the query side's file order. Sorted long side: binary search (O((N+M) log M)); unsorted:
/// evo's exhaustive scan. Thread-safe.
inline void associate_stamps(const double* ref, std::size_t n_ref, const double* est, std::size_t n_est,
                             double max_diff, double offset, std::vector<std::int64_t>& ref_idx,
                             std::vector<std::int64_t>& est_idx) {
  LOCUSKIT_CHECK(max_diff >= 0 && std::isfinite(offset), std::invalid_argument,
                 "associate: max_diff must be >= 0 and offset finite");
  ref_idx.clear();
  est_idx.clear();
  const bool est_longer = n_est > n_ref;
  const double* lng = est_longer ? est : ref;
  const double* qry = est_longer ? ref : est;
  const std::size_t nl = est_longer ? n_est : n_ref, nq = est_longer ? n_ref : n_est;
  const double off = est_longer ? offset : -offset;
  if (nl == 0 || nq == 0) return;
  std::vector<double> shifted(nl);
  for (std::size_t j = 0; j < nl; ++j) shifted[j] = lng[j] + off;
  const bool sorted = std::is_sorted(shifted.begin(), shifted.end());
  auto emit = [&](std::size_t qi, std::size_t lj) {
    if (est_longer) {
      ref_idx.push_back(static_cast<std::int64_t>(qi));
      est_idx.push_back(static_cast<std::int64_t>(lj));
    } else {
      ref_idx.push_back(static_cast<std::int64_t>(lj));
      est_idx.push_back(static_cast<std::int64_t>(qi));
    }
  };
  // A sorted query side walks the long side once (O(N + M)); otherwise binary search per query.
  const bool query_sorted = sorted && std::is_sorted(qry, qry + nq);
  std::size_t walk = 0;
  for (std::size_t i = 0; i < nq; ++i) {
    const double s = qry[i];
    std::size_t best = 0;
    double best_d = 0;
    if (sorted) {
      // |shifted − s| is non-increasing left of s and non-decreasing right of it: the first
      // minimum is either the first element >= s or the first occurrence of the value before it.
      std::size_t k;
      if (query_sorted) {
        while (walk < nl && shifted[walk] < s) ++walk;
        k = walk;
      } else {
        k = static_cast<std::size_t>(std::lower_bound(shifted.begin(), shifted.end(), s) - shifted.begin());
      }
      bool have = false;
      if (k > 0) {
        std::size_t kl = k - 1;
        if (kl > 0 && shifted[kl - 1] == shifted[kl])  // duplicated stamps: the first occurrence wins
          kl = static_cast<std::size_t>(
              std::lower_bound(shifted.begin(), shifted.begin() + k, shifted[k - 1]) - shifted.begin());
        best = kl;
        best_d = std::abs(shifted[kl] - s);
        have = true;
      }
      if (k < nl) {
        const double d = std::abs(shifted[k] - s);
        if (!have || d < best_d) {
          best = k;
          best_d = d;
        }
      }
    } else {
      best_d = std::abs(shifted[0] - s);
      for (std::size_t j = 1; j < nl; ++j) {
        const double d = std::abs(shifted[j] - s);
        if (d < best_d) {
          best_d = d;
          best = j;
        }
      }
    }
    if (best_d <= max_diff) emit(i, best);
  }
}

}  // namespace locuskit
