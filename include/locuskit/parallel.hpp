#pragma once
/// \file parallel.hpp
/// Opt-in threading for C++ users; the Python module sets the thread count globally.
///
/// Work is split into contiguous, fixed chunks whose boundaries depend only on `n`, `grain` and the
/// thread count, never on timing, and every output element is written by exactly one chunk:
/// results are identical whatever the thread count.
///
/// Threads come from one persistent pool per process (per copy of this header's code: a shared
/// library that includes it has its own), started on first use and grown to the largest count a
/// call asked for, never beyond max_threads. A call never spawns a thread once the pool is warm,
/// and allocates nothing. The pool is re-created in a child process after fork().
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define LOCUSKIT_HAVE_PTHREAD_ATFORK 1
#endif

namespace locuskit {

/// The most threads one call may use (the calling thread included); larger requests are clamped.
/// The Python `set_num_threads` rejects larger values.
inline constexpr int max_threads = 256;

/// How many threads a call may use. `threads = 1` (the default everywhere) runs inline; values
/// above max_threads are clamped to it.
struct Parallel {
  int threads = 1;
  /// All hardware threads (at most max_threads).
  static Parallel all() noexcept {
    const unsigned hc = std::thread::hardware_concurrency();
    return Parallel{hc == 0 ? 1 : static_cast<int>(std::min<unsigned>(hc, max_threads))};
  }
};

namespace detail {

/// One parallel_for call: chunks are claimed by index from `next_`; helpers from the pool join
/// while the caller works. Lives on the caller's stack (no allocation).
struct ParallelJob {
  void (*run)(void* ctx, std::size_t chunk) = nullptr;
  void* ctx = nullptr;
  std::size_t chunks = 0;
  std::atomic<std::size_t> next{0};
  // Guarded by the pool mutex:
  std::size_t pending = 0;  // helper slots not yet taken by a worker
  std::size_t active = 0;   // workers inside work()
  ParallelJob* link = nullptr;
  std::exception_ptr error;  // of the lowest failing chunk (deterministic)
  std::size_t error_chunk = static_cast<std::size_t>(-1);

  void work(std::mutex& m) noexcept {
    for (std::size_t c = next.fetch_add(1, std::memory_order_relaxed); c < chunks;
         c = next.fetch_add(1, std::memory_order_relaxed)) {
      try {
        run(ctx, c);
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        if (c < error_chunk) error = std::current_exception(), error_chunk = c;
      }
    }
  }
};

/// The persistent worker pool behind parallel_for.
class ThreadPool {
 public:
  ThreadPool() { threads_.reserve(max_threads); }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// The process-wide pool (intentionally never destroyed: workers may still be parked at exit).
  static ThreadPool& instance() {
    static std::once_flag once;
    std::call_once(once, [] {
#ifdef LOCUSKIT_HAVE_PTHREAD_ATFORK
      // The child has none of the parent's workers: drop (leak) the parent's pool there.
      pthread_atfork(nullptr, nullptr, [] { slot().store(nullptr, std::memory_order_relaxed); });
#endif
    });
    ThreadPool* p = slot().load(std::memory_order_acquire);
    if (p) return *p;
    static std::mutex create;
    std::lock_guard<std::mutex> lock(create);
    p = slot().load(std::memory_order_acquire);
    if (!p) {
      p = new ThreadPool;
      slot().store(p, std::memory_order_release);
    }
    return *p;
  }

  /// Worker threads started so far (never more than max_threads - 1).
  std::size_t size() {
    std::lock_guard<std::mutex> lock(m_);
    return threads_.size();
  }

