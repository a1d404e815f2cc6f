// The GPU nms / batched_nms pipelines run on the CPU: the same host-device step functors
// (include/locuskit/cuda/nms_steps.cuh) in plain loops, std::stable_sort / std::partial_sum /
// copy-if where the GPU runs CUB's radix sort / scan / select, and the host model of the NMS loop
// per class run; compared with greedy NMS and per-class greedy NMS.
#include <locuskit/cuda/nms_steps.cuh>

#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "cuda/cuda_oracles.hpp"
#include "test_support.hpp"

using namespace locuskit;
using namespace locuskit::gpu::detail;

namespace {

template <class T>
std::vector<long long> score_order_on_cpu(const std::vector<T>& scores) {
  using Key = typename gpu::score_key_type<T>::type;
  const long long n = static_cast<long long>(scores.size());
  std::vector<Key> keys(scores.size());
  std::vector<long long> iota(scores.size());
  for (long long i = 0; i < n; ++i) ScoreKeys<T>{scores.data(), keys.data(), iota.data()}(i);
  return test::stable_sort_pairs(keys, iota, static_cast<std::vector<Key>*>(nullptr));
}

template <class T>
std::vector<std::int64_t> nms_on_cpu(const std::vector<T>& boxes, const std::vector<T>& scores, double thr) {
  const long long n = static_cast<long long>(scores.size());
  const auto order = score_order_on_cpu(scores);
  std::vector<T> sorted(4 * scores.size());
  for (long long p = 0; p < n; ++p) GatherBoxes<T>{boxes.data(), order.data(), sorted.data()}(p);
  std::vector<unsigned char> keep(scores.size(), 0);
  gpu::blocked_greedy_nms_host(sorted.data(), scores.size(), gpu::threshold_as<T>(thr), n, keep.data());
  std::vector<std::int64_t> out;  // DeviceSelect::Flagged
  for (long long p = 0; p < n; ++p)
    if (keep[p]) out.push_back(order[p]);
  return out;
}

template <class T>
std::vector<std::int64_t> batched_nms_on_cpu(const std::vector<T>& boxes, const std::vector<T>& scores,
                                             const std::vector<std::int64_t>& classes, double thr) {
  const long long n = static_cast<long long>(scores.size());
  const std::size_t un = scores.size();
  const auto order = score_order_on_cpu(scores);
  std::vector<unsigned long long> class_in(un), class_out;
  for (long long p = 0; p < n; ++p) ClassKeys{classes.data(), order.data(), class_in.data()}(p);
  const auto order2 = test::stable_sort_pairs(class_in, order, &class_out);
  std::vector<long long> ordinal(un), begin(un, -1), end(un, -1);
  long long num_runs = -1;
  for (long long p = 0; p < n; ++p) RunHeads{class_out.data(), end.data()}(p);  // heads in `end`, as on the GPU
  std::partial_sum(end.begin(), end.end(), ordinal.begin());                      // DeviceScan::InclusiveSum
  for (long long p = 0; p < n; ++p)
    RunBounds{class_out.data(), ordinal.data(), n, begin.data(), end.data(), &num_runs}(p);
  std::vector<T> sorted(4 * un);
  for (long long p = 0; p < n; ++p) GatherBoxes<T>{boxes.data(), order2.data(), sorted.data()}(p);
  std::vector<unsigned char> keep(un, 0), flag_by_index(un, 0), flags(un, 0);
  for (long long r = 0; r < num_runs; ++r) {
    const auto len = static_cast<std::size_t>(end[r] - begin[r]);
    gpu::blocked_greedy_nms_host(sorted.data() + 4 * begin[r], len, gpu::threshold_as<T>(thr),
                                 static_cast<long long>(len), keep.data() + begin[r]);
  }
  for (long long p = 0; p < n; ++p) ScatterFlags{keep.data(), order2.data(), flag_by_index.data()}(p);
  for (long long p = 0; p < n; ++p) GatherFlags{flag_by_index.data(), order.data(), flags.data()}(p);
  std::vector<std::int64_t> out;
  for (long long p = 0; p < n; ++p)
    if (flags[p]) out.push_back(order[p]);
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("cuda: the nms and batched_nms steps, run on the CPU, equal greedy NMS", T, float, double) {
  int cases = 0;
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    std::mt19937 rng(seed);
    const std::size_t n = seed == 1 ? 0 : seed == 2 ? 1 : 1 + rng() % 600;
    const auto boxes = test::random_boxes<T>(n, seed, T(60));
    std::vector<T> scores(n);
    for (auto& s : scores) s = T(rng() % 40) / T(40);
    std::vector<std::int64_t> classes(n);
    const int k = 1 + static_cast<int>(seed % 7);
    for (auto& c : classes) c = static_cast<std::int64_t>(rng() % k) - 3;  // negative ids too
    for (const double thr : {0.0, 0.5, 0.6}) {
      REQUIRE(nms_on_cpu(boxes, scores, thr) == test::greedy_nms(boxes.data(), scores.data(), n, thr));
      REQUIRE(batched_nms_on_cpu(boxes, scores, classes, thr) ==
              test::greedy_batched_nms(boxes.data(), scores.data(), classes.data(), n, thr));
      ++cases;
    }
  }
  CHECK(cases == 36);
}
