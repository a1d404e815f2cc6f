// GPU parity of cuda/rotated_iou.cuh with the host rotated::box_iou_rotated: every cell bitwise
// equal, both arithmetics, float and double, every convention. Exits 77 (skipped) without a GPU.
#include <locuskit/cuda/rotated_iou.cuh>

#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "cuda_test_support.cuh"

using namespace locuskit;
using namespace locuskit::cuda_test;

namespace {

template <class T>
std::vector<T> random_rotated(std::size_t n, unsigned seed, bool degrees) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pos(0, 40), size(0.5, 25), angle(-180, 180);
  std::vector<T> v(5 * n);
  for (std::size_t i = 0; i < n; ++i) {
    v[5 * i] = T(pos(rng)), v[5 * i + 1] = T(pos(rng)), v[5 * i + 2] = T(size(rng)), v[5 * i + 3] = T(size(rng));
    v[5 * i + 4] = T(degrees ? angle(rng) : angle(rng) * 3.141592653589793 / 180);
    if (i % 9 == 4) v[5 * i + 2] = T(0);
    if (i % 6 == 5)
      for (int k = 0; k < 5; ++k) v[5 * i + k] = v[5 * (i - 1) + k];
  }
  return v;
}

template <class T>
void run(rotated::RotatedIouParams p, std::size_t n, std::size_t m) {
  const bool deg = rotated::uses_degrees(p.convention);
  const auto a = random_rotated<T>(n, 11, deg), b = random_rotated<T>(m, 12, deg);
  std::vector<T> host(n * m), dev(n * m);
  rotated::box_iou_rotated(a.data(), n, b.data(), m, host.data(), p);
  T *da = nullptr, *db = nullptr, *dout = nullptr;
  if (!ok(cudaMalloc(&da, a.size() * sizeof(T)), "malloc") || !ok(cudaMalloc(&db, b.size() * sizeof(T)), "malloc") ||
      !ok(cudaMalloc(&dout, dev.size() * sizeof(T)), "malloc")) {
    ++failures;
    return;
  }
  cudaMemcpy(da, a.data(), a.size() * sizeof(T), cudaMemcpyHostToDevice);
  cudaMemcpy(db, b.data(), b.size() * sizeof(T), cudaMemcpyHostToDevice);
  if (!ok(gpu::box_iou_rotated(da, n, db, m, dout, p, nullptr), "launch") || !ok(cudaDeviceSynchronize(), "sync"))
    ++failures;
  cudaMemcpy(dev.data(), dout, dev.size() * sizeof(T), cudaMemcpyDeviceToHost);
  std::size_t bad = 0;
  for (std::size_t k = 0; k < host.size(); ++k) bad += std::memcmp(&host[k], &dev[k], sizeof(T)) != 0;
  ++checks;
  if (bad) {
    ++failures;
    std::printf("FAIL %s conv %d arith %d iof %d: %zu of %zu cells differ\n", sizeof(T) == 4 ? "float" : "double",
                int(p.convention), int(p.arithmetic), int(p.iof), bad, host.size());
  }
  cudaFree(da), cudaFree(db), cudaFree(dout);
}
}  // namespace

int main() {
  if (const int skipped = skip_without_device()) return skipped;
  for (auto conv : {rotated::AngleConvention::degrees_ccw, rotated::AngleConvention::radians_cw,
                    rotated::AngleConvention::radians_ccw, rotated::AngleConvention::degrees_cw})
    for (bool iof : {false, true}) {
      rotated::RotatedIouParams p;
      p.convention = conv;
      p.iof = iof;
      run<float>(p, 301, 517);
      run<double>(p, 301, 517);
    }
  rotated::RotatedIouParams d2;
  d2.arithmetic = rotated::RotatedArithmetic::detectron2;
  run<float>(d2, 301, 517);
  run<double>(d2, 301, 517);
  rotated::RotatedIouParams bad;
  bad.arithmetic = rotated::RotatedArithmetic::detectron2;
  bad.convention = rotated::AngleConvention::radians_cw;
  ++checks;
  if (gpu::box_iou_rotated<float>(nullptr, 1, nullptr, 1, nullptr, bad, nullptr) != cudaErrorInvalidValue) ++failures;
  return report("rotated IoU: ");
}
