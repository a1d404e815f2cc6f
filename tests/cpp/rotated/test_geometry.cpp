#include <locuskit/rotated/geometry.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;
using namespace locuskit::rotated;

namespace {

struct PairCase {
  std::string id;
  double box1[5], box2[5];
  double exact_iou;       // exact oracle, nearest double
  float detectron2_f32;   // detectron2 CPU box_iou_rotated on the float32-cast boxes
};

double parse_number(const std::string& s) {
  if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-inf") return -std::numeric_limits<double>::infinity();
  return std::strtod(s.c_str(), nullptr);
}

// tests/data/rotated/iou_pairs.csv: shared/reference/oriented/rotated_iou (69 cases + 400 random pairs).
std::vector<PairCase> load_pairs() {
  std::ifstream in(std::string(LOCUSKIT_TEST_DATA_DIR) + "/rotated/iou_pairs.csv");
  REQUIRE(in.good());
  std::vector<PairCase> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::vector<std::string> f;
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    REQUIRE(f.size() == 13);
    PairCase c;
    c.id = f[0];
    for (int k = 0; k < 5; ++k) c.box1[k] = parse_number(f[1 + k]), c.box2[k] = parse_number(f[6 + k]);
    c.exact_iou = parse_number(f[11]);
    c.detectron2_f32 = static_cast<float>(parse_number(f[12]));
    out.push_back(c);
  }
  REQUIRE(out.size() == 469);
  return out;
}

// The documented exact-mode accuracy (docs/rotated.md).
bool near_exact(double got, double exact) {
  return std::fabs(got - exact) <= 1e-12 * std::fabs(exact) + 1e-15;
}

}  // namespace

TEST_CASE("rotated_iou: float64 equals the exact oracle on every fixture pair") {
  double worst = 0;
  for (const auto& c : load_pairs()) {
    CAPTURE(c.id);
    const double got = rotated_iou(c.box1, c.box2, AngleConvention::degrees_ccw);
    CHECK(near_exact(got, c.exact_iou));
    // Symmetric, and the result never exceeds 1.
    CHECK(near_exact(rotated_iou(c.box2, c.box1, AngleConvention::degrees_ccw), c.exact_iou));
    CHECK(got <= 1.0);
    if (c.exact_iou > 1e-20) worst = std::max(worst, std::fabs(got - c.exact_iou) / c.exact_iou);
  }
  MESSAGE("max relative error vs exact (exact IoU > 1e-20): " << worst);
}

TEST_CASE("rotated_iou: float32 is the double result rounded once") {
  for (const auto& c : load_pairs()) {
    CAPTURE(c.id);
    float a[5], b[5];
    double ad[5], bd[5];
    for (int k = 0; k < 5; ++k) a[k] = float(c.box1[k]), b[k] = float(c.box2[k]), ad[k] = a[k], bd[k] = b[k];
    const float got = rotated_iou(a, b, AngleConvention::degrees_ccw);
    CHECK(test::same_bits(got, float(rotated_iou(ad, bd, AngleConvention::degrees_ccw))));
  }
}

TEST_CASE("rotated_iou_detectron2: float32 equals detectron2's CPU kernel bit for bit") {
  int mismatches = 0;
  for (const auto& c : load_pairs()) {
    CAPTURE(c.id);
    float a[5], b[5];
    for (int k = 0; k < 5; ++k) a[k] = float(c.box1[k]), b[k] = float(c.box2[k]);
    const float got = rotated_iou_detectron2(a, b);
    CAPTURE(got);
    CAPTURE(c.detectron2_f32);
    const bool same = test::same_bits(got, c.detectron2_f32);
    CHECK(same);
    mismatches += same ? 0 : 1;
  }
  CHECK(mismatches == 0);
}

