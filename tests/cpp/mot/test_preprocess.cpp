// MotChallenge2DBox preprocessing: distractor removal, zero-marked GT, MOT20/MOT15 rules, relabelling,
// and the errors TrackEval raises (here with file and line).
#include <locuskit/mot/preprocess.hpp>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>
#include <string>
#include <tuple>

#include "test_support.hpp"

using namespace locuskit;

namespace {
MotRows gt_rows(const char* text) { return parse_mot(text, MotFileKind::ground_truth, "gt.txt"); }
MotRows trk_rows(const char* text) { return parse_mot(text, MotFileKind::tracker, "trk.txt"); }
MotSequenceData pre(const MotRows& gt, const MotRows& trk, std::int64_t n, const MotPreprocessOptions& o = {}) {
  return preprocess_mot_sequence(gt, trk, n, o, "gt.txt", "trk.txt");
}
}  // namespace

TEST_CASE("mot preprocess: distractor removal, zero-marked GT and class filter") {
  // Frame 1: GT 1 pedestrian, GT 2 static_person (7, distractor), GT 3 car (3), GT 4 zero-marked pedestrian.
  const MotRows gt = gt_rows(
      "1,1,0,0,10,10,1,1,1\n1,2,100,0,10,10,1,7,1\n1,3,200,0,10,10,1,3,1\n1,4,300,0,10,10,0,1,1\n");
  // Tracker boxes on each GT object plus one far away.
  const MotRows trk = trk_rows(
      "1,10,0,0,10,10,1\n1,20,100,0,10,10,1\n1,30,200,0,10,10,1\n1,40,300,0,10,10,1\n1,50,900,0,10,10,1\n");
  SUBCASE("MOT17: the box on the distractor goes, the ones on the car and the zero-marked GT stay") {
    const MotSequenceData d = preprocess_mot_sequence(gt, trk, 1);
    CHECK(d.num_gt_dets == 1);
    CHECK(d.num_tracker_dets == 4);
    CHECK(d.num_tracker_ids == 4);
    std::vector<double> sim;
    mot_frame_similarity(d, 0, sim);
    REQUIRE(sim.size() == 4);
    CHECK(sim[0] == 1.0);
    CHECK(sim[1] == 0.0);
    CHECK(d.overlap_iou == std::vector<double>{1.0});
    CHECK(d.overlap_ij == std::vector<std::uint32_t>{0, 0});
  }
  SUBCASE("MOT15: nothing removed from the tracker, class ignored") {
    const MotSequenceData d = preprocess_mot_sequence(gt, trk, 1, {"MOT15", true});
    CHECK(d.num_gt_dets == 3);  // flag-1 rows of any class
    CHECK(d.num_tracker_dets == 5);
  }
  SUBCASE("do_preproc false: as MOT15") {
    const MotSequenceData d = preprocess_mot_sequence(gt, trk, 1, {"MOT17", false});
    CHECK(d.num_gt_dets == 3);
    CHECK(d.num_tracker_dets == 5);
  }
}

TEST_CASE("mot preprocess: MOT20 also removes boxes on non_mot_vehicle (class 6)") {
  const MotRows gt = gt_rows("1,1,0,0,10,10,1,6,1\n1,2,50,0,10,10,1,1,1\n");
  const MotRows trk = trk_rows("1,7,0,0,10,10,1\n1,8,50,0,10,10,1\n");
  CHECK(preprocess_mot_sequence(gt, trk, 1, {"MOT17", true}).num_tracker_dets == 2);
  CHECK(preprocess_mot_sequence(gt, trk, 1, {"MOT20", true}).num_tracker_dets == 1);
}

TEST_CASE("mot preprocess: ids relabelled in sorted order, frames grouped in file order") {
  const MotRows gt = gt_rows("2,1000,0,0,10,10,1,1,1\n1,7,0,0,10,10,1,1,1\n2,7,20,0,10,10,1,1,1\n");
  const MotRows trk = trk_rows("3,999999,0,0,1,1,1\n");
  const MotSequenceData d = preprocess_mot_sequence(gt, trk, 3);
  CHECK(d.num_gt_ids == 2);
  CHECK(d.gt_ids == std::vector<std::int32_t>{0, 1, 0});  // frame 1: id 7; frame 2: 1000, 7
  CHECK(d.num_gt(2) == 0);
  CHECK(d.num_trk(2) == 1);
  CHECK(d.tracker_ids == std::vector<std::int32_t>{0});
}

