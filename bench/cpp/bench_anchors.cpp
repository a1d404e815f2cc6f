// Anchors, coders, matchers (Google Benchmark). The torchvision comparison on the same inputs is
// bench/python/bench_anchors.py; here: locuskit kernels per architecture and size, and the dense
// matcher (full IoU matrix) against the fused one.
#include <benchmark/benchmark.h>

#include <locuskit/anchor.hpp>
#include <locuskit/box/iou.hpp>
#include <locuskit/coder.hpp>
#include <locuskit/match.hpp>

#include <cmath>
#include <random>
#include <vector>

using namespace locuskit;

namespace {
// 5-level FPN at 1333x800 as torchvision's RetinaNet (padded 1344x800): P3-P7, sizes
// (x, x*2^(1/3), x*2^(2/3)) for x = 32..512, ratios 0.5/1/2: 201,600 anchors.
const std::size_t kShapes[5][2] = {{100, 168}, {50, 84}, {25, 42}, {13, 21}, {7, 11}};

std::vector<float> fpn_anchors() {
  std::vector<float> out;
  const double ratios[3] = {0.5, 1.0, 2.0};
  for (int l = 0; l < 5; ++l) {
    const double x = 32.0 * (1 << l);
    const double sizes[3] = {x, double(int(x * std::pow(2.0, 1.0 / 3))), double(int(x * std::pow(2.0, 2.0 / 3)))};
    float cell[36];
    cell_anchors_torchvision(sizes, 3, ratios, 3, cell);
    const std::size_t h = kShapes[l][0], w = kShapes[l][1];
    const std::size_t off = out.size();
    out.resize(off + 4 * 9 * h * w);
    grid_anchors(cell, 9, h, w, double(800 / h), double(1344 / w), 0.0, out.data() + off);
  }
  return out;
}

std::vector<float> random_deltas(std::size_t n) {
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0, 0.5f);
  std::vector<float> v(4 * n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<float> random_gt(std::size_t m) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> cx(0, 1344), cy(0, 800), s(16, 400);
  std::vector<float> g(4 * m);
  for (std::size_t i = 0; i < m; ++i) {
    const float x = cx(rng), y = cy(rng), w = s(rng), h = s(rng);
    g[4 * i] = x - w / 2, g[4 * i + 1] = y - h / 2, g[4 * i + 2] = x + w / 2, g[4 * i + 3] = y + h / 2;
  }
  return g;
}
}  // namespace

static void BM_fpn_anchor_generation(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(fpn_anchors());
}
BENCHMARK(BM_fpn_anchor_generation)->Unit(benchmark::kMicrosecond);

static void BM_box_coder_decode(benchmark::State& state) {
  const auto anchors = fpn_anchors();
  const std::size_t n = anchors.size() / 4;
  const auto deltas = random_deltas(n);
  std::vector<float> out(4 * n);
  for (auto _ : state) box_coder_decode(deltas.data(), anchors.data(), n, 1, out.data());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_box_coder_decode)->Unit(benchmark::kMicrosecond);

static void BM_box_coder_decode_scalar_reference(benchmark::State& state) {
  const auto anchors = fpn_anchors();
  const std::size_t n = anchors.size() / 4;
  const auto deltas = random_deltas(n);
  std::vector<float> out(4 * n);
  for (auto _ : state) reference::box_coder_decode(deltas.data(), anchors.data(), n, 1, out.data());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_box_coder_decode_scalar_reference)->Unit(benchmark::kMicrosecond);

// Max-IoU matcher at 200k anchors x M gt, allow_low_quality_matches (RetinaNet 0.5/0.4): fused vs dense.
static void BM_match_boxes_fused(benchmark::State& state) {
  auto anchors = fpn_anchors();
  const std::size_t n = anchors.size() / 4;  // 201,600
  const auto m = static_cast<std::size_t>(state.range(0));
  const auto gt = random_gt(m);
  std::vector<std::int64_t> matches(n);
  for (auto _ : state) match_boxes(gt.data(), m, anchors.data(), n, 0.5, 0.4, true, matches.data());
}
BENCHMARK(BM_match_boxes_fused)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

static void BM_match_boxes_dense(benchmark::State& state) {
  auto anchors = fpn_anchors();
  const std::size_t n = anchors.size() / 4;  // 201,600
  const auto m = static_cast<std::size_t>(state.range(0));
  const auto gt = random_gt(m);
  std::vector<std::int64_t> matches(n);
  std::vector<float> q(m * n);
  for (auto _ : state) {
    box_iou(gt.data(), m, anchors.data(), n, q.data());
    matcher_dense(q.data(), m, n, 0.5, 0.4, true, matches.data());
  }
}
BENCHMARK(BM_match_boxes_dense)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

static void BM_linear_sum_assignment(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> c(n * n);
  for (auto& x : c) x = u(rng);
  std::vector<std::int64_t> r(n), col(n);
  for (auto _ : state) linear_sum_assignment(c.data(), n, n, r.data(), col.data());
}
BENCHMARK(BM_linear_sum_assignment)->Arg(100)->Arg(300)->Unit(benchmark::kMicrosecond);

static void BM_kmeans_anchors(benchmark::State& state) {
  std::mt19937 rng(4);
  std::lognormal_distribution<double> s(3.5, 0.8);
  std::vector<double> wh(2 * 10000);
  for (auto& x : wh) x = s(rng);
  std::vector<double> out(18);
  for (auto _ : state) kmeans_anchors(wh.data(), 10000, 9, out.data(), 0, 300, 4.0, 1);
}
BENCHMARK(BM_kmeans_anchors)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
