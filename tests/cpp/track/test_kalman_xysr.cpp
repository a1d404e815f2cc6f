#include <locuskit/track/kalman_xysr.hpp>

#include <cmath>

#include "test_support.hpp"

using namespace locuskit::track;

// SORT's constants: P0 = diag(10 x4, 1e4 x3), Q = diag(1 x4, .01, .01, 1e-4), R = diag(1, 1, 10, 10).
TEST_CASE("KalmanXYSR: predict and update by hand") {
  const KalmanXYSR kf;
  const double b[4] = {10, 20, 30, 60};
  double z[4];
  xyxy_to_xysr(b, z);
  CHECK(z[0] == 20);
  CHECK(z[1] == 40);
  CHECK(z[2] == 800);
  CHECK(z[3] == 0.5);
  KalmanXYSRState s = kf.initiate(z);
  kf.predict(s);
  CHECK(s.cov[0] == doctest::Approx(10 + 1e4 + 1));
  CHECK(s.cov[3 * 7 + 3] == doctest::Approx(11));  // r has no velocity
  CHECK(s.cov[4] == doctest::Approx(1e4));
  CHECK(s.cov[4 * 7 + 4] == doctest::Approx(1e4 + 0.01));
  const double m[4] = {25, 40, 800, 0.5};
  kf.update(s, m);
  const double S = 10011 + 1;
  CHECK(s.mean[0] == doctest::Approx(20 + 5 * 10011 / S));
  CHECK(s.mean[4] == doctest::Approx(5 * 1e4 / S));
  CHECK(s.cov[0] == doctest::Approx(10011 - 10011.0 * 10011.0 / S));
  CHECK(s.mean[1] == doctest::Approx(40));
}

TEST_CASE("KalmanXYSR: a shrinking area never predicts below zero; boxes back") {
  const KalmanXYSR kf;
  KalmanXYSRState s{};
  s.mean[2] = 10;
  s.mean[6] = -20;  // s + vs <= 0: the velocity is dropped first
  kf.predict(s);
  CHECK(s.mean[2] == 10);
  const double x[4] = {20, 40, 800, 0.5};
  double b[4];
  xysr_to_xyxy(x, b);
  CHECK(b[0] == 10);
  CHECK(b[1] == 20);
  CHECK(b[2] == 30);
  CHECK(b[3] == 60);
  const double bad[4] = {0, 0, -4, 1};
  xysr_to_xyxy(bad, b);
  CHECK(std::isnan(b[0]));
}
