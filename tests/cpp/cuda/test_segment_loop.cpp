// The CUDA NMS loop (include/locuskit/cuda/segment_loop.cuh) run on the CPU: one std::thread per
// CUDA thread, real CTA / warp / grid barriers, an emulated warp ballot and atomic flag accesses.
// The same source the GPU runs, checked against greedy NMS in both modes (one CTA per segment,
// several CTAs sharing one segment through a grid barrier).
#include <locuskit/cuda/segment_loop.cuh>
#include <locuskit/nms/rotated_nms.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "cuda/cuda_oracles.hpp"
#include "cuda/segment_emulator.hpp"
#include "test_support.hpp"

using namespace locuskit;
using locuskit::test::emulate;
using locuskit::test::Block;
using locuskit::test::HostBarrier;
using locuskit::test::HostContext;
using locuskit::test::kThreads;

namespace {

template <class T>
void check_case(std::size_t n, std::uint32_t seed, double thr, long long cap, int ctas) {
  const auto boxes = test::random_boxes<T>(n, seed, T(20 + n / 8));
  std::mt19937 rng(seed);
  std::vector<T> scores(n);
  for (auto& s : scores) s = T(rng() % 32) / T(32);  // ties
  const auto order = test::score_order(scores.data(), n);
  std::vector<T> sorted(4 * n);
  for (std::size_t p = 0; p < n; ++p)
    for (int c = 0; c < 4; ++c) sorted[4 * p + c] = boxes[4 * order[p] + c];
  long long count = -1;
  std::vector<long long> list;
  const auto keep = emulate<T>(sorted, n, gpu::threshold_as<T>(thr), cap, ctas, &count, &list);
  std::vector<std::int64_t> got, got_list;
  for (std::size_t p = 0; p < n; ++p)
    if (keep[p]) got.push_back(order[p]);
  for (long long k = 0; k < count; ++k) got_list.push_back(order[list[k]]);
  const auto want = test::greedy_nms(boxes.data(), scores.data(), n, thr, static_cast<std::size_t>(cap));
  CAPTURE(n);
  CAPTURE(seed);
  CAPTURE(thr);
  CAPTURE(cap);
  CAPTURE(ctas);
  REQUIRE(got == want);
  REQUIRE(got_list == want);
}

// Rotated boxes in clusters (many overlaps, near-duplicates), some thin or zero-width, score ties.
template <class T>
void rotated_case(std::size_t n, std::uint32_t seed, std::vector<T>& boxes, std::vector<T>& scores) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> centre(0, 60), jitter(-2, 2), side(0.5, 15), angle(-180, 180);
  boxes.clear(), scores.clear();
  for (std::size_t i = 0; i < n; ++i) {
    const bool near = i > 0 && rng() % 3 == 0;  // a perturbed copy of an earlier box
    const std::size_t j = near ? rng() % i : 0;
    T row[5] = {T(centre(rng)), T(centre(rng)), T(side(rng)), T(side(rng)), T(angle(rng))};
    if (near)
      for (int c = 0; c < 5; ++c) row[c] = boxes[5 * j + c] + T(c < 4 ? jitter(rng) / 4 : jitter(rng));
    if (rng() % 17 == 0) row[2] = T(0);  // zero area
    if (row[2] < T(0)) row[2] = -row[2];
    if (row[3] < T(0)) row[3] = -row[3];
    boxes.insert(boxes.end(), row, row + 5);
    scores.push_back(T(rng() % 24) / T(24));
  }
}

// The loop with the RotatedIoU policy against the CPU nms_rotated (the same policy through the CPU
// engine): the kept original indices, in score order.
template <class T>
void check_rotated(std::size_t n, std::uint32_t seed, const RotatedNmsParams& params, int ctas) {
  std::vector<T> boxes, scores;
  rotated_case<T>(n, seed, boxes, scores);
  std::vector<std::int64_t> want(n);
  want.resize(nms_rotated(boxes.data(), scores.data(), n, params, want.data()));
  const long long cap = static_cast<long long>(std::min(n, params.max_output));
  std::vector<std::int64_t> got, got_list;
  test::emulated_nms(boxes, scores, strict_iou_threshold<T>(params.iou_threshold, params.rule), cap, ctas,
                     params.overlap, &got, &got_list);
  CAPTURE(n);
  CAPTURE(seed);
  CAPTURE(params.iou_threshold);
  CAPTURE(static_cast<int>(params.rule));
  CAPTURE(static_cast<int>(params.overlap.mode));
  CAPTURE(ctas);
  REQUIRE(got == want);
  REQUIRE(got_list == want);
}

}  // namespace

