// The multiclass_nms pipeline of the GPU run on the CPU: the same host-device step functors
// (include/locuskit/cuda/multiclass_steps.cuh) in plain loops, std::stable_sort where the GPU
// runs CUB's stable radix sorts, the host model of the NMS loop per segment; compared with the
// plainly written multi-class oracle, bit for bit.
#include <locuskit/cuda/multiclass_steps.cuh>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "cuda/cuda_oracles.hpp"
#include "test_support.hpp"

using namespace locuskit;
using namespace locuskit::gpu::detail;

namespace {

using test::stable_sort_pairs;

template <class T>
test::MulticlassOutputs<T> pipeline_on_cpu(const std::vector<T>& boxes, const std::vector<T>& scores,
                                           const gpu::MulticlassShape& shape, double score_threshold,
                                           double iou_threshold) {
  using Key = typename gpu::score_key_type<T>::type;
  const MulticlassDims d = multiclass_dims(shape);
  const auto B = static_cast<std::size_t>(d.B), K = static_cast<std::size_t>(d.K), E = static_cast<std::size_t>(d.E),
             S = static_cast<std::size_t>(d.S), M = static_cast<std::size_t>(d.M);
  test::MulticlassOutputs<T> out;
  out.boxes.assign(B * K * 4, T(-7));  // garbage: every slot must be written
  out.scores.assign(B * K, T(-7));
  out.classes.assign(B * K, -7);
  out.indices.assign(B * K, -7);
  out.counts.assign(B, -7);
  auto write_outputs = [&](const unsigned int* slots, const unsigned int* order2, const long long* kept_list) {
    const McOutput<T> f{boxes.data(), shape.boxes_per_class, scores.data(), slots, order2, kept_list,
                        out.counts.data(), d, out.boxes.data(), out.scores.data(), out.classes.data(),
                        out.indices.data()};
    for (long long t = 0; t < d.B * d.K; ++t) f(t);
  };
  if (d.E == 0 || d.W == 0) {
    std::fill(out.counts.begin(), out.counts.end(), 0);
    write_outputs(nullptr, nullptr, nullptr);
    return out;
  }
  const T iou_thr = gpu::threshold_as<T>(iou_threshold), score_thr = gpu::threshold_as<T>(score_threshold);
  std::vector<Key> keys(E);
  std::vector<unsigned int> iota(E), seg_in(E), seg_out;
  for (long long e = 0; e < d.E; ++e) McScoreKeys<T>{scores.data(), keys.data(), iota.data()}(e);
  const auto order1 = stable_sort_pairs(keys, iota, static_cast<std::vector<Key>*>(nullptr));
  for (long long p = 0; p < d.E; ++p)
    McSegmentKeys<T>{scores.data(), order1.data(), d, shape.class_agnostic, score_thr, seg_in.data()}(p);
  const auto order2 = stable_sort_pairs(seg_in, order1, &seg_out);
  std::vector<long long> begin(S, 0), end(S, 0);
  std::vector<T> sorted(4 * E, T(0));
  for (long long p = 0; p < d.E; ++p)
    McBoundsGather<T>{boxes.data(), shape.boxes_per_class, seg_out.data(), order2.data(), d, begin.data(), end.data(),
                      sorted.data()}(p);
  std::vector<long long> kept_list(M, -1), kept_count(S, 0);
  for (std::size_t s = 0; s < S; ++s) {  // the NMS loop per segment (its host model)
    const std::size_t len = static_cast<std::size_t>(end[s] - begin[s]);
    std::vector<unsigned char> keep(len, 0);
    gpu::blocked_greedy_nms_host(sorted.data() + 4 * begin[s], len, iou_thr, d.W, keep.data());
    for (std::size_t q = 0; q < len; ++q)
      if (keep[q]) kept_list[s * d.W + kept_count[s]++] = begin[s] + static_cast<long long>(q);
  }
  std::vector<unsigned int> ukey(M), mval_a(M);
  std::vector<Key> skey(M);
  auto merge = [&](int pass, const unsigned int* slots) {
    const McMergeKeys<T> f{pass, slots, scores.data(), order2.data(), kept_list.data(), kept_count.data(), d,
                           ukey.data(), skey.data(), mval_a.data()};
    for (long long i = 0; i < d.M; ++i) f(i);
  };
  merge(0, nullptr);
  auto mval_b = stable_sort_pairs(ukey, mval_a, static_cast<std::vector<unsigned int>*>(nullptr));
  merge(1, mval_b.data());
  mval_a = stable_sort_pairs(skey, mval_b, static_cast<std::vector<Key>*>(nullptr));
  merge(2, mval_a.data());
  mval_b = stable_sort_pairs(ukey, mval_a, static_cast<std::vector<unsigned int>*>(nullptr));
  for (long long b = 0; b < d.B; ++b) McCounts{kept_count.data(), d, out.counts.data()}(b);
  write_outputs(mval_b.data(), order2.data(), kept_list.data());
  return out;
}

template <class T>
void check(std::uint32_t seed, std::size_t B, std::size_t N, std::size_t C, bool per_class, bool agnostic,
           long long cap, long long K, double sthr, double thr) {
  const auto boxes = test::random_boxes<T>(B * N * (per_class ? C : 1), seed, T(10 + N / 6));
  std::mt19937 rng(seed);
  std::vector<T> scores(B * N * C);
  for (auto& s : scores) s = T(rng() % 24) / T(24);  // ties everywhere
  gpu::MulticlassShape shape;
  shape.batch = B, shape.boxes = N, shape.classes = C, shape.boxes_per_class = per_class;
  shape.max_output_per_class = cap, shape.max_total = K, shape.class_agnostic = agnostic;
  const auto got = pipeline_on_cpu(boxes, scores, shape, sthr, thr);
  const auto want =
      test::multiclass_nms_oracle(boxes.data(), per_class, scores.data(), B, N, C, sthr, thr, cap, K, agnostic);
  CAPTURE(seed);
  CAPTURE(agnostic);
  CAPTURE(per_class);
  REQUIRE(got.counts == want.counts);
  REQUIRE(got.classes == want.classes);
  REQUIRE(got.indices == want.indices);
  REQUIRE(got.scores.size() == want.scores.size());
  REQUIRE(got.boxes.size() == want.boxes.size());
  for (std::size_t i = 0; i < want.scores.size(); ++i) REQUIRE(test::same_bits(got.scores[i], want.scores[i]));
  for (std::size_t i = 0; i < want.boxes.size(); ++i) REQUIRE(test::same_bits(got.boxes[i], want.boxes[i]));
}

}  // namespace

TEST_CASE_TEMPLATE("cuda: the multiclass_nms steps, run on the CPU, equal the multi-class oracle", T, float, double) {
  std::uint32_t seed = 1;
  for (const bool agnostic : {false, true})
    for (const bool per_class : {false, true}) {
      check<T>(seed++, 3, 80, 4, per_class, agnostic, 10, 25, 0.3, 0.5);
      check<T>(seed++, 2, 120, 3, per_class, agnostic, 1000, 1000, 0.0, 0.6);
      check<T>(seed++, 4, 40, 5, per_class, agnostic, 3, 7, 0.5, 0.0);
    }
  check<T>(seed++, 2, 50, 3, false, false, 0, 10, 0.1, 0.5);  // cap 0: nothing kept
  check<T>(seed++, 2, 50, 3, false, false, 10, 0, 0.1, 0.5);  // K 0: empty outputs
  check<T>(seed++, 3, 0, 3, false, false, 10, 5, 0.1, 0.5);   // no boxes: padding only
  check<T>(seed++, 1, 60, 1, false, false, 100, 100, 2.0, 0.5);  // no candidate
}