TEST_CASE("mot preprocess: errors name file and line") {
  const MotRows gt = gt_rows("1,1,0,0,10,10,1,1,1\n");
  CHECK_THROWS_WITH_AS(pre(gt, trk_rows("1,1,0,0,1,1,1\n5,1,0,0,1,1,1\n"), 3),
                       "trk.txt:2: frame 5 is beyond the sequence length 3 (seqLength)", parse_error);
  CHECK_THROWS_WITH_AS(pre(gt, trk_rows("1,4,0,0,1,1,1\n2,4,0,0,1,1,1\n1,4,5,5,1,1,1\n"), 3),
                       "trk.txt:3: id 4 appears twice in frame 1 (also on line 1)", parse_error);
  CHECK_THROWS_WITH_AS(pre(gt_rows("1,1,0,0,10,10,1,1,1\n1,1,0,0,10,10,1,1,1\n"),
                                               trk_rows(""), 3),
                       "gt.txt:2: id 1 appears twice in frame 1 (also on line 1)", parse_error);
  CHECK_THROWS_WITH_AS(pre(gt, trk_rows("1,4,0,0,1,1,1,2,-1\n"), 3),
                       doctest::Contains("trk.txt:1: class 2 in a tracker row"), parse_error);
  CHECK_THROWS_WITH_AS(pre(gt_rows("1,1,0,0,10,10,1,-1,1\n"), trk_rows("1,4,0,0,1,1,1\n"), 3),
                       doctest::Contains("gt.txt:1: class -1 is not a MOTChallenge class"), parse_error);
  // MOT15 has no classes: the same files are fine.
  CHECK(pre(gt_rows("1,1,0,0,10,10,1,-1,1\n"), trk_rows("1,4,0,0,1,1,1\n"), 3, {"MOT15", true})
            .num_gt_dets == 1);
  // Empty files: a valid sequence without detections.
  const MotSequenceData e = pre(gt_rows(""), trk_rows(""), 4);
  CHECK(e.num_timesteps == 4);
  CHECK(e.num_gt_dets == 0);
}

TEST_CASE("mot preprocess: huge id ranges take the sorted/hashed paths with the same results") {
  // Ids spread over ~1e15 (no dense table): relabelling by sorted rank, duplicates by hash map.
  const MotRows gt = gt_rows("1,1000000000000000,0,0,10,10,1,1,1\n1,3,20,0,10,10,1,1,1\n2,3,0,0,10,10,1,1,1\n");
  const MotRows trk = trk_rows("1,9007199254740992,0,0,10,10,1\n2,0,0,0,10,10,1\n");
  const MotSequenceData d = pre(gt, trk, 2);
  CHECK(d.num_gt_ids == 2);
  CHECK(d.gt_ids == std::vector<std::int32_t>{1, 0, 0});
  CHECK(d.num_tracker_ids == 2);
  CHECK(d.tracker_ids == std::vector<std::int32_t>{1, 0});
  CHECK_THROWS_WITH_AS(pre(gt_rows("1,1000000000000000,0,0,10,10,1,1,1\n1,3,0,0,1,1,1,1,1\n"
                                   "1,1000000000000000,5,5,10,10,1,1,1\n"),
                           trk, 2),
                       "gt.txt:3: id 1000000000000000 appears twice in frame 1 (also on line 1)", parse_error);
}

TEST_CASE("mot preprocess: a frame without distractors keeps every tracker row, one with one removes it") {
  // Frame 1: pedestrian only; frame 2: a static person (7) under tracker box 2.
  const MotRows gt = gt_rows("1,1,0,0,10,10,1,1,1\n2,1,0,0,10,10,1,1,1\n2,2,50,0,10,10,1,7,1\n");
  const MotRows trk = trk_rows("1,1,0,0,10,10,1\n1,2,50,0,10,10,1\n2,1,0,0,10,10,1\n2,2,51,0,10,10,1\n");
  const MotSequenceData d = pre(gt, trk, 2);
  CHECK(d.num_trk(0) == 2);
  CHECK(d.num_trk(1) == 1);
  std::vector<double> s0, s1;
  mot_frame_similarity(d, 0, s0);
  mot_frame_similarity(d, 1, s1);
  CHECK(s0 == std::vector<double>{1.0, 0.0});
  CHECK(s1 == std::vector<double>{1.0});
  CHECK(d.overlap_begin == std::vector<std::size_t>{0, 1, 2});
}

namespace {
// TrackEval's xywh IoU of one pair (`_calculate_box_ious`), written out plainly as the reference.
double reference_iou(const double* g, const double* t) {
  const double gx1 = g[0] + g[2], gy1 = g[1] + g[3], tx1 = t[0] + t[2], ty1 = t[1] + t[3];
  const double ga = (gx1 - g[0]) * (gy1 - g[1]), ta = (tx1 - t[0]) * (ty1 - t[1]);
  const double iw = std::max(std::min(gx1, tx1) - std::max(g[0], t[0]), 0.0);
  const double ih = std::max(std::min(gy1, ty1) - std::max(g[1], t[1]), 0.0);
  const double inter = iw * ih, uni = ga + ta - inter;
  const bool ok = ga > detail::mot_eps && ta > detail::mot_eps && uni > detail::mot_eps;
  return (ok ? inter : 0.0) / (uni > detail::mot_eps ? uni : 1.0);
}
}  // namespace

