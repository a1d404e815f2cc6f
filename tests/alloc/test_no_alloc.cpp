// Allocation counter: proves the documented allocation-free entries (docs/nms.md "Memory and
// threads") make no heap allocation once their workspace and the thread pool are warm.
//
// The global operator new/delete are replaced here (counting every call, on every thread), which
// is why this is its own executable, registered with ctest as cpp_no_alloc_tests.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <locuskit/box/iou.hpp>
#include <locuskit/coder/centernet.hpp>
#include <locuskit/coder/delta_xywh.hpp>
#include <locuskit/coder/yolo.hpp>
#include <locuskit/mot/preprocess.hpp>
#include <locuskit/nms.hpp>
#include <locuskit/parallel.hpp>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {
std::atomic<long> g_allocations{0};

void* counted_alloc(std::size_t size, std::size_t align) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  void* p = align <= alignof(std::max_align_t) ? std::malloc(size)
                                              : std::aligned_alloc(align, (size + align - 1) / align * align);
  if (!p) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n, 0); }
void* operator new[](std::size_t n) { return counted_alloc(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_alloc(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_alloc(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try { return counted_alloc(n, 0); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try { return counted_alloc(n, 0); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace locuskit;

namespace {
/// Allocations made by `f()` (run once before counting to warm workspaces and the pool).
template <class F>
long allocations_after_warmup(F&& f) {
  f();
  f();
  const long before = g_allocations.load();
  for (int r = 0; r < 3; ++r) f();
  return g_allocations.load() - before;
}

/// n xyxy boxes: small boxes scattered over a large scene (so nms uses its grid for n >= 4096).
template <class T>
std::vector<T> scattered_boxes(std::size_t n, std::uint32_t seed, T extent) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pos(0, extent), size(1, extent / 200);
  std::vector<T> b(4 * n);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = pos(rng), y = pos(rng);
    b[4 * i] = T(x), b[4 * i + 1] = T(y), b[4 * i + 2] = T(x + size(rng)), b[4 * i + 3] = T(y + size(rng));
  }
  return b;
}

template <class T>
std::vector<T> uniform(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(0, 1);
  std::vector<T> v(n);
  for (auto& x : v) x = T(d(rng));
  return v;
}
}  // namespace

TEST_CASE("the counter counts (a test that can fail)") {
  const long before = g_allocations.load();
  std::vector<int>* v = new std::vector<int>(10);
  delete v;
  CHECK(g_allocations.load() - before == 2);
}

TEST_CASE("parallel_for: the persistent pool starts no thread and allocates nothing when warm") {
  std::vector<std::size_t> out(1000);
  for (int threads : {2, 4, max_threads * 10}) {
    CAPTURE(threads);
    CHECK(allocations_after_warmup([&] {
      parallel_for(out.size(), 1, Parallel{threads}, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) out[i] = i * i;
      });
    }) == 0);
  }
  CHECK(detail::ThreadPool::instance().size() <= static_cast<std::size_t>(max_threads - 1));
  for (std::size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == i * i);
}

TEST_CASE("parallel_for: exceptions, nesting and concurrent callers") {
  // The lowest failing chunk's exception is rethrown; the pool stays usable afterwards.
  CHECK_THROWS_WITH_AS(parallel_for(100, 1, Parallel{4}, [](std::size_t b, std::size_t) {
                         if (b >= 50) throw std::runtime_error("chunk " + std::to_string(b));
                       }),
                       "chunk 50", std::runtime_error);
  // A parallel_for inside a chunk (and from several threads at once) completes and covers every item.
  std::vector<std::atomic<int>> hits(64 * 64);
  auto nested = [&] {
    parallel_for(64, 1, Parallel{4}, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i)
        parallel_for(64, 1, Parallel{3}, [&](std::size_t b2, std::size_t e2) {
          for (std::size_t j = b2; j < e2; ++j) hits[i * 64 + j].fetch_add(1);
        });
    });
  };
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t) callers.emplace_back(nested);
  for (auto& t : callers) t.join();
  for (auto& h : hits) REQUIRE(h.load() == 3);
}

