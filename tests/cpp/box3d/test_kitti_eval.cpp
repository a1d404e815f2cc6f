// KITTI 3D evaluation (box3d/kitti_eval.hpp): rules whose numbers follow by hand from the peer's
// definitions (notes §7). Full parity with OpenPCDet's outputs on every fixture is in
// tests/python/test_box3d_kitti_eval.py.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <locuskit/box3d/kitti_eval.hpp>

using namespace locuskit;

namespace {

struct Scene {
  KittiObjects gt, det;
  void frame(const std::string& g, const std::string& d) {
    parse_kitti_label(g, "gt", gt);
    parse_kitti_label(d, "det", det);
  }
};

// A Car of 2D box (x1, 100, x1 + 100, 200) and 3D box at (x, 1.6, 20), 1.5 x 1.6 x 3.9, ry 0.
std::string car(double x1, double x, const char* score = nullptr, const char* type = "Car", double y2 = 200) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s 0.00 0 0.1 %.2f 100.00 %.2f %.2f 1.50 1.60 3.90 %.2f 1.60 20.00 0.00%s%s\n", type,
                x1, x1 + 100, y2, x, score ? " " : "", score ? score : "");
  return buf;
}

// ap[metric][class][difficulty][set]
double ap(const std::vector<double>& a, int metric, int cls, int diff, int set) {
  return a[((std::size_t(metric) * 3 + cls) * 3 + diff) * 2 + set];
}

}  // namespace

TEST_CASE("kitti_eval: one perfect detection per GT fills one threshold: AP11 = 100/11, AP40 = 0") {
  Scene s;
  s.frame(car(100, 0), car(100, 0, "0.9"));
  const Kitti3dResult r = evaluate_kitti3d(s.gt, s.det);
  for (int m = 0; m < 4; ++m) {
    CHECK(ap(r.ap11, m, 0, 0, 0) == doctest::Approx(100.0 / 11).epsilon(1e-15));
    CHECK(ap(r.ap40, m, 0, 0, 0) == 0.0);
    CHECK(ap(r.ap11, m, 1, 0, 0) == 0.0);  // no pedestrians: no thresholds, AP 0
  }
  CHECK(r.compute_aos);
  CHECK(r.num_valid_gt[0] == 1);
}

TEST_CASE("kitti_eval: 41 perfect cars give 100; 40 fill entries 0-39 only: AP11 1000/11, AP40 97.5") {
  for (int n : {40, 41}) {
    Scene s;
    for (int f = 0; f < n; ++f) s.frame(car(100, 0), car(100, 0, "0.9"));
    const Kitti3dResult r = evaluate_kitti3d(s.gt, s.det);
    for (int m = 0; m < 4; ++m) {
      CHECK(ap(r.ap11, m, 0, 1, 0) == doctest::Approx(n == 41 ? 100 : 1000.0 / 11).epsilon(1e-14));
      CHECK(ap(r.ap40, m, 0, 1, 0) == doctest::Approx(n == 41 ? 100 : 97.5).epsilon(1e-14));
    }
  }
}

TEST_CASE("kitti_eval: a match needs overlap > min_overlap (2D IoU exactly 0.7 is a miss)") {
  Scene exact, above;
  // GT (100, 100, 200, 200); detection (100, 100, 200, 170): IoU 7000 / 10000 = 0.7 exactly.
  exact.frame(car(100, 0), car(100, 0, "0.9", "Car", 170));
  above.frame(car(100, 0), car(100, 0, "0.9", "Car", 171));
  const Kitti3dResult a = evaluate_kitti3d(exact.gt, exact.det), b = evaluate_kitti3d(above.gt, above.det);
  CHECK(ap(a.ap11, 0, 0, 0, 0) == 0.0);
  CHECK(ap(b.ap11, 0, 0, 0, 0) == doctest::Approx(100.0 / 11).epsilon(1e-15));
}

TEST_CASE("kitti_eval: a FP inside a DontCare region is dropped for the 2D metric only") {
  Scene s;
  // TP (score 0.5) + a higher-scored FP far away in 3D, inside a DontCare region in the image.
  s.frame(car(100, 0) + "DontCare -1 -1 -10 500.00 90.00 700.00 210.00 -1 -1 -1 -1000 -1000 -1000 -10\n",
          car(100, 0, "0.5") + car(550, 30, "0.8"));
  const Kitti3dResult r = evaluate_kitti3d(s.gt, s.det);
  CHECK(ap(r.ap11, 0, 0, 0, 0) == doctest::Approx(100.0 / 11).epsilon(1e-15));  // bbox: precision 1
  CHECK(ap(r.ap11, 1, 0, 0, 0) == doctest::Approx(50.0 / 11).epsilon(1e-15));   // bev: 1 TP, 1 FP
  CHECK(ap(r.ap11, 2, 0, 0, 0) == doctest::Approx(50.0 / 11).epsilon(1e-15));
}