TEST_CASE("mot preprocess: the per-frame overlap list is the dense IoU matrix's non-zeros, row-major") {
  // Random frames (real-valued boxes) and tie-heavy ones (integer boxes on a small grid, duplicated
  // and zero-area boxes, distractor classes, zero-marked GT), under each benchmark rule. The
  // reference is the dense IoU of the kept rows computed pair by pair: the list must hold exactly
  // its non-zero entries, row-major, same bits, and mot_frame_similarity must give the matrix back
  // (zeros as +0). Frames where the distractor rule removed a tracker row are compared on the GT
  // side only (which tracker rows go is the removal tests' business).
  std::mt19937 rng(12);
  for (int trial = 0; trial < 60; ++trial) {
    const bool ties = trial % 2 == 1;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::uniform_int_distribution<int> grid(0, 4), classes(1, 13), count(0, 9);
    auto box = [&]() {
      if (ties) {
        const int w = grid(rng);  // 0: a zero-area box
        return std::to_string(10 * grid(rng)) + "," + std::to_string(10 * grid(rng)) + "," + std::to_string(10 * w) + ",20";
      }
      return std::to_string(100 * u(rng)) + "," + std::to_string(100 * u(rng)) + "," + std::to_string(1 + 40 * u(rng)) +
             "," + std::to_string(1 + 40 * u(rng));
    };
    std::string gt_text, trk_text;
    const int frames = 8;
    std::vector<int> gt_class, gt_flag;  // per GT row, in file (= frame) order
    std::vector<int> trk_per_frame(frames);
    for (int f = 1; f <= frames; ++f) {
      const int ng = count(rng), nt = count(rng);
      trk_per_frame[f - 1] = nt;
      for (int g = 1; g <= ng; ++g) {
        const int cls = u(rng) < 0.6 ? 1 : classes(rng), flag = u(rng) < 0.1 ? 0 : 1;
        gt_class.push_back(cls), gt_flag.push_back(flag);
        gt_text += std::to_string(f) + "," + std::to_string(g) + "," + box() + "," + std::to_string(flag) + "," +
                   std::to_string(cls) + ",1\n";
      }
      std::string last;
      for (int t = 1; t <= nt; ++t) {
        const std::string b = ties && !last.empty() && u(rng) < 0.3 ? last : box();
        trk_text += std::to_string(f) + "," + std::to_string(t) + "," + b + ",1\n";
        last = b;
      }
    }
    const MotRows gt = gt_rows(gt_text.c_str()), trk = trk_rows(trk_text.c_str());
    for (const char* bench : {"MOT17", "MOT20", "MOT15"}) {
      const bool mot15 = std::string(bench) == "MOT15";
      const MotSequenceData d = pre(gt, trk, frames, {bench, true});
      REQUIRE(d.overlap_begin.size() == static_cast<std::size_t>(frames) + 1);
      REQUIRE(d.overlap_ij.size() == 2 * d.overlap_iou.size());
      CHECK(d.overlap_begin[0] == 0);
      CHECK(d.overlap_begin.back() == d.overlap_iou.size());
      std::size_t g_row = 0, t_row = 0;  // first file row of the frame
      std::vector<double> dense;
      for (std::int64_t t = 0; t < frames; ++t) {
        CAPTURE(trial);
        CAPTURE(bench);
        CAPTURE(t);
        const std::size_t nt_file = static_cast<std::size_t>(trk_per_frame[t]);
        std::vector<std::size_t> kept_gt;
        for (std::size_t k = g_row; k < gt.size() && gt.frame[k] == t + 1; ++k)
          if (gt_flag[k] != 0 && (mot15 || gt_class[k] == 1)) kept_gt.push_back(k);
        const std::size_t n_gt_rows_of_frame = [&] {
          std::size_t k = g_row;
          while (k < gt.size() && gt.frame[k] == t + 1) ++k;
          return k - g_row;
        }();
        REQUIRE(d.num_gt(t) == kept_gt.size());
        const std::size_t nt = d.num_trk(t);
        mot_frame_similarity(d, t, dense);
        REQUIRE(dense.size() == kept_gt.size() * nt);
        for (std::size_t q = d.overlap_begin[t]; q < d.overlap_begin[t + 1]; ++q) {
          CHECK(d.overlap_iou[q] > 0);
          if (q > d.overlap_begin[t])  // row-major, no pair twice
            CHECK(std::make_pair(d.overlap_ij[2 * q - 2], d.overlap_ij[2 * q - 1]) <
                  std::make_pair(d.overlap_ij[2 * q], d.overlap_ij[2 * q + 1]));
        }
        if (nt == nt_file) {  // nothing removed: compare with the reference matrix entry by entry
          std::size_t q = d.overlap_begin[t];
          for (std::size_t i = 0; i < kept_gt.size(); ++i)
            for (std::size_t j = 0; j < nt; ++j) {
              const double x = reference_iou(gt.boxes.data() + 4 * kept_gt[i], trk.boxes.data() + 4 * (t_row + j));
              CHECK(test::same_bits(dense[i * nt + j], x == 0 ? 0.0 : x));
              if (x == 0) continue;
              REQUIRE(q < d.overlap_begin[t + 1]);
              CHECK(d.overlap_ij[2 * q] == i);
              CHECK(d.overlap_ij[2 * q + 1] == j);
              CHECK(test::same_bits(d.overlap_iou[q], x));
              ++q;
            }
          CHECK(q == d.overlap_begin[t + 1]);
        }
        g_row += n_gt_rows_of_frame, t_row += nt_file;
      }
    }
  }
}

