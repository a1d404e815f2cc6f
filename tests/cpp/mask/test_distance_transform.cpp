// mask/distance_transform.hpp and mask/surface_distance.hpp against brute force (exact).
#include <doctest/doctest.h>

#include <locuskit/mask/distance_transform.hpp>
#include <locuskit/mask/surface_distance.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

TEST_CASE("distance transform: anisotropic 3D equals brute force; no seeds gives inf") {
  const std::size_t shape[3] = {7, 9, 5};
  const double spacing[3] = {2.5, 0.7, 1.3};
  std::mt19937 rng(11);
  std::vector<std::uint8_t> seeds(7 * 9 * 5);
  for (auto& s : seeds) s = (rng() % 17 == 0) ? 1 : 0;
  seeds[3] = 1;
  std::vector<double> out(seeds.size());
  locuskit::squared_distance_transform(seeds.data(), shape, 3, spacing, out.data(), locuskit::Parallel{3});
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    const std::size_t z = i / 45, y = i / 5 % 9, x = i % 5;
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < seeds.size(); ++j) {
      if (!seeds[j]) continue;
      const double dz = (double(j / 45) - double(z)) * spacing[0], dy = (double(j / 5 % 9) - double(y)) * spacing[1],
                   dx = (double(j % 5) - double(x)) * spacing[2];
      best = std::min(best, dz * dz + dy * dy + dx * dx);
    }
    CHECK(out[i] == doctest::Approx(best).epsilon(1e-14));
  }
  std::vector<std::uint8_t> none(seeds.size(), 0);
  locuskit::squared_distance_transform(none.data(), shape, 3, spacing, out.data());
  CHECK(std::isinf(out[17]));
}

TEST_CASE("surface voxels: face vs full connectivity, grid border counts as background") {
  // 4x4 mask, full 3x3 block at the top-left corner
  const std::uint8_t m[16] = {1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0};
  const std::size_t shape[2] = {4, 4};
  std::uint8_t face[16], full[16];
  locuskit::surface_voxels(m, shape, 2, false, face);
  locuskit::surface_voxels(m, shape, 2, true, full);
  CHECK(face[5] == 0);  // centre (1,1): all four face neighbours set
  CHECK(full[5] == 0);
  CHECK(face[0] == 1);  // on the grid border
  CHECK(face[10] == 1);
  const std::uint8_t d[16] = {0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0};
  const double sp[2] = {1, 1};
  std::uint8_t de[16];
  locuskit::surface_voxels(d, shape, 2, false, de);
  const auto dist = locuskit::directed_surface_distances(de, face, shape, 2, sp);
  REQUIRE(dist.size() == 4);
  CHECK(dist == std::vector<double>{1.0, 0.0, 0.0, 0.0});  // (1,1) -> (0,1); the others lie on the block's surface
}

TEST_CASE("surface distances: the cropped pair equals the full-grid surfaces and transforms") {
  std::mt19937 rng(23);
  for (int ndim : {2, 3}) {
    const std::size_t shape3[3] = {9, 11, 13}, shape2[2] = {17, 19};
    const std::size_t* shape = ndim == 3 ? shape3 : shape2;
    const std::size_t n = ndim == 3 ? 9 * 11 * 13 : 17 * 19;
    const double sp3[3] = {1.5, 0.7, 1.1}, sp2[2] = {0.7, 1.3};
    const double* sp = ndim == 3 ? sp3 : sp2;
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<std::uint8_t> a(n, 0), b(n, 0);
      for (std::size_t i = 0; i < n; ++i) {
        a[i] = (rng() % 3 == 0) && (i % 7 < 4);
        b[i] = (rng() % 4 == 0) && (i % 5 < 3);
      }
      if (trial == 0) std::fill(a.begin(), a.end(), 0);
      for (bool full : {false, true}) {
        std::vector<std::uint8_t> ea(n), eb(n);
        locuskit::surface_voxels(a.data(), shape, ndim, full, ea.data());
        locuskit::surface_voxels(b.data(), shape, ndim, full, eb.data());
        const auto ab = locuskit::directed_surface_distances(ea.data(), eb.data(), shape, ndim, sp);
        const auto ba = locuskit::directed_surface_distances(eb.data(), ea.data(), shape, ndim, sp);
        const auto both = locuskit::surface_distances(a.data(), b.data(), shape, ndim, sp, full, locuskit::Parallel{2});
        CAPTURE(ndim);
        CAPTURE(trial);
        CHECK(both.first == ab);
        CHECK(both.second == ba);
      }
    }
  }
}

TEST_CASE("surface distances: nearest-surface search equals the EDT, near, far and anisotropic") {
  // Exercises the grid search's three regimes against the EDT of the whole grid: nearby cells,
  // cells beyond the precomputed offsets (sparse surfaces far apart, thin anisotropic cells), and
  // the fallback to the EDT (a large surface facing one far voxel).
  std::mt19937 rng(5);
  const double spacings[6] = {0.3, 0.5, 0.8, 1.0, 1.5, 4.0};
  for (int trial = 0; trial < 120; ++trial) {
    const int ndim = 2 + trial % 2;
    const std::size_t shape[3] = {1 + rng() % (ndim == 3 ? 20 : 60), 1 + rng() % (ndim == 3 ? 40 : 60), 1 + rng() % 40};
    const double sp[3] = {spacings[rng() % 6], spacings[rng() % 6], spacings[rng() % 6]};
    const std::size_t n = shape[0] * shape[1] * (ndim == 3 ? shape[2] : 1);
    std::vector<std::uint8_t> a(n), b(n), ea(n), eb(n);
    const unsigned density_a = 2 + rng() % 300, density_b = 2 + rng() % 300;
    for (auto& v : a) v = rng() % density_a == 0;
    for (auto& v : b) v = rng() % density_b == 0;
    if (trial % 7 == 0) std::fill(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n / 3), std::uint8_t{1});
    if (trial % 11 == 0) {  // one voxel in the far corner facing a slab: the EDT fallback
      std::fill(b.begin(), b.end(), std::uint8_t{0});
      b[n - 1] = 1;
    }
    for (bool full : {false, true}) {
      locuskit::surface_voxels(a.data(), shape, ndim, full, ea.data());
      locuskit::surface_voxels(b.data(), shape, ndim, full, eb.data());
      const auto ab = locuskit::directed_surface_distances(ea.data(), eb.data(), shape, ndim, sp);
      const auto ba = locuskit::directed_surface_distances(eb.data(), ea.data(), shape, ndim, sp);
      const auto both = locuskit::surface_distances(a.data(), b.data(), shape, ndim, sp, full,
                                                    locuskit::Parallel{1 + trial % 3});
      CAPTURE(trial);
      CHECK(both.first == ab);
      CHECK(both.second == ba);
    }
  }
}
