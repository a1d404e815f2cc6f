#include <locuskit/simd/dispatch.hpp>

#include <string>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE("dispatch: the best arch is active and each available arch can be forced") {
  const auto archs = simd::available_archs();
#if defined(LOCUSKIT_RUNTIME_DISPATCH)
  REQUIRE_FALSE(archs.empty());
  CHECK(simd::active_arch() == archs.front());
  for (auto a : archs) {
    CHECK(simd::set_forced_arch(a));
    CHECK(simd::active_arch() == a);
  }
  simd::reset_forced_arch();
  CHECK(simd::active_arch() == archs.front());
  MESSAGE("available archs: ", archs.size(), ", best ", std::string(simd::arch_name(archs.front())));
#else
  CHECK(archs.empty());
#endif
  CHECK_FALSE(simd::set_forced_arch(simd::arch_id::scalar));
}
