// GPU parity of cuda/rotated_nms.cuh (nms_rotated, batched_nms_rotated) with a plain host greedy NMS
// over the same RotatedIoU policy (nms/overlap.hpp): kept indices equal, in order, float and double,
// exact and detectron2 arithmetic, both rules, caps, grid mode (n >= nms_grid_min_boxes). The CPU
// suite checks that the loop equals the CPU nms_rotated (tests/cpp/cuda/test_segment_loop.cpp).
// Exits 77 (skipped) without a GPU.
#include <locuskit/cuda/rotated_nms.cuh>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>

#include "cuda_test_support.cuh"

using namespace locuskit;
using namespace locuskit::cuda_test;

namespace {

// Clustered rotated boxes (near-duplicates), some zero-width, score ties.
template <class T>
void make_boxes(std::size_t n, unsigned seed, double extent, std::vector<T>& boxes, std::vector<T>& scores,
                std::vector<std::int64_t>& classes) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pos(0, extent), jitter(-2, 2), side(0.5, 15), angle(-180, 180);
  boxes.assign(5 * n, T(0)), scores.assign(n, T(0)), classes.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    T* r = &boxes[5 * i];
    if (i > 0 && rng() % 3 == 0) {
      const std::size_t j = rng() % i;
      for (int c = 0; c < 5; ++c) r[c] = boxes[5 * j + c] + T(c < 4 ? jitter(rng) / 4 : jitter(rng));
      r[2] = std::abs(r[2]), r[3] = std::abs(r[3]);
    } else {
      r[0] = T(pos(rng)), r[1] = T(pos(rng)), r[2] = T(side(rng)), r[3] = T(side(rng)), r[4] = T(angle(rng));
    }
    if (rng() % 17 == 0) r[2] = T(0);
    scores[i] = T(rng() % 64) / T(64);
    classes[i] = static_cast<std::int64_t>(rng() % 5) - 2;
  }
}

// Plain greedy NMS with the policy: stable descending score order, suppress iff
// o.overlap(kept, box) > strict threshold, per class when `classes` is non-null, at most cap.
template <class T>
std::vector<std::int64_t> host_greedy(const std::vector<T>& boxes, const std::vector<T>& scores,
                                      const std::int64_t* classes, const RotatedIoU& o, T thr, std::size_t cap) {
  const std::size_t n = scores.size();
  std::vector<std::int64_t> order(n), kept;
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return scores[a] > scores[b]; });
  std::vector<char> removed(n, 0);
  for (std::size_t p = 0; p < n && kept.size() < cap; ++p) {
    const std::int64_t i = order[p];
    if (removed[i]) continue;
    kept.push_back(i);
    for (std::size_t q = p + 1; q < n; ++q) {
      const std::int64_t j = order[q];
      if (removed[j] || (classes && classes[i] != classes[j])) continue;
      if (o.overlap(&boxes[5 * i], &boxes[5 * j]) > thr) removed[j] = 1;
    }
  }
  return kept;
}

