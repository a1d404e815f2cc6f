// Faster R-CNN post-processing, as torchvision's RPN + RoIHeads do it at inference:
//   RPN:   anchors on the feature map, decode the RPN deltas (weights 1,1,1,1), clip to the image,
//          drop small boxes, NMS (0.7) -> proposals;
//   heads: decode the per-class deltas against the proposals (weights 10,10,5,5), clip, softmax
//          scores, drop background and low scores, per-class (batched) NMS (0.5) -> detections.
// The network outputs are synthetic (no model is bundled): two objects, each hit by several anchors.
//
// Build: part of `cmake --preset dev` (LOCUSKIT_BUILD_EXAMPLES=ON), or alone with
//   g++ -std=c++17 -O2 -I<locuskit>/include $(pkg-config --cflags eigen3) faster_rcnn_postprocess.cpp -pthread
#include <locuskit/anchor/grid_anchors.hpp>
#include <locuskit/box/clip.hpp>
#include <locuskit/box/filter.hpp>
#include <locuskit/coder/delta_xywh.hpp>
#include <locuskit/nms/batched_nms.hpp>
#include <locuskit/nms/nms.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace {

constexpr float kHeight = 480, kWidth = 640;
constexpr std::size_t kStride = 16, kGridH = 30, kGridW = 40, kClasses = 4;  // class 0: background

struct Object {
  float x1, y1, x2, y2;
  std::size_t cls;
};

// torchvision's BoxCoder.encode for one pair (what a trained network would have predicted).
void encode(const float* anchor, const Object& o, const double w[4], float* d) {
  const double aw = anchor[2] - anchor[0], ah = anchor[3] - anchor[1];
  const double acx = anchor[0] + 0.5 * aw, acy = anchor[1] + 0.5 * ah;
  const double gw = o.x2 - o.x1, gh = o.y2 - o.y1, gcx = o.x1 + 0.5 * gw, gcy = o.y1 + 0.5 * gh;
  d[0] = static_cast<float>(w[0] * (gcx - acx) / aw);
  d[1] = static_cast<float>(w[1] * (gcy - acy) / ah);
  d[2] = static_cast<float>(w[2] * std::log(gw / aw));
  d[3] = static_cast<float>(w[3] * std::log(gh / ah));
}

double iou(const float* a, const Object& o) {
  const double iw = std::max(0.0, double(std::min(a[2], o.x2)) - std::max(a[0], o.x1));
  const double ih = std::max(0.0, double(std::min(a[3], o.y2)) - std::max(a[1], o.y1));
  const double inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (o.x2 - o.x1) * (o.y2 - o.y1) - inter);
}

}  // namespace