TEST_CASE_TEMPLATE("NMS family: 0 allocations with a warm workspace", T, float, double) {
  for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(300), std::size_t(6000)}) {
    CAPTURE(n);
    const auto boxes = scattered_boxes<T>(n, 7, T(1000));
    const auto scores = uniform<T>(n, 8);
    std::vector<std::int64_t> classes(n), sparse(n), keep(n);
    for (std::size_t i = 0; i < n; ++i) {
      classes[i] = static_cast<std::int64_t>(i % 7);
      sparse[i] = (i % 2 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max()) +
                  static_cast<std::int64_t>(i % 2 ? i : -static_cast<std::int64_t>(i));
    }
    std::vector<T> kept_scores(n);
    NmsWorkspace<T> ws;
    CHECK(allocations_after_warmup([&] { nms(boxes.data(), scores.data(), n, 0.5, keep.data(), {}, &ws); }) == 0);
    NmsOptions linear;
    linear.use_grid = false;
    CHECK(allocations_after_warmup([&] { nms(boxes.data(), scores.data(), n, 0.5, keep.data(), linear, &ws); }) == 0);
    CHECK(allocations_after_warmup([&] {
      batched_nms(boxes.data(), scores.data(), classes.data(), n, 0.5, keep.data(), {}, &ws);
    }) == 0);
    CHECK(allocations_after_warmup([&] {
      batched_nms(boxes.data(), scores.data(), sparse.data(), n, 0.5, keep.data(), {}, &ws);
    }) == 0);
    if (n > 300) continue;  // the 6000-box case is for nms' grid; the scalar variants are slow under ASan
    for (auto method : {SoftNmsMethod::linear, SoftNmsMethod::gaussian}) {
      SoftNmsParams p;
      p.method = method;
      p.score_threshold = 0.01;
      CHECK(allocations_after_warmup([&] {
        soft_nms(boxes.data(), scores.data(), n, keep.data(), kept_scores.data(), p, &ws);
      }) == 0);
    }
    CHECK(allocations_after_warmup([&] {
      diou_nms(boxes.data(), scores.data(), n, 0.5, 1.0, keep.data(), IouRule::torchvision, &ws);
    }) == 0);
    std::vector<T> fused(4 * n);
    CHECK(allocations_after_warmup([&] {
      weighted_nms(boxes.data(), scores.data(), n, 0.5, keep.data(), fused.data(), IouRule::torchvision, &ws);
    }) == 0);
    CHECK(allocations_after_warmup([&] {
      fast_nms(boxes.data(), scores.data(), n, 0.5, keep.data(), 200, IouRule::torchvision, &ws);
    }) == 0);
    CHECK(allocations_after_warmup([&] {
      cluster_nms(boxes.data(), scores.data(), n, 0.5, keep.data(), 200, IouRule::torchvision, nullptr, &ws);
    }) == 0);
    MatrixNmsParams mp;
    mp.filter_threshold = 0.1;
    CHECK(allocations_after_warmup([&] {
      matrix_nms(boxes.data(), scores.data(), classes.data(), n, keep.data(), kept_scores.data(), mp, &ws);
    }) == 0);
    // Weighted boxes fusion over 3 models on boxes normalised to [0, 1].
    std::vector<T> unit_boxes(boxes.size()), weights{T(1), T(2), T(0.5)}, wbf_boxes(4 * n), wbf_scores(n);
    for (std::size_t i = 0; i < boxes.size(); ++i) unit_boxes[i] = boxes[i] / T(1100);
    std::vector<std::int64_t> models(n), wbf_labels(n);
    for (std::size_t i = 0; i < n; ++i) models[i] = static_cast<std::int64_t>(i % 3);
    WbfWorkspace<T> wbf_ws;
    for (auto conf : {WbfConfType::avg, WbfConfType::box_and_model_avg}) {
      WbfParams wp;
      wp.conf_type = conf;
      CHECK(allocations_after_warmup([&] {
        weighted_boxes_fusion(unit_boxes.data(), scores.data(), classes.data(), models.data(), n, weights.data(),
                              std::size_t(3), wbf_boxes.data(), wbf_scores.data(), wbf_labels.data(), wp, &wbf_ws);
      }) == 0);
    }
  }
}

TEST_CASE_TEMPLATE("multiclass_nms: 0 allocations with a warm workspace, on 1 and 4 threads", T, float, double) {
  const std::size_t B = 6, N = 500, C = 5, K = 50;
  std::vector<T> boxes;
  for (std::size_t b = 0; b < B; ++b) {
    const auto bb = scattered_boxes<T>(N * C, 11 + std::uint32_t(b), T(100));
    boxes.insert(boxes.end(), bb.begin(), bb.end());
  }
  const auto scores = uniform<T>(B * N * C, 3);
  std::vector<T> ob(B * K * 4), os(B * K);
  std::vector<std::int32_t> oc(B * K), cnt(B);
  std::vector<std::int64_t> oi(B * K);
  MulticlassNmsWorkspace<T> ws;
  for (int threads : {1, 4}) {
    for (bool per_class : {false, true})
      for (bool agnostic : {false, true}) {
        CAPTURE(threads);
        CAPTURE(per_class);
        CAPTURE(agnostic);
        MulticlassNmsParams p;
        p.score_threshold = 0.3;
        p.max_total = K;
        p.class_agnostic = agnostic;
        CHECK(allocations_after_warmup([&] {
          multiclass_nms(boxes.data(), per_class, scores.data(), B, N, C, p, ob.data(), os.data(), oc.data(),
                         oi.data(), cnt.data(), Parallel{threads}, &ws);
        }) == 0);
      }
  }
}