  /// Runs job.run(ctx, c) for every chunk c, on the calling thread and up to `helpers` workers;
  /// returns when all chunks are done; rethrows the exception of the lowest failing chunk.
  void run(ParallelJob& job, std::size_t helpers) {
    {
      std::lock_guard<std::mutex> lock(m_);
      helpers = std::min<std::size_t>(helpers, max_threads - 1);
      while (threads_.size() < helpers) threads_.emplace_back([this] { worker(); });
      job.pending = helpers;
      job.link = head_;
      head_ = &job;
    }
    if (helpers == 1) work_cv_.notify_one();
    else work_cv_.notify_all();
    job.work(m_);
    {
      std::unique_lock<std::mutex> lock(m_);
      if (job.pending > 0) {  // slots no worker took: withdraw the job
        for (ParallelJob** p = &head_; *p; p = &(*p)->link)
          if (*p == &job) {
            *p = job.link;
            break;
          }
        job.pending = 0;
      }
      done_cv_.wait(lock, [&] { return job.active == 0; });
    }
    if (job.error) std::rethrow_exception(job.error);
  }

 private:
  static std::atomic<ThreadPool*>& slot() {
    static std::atomic<ThreadPool*> p{nullptr};
    return p;
  }

  void worker() {
    std::unique_lock<std::mutex> lock(m_);
    for (;;) {
      work_cv_.wait(lock, [&] { return head_ != nullptr; });
      ParallelJob& job = *head_;
      if (--job.pending == 0) head_ = job.link;
      ++job.active;
      lock.unlock();
      job.work(m_);
      lock.lock();
      if (--job.active == 0) done_cv_.notify_all();
    }
  }

  std::mutex m_;
  std::condition_variable work_cv_, done_cv_;
  ParallelJob* head_ = nullptr;  // jobs with helper slots left
  std::vector<std::thread> threads_;
};

}  // namespace detail

namespace detail {
/// Static partition: chunk c of `chunks` starts here (sizes differ by at most one; no overflow).
inline std::size_t chunk_begin(std::size_t n, std::size_t chunks, std::size_t c) noexcept {
  return c * (n / chunks) + std::min(c, n % chunks);
}
}  // namespace detail

/// Number of chunks parallel_for_chunks splits [0, n) into for `grain` and `par` (0 when n == 0):
/// size per-chunk scratch with it.
inline std::size_t parallel_chunk_count(std::size_t n, std::size_t grain, Parallel par) noexcept {
  if (n == 0) return 0;
  grain = std::max<std::size_t>(grain, 1);
  const std::size_t max_chunks = n / grain + (n % grain != 0);
  const int threads = std::min(std::max(par.threads, 1), max_threads);
  return std::min<std::size_t>(max_chunks, static_cast<std::size_t>(threads));
}

/// Calls `body(chunk, begin, end)` for chunk = 0 .. parallel_chunk_count(n, grain, par) - 1 over
/// fixed contiguous ranges of [0, n), on the calling thread and the pool. Each chunk runs on one
/// thread, so `chunk` can index per-chunk scratch. Exceptions from a chunk are rethrown (the
/// lowest chunk's). No allocation once the pool has the threads.
template <class Body>
void parallel_for_chunks(std::size_t n, std::size_t grain, Parallel par, Body&& body) {
  const std::size_t chunks = parallel_chunk_count(n, grain, par);
  if (chunks == 0) return;
  if (chunks == 1) {
    body(std::size_t{0}, std::size_t{0}, n);
    return;
  }
  struct Ctx {
    Body* body;
    std::size_t n, chunks;
  } ctx{&body, n, chunks};
  detail::ParallelJob job;
  job.ctx = &ctx;
  job.chunks = chunks;
  job.run = [](void* p, std::size_t c) {
    const Ctx& x = *static_cast<Ctx*>(p);
    (*x.body)(c, detail::chunk_begin(x.n, x.chunks, c), detail::chunk_begin(x.n, x.chunks, c + 1));
  };
  detail::ThreadPool::instance().run(job, chunks - 1);
}

/// Calls `body(begin, end)` over [0, n) in chunks of at least `grain` items, on up to
/// `par.threads` threads (the calling thread included). Exceptions from a chunk are rethrown.
template <class Body>
void parallel_for(std::size_t n, std::size_t grain, Parallel par, Body&& body) {
  parallel_for_chunks(n, grain, par, [&](std::size_t, std::size_t begin, std::size_t end) { body(begin, end); });
}

}  // namespace locuskit
