// GPU parity tests of the CUDA kernels against the host oracles (run by scripts/gpu-check; exits
// 77 = skipped when no CUDA device is present). Every comparison is exact: kept indices equal,
// floating-point outputs bitwise equal.
#include <locuskit/cuda/all.cuh>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include <locuskit/roi/prroi_pool.hpp>
#include <locuskit/roi/roi_align.hpp>

#include "../cpp/cuda/cuda_oracles.hpp"
#include "../cpp/roi/test_roi_support.hpp"
#include "cuda_test_support.cuh"

using namespace locuskit;
namespace lc = locuskit::gpu;
using namespace locuskit::cuda_test;

namespace {


#define EXPECT(cond, ...)                                   \
  do {                                                      \
    ++checks;                                               \
    if (!(cond)) {                                          \
      ++failures;                                           \
      std::printf("FAIL %s:%d: ", __FILE__, __LINE__);      \
      std::printf(__VA_ARGS__);                             \
      std::printf("\n");                                    \
    }                                                       \
  } while (0)

void ck(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    std::printf("CUDA error in %s: %s\n", what, cudaGetErrorString(e));
    std::exit(1);
  }
}

template <class X>
struct Buf {
  X* p = nullptr;
  std::size_t n = 0;
  explicit Buf(std::size_t count) : n(count) { ck(cudaMalloc(&p, std::max<std::size_t>(count, 1) * sizeof(X)), "malloc"); }
  explicit Buf(const std::vector<X>& v) : Buf(v.size()) {
    if (!v.empty()) ck(cudaMemcpy(p, v.data(), v.size() * sizeof(X), cudaMemcpyHostToDevice), "upload");
  }
  ~Buf() { cudaFree(p); }
  std::vector<X> get(std::size_t count) const {
    std::vector<X> v(count);
    if (count) ck(cudaMemcpy(v.data(), p, count * sizeof(X), cudaMemcpyDeviceToHost), "download");
    return v;
  }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
};

// Clustered xyxy boxes (heavy overlap), with duplicates and zero-width/height boxes.
template <class T>
std::vector<T> boxes_for(std::size_t n, std::uint32_t seed, double extent) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pos(0, extent), size(0, extent / 10), jit(-extent / 60, extent / 60);
  std::vector<T> b(4 * n);
  double cx = 0, cy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 16 == 0) cx = pos(rng), cy = pos(rng);
    const unsigned k = rng() % 20;
    if (k == 0 && i > 0) {
      for (int c = 0; c < 4; ++c) b[4 * i + c] = b[4 * (i - 1) + c];
      continue;
    }
    const T x1 = T(cx + jit(rng)), y1 = T(cy + jit(rng));
    b[4 * i] = x1;
    b[4 * i + 1] = y1;
    b[4 * i + 2] = k == 1 ? x1 : T(x1 + size(rng));
    b[4 * i + 3] = k == 2 ? y1 : T(y1 + size(rng));
  }
  return b;
}

template <class T>
std::vector<T> scores_for(std::size_t n, std::uint32_t seed, bool ties) {
  std::mt19937 rng(seed * 7 + 1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<T> s(n);
  for (auto& v : s) v = ties ? T(std::floor(u(rng) * 16) / 16) : T(u(rng));
  return s;
}

template <class T>
void test_box_iou(std::uint32_t seed) {
  const std::size_t n = 1 + seed * 37 % 300, m = 1 + seed * 53 % 500;
  const auto a = boxes_for<T>(n, seed, 100), b = boxes_for<T>(m, seed + 1000, 100);
  Buf<T> da(a), db(b), out(n * m);
  for (const Degenerate d : {Degenerate::zero, Degenerate::nan, Degenerate::one}) {
    ck(lc::box_iou<T>(da.p, n, db.p, m, out.p, degenerate_value<T>(d), nullptr), "box_iou");
    const auto got = out.get(n * m);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < m; ++j) {
        const T* bi = &a[4 * i];
        const T* bj = &b[4 * j];
        const T want = geometry::iou(bi, geometry::area(bi[0], bi[1], bi[2], bi[3]), bj,
                                     geometry::area(bj[0], bj[1], bj[2], bj[3]), degenerate_value<T>(d));
        bad += std::memcmp(&want, &got[i * m + j], sizeof(T)) != 0;
      }
    EXPECT(bad == 0, "box_iou<%s> seed %u: %zu of %zu values differ bitwise", sizeof(T) == 4 ? "f32" : "f64", seed,
           bad, n * m);
  }
}

