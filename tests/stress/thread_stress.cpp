// Thread-stress test for the C++ core: many threads run mixed operations at once on shared
// read-only inputs (IoU family and fused max, greedy / batched / soft NMS with one workspace per
// thread, COCO evaluate + accumulate, Umeyama alignment, APE/RPE, SO(3) batches), each op itself
// multi-threaded where it can be, and the first calls race on the SIMD dispatcher's cached choice.
// Every result must equal the one computed single-threaded before the threads start.
//
// Built in every test build (ctest `thread_stress`); scripts/test-tsan runs it under
// ThreadSanitizer (LOCUSKIT_SANITIZE_THREAD=ON), where a data race fails it.
//   thread_stress [THREADS] [ROUNDS]      (default 8 threads, 6 rounds)
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include <locuskit/box.hpp>
#include <locuskit/eval.hpp>
#include <locuskit/nms.hpp>
#include <locuskit/pose.hpp>
#include <locuskit/traj.hpp>

namespace {
using namespace locuskit;

std::vector<float> make_boxes(std::size_t n, std::uint32_t seed, float extent) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> pos(0, extent), size(1, extent / 8);
  std::vector<float> b(4 * n);
  for (std::size_t i = 0; i < n; ++i) {
    const float x = pos(rng), y = pos(rng);
    b[4 * i] = x, b[4 * i + 1] = y, b[4 * i + 2] = x + size(rng), b[4 * i + 3] = y + size(rng);
  }
  return b;
}

template <class T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// Inputs shared (read-only) by every thread.
struct Inputs {
  std::size_t n = 2000, m = 300;
  std::vector<float> a, b, scores;
  std::vector<std::int64_t> classes;
  // COCO: 20 images, 3 categories.
  std::vector<std::int64_t> gt_id, gt_img, gt_cat, dt_id, dt_img, dt_cat;
  std::vector<double> gt_box, gt_area, gt_crowd, dt_box, dt_area, dt_score;
  CocoParams params = CocoParams::defaults(IouType::bbox);
  // Poses: a noisy copy of a random walk.
  std::size_t poses = 500;
  std::vector<double> ref, est, tangents;

  Inputs() {
    a = make_boxes(n, 1, 400), b = make_boxes(m, 2, 400);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(0, 1);
    for (std::size_t i = 0; i < n; ++i) scores.push_back(u(rng)), classes.push_back(static_cast<std::int64_t>(i % 7));
    for (std::int64_t img = 1; img <= 20; ++img) {
      params.img_ids.push_back(img);
      for (int g = 0; g < 6; ++g) {
        const double x = 10.0 * g, y = 5.0 * img;
        gt_id.push_back(static_cast<std::int64_t>(gt_id.size()) + 1), gt_img.push_back(img), gt_cat.push_back(1 + g % 3);
        gt_box.insert(gt_box.end(), {x, y, 20, 30}), gt_area.push_back(600), gt_crowd.push_back(g == 5);
        for (int d = 0; d < 3; ++d) {
          dt_id.push_back(static_cast<std::int64_t>(dt_id.size()) + 1), dt_img.push_back(img);
          dt_cat.push_back(1 + (g + d) % 3);
          dt_box.insert(dt_box.end(), {x + d * 3.0, y + u(rng) * 4, 20, 28}), dt_area.push_back(560);
          dt_score.push_back(u(rng));
        }
      }
    }
    params.cat_ids = {1, 2, 3};
    std::normal_distribution<double> noise(0, 0.01);
    SE3d g;
    for (std::size_t i = 0; i < poses; ++i) {
      SE3d::Tangent xi;
      for (int k = 0; k < 6; ++k) xi[k] = 0.1 * noise(rng) * 10;
      xi[0] += 0.05;
      g = g * SE3d::exp(xi);
      double m16[16];
      detail::se3_to_rowmajor(g, m16);
      ref.insert(ref.end(), m16, m16 + 16);
      m16[3] += noise(rng), m16[7] += noise(rng), m16[11] += noise(rng);
      est.insert(est.end(), m16, m16 + 16);
      for (int k = 0; k < 3; ++k) tangents.push_back(noise(rng) * 100);
    }
  }
  CocoAnnotations gt() const {
    CocoAnnotations v;
    v.size = gt_id.size(), v.id = gt_id.data(), v.image_id = gt_img.data(), v.category_id = gt_cat.data();
    v.bbox = gt_box.data(), v.area = gt_area.data(), v.iscrowd = gt_crowd.data();
    return v;
  }
  CocoAnnotations dt() const {
    CocoAnnotations v;
    v.size = dt_id.size(), v.id = dt_id.data(), v.image_id = dt_img.data(), v.category_id = dt_cat.data();
    v.bbox = dt_box.data(), v.area = dt_area.data(), v.score = dt_score.data();
    return v;
  }
};