TEST_CASE("box_iou and box_coder_decode: 0 allocations (outputs are the caller's)") {
  const std::size_t n = 400, m = 700;
  const auto a = scattered_boxes<float>(n, 1, 100.f), b = scattered_boxes<float>(m, 2, 100.f);
  std::vector<float> iou(n * m), deltas = uniform<float>(4 * m, 5), out(4 * m);
  for (int threads : {1, 4}) {
    CHECK(allocations_after_warmup([&] {
      box_iou(a.data(), n, b.data(), m, iou.data(), Degenerate::zero, Parallel{threads});
    }) == 0);
    CHECK(allocations_after_warmup([&] {
      box_coder_decode(deltas.data(), b.data(), m, 1, out.data(), DeltaWeights{}, default_scale_clamp,
                       Parallel{threads});
    }) == 0);
  }
}

TEST_CASE("yolov8_decode: 0 allocations for reg_max <= 64") {
  const std::size_t reg_max = 16, classes = 3, h = 8, w = 10;
  const auto raw = uniform<float>((4 * reg_max + classes) * h * w, 9);
  std::vector<float> boxes(4 * h * w), scores(classes * h * w);
  CHECK(allocations_after_warmup([&] {
    yolov8_decode(raw.data(), reg_max, classes, h, w, 8.0, boxes.data(), scores.data());
  }) == 0);
}

TEST_CASE("centernet_decode: 0 allocations with a warm workspace") {
  const std::size_t classes = 4, h = 16, w = 20, k = 50;
  const auto heat = uniform<float>(classes * h * w, 12), wh = uniform<float>(2 * h * w, 13),
             offset = uniform<float>(2 * h * w, 14);
  std::vector<float> boxes(4 * k), scores(k);
  std::vector<std::int64_t> cls(k);
  CenterNetWorkspace<float> ws;
  CHECK(allocations_after_warmup([&] {
    centernet_decode(heat.data(), classes, h, w, wh.data(), offset.data(), k, 4.0, boxes.data(), scores.data(),
                     cls.data(), &ws);
  }) == 0);
}

TEST_CASE("preprocess_mot_sequence: 0 allocations against a prepared GT with a warm scratch and output") {
  // 40 frames of pedestrians, distractors (class 7, 12) and zero-marked rows, tracker boxes on
  // many of them (assignments run, boxes are removed).
  std::mt19937 rng(3);
  std::string gt_text, trk_text;
  for (int f = 1; f <= 40; ++f)
    for (int k = 1; k <= 12; ++k) {
      const int x = static_cast<int>(rng() % 400), cls = k % 5 == 0 ? 7 : k % 7 == 0 ? 12 : 1;
      gt_text += std::to_string(f) + "," + std::to_string(k) + "," + std::to_string(x) + ",10,30,80," +
                 (k % 6 == 0 ? "0" : "1") + "," + std::to_string(cls) + ",1\n";
      if (rng() % 3 != 0)
        trk_text += std::to_string(f) + "," + std::to_string(k) + "," + std::to_string(x + static_cast<int>(rng() % 9)) +
                    ",12,30,80,1,-1,-1,-1\n";
    }
  const MotRows gt = parse_mot(gt_text, MotFileKind::ground_truth, "gt");
  const MotRows trk = parse_mot(trk_text, MotFileKind::tracker, "trk");
  const MotPreparedGt prepared(gt, 40);
  MotPreprocessScratch scratch;
  MotSequenceData out;
  CHECK(allocations_after_warmup([&] { preprocess_mot_sequence(prepared, trk, out, scratch, "trk"); }) == 0);
  CHECK(out.num_tracker_dets < static_cast<std::int64_t>(trk.size()));  // something was removed
  CHECK(out.overlap_iou.size() > 100);
  // A prepared GT refilled in place (as evaluate_mot_files does per thread), sharing the scratch:
  // no allocation once warm either.
  MotPreparedGt refilled;
  const MotPreprocessOptions options;
  const std::string name = "gt";
  CHECK(allocations_after_warmup([&] {
    refilled.assign(gt, 40, options, name, scratch);
    preprocess_mot_sequence(refilled, trk, out, scratch, "trk");
  }) == 0);
  CHECK(refilled.kept_rows == prepared.kept_rows);
}