template <class T>
std::vector<std::int64_t> run_nms(const std::vector<T>& boxes, const std::vector<T>& scores, double thr) {
  const std::size_t n = scores.size();
  Buf<T> db(boxes), ds(scores);
  Buf<std::int64_t> keep(n), count(1);
  std::size_t bytes = 0;
  ck(lc::nms_workspace_bytes<T>(n, &bytes), "nms_workspace_bytes");
  Buf<unsigned char> ws(bytes);
  ck(lc::nms<T>(db.p, ds.p, n, thr, keep.p, count.p, ws.p, bytes, nullptr), "nms");
  const auto c = count.get(1)[0];
  return keep.get(static_cast<std::size_t>(c));
}

// Host model (blocked greedy, same order as the kernels) for sizes where the O(n^2) oracle is slow.
template <class T>
std::vector<std::int64_t> model_nms(const std::vector<T>& boxes, const std::vector<T>& scores, double thr) {
  const std::size_t n = scores.size();
  const auto order = test::score_order(scores.data(), n);
  std::vector<T> sorted(4 * n);
  for (std::size_t p = 0; p < n; ++p)
    for (int c = 0; c < 4; ++c) sorted[4 * p + c] = boxes[4 * order[p] + c];
  std::vector<unsigned char> keep(n, 0);
  lc::blocked_greedy_nms_host(sorted.data(), n, lc::threshold_as<T>(thr), static_cast<long long>(n), keep.data());
  std::vector<std::int64_t> out;
  for (std::size_t p = 0; p < n; ++p)
    if (keep[p]) out.push_back(order[p]);
  return out;
}

template <class T>
void test_nms(std::size_t n, std::uint32_t seed, double thr, bool ties) {
  const auto boxes = boxes_for<T>(n, seed, 40.0 + n / 4.0);
  const auto scores = scores_for<T>(n, seed, ties);
  const auto got = run_nms(boxes, scores, thr);
  const auto want = n <= 5000 ? test::greedy_nms(boxes.data(), scores.data(), n, thr) : model_nms(boxes, scores, thr);
  EXPECT(got == want, "nms<%s> n=%zu seed=%u thr=%g ties=%d: %zu kept vs %zu expected",
         sizeof(T) == 4 ? "f32" : "f64", n, seed, thr, int(ties), got.size(), want.size());
}

template <class T>
void test_batched(std::size_t n, std::uint32_t seed, int classes, double thr) {
  const auto boxes = boxes_for<T>(n, seed, 40.0 + n / 8.0);
  const auto scores = scores_for<T>(n, seed, seed % 2 == 0);
  std::mt19937 rng(seed);
  std::vector<std::int64_t> ids(n);
  for (auto& c : ids) c = static_cast<std::int64_t>(rng() % classes) - classes / 2;  // negative ids too
  Buf<T> db(boxes), ds(scores);
  Buf<std::int64_t> di(ids), keep(n), count(1);
  std::size_t bytes = 0;
  ck(lc::batched_nms_workspace_bytes<T>(n, &bytes), "batched_nms_workspace_bytes");
  Buf<unsigned char> ws(bytes);
  ck(lc::batched_nms<T>(db.p, ds.p, di.p, n, thr, keep.p, count.p, ws.p, bytes, nullptr), "batched_nms");
  const auto got = keep.get(static_cast<std::size_t>(count.get(1)[0]));
  const auto want = test::greedy_batched_nms(boxes.data(), scores.data(), ids.data(), n, thr);
  EXPECT(got == want, "batched_nms<%s> n=%zu seed=%u classes=%d thr=%g: %zu kept vs %zu expected",
         sizeof(T) == 4 ? "f32" : "f64", n, seed, classes, thr, got.size(), want.size());
}

