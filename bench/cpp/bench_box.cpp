// Box geometry kernels: pairwise IoU family (single thread, per SIMD arch), aligned losses.
//
// Pairwise rows are computed in blocks of rows into one reused buffer that stays in cache, so the
// figure is the kernel's compute rate (the target: IoU 10k x 1k float32 >= 3 G pairs/s per
// core); the `/full` variants write the whole n x m matrix (memory-bound once it spills).
#include <benchmark/benchmark.h>

#include <locuskit/box.hpp>

#include <random>
#include <vector>

namespace {

using namespace locuskit;

template <class T>
std::vector<T> make_boxes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pos(0, 1000), size(1, 100);
  std::vector<T> out(4 * n);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = pos(rng), y = pos(rng);
    out[4 * i] = T(x), out[4 * i + 1] = T(y), out[4 * i + 2] = T(x + size(rng)), out[4 * i + 3] = T(y + size(rng));
  }
  return out;
}

// state.range(0) = n, range(1) = m, range(2) = arch id (0 = best available), range(3) = 1: full matrix.
template <class T, IouKind K>
void BM_pairwise(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0)), m = static_cast<std::size_t>(state.range(1));
  const auto arch = static_cast<simd::arch_id>(state.range(2));
  const bool full = state.range(3) != 0;
  if (arch != simd::arch_id::scalar && !simd::set_forced_arch(arch)) {
    state.SkipWithError("arch not available");
    return;
  }
  state.SetLabel(simd::arch_name(simd::active_arch()));
  const auto a = make_boxes<T>(n, 1), b = make_boxes<T>(m, 2);
  const std::size_t block = full ? n : 16;  // 16 rows x 1000 cols float32 = 64 KiB: stays in L2
  std::vector<T> out(block * m);
  for (auto _ : state) {
    for (std::size_t r = 0; r < n; r += block) {
      const std::size_t rows = std::min(block, n - r);
      if constexpr (K == IouKind::iou)
        box_iou(a.data() + 4 * r, rows, b.data(), m, out.data());
      else
        box_iou_family(K, a.data() + 4 * r, rows, b.data(), m, out.data());
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  simd::reset_forced_arch();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n * m));
}

void pairwise_args(benchmark::internal::Benchmark* b) {
  for (int arch : {1, 2, 3}) b->Args({10000, 1000, arch, 0});
  b->Args({1000, 1000, 0, 0});
  b->Args({10000, 1000, 0, 1});
  b->Unit(benchmark::kMillisecond);
}

BENCHMARK_TEMPLATE(BM_pairwise, float, IouKind::iou)->Apply(pairwise_args);
BENCHMARK_TEMPLATE(BM_pairwise, double, IouKind::iou)->Args({10000, 1000, 0, 0})->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_pairwise, float, IouKind::giou)->Apply(pairwise_args);
BENCHMARK_TEMPLATE(BM_pairwise, float, IouKind::diou)->Args({10000, 1000, 0, 0})->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_pairwise, float, IouKind::ciou)->Args({10000, 1000, 0, 0})->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_pairwise, double, IouKind::giou)->Args({10000, 1000, 0, 0})->Unit(benchmark::kMillisecond);

template <class T, BoxLossKind K>
void BM_loss_with_grad(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const auto p = make_boxes<T>(n, 3), g = make_boxes<T>(n, 4);
  std::vector<T> loss(n), grad(4 * n);
  for (auto _ : state) {
    box_loss(K, p.data(), g.data(), n, loss.data(), grad.data());
    benchmark::DoNotOptimize(grad.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK_TEMPLATE(BM_loss_with_grad, float, BoxLossKind::giou)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_loss_with_grad, float, BoxLossKind::ciou)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