template <class T>
void run(std::size_t n, unsigned seed, double extent, double thr, IouRule rule, const RotatedIoU& o,
         std::size_t max_output, bool batched) {
  std::vector<T> boxes, scores;
  std::vector<std::int64_t> classes;
  make_boxes<T>(n, seed, extent, boxes, scores, classes);
  const auto want = host_greedy<T>(boxes, scores, batched ? classes.data() : nullptr, o,
                                   strict_iou_threshold<T>(thr, rule), max_output);
  std::size_t ws_bytes = 0;
  if (!ok(batched ? gpu::batched_nms_rotated_workspace_bytes<T>(n, &ws_bytes)
                  : gpu::nms_rotated_workspace_bytes<T>(n, &ws_bytes),
          "workspace")) {
    ++failures;
    return;
  }
  T *db = nullptr, *ds = nullptr;
  std::int64_t *dc = nullptr, *dkeep = nullptr, *dcount = nullptr;
  void* ws = nullptr;
  const std::size_t nn = std::max<std::size_t>(n, 1);
  if (!ok(cudaMalloc(&db, 5 * nn * sizeof(T)), "malloc") || !ok(cudaMalloc(&ds, nn * sizeof(T)), "malloc") ||
      !ok(cudaMalloc(&dc, nn * sizeof(std::int64_t)), "malloc") ||
      !ok(cudaMalloc(&dkeep, nn * sizeof(std::int64_t)), "malloc") ||
      !ok(cudaMalloc(&dcount, sizeof(std::int64_t)), "malloc") || !ok(cudaMalloc(&ws, std::max<std::size_t>(ws_bytes, 1)), "malloc")) {
    ++failures;
    return;
  }
  cudaMemcpy(db, boxes.data(), boxes.size() * sizeof(T), cudaMemcpyHostToDevice);
  cudaMemcpy(ds, scores.data(), scores.size() * sizeof(T), cudaMemcpyHostToDevice);
  cudaMemcpy(dc, classes.data(), classes.size() * sizeof(std::int64_t), cudaMemcpyHostToDevice);
  const cudaError_t e =
      batched ? gpu::batched_nms_rotated<T>(db, ds, dc, n, thr, rule, o, max_output, dkeep, dcount, ws, ws_bytes, nullptr)
              : gpu::nms_rotated<T>(db, ds, n, thr, rule, o, max_output, dkeep, dcount, ws, ws_bytes, nullptr);
  std::int64_t count = -1;
  std::vector<std::int64_t> got;
  if (ok(e, "launch") && ok(cudaDeviceSynchronize(), "sync")) {
    cudaMemcpy(&count, dcount, sizeof(count), cudaMemcpyDeviceToHost);
    got.resize(static_cast<std::size_t>(std::max<std::int64_t>(count, 0)));
    if (!got.empty()) cudaMemcpy(got.data(), dkeep, got.size() * sizeof(std::int64_t), cudaMemcpyDeviceToHost);
  }
  ++checks;
  if (got != want) {
    ++failures;
    std::printf("FAIL %s n %zu seed %u thr %g rule %d mode %d conv %d cap %zu batched %d: %zu kept, want %zu\n",
                sizeof(T) == 4 ? "float" : "double", n, seed, thr, int(rule), int(o.mode), int(o.convention),
                max_output, int(batched), got.size(), want.size());
  }
  cudaFree(db), cudaFree(ds), cudaFree(dc), cudaFree(dkeep), cudaFree(dcount), cudaFree(ws);
}

template <class T>
void run_all() {
  const std::size_t all = static_cast<std::size_t>(-1);
  unsigned seed = 1;
  for (const auto mode : {RotatedIouMode::exact, RotatedIouMode::detectron2})
    for (const auto rule : {IouRule::greater_equal, IouRule::torchvision, IouRule::cuda})
      for (const double thr : {0.0, 0.3, 0.5, 0.7})
        for (const bool batched : {false, true}) {
          RotatedIoU o;
          o.mode = mode;
          run<T>(700, seed++, 80, thr, rule, o, all, batched);
        }
  RotatedIoU o;
  run<T>(0, 90, 80, 0.5, IouRule::greater_equal, o, all, false);
  run<T>(1, 91, 80, 0.5, IouRule::greater_equal, o, all, true);
  run<T>(500, 92, 80, 0.5, IouRule::greater_equal, o, 17, false);  // max_output
  run<T>(500, 93, 80, 0.5, IouRule::greater_equal, o, 17, true);
  run<T>(20000, 94, 3000, 0.5, IouRule::greater_equal, o, all, false);  // cooperative grid mode
  run<T>(20000, 95, 3000, 0.5, IouRule::greater_equal, o, all, true);
  o.convention = rotated::AngleConvention::radians_cw;
  run<T>(600, 96, 80, 0.4, IouRule::greater_equal, o, all, false);
  ++checks;  // a NaN threshold is refused
  if (gpu::nms_rotated<T>(nullptr, nullptr, 1, std::nan(""), IouRule::greater_equal, RotatedIoU{}, all, nullptr,
                          nullptr, nullptr, 0, nullptr) != cudaErrorInvalidValue)
    ++failures;
}
}  // namespace

int main() {
  if (const int skipped = skip_without_device()) return skipped;
  run_all<float>();
  run_all<double>();
  return report("rotated NMS: ");
}