TEST_CASE_TEMPLATE("cuda: the device NMS loop with the RotatedIoU policy equals the CPU nms_rotated", T, float,
                   double) {
  std::uint32_t seed = 500;
  RotatedNmsParams p;
  for (const auto mode : {RotatedIouMode::exact, RotatedIouMode::detectron2}) {
    p.overlap.mode = mode;
    for (const auto rule : {IouRule::greater_equal, IouRule::torchvision})
      for (const double thr : {0.0, 0.3, 0.7}) {
        p.rule = rule;
        p.iou_threshold = thr;
        check_rotated<T>(150, seed++, p, 1);
      }
  }
  p = RotatedNmsParams{};
  check_rotated<T>(300, 31, p, 3);  // grid mode
  p.max_output = 9;
  check_rotated<T>(200, 32, p, 1);  // the cap stops early
  p = RotatedNmsParams{};
  p.overlap.convention = rotated::AngleConvention::radians_cw;  // mmcv: angles in degrees-range values too
  check_rotated<T>(120, 33, p, 1);
  check_rotated<T>(0, 34, p, 1);
  check_rotated<T>(1, 35, p, 1);
}

TEST_CASE_TEMPLATE("cuda: the device NMS loop, run on CPU threads, equals greedy NMS (one CTA)", T, float, double) {
  std::uint32_t seed = 1;
  for (const std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(64), std::size_t(65), std::size_t(300)})
    for (const double thr : {0.0, 0.5, 0.6})
      check_case<T>(n, seed++, thr, static_cast<long long>(n), 1);
  check_case<T>(200, 77, 0.5, 7, 1);  // the cap stops early
}

TEST_CASE_TEMPLATE("cuda: the device NMS loop in grid mode (3 CTAs, grid barrier) equals greedy NMS", T, float,
                   double) {
  check_case<T>(5, 3, 0.5, 5, 3);  // fewer boxes than threads
  check_case<T>(700, 4, 0.5, 700, 3);
  check_case<T>(400, 5, 0.0, 400, 2);
}

TEST_CASE_TEMPLATE("cuda: the device multi-segment loop (2 CTAs, shared work counter) equals per-segment greedy",
                   T, float, double) {
  // Segments of varied sizes (empty ones too) in one sorted array, as batched_nms lays them out.
  std::mt19937 rng(21);
  const std::vector<std::size_t> sizes = {0, 70, 1, 0, 130, 5, 64, 40};
  std::vector<long long> begin, end;
  std::vector<T> sorted;
  std::vector<std::vector<std::int64_t>> expected;
  std::uint32_t seed = 100;
  for (const std::size_t len : sizes) {
    const auto boxes = test::random_boxes<T>(len, seed++, T(30));
    std::vector<T> scores(len);
    for (auto& s : scores) s = T(rng() % 16) / T(16);
    const auto order = test::score_order(scores.data(), len);
    begin.push_back(static_cast<long long>(sorted.size() / 4));
    for (std::size_t p = 0; p < len; ++p)
      for (int c = 0; c < 4; ++c) sorted.push_back(boxes[4 * order[p] + c]);
    end.push_back(static_cast<long long>(sorted.size() / 4));
    // greedy on the segment, as sorted positions within the segment
    std::vector<std::int64_t> kept;
    const auto g = test::greedy_nms(boxes.data(), scores.data(), len, 0.5, 30);  // cap 30
    for (const auto i : g)
      for (std::size_t p = 0; p < len; ++p)
        if (order[p] == i) kept.push_back(begin.back() + static_cast<std::int64_t>(p));
    expected.push_back(kept);
  }
  const std::size_t n = sorted.size() / 4, S = sizes.size();
  const long long W = 30;
  std::vector<unsigned char> removed(n, 0), keep(n, 0);
  std::vector<long long> kept_list(S * W, -1), kept_count(S, -1);
  unsigned int counter = 0;
  constexpr int ctas = 2;
  std::vector<std::unique_ptr<Block>> blocks;
  std::vector<std::unique_ptr<gpu::detail::ChunkState<T>>> shared;
  for (int b = 0; b < ctas; ++b) {
    blocks.push_back(std::make_unique<Block>());
    shared.push_back(std::make_unique<gpu::detail::ChunkState<T>>());
  }
  const long long num_segments = static_cast<long long>(S);
  std::vector<std::thread> pool;
  for (int b = 0; b < ctas; ++b)
    for (int t = 0; t < kThreads; ++t)
      pool.emplace_back([&, b, t] {
        const HostContext ctx{t, blocks[b].get(), &blocks[b]->cta};
        gpu::detail::segments_loop<T>(ctx, sorted.data(), removed.data(), keep.data(), begin.data(), end.data(),
                                      &num_segments, 0, gpu::threshold_as<T>(0.5), W, kept_list.data(), W,
                                      kept_count.data(), &counter, *shared[b]);
      });
  for (auto& th : pool) th.join();
  for (std::size_t s = 0; s < S; ++s) {
    CAPTURE(s);
    REQUIRE(kept_count[s] == static_cast<long long>(expected[s].size()));
    for (long long k = 0; k < kept_count[s]; ++k) REQUIRE(kept_list[s * W + k] == expected[s][k]);
    for (long long p = begin[s]; p < end[s]; ++p)
      REQUIRE(static_cast<bool>(keep[p]) ==
              (std::find(expected[s].begin(), expected[s].end(), p) != expected[s].end()));
  }
  CHECK(counter >= S + ctas);  // every CTA saw the end of the work
}
