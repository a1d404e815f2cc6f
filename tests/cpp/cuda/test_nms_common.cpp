// CPU tests of the host-device pieces the CUDA NMS kernels are built from
// (include/locuskit/cuda/nms_common.cuh), compiled here as plain host code.
#include <locuskit/cuda/nms_common.cuh>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "cuda/cuda_oracles.hpp"
#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("cuda: gpu::descending_score_key: stable key sort = score order (NaN first, -0 == +0)", T, float,
                   double) {
  std::mt19937 rng(7);
  const T specials[] = {T(0), -T(0), std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity(),
                        std::numeric_limits<T>::quiet_NaN(), -std::numeric_limits<T>::quiet_NaN(),
                        std::numeric_limits<T>::denorm_min(), -std::numeric_limits<T>::denorm_min(),
                        std::numeric_limits<T>::max(), std::numeric_limits<T>::lowest(), T(0.5), T(-0.5)};
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t n = 1 + rng() % 200;
    std::vector<T> s(n);
    std::uniform_real_distribution<double> u(-2, 2);
    for (auto& v : s) {
      const unsigned k = rng() % 4;
      v = k == 0 ? specials[rng() % 12] : k == 1 ? T(std::round(u(rng) * 4) / 4) : T(u(rng));  // many ties
    }
    const auto expected = test::score_order(s.data(), n);
    std::vector<std::int64_t> got(n);
    for (std::size_t i = 0; i < n; ++i) got[i] = static_cast<std::int64_t>(i);
    std::stable_sort(got.begin(), got.end(), [&](std::int64_t a, std::int64_t b) {
      return gpu::descending_score_key(s[a]) < gpu::descending_score_key(s[b]);
    });
    REQUIRE(got == expected);
  }
}

TEST_CASE("cuda: gpu::threshold_as<float>: value > t equals the exact double comparison") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> thresholds = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8, 0.85, 0.9, 1.0};
  for (int k = 0; k < 200; ++k) thresholds.push_back(u(rng));
  for (const double t : thresholds) {
    const float near = static_cast<float>(t);
    float x = near;
    for (int s = 0; s < 4; ++s) x = std::nextafter(x, -1.0f);
    for (int s = 0; s < 9; ++s, x = std::nextafter(x, 2.0f))
      REQUIRE((x > gpu::threshold_as<float>(t)) == (static_cast<double>(x) > t));
    REQUIRE(gpu::threshold_as<double>(t) == t);
  }
  // The documented case: f32(0.6) lies above 0.6, so IoU = f32(0.6) exceeds the threshold.
  CHECK(0.6f > gpu::threshold_as<float>(0.6));
  CHECK_FALSE(0.5f > gpu::threshold_as<float>(0.5));
}

TEST_CASE("cuda: gpu::resolve_chunk: serial greedy over the row masks, with a budget") {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 2000; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 64);
    std::uint64_t rows[64];
    bool adj[64][64] = {};
    for (int i = 0; i < n; ++i) {
      rows[i] = 0;
      for (int j = i + 1; j < n; ++j)
        if (rng() % 5 == 0) rows[i] |= std::uint64_t(1) << j, adj[i][j] = true;
    }
    const long long budget = trial % 3 == 0 ? static_cast<long long>(rng() % 10) : 64;
    std::vector<bool> removed(n, false);
    std::uint64_t expected = 0;
    long long kept = 0;
    for (int i = 0; i < n && kept < budget; ++i) {
      if (removed[i]) continue;
      expected |= std::uint64_t(1) << i;
      ++kept;
      for (int j = i + 1; j < n; ++j)
        if (adj[i][j]) removed[j] = true;
    }
    REQUIRE(gpu::resolve_chunk(rows, n, budget) == expected);
  }
}

TEST_CASE_TEMPLATE("cuda: gpu::may_overlap never skips a box that a member of the extent suppresses", T, float, double) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    const auto boxes = test::random_boxes<T>(256, seed, T(50));
    std::mt19937 rng(seed);
    for (int trial = 0; trial < 50; ++trial) {
      gpu::Extent<T> ext = gpu::empty_extent<T>();
      std::vector<int> members;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 6); ++k) {
        const int i = static_cast<int>(rng() % 256);
        const T* b = &boxes[4 * i];
        gpu::extend(ext, b, geometry::area(b[0], b[1], b[2], b[3]));
        members.push_back(i);
      }
      for (int j = 0; j < 256; ++j) {
        const T* bj = &boxes[4 * j];
        bool suppressible = false;
        for (const int i : members) {
          const T* bi = &boxes[4 * i];
          suppressible |= gpu::nms_iou(bi, geometry::area(bi[0], bi[1], bi[2], bi[3]), bj,
                                        geometry::area(bj[0], bj[1], bj[2], bj[3])) > T(0);
        }
        if (suppressible) REQUIRE(gpu::may_overlap(ext, bj));
      }
    }
  }
  // Touching boxes have IoU 0 and can be skipped; an empty extent skips everything.
  const T a[4] = {0, 0, 1, 1}, touching[4] = {1, 0, 2, 1};
  gpu::Extent<T> e = gpu::empty_extent<T>();
  CHECK_FALSE(gpu::may_overlap(e, a));
  gpu::extend(e, a, T(1));
  CHECK_FALSE(gpu::may_overlap(e, touching));
  CHECK(gpu::may_overlap(e, a));
}

