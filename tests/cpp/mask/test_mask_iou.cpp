// mask/mask_iou.hpp: RLE and box IoU with the crowd rule (iou.case3, iou.size_mismatch,
// iou.bbox_ndarray fixtures); thread-count independence.
#include <doctest/doctest.h>

#include <locuskit/mask/mask_iou.hpp>
#include <locuskit/mask/rle_string.hpp>

#include <random>
#include <vector>

using locuskit::Rle;

namespace {
Rle s(std::size_t h, std::size_t w, const char* t) { return Rle{h, w, locuskit::rle_counts_from_string(t)}; }
}  // namespace

TEST_CASE("mask iou: pycocotools doubles with and without crowd (iou.case3)") {
  const std::vector<Rle> dt = {s(20, 20, "245M10M0N0215OJ0O00050M1NO60N2LO311NL020O080H000O020O0O063LMN05000L0120N10M00051M34LK040L0O0;0G0N04010K40M41LN110O21000O1010:0B05100K00OO00070K0N04011LOO01020")};
  const std::vector<Rle> gt = {s(20, 20, "R652O6:M2N2O1Ok10UN0G"), s(20, 20, "i2::0000000000000g4"),
                               s(20, 20, "j:=7000J"), s(20, 20, "Z42?3N2O100O100O8Im2"), s(20, 20, ";2b00000000001O00T7")};
  const std::uint8_t crowd[5] = {1, 0, 0, 1, 0};
  std::vector<double> out(5);
  locuskit::rle_iou_matrix(dt.data(), 1, gt.data(), 5, crowd, out.data());
  CHECK(out == std::vector<double>{0.45132743362831856, 0.1286549707602339, 0.10144927536231885,
                                   0.46017699115044247, 0.040983606557377046});
  locuskit::rle_iou_matrix(dt.data(), 1, gt.data(), 5, nullptr, out.data());
  CHECK(out == std::vector<double>{0.20816326530612245, 0.1286549707602339, 0.10144927536231885,
                                   0.22033898305084745, 0.040983606557377046});
  // many rows over several threads: the same doubles
  std::vector<Rle> many(300, dt[0]);
  std::vector<double> big(300 * 5);
  locuskit::rle_iou_matrix(many.data(), many.size(), gt.data(), 5, crowd, big.data(), locuskit::Parallel{4});
  for (std::size_t d = 0; d < 300; ++d) CHECK(big[d * 5 + 3] == 0.46017699115044247);
}

TEST_CASE("mask iou: size mismatch is -1 only where the boxes overlap; box IoU") {
  const Rle dt = s(10, 10, "0T3");
  const Rle gt[2] = {s(12, 10, "0h3"), s(12, 10, "g31")};
  double out[2];
  locuskit::rle_iou_matrix(&dt, 1, gt, 2, nullptr, out);
  CHECK(out[0] == -1);
  CHECK(out[1] == 0);
  const double dtb[] = {5, 5, 10, 10, 2.5, 2.5, 0.5, 0.25};
  const double gtb[] = {0, 0, 10, 10, 1, 1, 2, 2};
  const std::uint8_t crowd[2] = {0, 1};
  double o[4];
  locuskit::bbox_xywh_iou_matrix(dtb, 2, gtb, 2, crowd, o);
  CHECK(o[0] == 0.14285714285714285);
  CHECK(o[1] == 0);
  CHECK(o[2] == 0.00125);
  CHECK(o[3] == 1);
}

TEST_CASE("mask iou / merge: counts summing to different totals terminate (pycocotools loops forever)") {
  const Rle short_{10, 10, {5, 5}}, full{10, 10, {0, 100}};
  double o = -2;
  locuskit::rle_iou_matrix(&short_, 1, &full, 1, nullptr, &o);
  CHECK(o == 0.5);  // intersection 5 over the union swept up to where the short one ends (10)
  const Rle both[2] = {short_, full};
  const Rle u = locuskit::rle_merge(both, 2, false);
  CHECK(u.counts == std::vector<std::uint32_t>{0, 10});
}

TEST_CASE("mask iou: column-restricted intersection equals pixel counting on random masks (crowd and not)") {
  std::mt19937 rng(17);
  const std::size_t h = 23, w = 31;
  auto random_rle = [&](bool with_zero_runs) {
    std::vector<std::uint8_t> m(h * w, 0);
    const std::size_t x0 = rng() % w, x1 = x0 + rng() % (w - x0), y0 = rng() % h, y1 = y0 + rng() % (h - y0);
    for (std::size_t x = x0; x <= x1; ++x)
      for (std::size_t y = y0; y <= y1; ++y) m[x * h + y] = (rng() % 4) ? 1 : 0;
    Rle r = locuskit::rle_encode(m.data(), h, w);
    if (with_zero_runs && r.counts.size() > 2) {  // same pixels, non-canonical counts: the sweep path
      r.counts.insert(r.counts.begin() + 1, {0, 0});
    }
    return std::make_pair(r, m);
  };
  for (int trial = 0; trial < 200; ++trial) {
    const auto a = random_rle(trial % 3 == 0), b = random_rle(trial % 5 == 0);
    std::uint64_t inter = 0, uni = 0, area_a = 0;
    for (std::size_t i = 0; i < h * w; ++i) {
      inter += a.second[i] && b.second[i];
      uni += a.second[i] || b.second[i];
      area_a += a.second[i];
    }
    const auto box_a = locuskit::rle_to_bbox(a.first), box_b = locuskit::rle_to_bbox(b.first);
    for (std::uint8_t crowd : {0, 1}) {
      double o = -5;
      locuskit::rle_iou_matrix(&a.first, 1, &b.first, 1, &crowd, &o);
      const double box_iou = locuskit::bbox_xywh_iou(box_a.data(), box_b.data(), crowd);
      const double expected = !(box_iou > 0) ? box_iou : inter == 0 ? 0.0 : double(inter) / double(crowd ? area_a : uni);
      CAPTURE(trial);
      CHECK(o == expected);
    }
  }
}