namespace {
// TrackEval's MotChallenge2DBox preprocessing of one sequence written out plainly (the general
// path): per frame the dense IoU of every GT row with every tracker row (reference_iou), the
// scores below 0.5 - eps zeroed, scipy's assignment (the solver) on the whole matrix, tracker rows
// matched to a distractor by a score > eps removed, then the kept GT rows' dense IoU with the
// kept tracker rows. Frames are listed in file order. Ids are the original ones.
struct ReferenceFrame {
  std::vector<std::int64_t> gt_ids, trk_ids;
  std::vector<double> iou;  // (gt_ids.size(), trk_ids.size()) row-major
};
std::vector<ReferenceFrame> reference_preprocess(const MotRows& gt, const MotRows& trk, std::int64_t frames,
                                                 bool mot20) {
  std::vector<ReferenceFrame> out(static_cast<std::size_t>(frames));
  for (std::int64_t f = 1; f <= frames; ++f) {
    std::vector<std::size_t> g, t;
    for (std::size_t i = 0; i < gt.size(); ++i)
      if (gt.frame[i] == f) g.push_back(i);
    for (std::size_t i = 0; i < trk.size(); ++i)
      if (trk.frame[i] == f) t.push_back(i);
    const std::size_t ng = g.size(), nt = t.size();
    std::vector<double> full(ng * nt);
    for (std::size_t a = 0; a < ng; ++a)
      for (std::size_t b = 0; b < nt; ++b)
        full[a * nt + b] = reference_iou(gt.boxes.data() + 4 * g[a], trk.boxes.data() + 4 * t[b]);
    auto distractor = [&](std::size_t a) {
      const int c = static_cast<int>(gt.class_id[g[a]]);
      return c == 2 || c == 7 || c == 8 || c == 12 || (mot20 && c == 6);
    };
    std::vector<bool> removed(nt, false);
    if (ng > 0 && nt > 0) {
      std::vector<double> score(full);
      for (double& x : score)
        if (x < 0.5 - detail::mot_eps) x = 0;
      const std::size_t k = std::min(ng, nt);
      std::vector<std::int64_t> r(k), c(k);
      linear_sum_assignment(score.data(), ng, nt, r.data(), c.data(), /*maximize=*/true);
      for (std::size_t q = 0; q < k; ++q)
        if (score[static_cast<std::size_t>(r[q]) * nt + static_cast<std::size_t>(c[q])] > 0 + detail::mot_eps &&
            distractor(static_cast<std::size_t>(r[q])))
          removed[static_cast<std::size_t>(c[q])] = true;
    }
    ReferenceFrame& fr = out[static_cast<std::size_t>(f - 1)];
    for (std::size_t b = 0; b < nt; ++b)
      if (!removed[b]) fr.trk_ids.push_back(trk.id[t[b]]);
    for (std::size_t a = 0; a < ng; ++a) {
      if (gt.confidence[g[a]] == 0 || gt.class_id[g[a]] != 1) continue;
      fr.gt_ids.push_back(gt.id[g[a]]);
      for (std::size_t b = 0; b < nt; ++b)
        if (!removed[b]) fr.iou.push_back(full[a * nt + b]);
    }
  }
  return out;
}
}  // namespace

