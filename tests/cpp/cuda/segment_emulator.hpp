#pragma once
// The CUDA NMS loop (include/locuskit/cuda/segment_loop.cuh) run on the CPU: one std::thread per
// CUDA thread, real CTA / warp / grid barriers, an emulated warp ballot and atomic flag accesses.
// Shared by test_segment_loop.cpp and the every-variant degenerate-pair test (nms/test_overlap.cpp).
#include <locuskit/cuda/segment_loop.cuh>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cuda/cuda_oracles.hpp"

namespace locuskit::test {

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

// Runs segment_nms on sorted boxes [0, n) with `ctas` CTAs (ctas > 1: grid mode) and the overlap
// policy `o`. Returns keep flags.
template <class T, class O = AxisAlignedIoU>
std::vector<unsigned char> emulate(const std::vector<T>& sorted, std::size_t n, T threshold, long long cap, int ctas,
                                   long long* kept_count, std::vector<long long>* kept_list, const O& o = O{}) {
  std::vector<unsigned char> removed(n, 0), keep(n, 0);
  kept_list->assign(n, -1);
  std::vector<std::unique_ptr<Block>> blocks;
  std::vector<std::unique_ptr<gpu::detail::ChunkState<T, O>>> shared;
  for (int b = 0; b < ctas; ++b) {
    blocks.push_back(std::make_unique<Block>());
    shared.push_back(std::make_unique<gpu::detail::ChunkState<T, O>>());
  }
  HostBarrier grid(kThreads * ctas);
  std::vector<std::thread> pool;
  for (int b = 0; b < ctas; ++b)
    for (int t = 0; t < kThreads; ++t)
      pool.emplace_back([&, b, t] {
        const HostContext ctx{t, blocks[b].get(), ctas > 1 ? &grid : &blocks[b]->cta};
        gpu::detail::segment_nms<T>(ctx, sorted.data(), removed.data(), keep.data(), kept_list->data(), kept_count,
                                    0, static_cast<long long>(n), threshold, cap, b, ctas, *shared[b], o);
      });
  for (auto& th : pool) th.join();
  return keep;
}

// The device loop on unsorted `boxes` (n, O::box_columns) and `scores`: sorts them as the device
// pipeline does, runs the loop with strict threshold `threshold` (suppress iff overlap > it), and
// returns the kept original indices by keep flag (`flags`, score order) and by the kept list.
template <class T, class O>
void emulated_nms(const std::vector<T>& boxes, const std::vector<T>& scores, T threshold, long long cap, int ctas,
                  const O& o, std::vector<std::int64_t>* flags, std::vector<std::int64_t>* list) {
  constexpr std::size_t cols = O::box_columns;
  const std::size_t n = scores.size();
  const auto order = score_order(scores.data(), n);
  std::vector<T> sorted(cols * n);
  for (std::size_t p = 0; p < n; ++p)
    for (std::size_t c = 0; c < cols; ++c) sorted[cols * p + c] = boxes[cols * static_cast<std::size_t>(order[p]) + c];
  long long count = -1;
  std::vector<long long> kept_list;
  const auto keep = emulate<T>(sorted, n, threshold, cap, ctas, &count, &kept_list, o);
  flags->clear(), list->clear();
  for (std::size_t p = 0; p < n; ++p)
    if (keep[p]) flags->push_back(order[p]);
  for (long long k = 0; k < count; ++k) list->push_back(order[static_cast<std::size_t>(kept_list[k])]);
}

}  // namespace locuskit::test
