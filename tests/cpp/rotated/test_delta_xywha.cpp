#include <locuskit/rotated/delta_xywha.hpp>

#include <cmath>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;
using namespace locuskit::rotated;

TEST_CASE("norm_angle: mmrotate's float32 values (coder/mmrotate_delta_xywha.json, norm_angle)") {
  const float in[10] = {-4.0f, -3.1415927410125732f, -1.5707963705062866f, -0.7853981852531433f, 0.0f,
                        0.7853981852531433f, 1.5707963705062866f, 2.356194496154785f, 3.1415927410125732f, 4.0f};
  const float le90[10] = {-0.8584071397781372f, 0.0f, -1.5707963705062866f, -0.7853981852531433f, 0.0f,
                          0.7853981256484985f, -1.5707963705062866f, -0.7853981256484985f, -1.1920928955078125e-07f,
                          0.8584073781967163f};
  const float le135[10] = {2.2831854820251465f, 5.960464477539063e-08f, 1.570796251296997f, -0.7853981852531433f,
                           0.0f, 0.7853981852531433f, 1.570796251296997f, -0.7853981852531433f,
                           5.960464477539063e-08f, 0.8584070801734924f};
  for (int i = 0; i < 10; ++i) {
    CAPTURE(i);
    CHECK(test::same_bits(norm_angle(in[i], AngleRange::oc), in[i]));
    CHECK(test::same_bits(norm_angle(in[i], AngleRange::le90), le90[i]));
    CHECK(test::same_bits(norm_angle(in[i], AngleRange::le135), le135[i]));
  }
}

TEST_CASE_TEMPLATE("delta_xywha: decode(encode(gt)) returns gt (up to the angle range and edge swap)", T, float, double) {
  for (bool swap : {false, true}) {
    for (bool proj : {false, true}) {
      DeltaXYWHAParams p;
      p.angle_range = AngleRange::le90;
      p.edge_swap = swap;
      p.proj_xy = proj;
      p.stds[0] = p.stds[1] = 0.1, p.stds[2] = p.stds[3] = 0.2, p.stds[4] = 0.1;
      const T prop[10] = {50, 60, 40, 20, T(0.3), 10, 10, 8, 30, T(-1.2)};
      const T gt[10] = {53, 58, 44, 18, T(0.4), 12, 9, 28, 9, T(0.1)};  // second: long side h (swap case)
      T deltas[10], back[10];
      delta_xywha_encode(prop, gt, 2, deltas, p);
      delta_xywha_decode(prop, deltas, 2, back, p);
      const T tol = sizeof(T) == 4 ? T(1e-4) : T(1e-9);
      for (int i = 0; i < 2; ++i) {
        CAPTURE(i);
        CHECK(std::fabs(back[5 * i] - gt[5 * i]) < tol * 100);
        CHECK(std::fabs(back[5 * i + 1] - gt[5 * i + 1]) < tol * 100);
        // the same rectangle: equal sides, angle equal modulo pi/2 with the sides swapped
        const bool swapped = std::fabs(back[5 * i + 2] - gt[5 * i + 2]) > T(1e-2);
        CHECK(std::fabs(back[5 * i + 2] - gt[5 * i + (swapped ? 3 : 2)]) < tol * 100);
        CHECK(std::fabs(back[5 * i + 3] - gt[5 * i + (swapped ? 2 : 3)]) < tol * 100);
        const double da = std::remainder(double(back[5 * i + 4]) - gt[5 * i + 4] - (swapped ? 1.5707963267948966 : 0),
                                         3.141592653589793);
        CHECK(std::fabs(da) < tol * 10);
      }
    }
  }
}
