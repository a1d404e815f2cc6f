#include <locuskit/nms/iou_guided_nms.hpp>
#include <locuskit/rotated/iou.hpp>

#include <random>
#include <vector>

#include "nms/integer_boxes.hpp"
#include "test_support.hpp"

using namespace locuskit;

TEST_CASE("iou_guided_nms: the paper's motivating pair keeps the better-localized box with the best score") {
  const std::vector<double> boxes = {0, 0, 10, 10, 1, 0, 11, 10};
  const std::vector<double> cls = {0.9, 0.6}, loc = {0.55, 0.92};
  std::int64_t keep[2];
  double sc[2];
  REQUIRE(iou_guided_nms(boxes.data(), cls.data(), loc.data(), 2, IouGuidedNmsParams{0.5}, keep, sc) == 1);
  CHECK(keep[0] == 1);
  CHECK(sc[0] == 0.9);
}

TEST_CASE_TEMPLATE("iou_guided_nms: the SIMD kernel on every arch equals the generic pairwise loop; batched equals per-label runs", T,
                   float, double) {
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    const std::size_t n = seed * 23 % 300;
    const auto boxes = test::random_boxes<T>(n, seed, T(60));
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> lv(0, 9);
    std::vector<T> cls(n), loc(n);
    std::vector<std::int64_t> labels(n);
    for (std::size_t i = 0; i < n; ++i) cls[i] = T(lv(rng)) / 9, loc[i] = T(lv(rng)) / 9, labels[i] = lv(rng) % 3;
    for (double thr : {0.0, 0.3, 0.5, 0.7}) {
      for (bool eq : {false, true}) {
        const IouGuidedNmsParams prm{thr, eq};
        std::vector<std::int64_t> k1(n), k2(n);
        std::vector<T> s1(n), s2(n);
        const T t = strict_iou_threshold<T>(thr, eq ? IouRule::greater_equal : IouRule::torchvision);
        auto pair = [&](std::int64_t i, std::int64_t j) {
          const T* bi = boxes.data() + 4 * i;
          const T* bj = boxes.data() + 4 * j;
          const T v = geometry::iou(bi, geometry::area(bi[0], bi[1], bi[2], bi[3]), bj,
                                    geometry::area(bj[0], bj[1], bj[2], bj[3]), T(0));
          return v > t ? 2.0 : 0.0;  // the kernel's decision, as a pairwise IoU over 1
        };
        const std::size_t b = iou_guided_nms_with(n, cls.data(), loc.data(), pair, IouGuidedNmsParams{1.0},
                                                  k2.data(), s2.data());
        auto same_as_generic = [&](simd::arch_id) {
          const std::size_t a = iou_guided_nms(boxes.data(), cls.data(), loc.data(), n, prm, k1.data(), s1.data());
          REQUIRE(a == b);
          for (std::size_t i = 0; i < a; ++i) REQUIRE((k1[i] == k2[i] && s1[i] == s2[i]));
        };
        same_as_generic(simd::active_arch());  // header-only builds have no arch list
        test::for_each_arch(same_as_generic);
        // batched: labels 0..2 run separately, merged by (-loc, label, rank)
        std::vector<std::int64_t> kb(n);
        std::vector<T> sb(n);
        const std::size_t nb =
            batched_iou_guided_nms(boxes.data(), cls.data(), loc.data(), labels.data(), n, prm, kb.data(), sb.data());
        std::size_t total = 0;
        for (std::int64_t lab = 0; lab < 3; ++lab) {
          auto same = [&](std::int64_t i, std::int64_t j) { return labels[i] == lab && labels[j] == lab ? pair(i, j) : 0.0; };
          std::vector<std::int64_t> idx;
          for (std::size_t i = 0; i < n; ++i) if (labels[i] == lab) idx.push_back(std::int64_t(i));
          std::vector<T> c(idx.size()), l(idx.size());
          for (std::size_t i = 0; i < idx.size(); ++i) c[i] = cls[idx[i]], l[i] = loc[idx[i]];
          std::vector<std::int64_t> kk(idx.size());
          std::vector<T> ss(idx.size());
          const std::size_t m = iou_guided_nms_with(idx.size(), c.data(), l.data(),
                                                    [&](std::int64_t i, std::int64_t j) { return same(idx[i], idx[j]); },
                                                    IouGuidedNmsParams{1.0}, kk.data(), ss.data());
          total += m;
          for (std::size_t i = 0; i < m; ++i) {  // each kept box appears in the merged output with its score
            const auto at = std::find(kb.begin(), kb.begin() + std::ptrdiff_t(nb), idx[kk[i]]);
            REQUIRE(at != kb.begin() + std::ptrdiff_t(nb));
            CHECK(sb[std::size_t(at - kb.begin())] == ss[i]);
          }
        }
        REQUIRE(total == nb);
        for (std::size_t i = 1; i < nb; ++i) REQUIRE(loc[kb[i - 1]] >= loc[kb[i]]);
      }
    }
  }
}

