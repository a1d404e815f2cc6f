// The CUDA NMS loop (include/locuskit/cuda/segment_loop.cuh) run on the CPU: one std::thread per
// CUDA thread, real CTA / warp / grid barriers, an emulated warp ballot and atomic flag accesses.
// The same source the GPU runs, checked against greedy NMS in both modes (one CTA per segment,
// several CTAs sharing one segment through a grid barrier).
#include <locuskit/cuda/segment_loop.cuh>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "cuda/cuda_oracles.hpp"
#include "test_support.hpp"

using namespace locuskit;

namespace {

class HostBarrier {
 public:
  explicit HostBarrier(int count) : count_(count) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(m_);
    const long generation = generation_;
    if (++waiting_ == count_) {
      waiting_ = 0;
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation_ != generation; });
    }
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int count_, waiting_ = 0;
  long generation_ = 0;
};

constexpr int kThreads = gpu::detail::nms_threads;
constexpr int kWarps = kThreads / 32;

struct Block {
  HostBarrier cta{kThreads};
  std::vector<std::unique_ptr<HostBarrier>> warp;
  unsigned char vote[kWarps][32] = {};
  Block() {
    for (int w = 0; w < kWarps; ++w) warp.push_back(std::make_unique<HostBarrier>(32));
  }
};

// What the device context does with intrinsics, done with threads and barriers.
struct HostContext {
  int thread;
  Block* block;
  HostBarrier* step_barrier;  // the CTA barrier (one CTA per segment) or the grid barrier

  int tid() const { return thread; }
  int threads() const { return kThreads; }
  void sync_block() const { block->cta.arrive_and_wait(); }
  void sync_warp() const { block->warp[thread / 32]->arrive_and_wait(); }
  unsigned ballot(bool v) const {
    const int w = thread / 32;
    block->vote[w][thread % 32] = v ? 1 : 0;
    block->warp[w]->arrive_and_wait();
    unsigned bits = 0;
    for (int l = 0; l < 32; ++l)
      if (block->vote[w][l]) bits |= 1u << l;
    block->warp[w]->arrive_and_wait();  // votes read before the next ballot overwrites them
    return bits;
  }
  unsigned char load_flag(const unsigned char* flags, long long i) const {
    return __atomic_load_n(flags + i, __ATOMIC_RELAXED);
  }
  void store_flag(unsigned char* flags, long long i) const { __atomic_store_n(flags + i, 1, __ATOMIC_RELAXED); }
  template <class T>
  void load_box(const T* boxes, long long p, T (&b)[4]) const {
    for (int c = 0; c < 4; ++c) b[c] = boxes[4 * p + c];
  }
  void atomic_or(std::uint64_t* word, std::uint64_t bits) const { __atomic_fetch_or(word, bits, __ATOMIC_RELAXED); }
  void barrier() const { step_barrier->arrive_and_wait(); }
  unsigned int fetch_add(unsigned int* counter) const { return __atomic_fetch_add(counter, 1u, __ATOMIC_RELAXED); }
};

// Runs segment_nms on sorted boxes [0, n) with `ctas` CTAs (ctas > 1: grid mode). Returns keep flags.
template <class T>
std::vector<unsigned char> emulate(const std::vector<T>& sorted, std::size_t n, T threshold, long long cap, int ctas,
                                   long long* kept_count, std::vector<long long>* kept_list) {
  std::vector<unsigned char> removed(n, 0), keep(n, 0);
  kept_list->assign(n, -1);
  std::vector<std::unique_ptr<Block>> blocks;
  std::vector<std::unique_ptr<gpu::detail::ChunkState<T>>> shared;
  for (int b = 0; b < ctas; ++b) {
    blocks.push_back(std::make_unique<Block>());
    shared.push_back(std::make_unique<gpu::detail::ChunkState<T>>());
  }
  HostBarrier grid(kThreads * ctas);
  std::vector<std::thread> pool;
  for (int b = 0; b < ctas; ++b)
    for (int t = 0; t < kThreads; ++t)
      pool.emplace_back([&, b, t] {
        const HostContext ctx{t, blocks[b].get(), ctas > 1 ? &grid : &blocks[b]->cta};
        gpu::detail::segment_nms<T>(ctx, sorted.data(), removed.data(), keep.data(), kept_list->data(), kept_count,
                                    0, static_cast<long long>(n), threshold, cap, b, ctas, *shared[b]);
      });
  for (auto& th : pool) th.join();
  return keep;
}

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

}  // namespace

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
