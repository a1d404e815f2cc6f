// Fuzz target for the KITTI label_2 parser and the KITTI 3D evaluation: the input is split at the
// first NUL byte into a ground-truth file and a detection file; each either parses or throws
// parse_error (never anything else); parsed arrays have consistent sizes; evaluating the
// detections against the ground truth gives APs in [0, 100] or NaN. NaN is OpenPCDet's own answer
// where a precision is 0/0 at a recall threshold (any metric, e.g. corpus/known-nan-ap-bev, checked
// against the peer in test_box3d_kitti_eval.py), and AOS is NaN throughout without alphas.
#include <cmath>
#include <cstdint>
#include <string_view>

#include <locuskit/box3d/kitti_eval.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace locuskit;
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const std::size_t cut = all.find('\0');
  const std::string_view gt_text = all.substr(0, cut);
  const std::string_view det_text = cut == std::string_view::npos ? std::string_view() : all.substr(cut + 1);
  KittiObjects gt, det;
  try {
    parse_kitti_label(gt_text, "gt.txt", gt);
    parse_kitti_label(det_text, "det.txt", det);
  } catch (const parse_error&) {
    return 0;
  }
  for (const KittiObjects* o : {&gt, &det}) {
    const std::size_t n = o->size();
    FUZZ_CHECK(o->frames() == 1 && o->frame_begin[1] == n, "frame offsets");
    FUZZ_CHECK(o->cls.size() == n && o->bbox.size() == 4 * n && o->dimensions.size() == 3 * n &&
                   o->location.size() == 3 * n && o->score.size() == n && o->rotation_y.size() == n,
               "array sizes for %zu objects", n);
  }
  const Kitti3dResult r = evaluate_kitti3d(gt, det, {}, Parallel{2});
  for (std::size_t i = 0; i < r.ap11.size(); ++i) {
    for (const double v : {r.ap11[i], r.ap40[i]}) {
      if (!std::isnan(v)) FUZZ_CHECK(v >= 0 && v <= 100 + 1e-9, "AP %g out of range at %zu", v, i);
    }
  }
  return 0;
}
