// Differential fuzz target for the NMS family against the scalar oracle reference::nms
// (torchvision's CPU loop transcribed):
//   nms (linear kernel and spatial grid, a workspace reused across inputs of every size; the grid
//   on >= 4096 boxes against the linear kernel, which is checked against the oracle below that),
//   batched_nms (the union over classes of reference::nms, merged in score order),
//   cluster_nms (documented to reach exactly greedy NMS);
// and invariants (no crash, kept indices distinct and in range, count bounds) for soft_nms,
// diou_nms, fast_nms and matrix_nms, which have no separate oracle.
#include <algorithm>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <vector>

#include <locuskit/nms.hpp>

#include "fuzz_support.hpp"

namespace {
using namespace locuskit;

template <class T>
void check_indices(const std::int64_t* keep, std::size_t k, std::size_t n, std::size_t bound, const char* what) {
  FUZZ_CHECK(k <= bound, "%s: kept %zu > bound %zu", what, k, bound);
  std::set<std::int64_t> seen;
  for (std::size_t i = 0; i < k; ++i) {
    FUZZ_CHECK(keep[i] >= 0 && static_cast<std::size_t>(keep[i]) < n, "%s: index %lld out of [0, %zu)", what,
               static_cast<long long>(keep[i]), n);
    FUZZ_CHECK(seen.insert(keep[i]).second, "%s: index %lld kept twice", what, static_cast<long long>(keep[i]));
  }
}

// Score order of the oracle: descending, stable, NaN first, -0.0 ties +0.0 (nms.hpp's contract).
template <class T>
std::vector<std::int64_t> score_order(const std::vector<T>& s) {
  std::vector<std::int64_t> order(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) order[i] = static_cast<std::int64_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    const bool na = std::isnan(s[a]), nb = std::isnan(s[b]);
    if (na || nb) return na && !nb;
    return s[a] > s[b];
  });
  return order;
}

// Many small boxes in a large scene (the grid kernel's case), from a seed.
template <class T>
void synthetic(FuzzedDataProvider& in, std::size_t n, std::vector<T>& boxes, std::vector<T>& scores) {
  std::uint64_t x = in.ConsumeIntegral<std::uint64_t>() | 1;
  auto next = [&] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  const int extent = in.ConsumeIntegralInRange<int>(256, 8192), size = in.ConsumeIntegralInRange<int>(2, 64);
  boxes.resize(4 * n);
  scores.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const T x1 = static_cast<T>(next() % extent), y1 = static_cast<T>(next() % extent);
    boxes[4 * i] = x1, boxes[4 * i + 1] = y1;
    boxes[4 * i + 2] = x1 + static_cast<T>(next() % size), boxes[4 * i + 3] = y1 + static_cast<T>(next() % size);
    scores[i] = static_cast<T>(next() % 64) / T(64);
  }
  // A few boxes from the bytes (possibly huge, NaN, inverted) on top.
  const std::size_t extra = in.ConsumeIntegralInRange<std::size_t>(0, 8);
  for (std::size_t e = 0; e < extra && n > 0; ++e) {
    const std::size_t i = in.ConsumeIntegralInRange<std::size_t>(0, n - 1);
    for (int c = 0; c < 4; ++c) boxes[4 * i + c] = fuzz::coordinate<T>(in);
  }
}

