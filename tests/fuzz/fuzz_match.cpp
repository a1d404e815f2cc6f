// Differential fuzz target for the fused box matchers against the dense matchers on the scalar
// oracle's IoU matrix, as their contracts state:
//   match_boxes(gt, preds, ...)        == matcher_dense(reference::box_iou(gt, preds), ...)
//   match_boxes_labels(gt, preds, ...) == matcher_labels_dense(reference::box_iou(gt, preds), ...)
// Coordinates are finite and moderate here (|v| <= 2^20): the Python layer rejects NaN/Inf boxes,
// and an IoU that overflows to NaN is ordered differently by torch.max (dense) and the fused pass.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <locuskit/box.hpp>
#include <locuskit/match.hpp>

#include "fuzz_support.hpp"

namespace {
using namespace locuskit;

template <class T>
std::vector<T> finite_boxes(FuzzedDataProvider& in, std::size_t n) {
  std::vector<T> b = fuzz::boxes<T>(in, n);
  for (std::size_t i = 0; i < n; ++i) {
    T* q = b.data() + 4 * i;
    for (int c = 0; c < 4; ++c)
      if (!std::isfinite(q[c]) || std::fabs(q[c]) > T(1 << 20)) q[c] = T(0);
    if (q[2] < q[0]) std::swap(q[0], q[2]);
    if (q[3] < q[1]) std::swap(q[1], q[3]);
  }
  return b;
}

template <class T>
void run(FuzzedDataProvider& in) {
  const std::size_t m = in.ConsumeIntegralInRange<std::size_t>(0, 24);
  const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 300);
  const std::vector<T> gt = finite_boxes<T>(in, m), preds = finite_boxes<T>(in, n);
  const double high = fuzz::threshold(in), low = in.ConsumeBool() ? high : fuzz::threshold(in);
  const bool low_quality = in.ConsumeBool();
  const int threads = in.ConsumeBool() ? 1 : 3;

  std::vector<T> iou(m * n);
  reference::box_iou(gt.data(), m, preds.data(), n, iou.data(), Degenerate::zero);

  std::vector<std::int64_t> want(n), got(n);
  std::vector<T> want_v(n), got_v(n);
  bool threw_dense = false, threw_fused = false;
  try {
    matcher_dense(iou.data(), m, n, high, low, low_quality, want.data(), want_v.data());
  } catch (const std::invalid_argument&) {
    threw_dense = true;
  }
  try {
    match_boxes(gt.data(), m, preds.data(), n, high, low, low_quality, got.data(), got_v.data(), Parallel{threads});
  } catch (const std::invalid_argument&) {
    threw_fused = true;
  }
  FUZZ_CHECK(threw_dense == threw_fused, "match_boxes threw %d, matcher_dense threw %d (high %g, low %g)", threw_fused,
             threw_dense, high, low);
  if (!threw_dense)
    for (std::size_t p = 0; p < n; ++p)
      FUZZ_CHECK(got[p] == want[p] && fuzz::same_value(got_v[p], want_v[p]),
                 "match_boxes[%zu] = (%lld, %.17g), matcher_dense (%lld, %.17g) (m %zu, high %g, low %g, lq %d)", p,
                 static_cast<long long>(got[p]), static_cast<double>(got_v[p]), static_cast<long long>(want[p]),
                 static_cast<double>(want_v[p]), m, high, low, low_quality);

  // detectron2 flavour: thresholds ascending, labels in {-1, 0, 1}.
  const std::size_t k = in.ConsumeIntegralInRange<std::size_t>(1, 3);
  std::vector<double> thr(k);
  for (auto& t : thr) t = fuzz::threshold(in);
  std::sort(thr.begin(), thr.end());
  std::vector<std::int8_t> labels(k + 1);
  for (auto& l : labels) l = static_cast<std::int8_t>(in.ConsumeIntegralInRange<int>(-1, 1));
  std::vector<std::int8_t> want_l(n), got_l(n);
  threw_dense = threw_fused = false;
  try {
    matcher_labels_dense(iou.data(), m, n, thr.data(), k, labels.data(), low_quality, want.data(), want_l.data());
  } catch (const std::invalid_argument&) {
    threw_dense = true;
  }
  try {
    match_boxes_labels(gt.data(), m, preds.data(), n, thr.data(), k, labels.data(), low_quality, got.data(),
                       got_l.data(), Parallel{threads});
  } catch (const std::invalid_argument&) {
    threw_fused = true;
  }
  FUZZ_CHECK(threw_dense == threw_fused, "match_boxes_labels threw %d, matcher_labels_dense threw %d", threw_fused,
             threw_dense);
  if (!threw_dense)
    for (std::size_t p = 0; p < n; ++p)
      FUZZ_CHECK(got[p] == want[p] && got_l[p] == want_l[p],
                 "match_boxes_labels[%zu] = (%lld, %d), matcher_labels_dense (%lld, %d)", p,
                 static_cast<long long>(got[p]), got_l[p], static_cast<long long>(want[p]), want_l[p]);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  locuskit::fuzz::pick_arch(in);
  if (in.ConsumeBool()) run<float>(in);
  else run<double>(in);
  return 0;
}
