// Google Benchmark for the NMS family: nms over N and the suppressed fraction, batched_nms over
// classes, soft-NMS, multiclass_nms, IoU-guided and rotated NMS. Single thread. Inputs: detector-like clusters (see
// clustered()): `dup%` sets the proposals per object (1 / (1 - dup)); the counter `suppressed%`
// reports the fraction actually suppressed at IoU 0.5.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <locuskit/nms.hpp>

namespace {

struct Input {
  std::vector<float> boxes, scores;
  std::vector<std::int64_t> classes;
};

Input clustered(std::size_t n, double suppressed_fraction, int num_classes = 1, std::uint32_t seed = 1,
                double extent = 1024, double max_size = 256) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pos(0, extent), size(16, max_size), u01(0, 1), scale(0.7, 1.3);
  std::normal_distribution<double> nrm(0, 1);
  const double per_object = 1.0 / std::max(1e-6, 1.0 - suppressed_fraction);
  const std::size_t k = std::max<std::size_t>(1, static_cast<std::size_t>(n / per_object));
  std::vector<double> cx(k), cy(k), w(k), h(k);
  for (std::size_t i = 0; i < k; ++i) cx[i] = pos(rng), cy[i] = pos(rng), w[i] = size(rng), h[i] = size(rng);
  Input in;
  in.boxes.resize(4 * n);
  in.scores.resize(n);
  in.classes.resize(n);
  std::uniform_int_distribution<std::size_t> obj(0, k - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t o = obj(rng);
    const double x = cx[o] + nrm(rng) * w[o] * 0.05, y = cy[o] + nrm(rng) * h[o] * 0.05;
    const double bw = w[o] * scale(rng), bh = h[o] * scale(rng);
    in.boxes[4 * i + 0] = float(x - bw / 2);
    in.boxes[4 * i + 1] = float(y - bh / 2);
    in.boxes[4 * i + 2] = float(x + bw / 2);
    in.boxes[4 * i + 3] = float(y + bh / 2);
    in.scores[i] = float(u01(rng));
    in.classes[i] = static_cast<std::int64_t>(o % static_cast<std::size_t>(num_classes));
  }
  return in;
}

void nms_case(benchmark::State& state, bool grid, bool small = false) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const double frac = static_cast<double>(state.range(1)) / 100.0;
  const Input in = small ? clustered(n, frac, 1, 1, 8192, 64) : clustered(n, frac);
  locuskit::NmsWorkspace<float> ws(n);
  std::vector<std::int64_t> keep(n);
  std::size_t k = 0;
  locuskit::NmsOptions opts;
  opts.use_grid = grid;
  for (auto _ : state) {
    k = locuskit::nms(in.boxes.data(), in.scores.data(), n, 0.5, keep.data(), opts, &ws);
    benchmark::DoNotOptimize(keep.data());
  }
  state.counters["kept"] = static_cast<double>(k);
  state.counters["suppressed%"] = 100.0 * (1.0 - static_cast<double>(k) / static_cast<double>(n));
  state.counters["boxes/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
void BM_nms(benchmark::State& state) { nms_case(state, true); }
void BM_nms_linear(benchmark::State& state) { nms_case(state, false); }
BENCHMARK(BM_nms)
    ->ArgsProduct({{1000, 10000, 50000, 200000}, {50, 90, 99}})
    ->ArgNames({"N", "dup%"})
    ->Unit(benchmark::kMillisecond);
// Small boxes (16-64 px) in a large (8192 px) image: aerial / high-resolution detection.
void BM_nms_small_boxes(benchmark::State& state) { nms_case(state, true, true); }
void BM_nms_small_boxes_linear(benchmark::State& state) { nms_case(state, false, true); }
BENCHMARK(BM_nms_small_boxes)->ArgsProduct({{50000, 200000}, {50, 90}})->ArgNames({"N", "dup%"})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_nms_small_boxes_linear)->ArgsProduct({{50000, 200000}, {50, 90}})->ArgNames({"N", "dup%"})->Unit(benchmark::kMillisecond);
// The same without the spatial grid (the linear SIMD kernel only).
BENCHMARK(BM_nms_linear)
    ->ArgsProduct({{10000, 50000, 200000}, {50, 90, 99}})
    ->ArgNames({"N", "dup%"})
    ->Unit(benchmark::kMillisecond);