namespace {

// The host model of the kernels on score-sorted boxes, mapped back to original indices.
template <class T>
std::vector<std::int64_t> blocked_model(const std::vector<T>& boxes, const std::vector<T>& scores, double thr,
                                        long long max_kept) {
  const std::size_t n = scores.size();
  std::vector<std::int64_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::int64_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return gpu::descending_score_key(scores[a]) < gpu::descending_score_key(scores[b]);
  });
  std::vector<T> sorted(4 * n);
  for (std::size_t p = 0; p < n; ++p)
    for (int c = 0; c < 4; ++c) sorted[4 * p + c] = boxes[4 * order[p] + c];
  std::vector<unsigned char> keep(n, 0);
  const std::size_t kept =
      gpu::blocked_greedy_nms_host(sorted.data(), n, gpu::threshold_as<T>(thr), max_kept, keep.data());
  std::vector<std::int64_t> out;
  for (std::size_t p = 0; p < n; ++p)
    if (keep[p]) out.push_back(order[p]);
  CHECK(out.size() == kept);
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("cuda: gpu::blocked_greedy_nms_host equals greedy NMS (random clustered boxes, ties, caps)", T, float,
                   double) {
  const double thresholds[] = {0.0, 0.3, 0.5, 0.6, 0.7, 0.85, 1.0};
  int cases = 0;
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    const std::size_t n = seed % 10 == 0 ? 1200 : 1 + rng() % 400;
    const auto boxes = test::random_boxes<T>(n, seed, T(seed % 2 ? 100 : 400));
    std::vector<T> scores(n);
    std::uniform_int_distribution<int> coarse(0, 20);  // many ties
    std::uniform_real_distribution<double> fine(0, 1);
    for (auto& s : scores) s = seed % 3 == 0 ? T(coarse(rng)) / T(20) : T(fine(rng));
    for (const double thr : thresholds) {
      const auto expected = test::greedy_nms(boxes.data(), scores.data(), n, thr);
      REQUIRE(blocked_model(boxes, scores, thr, static_cast<long long>(n)) == expected);
      const long long cap = 1 + static_cast<long long>(rng() % 70);
      const auto capped = test::greedy_nms(boxes.data(), scores.data(), n, thr, static_cast<std::size_t>(cap));
      REQUIRE(blocked_model(boxes, scores, thr, cap) == capped);
      ++cases;
    }
  }
  CHECK(cases == 280);
}

TEST_CASE("cuda: threshold rule: IoU exactly f32(0.6) is suppressed in float32, kept in float64") {
  const std::vector<float> bf = {0, 0, 10, 1, 0, 0, 6, 1};
  const std::vector<float> sf = {0.9f, 0.8f};
  CHECK(blocked_model(bf, sf, 0.6, 2) == std::vector<std::int64_t>{0});
  const std::vector<double> bd(bf.begin(), bf.end()), sd(sf.begin(), sf.end());
  CHECK(blocked_model(bd, sd, 0.6, 2) == std::vector<std::int64_t>{0, 1});
}

TEST_CASE_TEMPLATE("cuda: gpu::chunk_row_mask sets exactly the later boxes above the threshold", T, float, double) {
  const auto boxes = test::random_boxes<T>(64, 99, T(30));
  T b[64][4], area[64];
  for (int i = 0; i < 64; ++i) {
    for (int c = 0; c < 4; ++c) b[i][c] = boxes[4 * i + c];
    area[i] = geometry::area(b[i][0], b[i][1], b[i][2], b[i][3]);
  }
  const T thr = gpu::threshold_as<T>(0.4);
  for (int i = 0; i < 64; ++i) {
    const std::uint64_t m = gpu::chunk_row_mask<T>(b, area, i, 64, thr);
    for (int j = 0; j < 64; ++j) {
      const bool expect = j > i && static_cast<double>(geometry::iou(b[i], area[i], b[j], area[j], T(0))) > 0.4;
      REQUIRE(((m >> j) & 1u) == (expect ? 1u : 0u));
    }
  }
}

#include <locuskit/cuda/workspace.cuh>

TEST_CASE("cuda: gpu::WorkspaceCarver sizes and lays out the same 256-byte-aligned slices") {
  gpu::WorkspaceCarver sizing(nullptr);
  CHECK(sizing.take<double>(3) == nullptr);
  CHECK(sizing.take<char>(1) == nullptr);
  CHECK(sizing.take<float>(100) == nullptr);
  const std::size_t bytes = sizing.used();
  CHECK(bytes >= 256 + 256 + 400);
  std::vector<unsigned char> buffer(bytes + 256);
  void* base = reinterpret_cast<void*>((reinterpret_cast<std::uintptr_t>(buffer.data()) + 255) & ~std::uintptr_t(255));
  gpu::WorkspaceCarver carver(base);
  auto* a = carver.take<double>(3);
  auto* b = carver.take<char>(1);
  auto* c = carver.take<float>(100);
  CHECK(reinterpret_cast<unsigned char*>(a) == static_cast<unsigned char*>(base));
  CHECK(reinterpret_cast<std::uintptr_t>(b) % 256 == 0);
  CHECK(reinterpret_cast<std::uintptr_t>(c) % 256 == 0);
  CHECK(reinterpret_cast<unsigned char*>(c + 100) <= static_cast<unsigned char*>(base) + bytes);
  CHECK(carver.used() == bytes);
  // An unaligned base still gets aligned slices within the sized bytes.
  gpu::WorkspaceCarver odd(static_cast<unsigned char*>(base) + 8);
  odd.take<double>(3);
  odd.take<char>(1);
  auto* d = odd.take<float>(100);
  CHECK(reinterpret_cast<std::uintptr_t>(d) % 256 == 0);
  CHECK(reinterpret_cast<unsigned char*>(d + 100) <= static_cast<unsigned char*>(base) + 8 + bytes);
}
