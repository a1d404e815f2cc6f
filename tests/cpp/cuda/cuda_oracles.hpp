#pragma once
// Plain host oracles for the CUDA kernels' semantics, written independently of
// include/locuskit/cuda/nms_common.cuh (shared by the CPU tests and tests/cuda/).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include <locuskit/box/geometry.hpp>

namespace locuskit::test {

/// What cub::DeviceRadixSort::SortPairs computes (stable, ascending keys), on the host: the values
/// in sorted order, and the sorted keys when keys_out is non-null.
template <class K, class V>
std::vector<V> stable_sort_pairs(const std::vector<K>& keys, const std::vector<V>& values, std::vector<K>* keys_out) {
  std::vector<std::size_t> idx(keys.size());
  std::iota(idx.begin(), idx.end(), std::size_t(0));
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  std::vector<V> out(values.size());
  if (keys_out) keys_out->resize(keys.size());
  for (std::size_t i = 0; i < idx.size(); ++i) {
    out[i] = values[idx[i]];
    if (keys_out) (*keys_out)[i] = keys[idx[i]];
  }
  return out;
}

/// Indices in score order: descending, NaN first, -0 == +0, ties by lower index (stable).
template <class T>
std::vector<std::int64_t> score_order(const T* scores, std::size_t n) {
  std::vector<std::int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    const T sa = scores[a], sb = scores[b];
    if (std::isnan(sa) || std::isnan(sb)) return std::isnan(sa) && !std::isnan(sb);
    return sa > sb;
  });
  return order;
}

/// Greedy NMS as torchvision's CPU kernel: box j is suppressed by a kept i iff
/// double(IoU(i, j)) > threshold; degenerate pairs have IoU 0. At most max_kept kept.
template <class T>
std::vector<std::int64_t> greedy_nms(const T* boxes, const T* scores, std::size_t n, double threshold,
                                     std::size_t max_kept = static_cast<std::size_t>(-1)) {
  const auto order = score_order(scores, n);
  std::vector<char> removed(n, 0);
  std::vector<std::int64_t> keep;
  for (std::size_t a = 0; a < n && keep.size() < max_kept; ++a) {
    const std::int64_t i = order[a];
    if (removed[i]) continue;
    keep.push_back(i);
    const T* bi = boxes + 4 * i;
    const T area_i = geometry::area(bi[0], bi[1], bi[2], bi[3]);
    for (std::size_t b = a + 1; b < n; ++b) {
      const std::int64_t j = order[b];
      if (removed[j]) continue;
      const T* bj = boxes + 4 * j;
      const T iou = geometry::iou(bi, area_i, bj, geometry::area(bj[0], bj[1], bj[2], bj[3]), T(0));
      if (static_cast<double>(iou) > threshold) removed[j] = 1;
    }
  }
  return keep;
}

/// Class-aware greedy NMS: exact per class, output sorted by score (ties by index).
template <class T>
std::vector<std::int64_t> greedy_batched_nms(const T* boxes, const T* scores, const std::int64_t* classes,
                                             std::size_t n, double threshold) {
  std::vector<std::int64_t> ids(classes, classes + n);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<char> kept(n, 0);
  for (const std::int64_t c : ids) {
    std::vector<std::int64_t> members;
    for (std::size_t i = 0; i < n; ++i)
      if (classes[i] == c) members.push_back(static_cast<std::int64_t>(i));
    std::vector<T> b(4 * members.size()), s(members.size());
    for (std::size_t k = 0; k < members.size(); ++k) {
      for (int q = 0; q < 4; ++q) b[4 * k + q] = boxes[4 * members[k] + q];
      s[k] = scores[members[k]];
    }
    for (const std::int64_t k : greedy_nms(b.data(), s.data(), members.size(), threshold)) kept[members[k]] = 1;
  }
  std::vector<std::int64_t> out;
  for (const std::int64_t i : score_order(scores, n))
    if (kept[i]) out.push_back(i);
  return out;
}

}  // namespace locuskit::test

namespace locuskit::test {

/// Padded outputs of multi-class NMS, as locuskit::gpu::multiclass_nms writes them.
template <class T>
struct MulticlassOutputs {
  std::vector<T> boxes, scores;                         // (B, K, 4), (B, K)
  std::vector<std::int64_t> classes, indices, counts;  // (B, K), (B, K), (B,)
};

/// The multi-class NMS semantics written plainly: per image, per class (or all classes when
/// agnostic), candidates (n, c) in (n, c) order with double(score) > score_threshold, greedy NMS
/// keeping at most `cap`; merged by score descending, then box index, then class; first K kept;
/// padding 0 / -1. `boxes` is (B, N, 4) or, with per_class, (B, N, C, 4).
template <class T>
MulticlassOutputs<T> multiclass_nms_oracle(const T* boxes, bool per_class, const T* scores, std::size_t B,
                                           std::size_t N, std::size_t C, double score_threshold, double threshold,
                                           long long cap, long long K, bool agnostic) {
  MulticlassOutputs<T> out;
  const std::size_t k_slots = static_cast<std::size_t>(K);
  out.boxes.assign(B * k_slots * 4, T(0));
  out.scores.assign(B * k_slots, T(0));
  out.classes.assign(B * k_slots, -1);
  out.indices.assign(B * k_slots, -1);
  out.counts.assign(B, 0);
  auto box_of = [&](std::size_t b, std::size_t n, std::size_t c) {
    return boxes + 4 * (per_class ? (b * N + n) * C + c : b * N + n);
  };
  for (std::size_t b = 0; b < B; ++b) {
    struct Det {
      T score;
      std::int64_t n, c;
    };
    std::vector<Det> kept;
    for (std::size_t list = 0; list < (agnostic ? 1 : C); ++list) {
      std::vector<std::pair<std::int64_t, std::int64_t>> cand;
      for (std::size_t n = 0; n < N; ++n)
        for (std::size_t c = 0; c < C; ++c)
          if ((agnostic || c == list) && static_cast<double>(scores[(b * N + n) * C + c]) > score_threshold)
            cand.emplace_back(static_cast<std::int64_t>(n), static_cast<std::int64_t>(c));
      std::vector<T> cb(4 * cand.size()), cs(cand.size());
      for (std::size_t k = 0; k < cand.size(); ++k) {
        const T* bx = box_of(b, cand[k].first, cand[k].second);
        for (int q = 0; q < 4; ++q) cb[4 * k + q] = bx[q];
        cs[k] = scores[(b * N + cand[k].first) * C + cand[k].second];
      }
      const std::size_t limit = cap < 0 ? 0 : static_cast<std::size_t>(cap);
      for (const auto k : greedy_nms(cb.data(), cs.data(), cand.size(), threshold, limit))
        kept.push_back({cs[k], cand[k].first, cand[k].second});
    }
    std::stable_sort(kept.begin(), kept.end(), [](const Det& x, const Det& y) {
      if (x.score != y.score) return x.score > y.score;
      if (x.n != y.n) return x.n < y.n;
      return x.c < y.c;
    });
    const std::size_t count = std::min(kept.size(), k_slots);
    out.counts[b] = static_cast<std::int64_t>(count);
    for (std::size_t k = 0; k < count; ++k) {
      const std::size_t t = b * k_slots + k;
      const T* bx = box_of(b, kept[k].n, kept[k].c);
      for (int q = 0; q < 4; ++q) out.boxes[4 * t + q] = bx[q];
      out.scores[t] = kept[k].score;
      out.classes[t] = kept[k].c;
      out.indices[t] = kept[k].n;
    }
  }
  return out;
}

}  // namespace locuskit::test