template <class T>
void test_multiclass(std::uint32_t seed, std::size_t B, std::size_t N, std::size_t C, bool per_class, bool agnostic,
                     long long cap, long long K, double sthr, double thr) {
  const std::size_t nb = B * N * (per_class ? C : 1);
  const auto boxes = boxes_for<T>(nb, seed, 30.0 + N / 4.0);
  const auto scores = scores_for<T>(B * N * C, seed, seed % 2 == 1);
  Buf<T> db(boxes), ds(scores), ob(B * K * 4), os(B * K);
  Buf<std::int64_t> oc(B * K), oi(B * K), on(B);
  lc::MulticlassShape shape;
  shape.batch = B, shape.boxes = N, shape.classes = C, shape.boxes_per_class = per_class;
  shape.max_output_per_class = cap, shape.max_total = K, shape.class_agnostic = agnostic;
  std::size_t bytes = 0;
  ck(lc::multiclass_nms_workspace_bytes<T>(shape, &bytes), "multiclass_nms_workspace_bytes");
  Buf<unsigned char> ws(bytes);
  ck(lc::multiclass_nms<T>(db.p, ds.p, shape, sthr, thr, ob.p, os.p, oc.p, oi.p, on.p, ws.p, bytes, nullptr),
     "multiclass_nms");
  const auto want =
      test::multiclass_nms_oracle(boxes.data(), per_class, scores.data(), B, N, C, sthr, thr, cap, K, agnostic);
  const auto gb = ob.get(B * K * 4);
  const auto gs = os.get(B * K);
  const auto gc = oc.get(B * K), gi = oi.get(B * K), gn = on.get(B);
  std::size_t bad = 0;
  bad += gn != want.counts;
  bad += gc != want.classes;
  bad += gi != want.indices;
  bad += !gs.empty() && std::memcmp(gs.data(), want.scores.data(), sizeof(T) * gs.size()) != 0;
  bad += !gb.empty() && std::memcmp(gb.data(), want.boxes.data(), sizeof(T) * gb.size()) != 0;
  EXPECT(bad == 0, "multiclass_nms<%s> seed=%u B=%zu N=%zu C=%zu per_class=%d agnostic=%d cap=%lld K=%lld: %zu bad",
         sizeof(T) == 4 ? "f32" : "f64", seed, B, N, C, int(per_class), int(agnostic), cap, K, bad);
}

// RoI operators: forward bitwise equal to the CPU; gradients (atomic adds) within rounding.
template <class T>
bool close_all(const std::vector<T>& a, const std::vector<T>& b, double rel) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double x = double(a[i]), y = double(b[i]);
    if (std::fabs(x - y) > rel * (1.0 + std::max(std::fabs(x), std::fabs(y)))) return false;
  }
  return a.size() == b.size();
}