TEST_CASE("angle conventions: one box, four spellings, the same corners") {
  const double d2[5] = {10, 20, 8, 4, 30};                       // detectron2: 30 deg CCW on screen
  const double cw_rad[5] = {10, 20, 8, 4, -30 * M_PI / 180};     // mmcv clockwise=True
  const double ccw_rad[5] = {10, 20, 8, 4, 30 * M_PI / 180};     // mmcv clockwise=False
  const double cw_deg[5] = {10, 20, 8, 4, -30};                  // OpenCV
  double p0[8], p1[8], p2[8], p3[8];
  box_corners(d2, AngleConvention::degrees_ccw, p0);
  box_corners(cw_rad, AngleConvention::radians_cw, p1);
  box_corners(ccw_rad, AngleConvention::radians_ccw, p2);
  box_corners(cw_deg, AngleConvention::degrees_cw, p3);
  for (int k = 0; k < 8; ++k) {
    CHECK(p1[k] == doctest::Approx(p0[k]).epsilon(1e-14));
    CHECK(p2[k] == doctest::Approx(p0[k]).epsilon(1e-14));
    CHECK(p3[k] == p0[k]);
  }
  // detectron2: local (w/2, 0) goes to (cx + c*w/2, cy - s*w/2): up the screen for a CCW turn.
  const double mid_x = 0.5 * (p0[0] + p0[2]), mid_y = 0.5 * (p0[1] + p0[3]);
  CHECK(mid_x == doctest::Approx(10 + 4 * std::cos(M_PI / 6)));
  CHECK(mid_y == doctest::Approx(20 - 4 * std::sin(M_PI / 6)));
  CHECK(polygon_area(p0, 4) == doctest::Approx(32.0));
}

TEST_CASE("rotated_overlap: mirrored conventions are different pairs (detectron2 issue 1207)") {
  const double a[5] = {0, 0, 4, 1, 0}, b[5] = {1, 1, 4, 1, 30};
  const double iou_ccw = rotated_iou(a, b, AngleConvention::degrees_ccw);
  const double iou_cw = rotated_iou(a, b, AngleConvention::degrees_cw);
  CHECK(iou_ccw != doctest::Approx(iou_cw));
  // Mirroring the pair about the x axis swaps the conventions.
  const double am[5] = {0, 0, 4, 1, 0}, bm[5] = {1, -1, 4, 1, 30};
  CHECK(rotated_iou(am, bm, AngleConvention::degrees_cw) == doctest::Approx(iou_ccw).epsilon(1e-14));
}

TEST_CASE_TEMPLATE("rotated_iou: degenerate pairs", T, float, double) {
  const T zero_w[5] = {0, 0, 0, 10, 0}, box[5] = {0, 0, 10, 10, 0};
  CHECK(rotated_iou(zero_w, box, AngleConvention::degrees_ccw) == T(0));
  CHECK(rotated_iou(zero_w, zero_w, AngleConvention::degrees_ccw) == T(0));
  CHECK(std::isnan(rotated_iou(zero_w, zero_w, AngleConvention::degrees_ccw,
                               std::numeric_limits<T>::quiet_NaN())));
  CHECK(rotated_iof(zero_w, box, AngleConvention::degrees_ccw) == T(0));
  const T nan_box[5] = {0, 0, std::numeric_limits<T>::quiet_NaN(), 10, 0};
  CHECK(std::isnan(rotated_iou(nan_box, box, AngleConvention::degrees_ccw)));
  // Containment is exact: the window comes out as its own corners.
  const T outer[5] = {3, 4, 40, 40, T(17)}, inner[5] = {3, 4, 10, 5, T(17)};
  CHECK(rotated_iof(inner, outer, AngleConvention::degrees_ccw) == T(1));
  CHECK(rotated_iou(inner, outer, AngleConvention::degrees_ccw) == T(50.0 / 1600.0));
}

TEST_CASE("rotated_iou: heading and w/h swaps give IoU 1 in every convention") {
  for (auto conv : {AngleConvention::degrees_ccw, AngleConvention::radians_cw, AngleConvention::radians_ccw,
                    AngleConvention::degrees_cw}) {
    const double half = uses_degrees(conv) ? 180.0 : M_PI, quarter = half / 2;
    const double a[5] = {5, 7, 6, 2, uses_degrees(conv) ? 20.0 : 0.3};
    const double flipped[5] = {5, 7, 6, 2, a[4] + half};
    const double swapped[5] = {5, 7, 2, 6, a[4] + quarter};
    CHECK(rotated_iou(a, flipped, conv) == doctest::Approx(1.0).epsilon(1e-15));
    CHECK(rotated_iou(a, swapped, conv) == doctest::Approx(1.0).epsilon(1e-15));
  }
}