template <class T>
void run(FuzzedDataProvider& in) {
  static NmsWorkspace<T> shared_ws;  // reused across inputs: stale state would show up as a mismatch
  // Rare (seconds per input under ASan on a loaded machine) and never from an exhausted input.
  const bool large = in.remaining_bytes() >= 16 && in.ConsumeIntegral<std::uint8_t>() == 255;
  std::size_t n;
  std::vector<T> boxes, scores;
  if (large) {
    n = in.ConsumeIntegralInRange<std::size_t>(detail::nms_grid_min_boxes, detail::nms_grid_min_boxes + 512);
    synthetic(in, n, boxes, scores);
  } else {
    n = in.ConsumeIntegralInRange<std::size_t>(0, 96);
    boxes = fuzz::boxes<T>(in, n);
    scores = fuzz::scores<T>(in, n);
  }
  const double thr = fuzz::threshold(in);
  const auto rule = static_cast<IouRule>(in.ConsumeIntegralInRange<int>(0, 2));
  const std::size_t max_output =
      in.ConsumeBool() ? std::numeric_limits<std::size_t>::max() : in.ConsumeIntegralInRange<std::size_t>(0, n + 1);
  const std::size_t bound = std::min(n, max_output);

  // Oracle: full greedy result; nms with max_output returns its prefix. For the large inputs the
  // O(n^2) scalar oracle takes seconds under ASan: the linear SIMD kernel (itself checked against
  // reference::nms on every small input) is the oracle of the grid kernel there.
  std::vector<std::int64_t> ref(n);
  std::size_t kr;
  if (large) {
    NmsOptions linear;
    linear.rule = rule;
    linear.use_grid = false;
    kr = nms(boxes.data(), scores.data(), n, thr, ref.data(), linear);
  } else {
    kr = reference::nms(boxes.data(), scores.data(), n, thr, ref.data(), rule);
  }
  check_indices<T>(ref.data(), kr, n, n, "reference::nms");

  std::vector<std::int64_t> keep(n + 1, -7);
  for (const bool grid : {false, true}) {
    if (large && !grid) continue;  // that is the oracle here
    NmsOptions opts;
    opts.rule = rule;
    opts.max_output = max_output;
    opts.use_grid = grid;
    const std::size_t k = nms(boxes.data(), scores.data(), n, thr, keep.data(), opts, &shared_ws);
    FUZZ_CHECK(k == std::min(kr, max_output), "nms(grid=%d) kept %zu, reference %zu (max_output %zu, n %zu)", grid, k,
               kr, max_output, n);
    for (std::size_t i = 0; i < k; ++i)
      FUZZ_CHECK(keep[i] == ref[i], "nms(grid=%d) keep[%zu] = %lld, reference %lld", grid, i,
                 static_cast<long long>(keep[i]), static_cast<long long>(ref[i]));
  }

  if (large) return;

  {
    std::vector<std::int64_t> kc(n);
    const std::size_t k = cluster_nms(boxes.data(), scores.data(), n, thr, kc.data(), std::size_t(-1), rule);
    FUZZ_CHECK(k == kr && std::equal(kc.begin(), kc.begin() + k, ref.begin()), "cluster_nms differs from greedy");
  }

  // batched_nms against the per-class oracle.
  const std::vector<std::int64_t> cls = fuzz::class_ids(in, n);
  {
    std::vector<char> flag(n, 0);
    std::vector<std::int64_t> uniq(cls);
    std::sort(uniq.begin(), uniq.end());
    uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
    for (const std::int64_t c : uniq) {
      std::vector<std::int64_t> idx;
      for (std::size_t i = 0; i < n; ++i)
        if (cls[i] == c) idx.push_back(static_cast<std::int64_t>(i));
      std::vector<T> b(4 * idx.size()), s(idx.size());
      for (std::size_t j = 0; j < idx.size(); ++j) {
        std::copy_n(boxes.data() + 4 * idx[j], 4, b.data() + 4 * j);
        s[j] = scores[idx[j]];
      }
      std::vector<std::int64_t> kk(idx.size());
      const std::size_t kc = reference::nms(b.data(), s.data(), idx.size(), thr, kk.data(), rule);
      for (std::size_t j = 0; j < kc; ++j) flag[idx[kk[j]]] = 1;
    }
    std::vector<std::int64_t> expect;
    for (const std::int64_t i : score_order(scores))
      if (flag[i] && expect.size() < max_output) expect.push_back(i);
    NmsOptions opts;
    opts.rule = rule;
    opts.max_output = max_output;
    const std::size_t k = batched_nms(boxes.data(), scores.data(), cls.data(), n, thr, keep.data(), opts, &shared_ws);
    FUZZ_CHECK(k == expect.size(), "batched_nms kept %zu, per-class reference %zu", k, expect.size());
    for (std::size_t i = 0; i < k; ++i)
      FUZZ_CHECK(keep[i] == expect[i], "batched_nms keep[%zu] = %lld, reference %lld", i,
                 static_cast<long long>(keep[i]), static_cast<long long>(expect[i]));
  }

  // Variants without a separate oracle: invariants only.
  {
    SoftNmsParams p;
    p.method = in.ConsumeBool() ? SoftNmsMethod::linear : SoftNmsMethod::gaussian;
    p.iou_threshold = thr;
    p.sigma = in.ConsumeBool() ? 0.5 : in.ConsumeFloatingPoint<double>();
    p.score_threshold = in.ConsumeBool() ? 0.0 : fuzz::threshold(in);
    p.rule = rule;
    p.max_output = max_output;
    std::vector<T> ks(n);
    try {
      const std::size_t k = soft_nms(boxes.data(), scores.data(), n, keep.data(), ks.data(), p);
      check_indices<T>(keep.data(), k, n, bound, "soft_nms");
    } catch (const std::invalid_argument&) {
      FUZZ_CHECK(p.method != SoftNmsMethod::linear && !(p.sigma > 0), "soft_nms threw for valid params");
    }
  }
  {
    const double beta = in.ConsumeBool() ? 1.0 : in.ConsumeFloatingPointInRange<double>(-1.0, 4.0);
    try {
      const std::size_t k = diou_nms(boxes.data(), scores.data(), n, thr, beta, keep.data(), rule);
      check_indices<T>(keep.data(), k, n, n, "diou_nms");
    } catch (const std::invalid_argument&) {
      FUZZ_CHECK(!(beta > 0), "diou_nms threw for beta %g", beta);
    }
  }
  {
    const std::size_t top_k = in.ConsumeIntegralInRange<std::size_t>(0, n + 1);
    const std::size_t k = fast_nms(boxes.data(), scores.data(), n, thr, keep.data(), top_k, rule);
    check_indices<T>(keep.data(), k, n, std::min(n, top_k), "fast_nms");
  }
  {
    MatrixNmsParams p;
    p.kernel = static_cast<MatrixNmsKernel>(in.ConsumeIntegralInRange<int>(0, 1));
    p.sigma = in.ConsumeBool() ? 2.0 : in.ConsumeFloatingPointInRange<double>(-1.0, 8.0);
    p.filter_threshold = fuzz::threshold(in);
    p.pre_top_k = in.ConsumeIntegralInRange<std::size_t>(0, n + 1);
    p.max_output = max_output;
    std::vector<T> ks(n);
    const std::size_t k = matrix_nms(boxes.data(), scores.data(), in.ConsumeBool() ? cls.data() : nullptr, n,
                                     keep.data(), ks.data(), p);
    check_indices<T>(keep.data(), k, n, std::min(bound, p.pre_top_k), "matrix_nms");
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  locuskit::fuzz::pick_arch(in);
  if (in.ConsumeBool()) run<float>(in);
  else run<double>(in);
  return 0;
}
