#include <locuskit/track/kalman_xyah.hpp>

#include "test_support.hpp"

using namespace locuskit::track;

// Expected values worked out by hand from ByteTrack's model (sigma_p = 1/20, sigma_v = 1/160).
TEST_CASE("KalmanXYAH: initiate, predict and update on one axis by hand") {
  const KalmanXYAH kf;
  const double z[4] = {50, 60, 0.5, 100};
  KalmanXYAHState s = kf.initiate(z);
  CHECK(s.mean[0] == 50);
  CHECK(s.mean[3] == 100);
  CHECK(s.mean[4] == 0);
  CHECK(s.cov[0] == doctest::Approx(100));        // (2 * 100 / 20)^2
  CHECK(s.cov[4 * 8 + 4] == doctest::Approx(39.0625));  // (10 * 100 / 160)^2
  CHECK(s.cov[2 * 8 + 2] == doctest::Approx(1e-4));
  CHECK(s.cov[1] == 0);

  kf.predict(s);
  CHECK(s.cov[0] == doctest::Approx(100 + 39.0625 + 25));  // P + Pv + (100/20)^2
  CHECK(s.cov[4] == doctest::Approx(39.0625));             // position-velocity
  CHECK(s.cov[4 * 8 + 4] == doctest::Approx(39.0625 + 0.390625));
  CHECK(s.cov[4 * 8] == doctest::Approx(39.0625));

  // The axes are uncoupled: a 10 px innovation in x moves x and vx by the scalar gains.
  const double m[4] = {60, 60, 0.5, 100};
  kf.update(s, m);
  const double S = 164.0625 + 25;  // predicted variance + (100/20)^2
  CHECK(s.mean[0] == doctest::Approx(50 + 10 * 164.0625 / S));
  CHECK(s.mean[4] == doctest::Approx(10 * 39.0625 / S));
  CHECK(s.mean[1] == doctest::Approx(60));
  CHECK(s.mean[5] == doctest::Approx(0));
  CHECK(s.cov[0] == doctest::Approx(164.0625 - 164.0625 * 164.0625 / S));
  CHECK(s.cov[4] == doctest::Approx(39.0625 - 164.0625 * 39.0625 / S));
}

TEST_CASE("KalmanXYAH: constant motion is followed") {
  const KalmanXYAH kf;
  double z[4] = {0, 0, 0.5, 100};
  KalmanXYAHState s = kf.initiate(z);
  for (int t = 1; t <= 40; ++t) {
    kf.predict(s);
    z[0] = 3.0 * t;
    kf.update(s, z);
  }
  CHECK(s.mean[4] == doctest::Approx(3).epsilon(1e-3));
  CHECK(s.mean[0] == doctest::Approx(120).epsilon(1e-3));
}

TEST_CASE("tlwh <-> xyah") {
  const double tlwh[4] = {10, 20, 30, 60};
  double xyah[4], back[4];
  tlwh_to_xyah(tlwh, xyah);
  CHECK(xyah[0] == 25);
  CHECK(xyah[1] == 50);
  CHECK(xyah[2] == 0.5);
  CHECK(xyah[3] == 60);
  xyah_to_tlwh(xyah, back);
  for (int i = 0; i < 4; ++i) CHECK(back[i] == tlwh[i]);
}