TEST_CASE("convex_polygon_intersection_area: quadrilaterals of either orientation") {
  const double sq[8] = {0, 0, 2, 0, 2, 2, 0, 2};
  const double sq_cw[8] = {0, 0, 0, 2, 2, 2, 2, 0};
  const double shifted[8] = {1, 1, 3, 1, 3, 3, 1, 3};
  CHECK(convex_polygon_intersection_area(sq, 4, shifted, 4) == 1.0);
  CHECK(convex_polygon_intersection_area(sq_cw, 4, shifted, 4) == 1.0);
  CHECK(convex_polygon_intersection_area(shifted, 4, sq_cw, 4) == 1.0);
  const double far[8] = {5, 5, 6, 5, 6, 6, 5, 6};
  CHECK(convex_polygon_intersection_area(sq, 4, far, 4) == 0.0);
  // Rotated boxes as polygons agree with the box clipping.
  const double a[5] = {0, 0, 10, 6, 0}, b[5] = {1, -1, 10, 6, 33};
  double pa[8], pb[8];
  box_corners(a, AngleConvention::degrees_ccw, pa);
  box_corners(b, AngleConvention::degrees_ccw, pb);
  CHECK(convex_polygon_intersection_area(pa, 4, pb, 4) ==
        doctest::Approx(rotated_overlap(a, b, AngleConvention::degrees_ccw).intersection).epsilon(1e-13));
}

TEST_CASE("rotated_overlap of prepared boxes: the rows' bits on every fixture pair, any convention") {
  // The pairwise kernels prepare each box once; the prepared overlap must give exactly what the
  // per-pair function gives (or 0 where may_overlap rules the pair out, and then the rows' own
  // intersection is 0 too).
  int ruled_out = 0;
  for (const auto& c : load_pairs()) {
    CAPTURE(c.id);
    for (auto conv : {AngleConvention::degrees_ccw, AngleConvention::radians_cw, AngleConvention::radians_ccw,
                      AngleConvention::degrees_cw}) {
      for (int order = 0; order < 2; ++order) {
        const double* x = order ? c.box2 : c.box1;
        const double* y = order ? c.box1 : c.box2;
        const Overlap want = rotated_overlap(x, y, conv);
        const PreparedBox px = prepare_box(x, conv), py = prepare_box(y, conv);
        const Overlap got = rotated_overlap(px, py, conv);
        CHECK(test::same_bits(got.area_a, want.area_a));
        CHECK(test::same_bits(got.area_b, want.area_b));
        CHECK((test::same_bits(got.intersection, want.intersection) ||
               (std::isnan(got.intersection) && std::isnan(want.intersection))));
        if (!may_overlap(px, py)) {
          ++ruled_out;
          CHECK(want.intersection == 0.0);
        }
      }
    }
  }
  MESSAGE("pair tests ruled out by may_overlap: " << ruled_out);
}

TEST_CASE("may_overlap: never rules out touching, nested or collinear boxes (random, every convention)") {
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> pos(-50, 50), size(0.01, 40), angle(-400, 400), unit(0, 1);
  for (auto conv : {AngleConvention::degrees_ccw, AngleConvention::radians_cw}) {
    for (int t = 0; t < 20000; ++t) {
      double a[5] = {pos(rng), pos(rng), size(rng), size(rng), angle(rng)};
      double b[5] = {pos(rng) * 0.2, pos(rng) * 0.2, size(rng), size(rng), angle(rng)};
      if (t % 4 == 1) {  // same angle, b's edge on a's edge line: collinear or touching
        b[4] = a[4];
        double c, s;
        angle_cos_sin(a[4], uses_degrees(conv), &c, &s);
        s *= rotation_sign(conv);
        const double shift = 0.5 * (a[2] + b[2]) * (unit(rng) < 0.5 ? 1.0 : unit(rng));
        b[0] = a[0] + c * shift, b[1] = a[1] + s * shift;
      } else if (t % 4 == 2) {  // nested
        b[0] = a[0], b[1] = a[1], b[2] = a[2] * 0.3, b[3] = a[3] * 0.3;
      }
      const Overlap o = rotated_overlap(a, b, conv);
      const PreparedBox pa = prepare_box(a, conv), pb = prepare_box(b, conv);
      if (o.intersection > 0.0) CHECK(may_overlap(pa, pb));
      CHECK(test::same_bits(rotated_overlap(pa, pb, conv).intersection, o.intersection));
    }
  }
}