TEST_CASE("mot preprocess: equals the plain dense per-pair path, distractor removal included") {
  // Random, tie-heavy (integer grid, duplicated boxes: IoUs of exactly 0.5 and 1, zero-area
  // boxes) and degenerate (see below) frames with many distractors, some with more than 64
  // tracker rows; every output field compared with the reference (ids through their sorted
  // ranks), IoUs bit for bit, +0 elsewhere.
  std::mt19937 rng(1212);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::size_t removed_frames = 0, listed = 0;
  for (int trial = 0; trial < 120; ++trial) {
    const bool ties = trial % 3 == 1, degenerate = trial % 3 == 2;
    auto box = [&]() {
      if (degenerate) {
        // Zero and eps-sized sizes, corners overflowing to inf, huge and tiny values, coordinates
        // equal after rounding to float (the overlap mask's ties), touching edges. (The reader
        // rejects negative sizes; test_numeric.cpp covers them.)
        static const char* const xs[] = {"0", "-0", "10", "20", "777.0000000001", "777.0000000002", "1e300", "-1e300",
                                         "1.5e308", "1e-300"};
        static const char* const ws[] = {"10", "20", "0", "1e-8", "1.5e308", "1e-160", "0.0000000001", "10.5"};
        auto pick = [&](const char* const* a, std::size_t n) { return std::string(a[rng() % n]); };
        return pick(xs, 10) + "," + pick(xs, 10) + "," + pick(ws, 8) + "," + pick(ws, 8);
      }
      if (ties) {
        const int w = static_cast<int>(rng() % 4);  // 0: a zero-area box
        return std::to_string(10 * (rng() % 5)) + "," + std::to_string(10 * (rng() % 5)) + "," +
               std::to_string(10 * w) + ",20";
      }
      return std::to_string(200 * u(rng)) + "," + std::to_string(100 * u(rng)) + "," + std::to_string(1 + 40 * u(rng)) +
             "," + std::to_string(1 + 40 * u(rng));
    };
    const int frames = 6;
    std::string gt_text, trk_text;
    std::vector<std::tuple<int, int, std::string>> gt_lines;  // (id, frame, row)
    for (int f = 1; f <= frames; ++f) {
      const int ng = static_cast<int>(rng() % 12), nt = rng() % 6 == 0 ? 65 + static_cast<int>(rng() % 40)
                                                                      : static_cast<int>(rng() % 12);
      std::vector<std::string> gt_boxes;
      for (int g = 1; g <= ng; ++g) {
        const int cls = u(rng) < 0.5 ? 1 : (u(rng) < 0.6 ? std::vector<int>{2, 6, 7, 8, 12}[rng() % 5] : 1 + static_cast<int>(rng() % 13));
        const int flag = u(rng) < 0.15 ? 0 : 1;
        gt_boxes.push_back(box());
        gt_lines.push_back({g, f, std::to_string(f) + "," + std::to_string(g) + "," + gt_boxes.back() + "," +
                                      std::to_string(flag) + "," + std::to_string(cls) + ",1\n"});
      }
      for (int t = 1; t <= nt; ++t) {
        // Often a copy of a GT box (IoU 1 with it, maybe with a distractor), else a fresh box.
        const std::string b = !gt_boxes.empty() && u(rng) < 0.4 ? gt_boxes[rng() % gt_boxes.size()] : box();
        trk_text += std::to_string(f) + "," + std::to_string(100 + t) + "," + b + ",1\n";
      }
    }
    // Half the GT files sorted by id as MOTChallenge's are (frames interleaved), half by frame.
    if (trial % 4 >= 2) std::stable_sort(gt_lines.begin(), gt_lines.end());
    for (const auto& l : gt_lines) gt_text += std::get<2>(l);
    const MotRows gt = gt_rows(gt_text.c_str()), trk = trk_rows(trk_text.c_str());
    for (const char* bench : {"MOT17", "MOT20"}) {
      const std::vector<ReferenceFrame> ref = reference_preprocess(gt, trk, frames, std::string(bench) == "MOT20");
      const MotSequenceData d = pre(gt, trk, frames, {bench, true});
      std::vector<std::int64_t> all_gt, all_trk;
      for (const ReferenceFrame& fr : ref) {
        all_gt.insert(all_gt.end(), fr.gt_ids.begin(), fr.gt_ids.end());
        all_trk.insert(all_trk.end(), fr.trk_ids.begin(), fr.trk_ids.end());
      }
      auto ranks = [](std::vector<std::int64_t> raw) {
        std::vector<std::int64_t> u(raw);
        std::sort(u.begin(), u.end());
        u.erase(std::unique(u.begin(), u.end()), u.end());
        std::vector<std::int32_t> r;
        for (const std::int64_t v : raw)
          r.push_back(static_cast<std::int32_t>(std::lower_bound(u.begin(), u.end(), v) - u.begin()));
        return std::make_pair(r, static_cast<std::int64_t>(u.size()));
      };
      CAPTURE(trial);
      CAPTURE(bench);
      CHECK(d.gt_ids == ranks(all_gt).first);
      CHECK(d.num_gt_ids == ranks(all_gt).second);
      CHECK(d.tracker_ids == ranks(all_trk).first);
      CHECK(d.num_tracker_ids == ranks(all_trk).second);
      CHECK(d.num_gt_dets == static_cast<std::int64_t>(all_gt.size()));
      CHECK(d.num_tracker_dets == static_cast<std::int64_t>(all_trk.size()));
      std::vector<double> dense;
      for (std::int64_t t = 0; t < frames; ++t) {
        CAPTURE(t);
        const ReferenceFrame& fr = ref[static_cast<std::size_t>(t)];
        REQUIRE(d.num_gt(t) == fr.gt_ids.size());
        REQUIRE(d.num_trk(t) == fr.trk_ids.size());
        removed_frames += fr.trk_ids.size() < static_cast<std::size_t>(std::count(trk.frame.begin(), trk.frame.end(), t + 1));
        mot_frame_similarity(d, t, dense);
        REQUIRE(dense.size() == fr.iou.size());
        for (std::size_t q = 0; q < dense.size(); ++q) CHECK(test::same_bits(dense[q], fr.iou[q] == 0 ? 0.0 : fr.iou[q]));
        const MotSequenceData::FrameOverlaps o = d.overlaps(t);
        listed += o.n;
        std::size_t q = 0;
        for (std::size_t k = 0; k < fr.iou.size(); ++k) {
          if (fr.iou[k] == 0) continue;
          REQUIRE(q < o.n);
          CHECK(o.ij[2 * q] == k / fr.trk_ids.size());
          CHECK(o.ij[2 * q + 1] == k % fr.trk_ids.size());
          CHECK(test::same_bits(o.iou[q], fr.iou[k]));
          ++q;
        }
        CHECK(q == o.n);
      }
    }
  }
  CHECK(removed_frames > 40);  // the removal path ran
  CHECK(listed > 1000);
}

