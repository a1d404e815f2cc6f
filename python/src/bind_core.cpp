// Module-wide controls: version, SIMD architecture, thread count.
#include <algorithm>
#include <atomic>
#include <thread>

#if !defined(_WIN32)
#include <unistd.h>
#endif

#include <locuskit/config.hpp>
#include <locuskit/parallel.hpp>
#include <locuskit/simd/dispatch.hpp>

#include "arrays.hpp"

namespace locuskit::python {

namespace {
std::atomic<int>& thread_slot() {
  static std::atomic<int> slot{[] {
    const unsigned hc = std::thread::hardware_concurrency();
    return hc == 0 ? 1 : static_cast<int>(std::min<unsigned>(hc, max_threads));
  }()};
  return slot;
}
}  // namespace

int num_threads() noexcept { return thread_slot().load(std::memory_order_relaxed); }

std::uint64_t physical_memory_bytes() noexcept {
#if defined(_WIN32)
  return 0;  // unknown here: no bound
#else
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) : 0;
#endif
}

void bind_core(py::module_& parent) {
  py::module_ m = parent.def_submodule("core", "Version, SIMD architecture and thread count (use the locuskit package)");
  m.attr("__version__") = LOCUSKIT_VERSION_STRING;
  m.def("simd_arch", [] { return std::string(simd::arch_name(simd::active_arch())); },
        "The SIMD architecture the kernels run with now: 'avx512', 'avx2', 'sse2' or 'scalar'.");
  m.def("available_simd_archs", [] {
    std::vector<std::string> out;
    for (auto a : simd::available_archs()) out.emplace_back(simd::arch_name(a));
    return out;
  }, "Architectures compiled into this module that this CPU supports, best first.");
  m.def("set_simd_arch", [](const std::string& name) {
    if (name.empty() || name == "auto") {
      simd::reset_forced_arch();
      return;
    }
    for (auto a : simd::available_archs())
      if (name == simd::arch_name(a)) {
        simd::set_forced_arch(a);
        return;
      }
    throw std::invalid_argument("set_simd_arch: '" + name + "' is not available here; available: " +
                                py::str(py::cast(simd::available_archs().size())).cast<std::string>() +
                                " archs, see available_simd_archs()");
  }, py::arg("name"), "Pin the SIMD architecture ('auto' returns to the best one). For tests and benchmarks.");
  m.def("set_num_threads", [](int n) {
    if (n < 1 || n > max_threads)
      throw std::invalid_argument("set_num_threads: n must lie in [1, " + std::to_string(max_threads) + "] (locuskit.max_threads), got " +
                                  std::to_string(n));
    thread_slot().store(n);
  }, py::arg("n"), "Threads used by large computations, 1 to max_threads (default: all hardware threads, at most "
                   "max_threads). They come from one persistent pool. Results do not depend on it.");
  m.attr("max_threads") = max_threads;
  m.def("get_num_threads", &num_threads, "Threads used by large computations.");
  // Also at the top of _core: locuskit/__init__.py imports them from there (flat names kept for it).
  for (const char* name : {"__version__", "simd_arch", "available_simd_archs", "set_simd_arch", "set_num_threads",
                           "max_threads", "get_num_threads"})
    parent.attr(name) = m.attr(name);
}

}  // namespace locuskit::python