int main() {
  const Object objects[2] = {{96, 80, 256, 240, 1}, {360, 200, 560, 330, 3}};

  // ---- RPN. Cell anchors: sizes {64, 128}, aspect ratios {0.5, 1, 2}, tiled with stride 16.
  const double sizes[2] = {64, 128}, ratios[3] = {0.5, 1, 2};
  const std::size_t n_cell = 6;
  float cell[4 * n_cell];
  locuskit::cell_anchors_torchvision(sizes, 2, ratios, 3, cell);
  const std::size_t n = locuskit::num_grid_anchors(n_cell, kGridH, kGridW);
  std::vector<float> anchors(4 * n);
  locuskit::grid_anchors(cell, n_cell, kGridH, kGridW, kStride, kStride, 0.0, anchors.data());

  // Synthetic RPN output: anchors overlapping an object (IoU > 0.4) regress onto it, up to a
  // deterministic error of up to +-32 px (so several proposals survive the RPN's NMS), with an
  // objectness that grows with the overlap; all others are background with zero deltas.
  const double rpn_w[4] = {1, 1, 1, 1};
  std::vector<float> deltas(4 * n, 0.0f), objectness(n, 0.01f);
  for (std::size_t i = 0; i < n; ++i)
    for (const Object& o : objects) {
      const double v = iou(&anchors[4 * i], o);
      if (v > 0.4) {
        const auto ex = static_cast<float>(static_cast<int>((7 * i) % 9) - 4) * 8;
        const auto ey = static_cast<float>(static_cast<int>((5 * i) % 7) - 3) * 8;
        const Object rough{o.x1 + ex, o.y1 + ey, o.x2 + ex, o.y2 + ey, o.cls};
        encode(&anchors[4 * i], rough, rpn_w, &deltas[4 * i]);
        objectness[i] = static_cast<float>(v);
      }
    }

  std::vector<float> proposals(4 * n);
  locuskit::box_coder_decode(deltas.data(), anchors.data(), n, 1, proposals.data());
  locuskit::clip_boxes_to_image(proposals.data(), n, kHeight, kWidth, proposals.data());
  std::vector<std::int64_t> big(n);
  const std::size_t n_big = locuskit::remove_small_boxes(proposals.data(), n, 1e-3f, big.data());
  std::vector<float> cand(4 * n_big), cand_scores(n_big);
  for (std::size_t j = 0; j < n_big; ++j) {
    const auto i = static_cast<std::size_t>(big[j]);
    std::copy_n(&proposals[4 * i], 4, &cand[4 * j]);
    cand_scores[j] = objectness[i];
  }
  locuskit::NmsOptions rpn_opts;
  rpn_opts.max_output = 1000;  // post_nms_top_n
  std::vector<std::int64_t> keep(n_big);
  const std::size_t n_prop = locuskit::nms(cand.data(), cand_scores.data(), n_big, 0.7, keep.data(), rpn_opts);
  std::printf("RPN: %zu anchors -> %zu proposals\n", n, n_prop);

  // ---- Box head. Synthetic per-class deltas and class logits for each proposal: the class of
  // the object it overlaps most, refined onto that object.
  const double head_w[4] = {10, 10, 5, 5};
  std::vector<float> rois(4 * n_prop), head_deltas(4 * kClasses * n_prop, 0.0f), logits(kClasses * n_prop, -4.0f);
  for (std::size_t p = 0; p < n_prop; ++p) {
    std::copy_n(&cand[4 * static_cast<std::size_t>(keep[p])], 4, &rois[4 * p]);
    logits[kClasses * p] = 2.0f;  // background
    for (const Object& o : objects) {
      const double v = iou(&rois[4 * p], o);
      if (v > 0.5) {
        encode(&rois[4 * p], o, head_w, &head_deltas[4 * (kClasses * p + o.cls)]);
        logits[kClasses * p + o.cls] = static_cast<float>(8 * v);
      }
    }
  }
  std::vector<float> det(4 * kClasses * n_prop);
  locuskit::box_coder_decode(head_deltas.data(), rois.data(), n_prop, kClasses, det.data(),
                             {head_w[0], head_w[1], head_w[2], head_w[3]});
  locuskit::clip_boxes_to_image(det.data(), kClasses * n_prop, kHeight, kWidth, det.data());

  // Softmax scores; every (proposal, foreground class) pair with score > 0.05 is a candidate.
  std::vector<float> boxes, scores;
  std::vector<std::int64_t> labels;
  for (std::size_t p = 0; p < n_prop; ++p) {
    const float* z = &logits[kClasses * p];
    const float zmax = *std::max_element(z, z + kClasses);
    double sum = 0;
    for (std::size_t c = 0; c < kClasses; ++c) sum += std::exp(static_cast<double>(z[c] - zmax));
    for (std::size_t c = 1; c < kClasses; ++c) {
      const auto s = static_cast<float>(std::exp(static_cast<double>(z[c] - zmax)) / sum);
      if (s <= 0.05f) continue;
      boxes.insert(boxes.end(), &det[4 * (kClasses * p + c)], &det[4 * (kClasses * p + c)] + 4);
      scores.push_back(s);
      labels.push_back(static_cast<std::int64_t>(c));
    }
  }
  std::vector<std::int64_t> kept(scores.size());
  const std::size_t n_det =
      locuskit::batched_nms(boxes.data(), scores.data(), labels.data(), scores.size(), 0.5, kept.data());
  std::printf("box head: %zu candidates -> %zu detections\n", scores.size(), n_det);
  int matched = 0;
  for (std::size_t k = 0; k < n_det; ++k) {
    const auto i = static_cast<std::size_t>(kept[k]);
    const float* b = &boxes[4 * i];
    std::printf("  class %lld  score %.3f  box [%.1f %.1f %.1f %.1f]\n", static_cast<long long>(labels[i]),
                static_cast<double>(scores[i]), static_cast<double>(b[0]), static_cast<double>(b[1]),
                static_cast<double>(b[2]), static_cast<double>(b[3]));
    for (const Object& o : objects)
      if (static_cast<std::size_t>(labels[i]) == o.cls && iou(b, o) > 0.99) ++matched;
  }
  if (n_det != 2 || matched != 2) {
    std::printf("expected the 2 planted objects, got %zu detections (%d matched)\n", n_det, matched);
    return 1;
  }
  return 0;
}