TEST_CASE("iou_aware_scores: loc^alpha * cls^(1-alpha)") {
  const std::vector<float> cls = {0.25f, 1.0f, 0.0f}, loc = {0.64f, 0.5f, 0.0f};
  std::vector<float> out(3);
  iou_aware_scores(cls.data(), loc.data(), 3, 0.5, out.data());
  CHECK(out[0] == doctest::Approx(0.4));
  CHECK(out[1] == doctest::Approx(std::sqrt(0.5)));
  CHECK(out[2] == 0.0f);
  iou_aware_scores(cls.data(), loc.data(), 3, 0.0, out.data());
  CHECK(out[0] == 0.25f);
  CHECK_THROWS_AS(iou_aware_scores(cls.data(), loc.data(), 3, 1.5, out.data()), std::invalid_argument);
}

TEST_CASE_TEMPLATE("iou_guided_nms<RotatedIoU>: equals the axis-aligned one at 0 / 180 degrees; batched too", T,
                   float, double) {
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    std::vector<T> xyxy, rot, cls;
    test::integer_boxes<T>(150, seed, xyxy, rot, cls);
    const std::size_t n = cls.size();
    const std::vector<T> loc = test::tie_scores<T>(n, seed + 100, 7);
    std::vector<std::int64_t> labels(n);
    for (std::size_t i = 0; i < n; ++i) labels[i] = std::int64_t(i * 7 % 3);
    for (double thr : {0.0, 0.3, 0.6}) {
      for (bool equal : {false, true}) {
        IouGuidedNmsParams pa{thr, equal};
        BasicIouGuidedNmsParams<RotatedIoU> pr;
        pr.iou_threshold = thr, pr.suppress_equal = equal;
        for (bool batched : {false, true}) {
          CAPTURE(seed);
          CAPTURE(thr);
          CAPTURE(batched);
          std::vector<std::int64_t> ka(n), kr(n);
          std::vector<T> sa(n), sr(n);
          const NmsInputs<T> ia{xyxy.data(), cls.data(), n, labels.data(), loc.data()};
          const NmsInputs<T> ir{rot.data(), cls.data(), n, labels.data(), loc.data()};
          const std::size_t a = batched ? batched_iou_guided_nms(ia, pa, NmsOutputs<T>{ka.data(), sa.data()})
                                        : iou_guided_nms(ia, pa, NmsOutputs<T>{ka.data(), sa.data()});
          const std::size_t r = batched ? batched_iou_guided_nms(ir, pr, NmsOutputs<T>{kr.data(), sr.data()})
                                        : iou_guided_nms(ir, pr, NmsOutputs<T>{kr.data(), sr.data()});
          REQUIRE(a == r);
          ka.resize(a), kr.resize(r), sa.resize(a), sr.resize(r);
          CHECK(ka == kr);
          CHECK(sa == sr);
        }
      }
    }
  }
}

TEST_CASE_TEMPLATE("iou_guided_nms<RotatedIoU>: equals the generic loop over box_iou_rotated", T, float, double) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> pos(0, 50), size(2, 20), ang(-180, 180), sc(0, 1);
  const std::size_t n = 150;
  std::vector<T> boxes, cls, loc;
  for (std::size_t i = 0; i < n; ++i) {
    boxes.insert(boxes.end(), {T(pos(rng)), T(pos(rng)), T(size(rng)), T(size(rng)), T(ang(rng))});
    cls.push_back(T(sc(rng))), loc.push_back(T(sc(rng)));
  }
  std::vector<T> iou(n * n);
  rotated::box_iou_rotated(boxes.data(), n, boxes.data(), n, iou.data());
  for (double thr : {0.0, 0.2, 0.5}) {
    BasicIouGuidedNmsParams<RotatedIoU> p;
    p.iou_threshold = thr;
    p.max_output = 40;
    std::vector<std::int64_t> kw(n), kg(n);
    std::vector<T> sw(n), sg(n);
    const std::size_t w = iou_guided_nms_with(
        n, cls.data(), loc.data(), [&](std::int64_t i, std::int64_t j) { return double(iou[std::size_t(i) * n + std::size_t(j)]); },
        p, kw.data(), sw.data());
    const std::size_t g = iou_guided_nms(NmsInputs<T>{boxes.data(), cls.data(), n, nullptr, loc.data()}, p,
                                         NmsOutputs<T>{kg.data(), sg.data()});
    REQUIRE(w == g);
    kw.resize(w), kg.resize(g), sw.resize(w), sg.resize(g);
    CHECK(kw == kg);
    CHECK(sw == sg);
  }
}