// Everything one round computes; compared field by field with the single-threaded baseline.
struct Results {
  std::vector<float> iou, giou, a_max, b_max, soft_scores;
  std::vector<std::int64_t> a_arg, b_arg, keep, batched_keep, soft_keep;
  std::vector<double> precision, recall, ape, rpe, so3;
  double scale = 0;
};

Results run_once(const Inputs& in, int inner_threads, NmsWorkspace<float>& ws) {
  Results r;
  const Parallel par{inner_threads};
  r.iou.resize(in.n * in.m), r.giou.resize(in.n * in.m);
  box_iou(in.a.data(), in.n, in.b.data(), in.m, r.iou.data(), Degenerate::zero, par);
  box_iou_family(IouKind::giou, in.a.data(), in.n, in.b.data(), in.m, r.giou.data(), Degenerate::zero, 1e-7f, par);
  r.a_max.resize(in.n), r.a_arg.resize(in.n), r.b_max.resize(in.m), r.b_arg.resize(in.m);
  box_iou_max(in.a.data(), in.n, in.b.data(), in.m, r.a_max.data(), r.a_arg.data(), r.b_max.data(), r.b_arg.data(),
              Degenerate::zero, par);
  r.keep.resize(in.n);
  r.keep.resize(nms(in.a.data(), in.scores.data(), in.n, 0.5, r.keep.data(), {}, &ws));
  r.batched_keep.resize(in.n);
  r.batched_keep.resize(batched_nms(in.a.data(), in.scores.data(), in.classes.data(), in.n, 0.5,
                                    r.batched_keep.data(), {}, &ws));
  r.soft_keep.resize(in.n), r.soft_scores.resize(in.n);
  SoftNmsParams sp;
  sp.score_threshold = 0.01;
  const std::size_t ks = soft_nms(in.a.data(), in.scores.data(), in.n, r.soft_keep.data(), r.soft_scores.data(), sp);
  r.soft_keep.resize(ks), r.soft_scores.resize(ks);
  const CocoEvaluation ev = coco_evaluate(in.gt(), in.dt(), in.params, par);
  const CocoAccumulation acc = coco_accumulate(ev, nullptr, par);
  r.precision = acc.precision, r.recall = acc.recall;
  std::vector<double> est(in.est);
  const Alignment al = umeyama_alignment(est.data(), in.ref.data(), in.poses, true);
  apply_alignment(est.data(), in.poses, al);
  r.scale = al.s;
  r.ape.resize(in.poses);
  ape_errors(in.ref.data(), est.data(), in.poses, PoseRelation::full, r.ape.data(), par);
  std::vector<std::int64_t> first, second;
  rpe_pairs(est.data(), in.poses, 5, DeltaUnit::frames, true, 0.1, first, second);
  r.rpe.resize(first.size());
  rpe_errors(in.ref.data(), est.data(), first.data(), second.data(), first.size(), PoseRelation::rotation_angle_rad,
             r.rpe.data(), par);
  std::vector<double> R(9 * in.poses);
  so3_exp_batch(in.tangents.data(), in.poses, R.data(), par);
  r.so3.resize(3 * in.poses);
  so3_log_batch(R.data(), in.poses, r.so3.data(), par);
  return r;
}

bool equal(const Results& x, const Results& y) {
  return same(x.iou, y.iou) && same(x.giou, y.giou) && same(x.a_max, y.a_max) && same(x.b_max, y.b_max) &&
         same(x.a_arg, y.a_arg) && same(x.b_arg, y.b_arg) && same(x.keep, y.keep) &&
         same(x.batched_keep, y.batched_keep) && same(x.soft_keep, y.soft_keep) && same(x.soft_scores, y.soft_scores) &&
         same(x.precision, y.precision) && same(x.recall, y.recall) && same(x.ape, y.ape) && same(x.rpe, y.rpe) &&
         same(x.so3, y.so3) && x.scale == y.scale;
}
}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 8;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 6;
  const Inputs in;
  std::vector<std::thread> pool;
  std::atomic<int> failures{0};
  // The baseline is computed by the threads' first round too (the dispatcher's first use races
  // there on purpose); it is compared against a single-threaded run made afterwards.
  std::vector<Results> first(threads);
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      NmsWorkspace<float> ws;  // one per thread
      for (int round = 0; round < rounds; ++round) {
        Results r = run_once(in, 1 + (t + round) % 3, ws);
        if (round == 0) first[t] = std::move(r);
        else if (!equal(r, first[t])) ++failures;
      }
    });
  for (auto& th : pool) th.join();
  NmsWorkspace<float> ws;
  const Results baseline = run_once(in, 1, ws);
  for (int t = 0; t < threads; ++t)
    if (!equal(first[t], baseline)) ++failures;
  std::printf("thread_stress: %d threads x %d rounds, %zu kept by nms, %zu soft, AP cells %zu: %s\n", threads, rounds,
              baseline.keep.size(), baseline.soft_keep.size(), baseline.precision.size(),
              failures ? "MISMATCH" : "ok");
  return failures ? 1 : 0;
}
