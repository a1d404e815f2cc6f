#pragma once
/// \file parallel.hpp
/// Opt-in threading for C++ users; the Python module sets the thread count globally.
///
/// Work is split into contiguous, fixed chunks whose boundaries depend only on `n` and `grain`,
/// never on timing, and every output element is written by exactly one chunk: results are
/// identical whatever the thread count.
#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace locuskit {

/// How many threads a call may use. `threads = 1` (the default everywhere) runs inline.
struct Parallel {
  int threads = 1;
  /// All hardware threads.
  static Parallel all() noexcept {
    const unsigned hc = std::thread::hardware_concurrency();
    return Parallel{hc == 0 ? 1 : static_cast<int>(hc)};
  }
};

/// Calls `body(begin, end)` over [0, n) in chunks of at least `grain` items, on up to
/// `par.threads` threads (the calling thread included). Exceptions from a chunk are rethrown.
template <class Body>
void parallel_for(std::size_t n, std::size_t grain, Parallel par, Body&& body) {
  if (n == 0) return;
  grain = std::max<std::size_t>(grain, 1);
  const std::size_t max_chunks = (n + grain - 1) / grain;
  const std::size_t workers =
      std::min<std::size_t>(max_chunks, static_cast<std::size_t>(std::max(par.threads, 1)));
  if (workers <= 1) {
    body(std::size_t{0}, n);
    return;
  }
  // Static partition: worker w takes [w*n/workers, (w+1)*n/workers).
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(workers);
  pool.reserve(workers - 1);
  auto run = [&](std::size_t w) {
    try {
      body(w * n / workers, (w + 1) * n / workers);
    } catch (...) {
      errors[w] = std::current_exception();
    }
  };
  for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto& t : pool) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace locuskit