TEST_CASE("kitti_eval: Van GT absorbs a Car detection; AOS of a flipped alpha is 0") {
  Scene s;
  s.frame(car(100, 0) + car(400, 10, nullptr, "Van"), car(100, 0, "0.9") + car(400, 10, "0.95"));
  const Kitti3dResult r = evaluate_kitti3d(s.gt, s.det);
  CHECK(ap(r.ap11, 0, 0, 0, 0) == doctest::Approx(100.0 / 11).epsilon(1e-15));  // the Van match is ignored, not a FP
  Scene f;
  std::string d = car(100, 0, "0.9");
  d.replace(d.find(" 0.1 "), 5, " 3.241592653589793 ");  // alpha + pi
  f.frame(car(100, 0), d);
  const Kitti3dResult rf = evaluate_kitti3d(f.gt, f.det);
  CHECK(ap(rf.ap11, 0, 0, 0, 0) == doctest::Approx(100.0 / 11).epsilon(1e-15));
  CHECK(std::abs(ap(rf.ap11, 3, 0, 0, 0)) < 1e-12);
}

TEST_CASE("kitti_eval: no detections: compute_aos false, AOS NaN (the peer's None), every AP 0") {
  Scene s;
  s.frame(car(100, 0), "");
  const Kitti3dResult r = evaluate_kitti3d(s.gt, s.det);
  CHECK_FALSE(r.compute_aos);
  CHECK(std::isnan(ap(r.ap11, 3, 0, 0, 0)));
  CHECK(ap(r.ap40, 2, 0, 0, 0) == 0.0);
  Scene bad;
  bad.frame(car(100, 0), "");
  parse_kitti_label("", "gt", bad.gt);
  CHECK_THROWS_AS((void)evaluate_kitti3d(bad.gt, bad.det), std::invalid_argument);
}

TEST_CASE("kitti_eval: results do not depend on the thread count") {
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> u(0, 1);
  Scene s;
  const char* types[] = {"Car", "Pedestrian", "Cyclist", "Van", "Truck", "Person_sitting"};
  for (int f = 0; f < 300; ++f) {
    std::string g, d;
    const int n = int(u(rng) * 8);
    for (int k = 0; k < n; ++k) {
      const char* t = types[int(u(rng) * 6)];
      const double x1 = u(rng) * 1000, h = 20 + u(rng) * 80, x = u(rng) * 30 - 15, z = 5 + u(rng) * 50, ry = u(rng) * 6 - 3;
      char line[256];
      std::snprintf(line, sizeof line, "%s %.2f %d %.2f %.2f 100.00 %.2f %.2f 1.50 1.60 3.90 %.2f 1.60 %.2f %.2f\n", t,
                    u(rng) * 0.6, int(u(rng) * 4), ry, x1, x1 + 2 * h, 100 + h, x, z, ry);
      g += line;
      for (int r = 0; r < 2; ++r) {
        const double j = r ? 0.5 : 0.1;
        std::snprintf(line, sizeof line, "%s -1 -1 %.4f %.4f %.4f %.4f %.4f 1.50 1.60 3.90 %.4f 1.60 %.4f %.4f %.4f\n", t,
                      ry + j * (u(rng) - 0.5), x1 + 10 * j * u(rng), 100 + 5 * j * u(rng), x1 + 2 * h, 100 + h * (1 - j * u(rng)),
                      x + j * (u(rng) - 0.5), z + j * (u(rng) - 0.5), ry + j * (u(rng) - 0.5), u(rng));
        d += line;
      }
    }
    s.frame(g, d);
  }
  const Kitti3dResult one = evaluate_kitti3d(s.gt, s.det, {}, Parallel{1});
  const Kitti3dResult three = evaluate_kitti3d(s.gt, s.det, {}, Parallel{3});
  CHECK(one.precision == three.precision);
  CHECK(one.recall == three.recall);
  CHECK(one.orientation == three.orientation);
  CHECK(one.ap11 == three.ap11);
  CHECK(one.ap40 == three.ap40);
  CHECK(ap(one.ap40, 0, 0, 2, 0) > 0);  // the scene has matches
}