namespace {
// Every member of two prepared GTs equal (the doubles bit for bit).
void check_same_prepared(const MotPreparedGt& a, const MotPreparedGt& b) {
  CHECK(a.seq_length == b.seq_length);
  CHECK(a.remove_distractors == b.remove_distractors);
  CHECK(a.mot20 == b.mot20);
  CHECK(a.name == b.name);
  CHECK(a.begin == b.begin);
  const std::vector<double> detail::MotBoxes::*cols[] = {&detail::MotBoxes::x0, &detail::MotBoxes::y0,
                                                         &detail::MotBoxes::x1, &detail::MotBoxes::y1,
                                                         &detail::MotBoxes::area};
  for (const auto col : cols) {
    REQUIRE((a.boxes.*col).size() == (b.boxes.*col).size());
    for (std::size_t k = 0; k < (a.boxes.*col).size(); ++k) CHECK(test::same_bits((a.boxes.*col)[k], (b.boxes.*col)[k]));
  }
  CHECK(a.ids == b.ids);
  CHECK(a.cls == b.cls);
  CHECK(a.keep == b.keep);
  CHECK(a.kept_begin == b.kept_begin);
  CHECK(a.kept_rows == b.kept_rows);
  CHECK(a.kept_ids == b.kept_ids);
  CHECK(a.num_kept_ids == b.num_kept_ids);
  CHECK(a.frame_flags == b.frame_flags);
  REQUIRE(a.class_errors.size() == b.class_errors.size());
  for (std::size_t q = 0; q < a.class_errors.size(); ++q) {
    CHECK(a.class_errors[q].frame == b.class_errors[q].frame);
    CHECK(a.class_errors[q].line == b.class_errors[q].line);
    CHECK(a.class_errors[q].class_id == b.class_errors[q].class_id);
  }
}
}  // namespace

TEST_CASE("mot preprocess: a prepared GT shared by trackers, scratch and output reused, equals the one-call path") {
  // Sequences of different sizes in turn (large then small: stale scratch must not leak), with
  // distractors, each tracker against one MotPreparedGt, one scratch and one output throughout.
  // A second prepared GT is refilled in place (MotPreparedGt::assign, with the preprocessing
  // scratch as evaluate_mot_files does), sometimes after a failed refill: it must equal the
  // constructed one member for member, and preprocess to the same result.
  MotPreparedGt refilled;
  int raised = 0;
  std::mt19937 rng(77);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto box = [&] {
    return std::to_string(10 * (rng() % 8)) + "," + std::to_string(10 * (rng() % 4)) + "," +
           std::to_string(5 + 10 * (rng() % 3)) + "," + std::to_string(20 + 0.5 * (rng() % 3));
  };
  MotPreprocessScratch scratch;
  MotSequenceData reused;
  for (int seq = 0; seq < 12; ++seq) {
    const int frames = seq % 3 == 0 ? 20 : 3, rows = seq % 3 == 0 ? 30 : 4;
    std::string gt_text;
    for (int f = 1; f <= frames; ++f)
      for (int g = 1; g <= static_cast<int>(rng() % rows); ++g)
        gt_text += std::to_string(f) + "," + std::to_string(g) + "," + box() + "," + (u(rng) < 0.1 ? "0" : "1") + "," +
                   std::to_string(u(rng) < 0.6 ? 1 : std::vector<int>{2, 3, 6, 7, 8, 12, 14}[rng() % (seq % 3 == 2 ? 7 : 6)]) +
                   ",1\n";  // class 14 (not a MOTChallenge class) in some small sequences
    const MotRows gt = gt_rows(gt_text.c_str());
    for (const char* bench : {"MOT17", "MOT20", "MOT15"}) {
      const MotPreparedGt prepared(gt, frames, {bench, true}, "gt.txt");
      if (seq % 4 == 1) {  // a failed refill leaves it empty (0 frames), and it refills again
        const auto check_empty = [&] {
          CHECK(refilled.seq_length == 0);
          CHECK((refilled.begin.empty() && refilled.ids.empty() && refilled.kept_rows.empty()));
          CHECK(refilled.boxes.x0.empty());
          CHECK(preprocess_mot_sequence(refilled, trk_rows("")).num_timesteps == 0);
        };
        refilled.assign(gt, frames, {bench, true}, "gt.txt", scratch);
        CHECK_THROWS_AS(refilled.assign(gt, -1, {bench, true}, "gt.txt", scratch), std::invalid_argument);
        check_empty();
        refilled.assign(gt, frames, {bench, true}, "gt.txt", scratch);
        CHECK_THROWS_WITH_AS(
            refilled.assign(gt_rows("1,1,0,0,1,1,1,1,1\n1,1,0,0,1,1,1,1,1\n"), 1, {}, "bad.txt", scratch),
            "bad.txt:2: id 1 appears twice in frame 1 (also on line 1)", parse_error);
        check_empty();
      }
      refilled.assign(gt, frames, {bench, true}, "gt.txt", scratch);
      check_same_prepared(refilled, prepared);
      for (int k = 0; k < 3; ++k) {
        std::string trk_text;
        for (int f = 1; f <= frames; ++f)
          for (int t = 1; t <= static_cast<int>(rng() % (rows + 2)); ++t)
            trk_text += std::to_string(f) + "," + std::to_string(t) + "," + box() + ",1\n";
        const MotRows trk = trk_rows(trk_text.c_str());
        CAPTURE(seq);
        CAPTURE(bench);
        CAPTURE(k);
        MotSequenceData want;
        try {
          want = pre(gt, trk, frames, {bench, true});
        } catch (const parse_error& e) {  // a class 14 row in a frame with tracker rows
          CHECK_THROWS_WITH_AS(preprocess_mot_sequence(refilled, trk, reused, scratch, "trk.txt"), e.what(), parse_error);
          ++raised;
          continue;
        }
        preprocess_mot_sequence(refilled, trk, reused, scratch, "trk.txt");
        const MotSequenceData fresh = preprocess_mot_sequence(prepared, trk, "trk.txt");
        for (const MotSequenceData* d : {static_cast<const MotSequenceData*>(&reused), &fresh}) {
          CHECK(d->num_timesteps == want.num_timesteps);
          CHECK(d->num_gt_ids == want.num_gt_ids);
          CHECK(d->num_tracker_ids == want.num_tracker_ids);
          CHECK(d->num_gt_dets == want.num_gt_dets);
          CHECK(d->num_tracker_dets == want.num_tracker_dets);
          CHECK(d->gt_begin == want.gt_begin);
          CHECK(d->trk_begin == want.trk_begin);
          CHECK(d->gt_ids == want.gt_ids);
          CHECK(d->tracker_ids == want.tracker_ids);
          CHECK(d->overlap_begin == want.overlap_begin);
          CHECK(d->overlap_ij == want.overlap_ij);
          REQUIRE(d->overlap_iou.size() == want.overlap_iou.size());
          for (std::size_t q = 0; q < want.overlap_iou.size(); ++q)
            CHECK(test::same_bits(d->overlap_iou[q], want.overlap_iou[q]));
        }
      }
    }
  }
  CHECK(raised > 3);  // the class errors were exercised, and normal sequences followed them
}

