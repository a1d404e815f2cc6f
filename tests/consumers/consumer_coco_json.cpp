// docs/eval.md's C++ example as a downstream program: COCO evaluation from the JSON files.
#include <locuskit/eval.hpp>
#include <locuskit/eval/coco_json.hpp>

#include <cmath>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  auto gt = locuskit::load_coco_ground_truth(argv[1]);
  auto dt = locuskit::load_coco_results(argv[2], gt);
  auto p = locuskit::coco_params_for(gt, locuskit::IouType::bbox);
  auto ev = locuskit::coco_evaluate(gt.annotations.view(), dt.view(), p, locuskit::Parallel::all());
  auto acc = locuskit::coco_accumulate(ev);
  auto sum = locuskit::coco_summarize(acc, ev.params);
  // pycocotools 2.0.11 prints AP = 0.505 on this pair (examples/data/coco_val2014_100/README.md).
  std::printf("consumer_coco_json: AP %.3f\n", sum.stats[0]);
  return std::fabs(sum.stats[0] - 0.505) < 5e-4 ? 0 : 1;
}
