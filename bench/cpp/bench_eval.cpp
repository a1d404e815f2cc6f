// COCO evaluate + accumulate on an in-memory synthetic set shaped like COCO val2017
// (5000 images, 80 categories, ~7 GT and 100 results per image), 1 and 2 threads.
// Peer comparison (pycocotools, faster-coco-eval) lives in bench/python/bench_eval.py.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include <locuskit/eval.hpp>

namespace {

struct Data {
  std::vector<std::int64_t> gid, gimg, gcat, did, dimg, dcat;
  std::vector<double> gbox, garea, gcrowd, dbox, darea, dscore;
  locuskit::CocoAnnotations gt, dt;
  locuskit::CocoParams params = locuskit::CocoParams::defaults(locuskit::IouType::bbox);
};

const Data& data() {
  static Data d = [] {
    Data x;
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    const int images = 5000, cats = 80;
    for (int c = 1; c <= cats; ++c) x.params.cat_ids.push_back(c);
    for (int i = 0; i < images; ++i) {
      x.params.img_ids.push_back(i + 1);
      const int ng = 1 + int(u(rng) * 13);
      std::vector<std::array<double, 5>> objs;
      for (int g = 0; g < ng; ++g) {
        const double w = 4 + u(rng) * 200, h = 4 + u(rng) * 200, bx = u(rng) * 400, by = u(rng) * 400;
        const int c = 1 + int(std::pow(u(rng), 2) * cats);
        objs.push_back({bx, by, w, h, double(c)});
        x.gid.push_back(x.gid.size() + 1), x.gimg.push_back(i + 1), x.gcat.push_back(c);
        x.gbox.insert(x.gbox.end(), {bx, by, w, h});
        x.garea.push_back(w * h * 0.8), x.gcrowd.push_back(u(rng) < 0.01);
      }
      for (int k = 0; k < 100; ++k) {
        const auto& o = objs[k % objs.size()];
        const double j = k < 2 * ng ? 0.1 : 1.0;
        const double bx = o[0] + (u(rng) - 0.5) * o[2] * j, by = o[1] + (u(rng) - 0.5) * o[3] * j;
        const double w = o[2] * (1 + (u(rng) - 0.5) * j), h = o[3] * (1 + (u(rng) - 0.5) * j);
        const int c = u(rng) < 0.8 ? int(o[4]) : 1 + int(u(rng) * cats);
        x.did.push_back(x.did.size() + 1), x.dimg.push_back(i + 1), x.dcat.push_back(c);
        x.dbox.insert(x.dbox.end(), {bx, by, w, h});
        x.darea.push_back(w * h), x.dscore.push_back(std::round(u(rng) * 100) / 100);
      }
    }
    x.gt = {x.gid.size(), x.gid.data(), x.gimg.data(), x.gcat.data(), x.gbox.data(), x.garea.data(), x.gcrowd.data()};
    x.dt = {x.did.size(), x.did.data(), x.dimg.data(), x.dcat.data(), x.dbox.data(), x.darea.data(), nullptr,
            x.dscore.data()};
    return x;
  }();
  return d;
}

void BM_coco_evaluate_accumulate(benchmark::State& state) {
  const Data& d = data();
  const locuskit::Parallel par{static_cast<int>(state.range(0))};
  for (auto _ : state) {
    auto ev = locuskit::coco_evaluate(d.gt, d.dt, d.params, par);
    auto acc = locuskit::coco_accumulate(ev, nullptr, par);
    benchmark::DoNotOptimize(acc.precision.data());
  }
  state.counters["results"] = static_cast<double>(d.dt.size);
}
BENCHMARK(BM_coco_evaluate_accumulate)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_coco_evaluate(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) benchmark::DoNotOptimize(locuskit::coco_evaluate(d.gt, d.dt, d.params).dt_state.data());
}
BENCHMARK(BM_coco_evaluate)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