TEST_CASE("mot preprocess: a prepared GT reports the errors of the one-call path, in its order") {
  // GT class outside 1..13 in a frame with tracker rows: raised per tracker, after the tracker's
  // own errors; frames without tracker rows never raise it.
  const MotRows gt = gt_rows("1,1,0,0,10,10,1,1,1\n2,1,0,0,10,10,1,-1,1\n3,1,0,0,10,10,1,14,1\n");
  const MotPreparedGt prepared(gt, 3, {}, "gt.txt");
  CHECK(preprocess_mot_sequence(prepared, trk_rows("1,4,0,0,1,1,1\n")).num_tracker_dets == 1);
  CHECK_THROWS_WITH_AS(preprocess_mot_sequence(prepared, trk_rows("1,4,0,0,1,1,1\n3,4,0,0,1,1,1\n"), "trk.txt"),
                       doctest::Contains("gt.txt:3: class 14 is not a MOTChallenge class"), parse_error);
  CHECK_THROWS_WITH_AS(preprocess_mot_sequence(prepared, trk_rows("3,4,0,0,1,1,1\n2,4,0,0,1,1,1\n"), "trk.txt"),
                       doctest::Contains("gt.txt:2: class -1 is not a MOTChallenge class"), parse_error);
  CHECK_THROWS_WITH_AS(preprocess_mot_sequence(prepared, trk_rows("2,4,0,0,1,1,1\n2,4,0,0,1,1,1\n"), "trk.txt"),
                       "trk.txt:2: id 4 appears twice in frame 2 (also on line 1)", parse_error);
  CHECK_THROWS_WITH_AS(preprocess_mot_sequence(prepared, trk_rows("2,4,0,0,1,1,1,3\n"), "trk.txt"),
                       doctest::Contains("trk.txt:1: class 3 in a tracker row"), parse_error);
  CHECK_THROWS_WITH_AS(MotPreparedGt(gt, 2, {}, "gt.txt"),
                       "gt.txt:3: frame 3 is beyond the sequence length 2 (seqLength)", parse_error);
  CHECK_THROWS_AS(MotPreparedGt(gt, -1), std::invalid_argument);
  CHECK(preprocess_mot_sequence(MotPreparedGt(gt, 3, {"MOT15", true}), trk_rows("2,4,0,0,1,1,1\n")).num_gt_dets == 3);
}