void BM_batched_nms(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const int classes = static_cast<int>(state.range(1));
  const Input in = clustered(n, 0.96, classes);
  locuskit::NmsWorkspace<float> ws(n);
  std::vector<std::int64_t> keep(n);
  for (auto _ : state) {
    benchmark::DoNotOptimize(locuskit::batched_nms(in.boxes.data(), in.scores.data(), in.classes.data(), n, 0.5,
                                                   keep.data(), {}, &ws));
  }
  state.counters["boxes/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_batched_nms)->ArgsProduct({{10000, 50000}, {1, 80, 1000}})->ArgNames({"N", "classes"})->Unit(benchmark::kMillisecond);

void BM_soft_nms(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const Input in = clustered(n, 0.96);
  std::vector<std::int64_t> keep(n);
  std::vector<float> out(n);
  locuskit::SoftNmsParams p;
  p.score_threshold = 0.001;
  for (auto _ : state)
    benchmark::DoNotOptimize(locuskit::soft_nms(in.boxes.data(), in.scores.data(), n, keep.data(), out.data(), p));
  state.counters["boxes/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_soft_nms)->Arg(1000)->Arg(5000)->ArgName("N")->Unit(benchmark::kMillisecond);

void BM_multiclass_nms(benchmark::State& state) {
  const std::size_t B = 8, N = 8400, C = 80, K = 300;
  std::vector<float> boxes;
  for (std::size_t b = 0; b < B; ++b) {
    const Input in = clustered(N, 0.96, 1, static_cast<std::uint32_t>(b + 1));
    boxes.insert(boxes.end(), in.boxes.begin(), in.boxes.end());
  }
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> scores(B * N * C);
  for (auto& s : scores) s = std::pow(u(rng), 8.0f);
  std::vector<float> ob(B * K * 4), os(B * K);
  std::vector<std::int32_t> oc(B * K), cnt(B);
  std::vector<std::int64_t> oi(B * K);
  locuskit::MulticlassNmsParams p;
  p.score_threshold = 0.25;
  p.max_total = K;
  for (auto _ : state)
    locuskit::multiclass_nms(boxes.data(), false, scores.data(), B, N, C, p, ob.data(), os.data(), oc.data(),
                             oi.data(), cnt.data());
  state.counters["images/s"] = benchmark::Counter(double(B), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_multiclass_nms)->Unit(benchmark::kMillisecond);


// IoU-guided NMS (issue 18) against greedy nms on the same boxes, ranked by the same (predicted
// IoU) scores: both keep the same set; the IoU-guided pass also tracks who suppressed whom.
void BM_iou_guided_nms(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const Input in = clustered(n, 0.9);
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> loc(n), out(n);
  for (auto& v : loc) v = u(rng);
  std::vector<std::int64_t> keep(n);
  locuskit::IouGuidedNmsParams p;
  std::size_t k = 0;
  for (auto _ : state) {
    k = locuskit::iou_guided_nms(in.boxes.data(), in.scores.data(), loc.data(), n, p, keep.data(), out.data());
    benchmark::DoNotOptimize(keep.data());
  }
  state.counters["kept"] = static_cast<double>(k);
}
void BM_nms_same_as_iou_guided(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const Input in = clustered(n, 0.9);
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> loc(n);
  for (auto& v : loc) v = u(rng);
  locuskit::NmsWorkspace<float> ws(n);
  std::vector<std::int64_t> keep(n);
  std::size_t k = 0;
  for (auto _ : state) {
    k = locuskit::nms(in.boxes.data(), loc.data(), n, 0.5, keep.data(), {}, &ws);
    benchmark::DoNotOptimize(keep.data());
  }
  state.counters["kept"] = static_cast<double>(k);
}
BENCHMARK(BM_iou_guided_nms)->Arg(1000)->Arg(10000)->ArgName("N")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_nms_same_as_iou_guided)->Arg(1000)->Arg(10000)->ArgName("N")->Unit(benchmark::kMillisecond);

// Rotated NMS (exact IoU, detectron2's >=): the clustered boxes as (cx, cy, w, h, angle).
void BM_nms_rotated(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const Input in = clustered(n, 0.9);
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> ang(-90, 90);
  std::vector<float> rot(5 * n);
  for (std::size_t i = 0; i < n; ++i) {
    const float* b = in.boxes.data() + 4 * i;
    rot[5 * i + 0] = 0.5f * (b[0] + b[2]);
    rot[5 * i + 1] = 0.5f * (b[1] + b[3]);
    rot[5 * i + 2] = b[2] - b[0];
    rot[5 * i + 3] = b[3] - b[1];
    rot[5 * i + 4] = ang(rng);
  }
  locuskit::NmsWorkspace<float> ws(n);
  std::vector<std::int64_t> keep(n);
  locuskit::RotatedNmsParams p;
  p.overlap.mode = state.range(1) ? locuskit::RotatedIouMode::detectron2 : locuskit::RotatedIouMode::exact;
  std::size_t k = 0;
  for (auto _ : state) {
    k = locuskit::nms_rotated(rot.data(), in.scores.data(), n, p, keep.data(), &ws);
    benchmark::DoNotOptimize(keep.data());
  }
  state.counters["kept"] = static_cast<double>(k);
}
BENCHMARK(BM_nms_rotated)->ArgsProduct({{1000, 10000}, {0, 1}})->ArgNames({"N", "d2"})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
