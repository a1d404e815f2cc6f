#pragma once
// Shared by the RoI tests: seeded feature maps and rois that cover the interesting families
// (inside, crossing the border, in the (-1, 0) fringe, far outside, sub-pixel, empty, inverted).
#include <cstdint>
#include <random>
#include <vector>

namespace locuskit::test {

template <class T>
std::vector<T> random_features(std::size_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> d(0, 1);
  std::vector<T> f(count);
  for (auto& v : f) v = T(d(rng));
  return f;
}

/// k rois on an H x W map (image coordinates = map / scale) with batch indices in [0, n).
template <class T>
std::vector<T> random_rois(std::size_t k, std::size_t n, double H, double W, double scale, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<T> r(5 * k);
  for (std::size_t i = 0; i < k; ++i) {
    const int kind = static_cast<int>(i % 7);
    double x1 = u(rng) * W, y1 = u(rng) * H, w = u(rng) * W / 2, h = u(rng) * H / 2;
    if (kind == 1) x1 = -w / 2, y1 = H - h / 2;            // crossing the border
    if (kind == 2) x1 = -0.9, y1 = -0.8, w = 0.6, h = 0.5;  // inside the (-1, 0) fringe
    if (kind == 3) x1 = W + 3, y1 = -5;                     // far outside
    if (kind == 4) w = 0.3 * u(rng), h = 0.2 * u(rng);     // sub-pixel
    if (kind == 5) w = 0;                                   // empty
    if (kind == 6) h = -1.5;                                // inverted
    const double v[5] = {double(i % n), x1 / scale, y1 / scale, (x1 + w) / scale, (y1 + h) / scale};
    for (int j = 0; j < 5; ++j) r[5 * i + j] = T(v[j]);
  }
  return r;
}

}  // namespace locuskit::test