TEST_CASE("mot preprocess: fractional flags and classes truncate toward zero as TrackEval's int()") {
  // Flags 0.9 / -0.9 -> 0 (dropped), -1 and 1.5 -> kept; class 1.7 -> pedestrian, 7.99 -> 7
  // (distractor), 13.9 -> 13 (valid, not evaluated).
  const MotRows gt = gt_rows(
      "1,1,0,0,10,10,0.9,1,1\n1,2,20,0,10,10,-0.9,1,1\n1,3,40,0,10,10,-1,1,1\n1,4,60,0,10,10,1.5,1.7,1\n"
      "1,5,80,0,10,10,1,7.99,1\n1,6,100,0,10,10,1,13.9,1\n");
  const MotRows trk = trk_rows("1,1,80,0,10,10,1\n1,2,0,0,10,10,1\n");
  const MotSequenceData d = pre(gt, trk, 1);
  CHECK(d.num_gt_dets == 2);       // ids 3 and 4
  CHECK(d.num_tracker_dets == 1);  // the box on the class-7.99 row is removed
  CHECK(pre(gt, trk, 1, {"MOT15", true}).num_gt_dets == 4);  // flags only: 3, 4, 5, 6
  CHECK_THROWS_WITH_AS(pre(gt_rows("1,1,0,0,10,10,1,0.99,1\n"), trk, 1),
                       doctest::Contains("gt.txt:1: class 0 is not a MOTChallenge class"), parse_error);
  CHECK_THROWS_WITH_AS(pre(gt_rows("1,1,0,0,10,10,1,14.5,1\n"), trk, 1),
                       doctest::Contains("gt.txt:1: class 14 is not a MOTChallenge class"), parse_error);
  CHECK_THROWS_WITH_AS(pre(gt_rows("1,1,0,0,10,10,1,-0.5,1\n"), trk, 1),
                       doctest::Contains("gt.txt:1: class 0 is not a MOTChallenge class"), parse_error);
}

TEST_CASE("mot preprocess: a distractor's lone overlap removes its box directly; shared ones go to the assignment") {
  // Frame 1: the distractor (7) alone on tracker box 1 (IoU 1, no other GT near): removed. Frame 2:
  // a pedestrian and a distractor on the same box (a tie the solver breaks by row order), in both
  // orders. Frame 3: the distractor overlaps two tracker boxes by >= 0.5 (its row is not alone).
  const MotRows gt = gt_rows(
      "1,1,0,0,10,10,1,7,1\n1,2,50,0,10,10,1,1,1\n"
      "2,1,0,0,10,10,1,1,1\n2,2,0,0,10,10,1,7,1\n2,3,50,0,10,10,1,7,1\n2,4,50,0,10,10,1,1,1\n"
      "3,1,0,0,10,10,1,12,1\n");
  const MotRows trk = trk_rows(
      "1,1,0,0,10,10,1\n1,2,50,0,10,10,1\n"
      "2,1,0,0,10,10,1\n2,2,50,0,10,10,1\n"
      "3,1,0,0,10,9,1\n3,2,0,1,10,9,1\n");
  for (const char* bench : {"MOT17", "MOT20"}) {
    const MotSequenceData d = pre(gt, trk, 3, {bench, true});
    const std::vector<ReferenceFrame> ref = reference_preprocess(gt, trk, 3, std::string(bench) == "MOT20");
    CHECK(d.num_trk(0) == 1);  // the lone overlap: removed
    for (std::int64_t t = 0; t < 3; ++t) {
      CAPTURE(t);
      CHECK(d.num_trk(t) == ref[static_cast<std::size_t>(t)].trk_ids.size());
      std::vector<double> dense;
      mot_frame_similarity(d, t, dense);
      CHECK(dense == ref[static_cast<std::size_t>(t)].iou);
    }
    CHECK(d.num_trk(2) == 1);  // one of the two boxes goes (the assignment picks one)
  }
}

TEST_CASE("mot preprocess: a prepared GT's kept rows and relabelled ids follow its keep flags") {
  // Frame 1: ids 9 (kept), 4 (zero-marked), 7 (distractor); frame 2: 4 (kept), 2 (car); frame 3 empty;
  // frame 4: 9 (kept). Kept ids {9, 4, 9} relabel by sorted rank to {1, 0, 1}.
  const MotRows gt = gt_rows(
      "1,9,0,0,10,10,1,1,1\n1,4,0,0,10,10,0,1,1\n1,7,0,0,10,10,1,7,1\n2,4,0,0,10,10,1,1,1\n2,2,0,0,10,10,1,3,1\n"
      "4,9,0,0,10,10,1,1,1\n");
  const MotPreparedGt p(gt, 4, {}, "gt.txt");
  CHECK(p.kept_begin == std::vector<std::size_t>{0, 1, 2, 2, 3});
  CHECK(p.kept_rows == std::vector<std::size_t>{0, 3, 5});
  CHECK(p.kept_ids == std::vector<std::int32_t>{1, 0, 1});
  CHECK(p.num_kept_ids == 2);
  for (std::size_t q = 0; q < p.kept_rows.size(); ++q) CHECK(p.keep[p.kept_rows[q]] == 1);
  const MotSequenceData d = preprocess_mot_sequence(p, trk_rows("1,5,0,0,10,10,1\n"));
  CHECK(d.gt_ids == p.kept_ids);
  CHECK(d.num_gt_ids == 2);
  CHECK(d.num_gt_dets == 3);
  CHECK(d.gt_begin == p.kept_begin);
  // MOT15: classes ignored, the distractor and the car count too.
  const MotPreparedGt p15(gt, 4, {"MOT15", true}, "gt.txt");
  CHECK(p15.kept_rows == std::vector<std::size_t>{0, 2, 3, 4, 5});
  CHECK(p15.kept_ids == std::vector<std::int32_t>{3, 2, 1, 0, 3});
}