template <class T>
void test_roi_ops(std::uint32_t seed) {
  const FeatureShape s{2, 7, 23, 19};
  const std::size_t k = 50;
  const auto f = test::random_features<T>(s.size(), seed);
  const double rel = sizeof(T) == 4 ? 1e-5 : 1e-12;
  for (int variant = 0; variant < 4; ++variant) {
    RoiAlignParams p;
    p.pooled_h = 3 + variant % 2, p.pooled_w = 2 + variant, p.spatial_scale = variant % 2 ? 0.5 : 1.0;
    p.sampling_ratio = variant < 2 ? 0 : 2, p.aligned = variant % 3 == 1;
    const auto rois = test::random_rois<T>(k, s.n, double(s.h), double(s.w), p.spatial_scale, seed * 10 + variant);
    const std::size_t outs = k * s.c * p.pooled_h * p.pooled_w;
    std::vector<T> want(outs), want_grad(s.size());
    roi_align_forward(f.data(), s, rois.data(), k, p, want.data());
    const auto g = test::random_features<T>(outs, seed + 77);
    roi_align_backward(g.data(), s, rois.data(), k, p, want_grad.data());
    Buf<T> df(f), dr(rois), dout(outs), dg(g), dgrad(s.size());
    ck(lc::roi_align_forward<T>(df.p, s, dr.p, k, p, dout.p, nullptr), "roi_align_forward");
    ck(lc::roi_align_backward<T>(dg.p, s, dr.p, k, p, dgrad.p, nullptr), "roi_align_backward");
    const auto got = dout.get(outs);
    EXPECT(std::memcmp(got.data(), want.data(), sizeof(T) * outs) == 0, "roi_align_forward<%s> seed=%u variant=%d",
           sizeof(T) == 4 ? "f32" : "f64", seed, variant);
    EXPECT(close_all(dgrad.get(s.size()), want_grad, rel), "roi_align_backward<%s> seed=%u variant=%d",
           sizeof(T) == 4 ? "f32" : "f64", seed, variant);

    PrRoiPoolParams q;
    q.pooled_h = p.pooled_h, q.pooled_w = p.pooled_w, q.spatial_scale = p.spatial_scale;
    std::vector<T> pw(outs), pgf(s.size()), pgr(5 * k);
    prroi_pool_forward(f.data(), s, rois.data(), k, q, pw.data());
    prroi_pool_backward(f.data(), g.data(), s, rois.data(), k, q, pgf.data(), pgr.data());
    Buf<T> pout(outs), gf(s.size()), gr(5 * k);
    Buf<unsigned char> ws(lc::prroi_pool_backward_workspace_bytes(k));
    ck(lc::prroi_pool_forward<T>(df.p, s, dr.p, k, q, pout.p, nullptr), "prroi_pool_forward");
    ck(lc::prroi_pool_backward<T>(df.p, dg.p, s, dr.p, k, q, gf.p, gr.p, ws.p, ws.n, nullptr), "prroi_pool_backward");
    const auto pgot = pout.get(outs);
    EXPECT(std::memcmp(pgot.data(), pw.data(), sizeof(T) * outs) == 0, "prroi_pool_forward<%s> seed=%u variant=%d",
           sizeof(T) == 4 ? "f32" : "f64", seed, variant);
    EXPECT(close_all(gf.get(s.size()), pgf, rel) && close_all(gr.get(5 * k), pgr, rel * 100),
           "prroi_pool_backward<%s> seed=%u variant=%d", sizeof(T) == 4 ? "f32" : "f64", seed, variant);
  }
}

// LOCUSKIT_CUDA_TEST_QUICK=1 (used under compute-sanitizer) keeps every path but the big sizes.
const bool quick = std::getenv("LOCUSKIT_CUDA_TEST_QUICK") != nullptr;

template <class T>
void run_all() {
  for (std::uint32_t seed = 1; seed <= (quick ? 2u : 6u); ++seed) test_box_iou<T>(seed);
  for (std::uint32_t seed = 1; seed <= 3u; ++seed) test_roi_ops<T>(seed);
  const std::size_t sizes[] = {0, 1, 2, 63, 64, 65, 300, 2000, 4095, 4096, 12000};
  std::uint32_t seed = 1;
  for (const std::size_t n : sizes) {
    if (quick && n > 5000) continue;
    for (const double thr : {0.0, 0.5, 0.6, 1.0}) {
      test_nms<T>(n, seed, thr, seed % 2 == 0);
      ++seed;
    }
  }
  if (!quick) {
    test_nms<T>(60000, 99, 0.5, false);
    test_nms<T>(60000, 98, 0.7, true);
  }
  for (const int classes : {1, 3, 80})
    for (const std::size_t n : {std::size_t(0), std::size_t(5), std::size_t(700), std::size_t(5000)})
      test_batched<T>(n, seed++, classes, 0.5);
  test_multiclass<T>(1, 3, 200, 5, false, false, 20, 50, 0.3, 0.5);
  test_multiclass<T>(2, 2, 300, 4, true, false, 1000, 1000, 0.0, 0.6);
  test_multiclass<T>(3, 4, 150, 6, false, true, 30, 40, 0.5, 0.5);
  test_multiclass<T>(4, 1, 50, 3, false, false, 0, 10, 0.1, 0.5);
  test_multiclass<T>(5, 2, 100, 2, false, false, 10, 0, 0.1, 0.5);
  test_multiclass<T>(6, 5, 400, 10, false, false, 100, 100, 0.05, 0.45);
}

}  // namespace

int main() {
  if (const int skipped = skip_without_device()) return skipped;
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("device: %s (sm_%d%d, %d SMs)\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount);
  run_all<float>();
  run_all<double>();
  return report("");
}
