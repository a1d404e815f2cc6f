// YOLOv8 post-processing on a detection head's raw output: DFL decode of the box distances,
// anchor points, distance -> xyxy, sigmoid class scores, then multi-class NMS into fixed-size
// outputs (the layout of TensorRT's EfficientNMS). The head output is synthetic (no model is
// bundled): three objects, each seen by a 3x3 block of anchor points (the duplicates NMS removes).
//
// Build: part of `cmake --preset dev` (LOCUSKIT_BUILD_EXAMPLES=ON), or alone with
//   g++ -std=c++17 -O2 -I<locuskit>/include $(pkg-config --cflags eigen3) yolov8_postprocess.cpp -pthread
#include <locuskit/anchor/grid_anchors.hpp>
#include <locuskit/coder/distance.hpp>
#include <locuskit/nms/multiclass_nms.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace {

constexpr std::size_t kImage = 640, kClasses = 80, kRegMax = 16;
constexpr double kStrides[3] = {8, 16, 32};

struct Object {
  double x1, y1, x2, y2;
  int cls;
};

// One anchor point's raw head output: 4 x kRegMax DFL logits, then kClasses class logits.
struct Head {
  std::size_t n = 0;                // anchor points over the three levels (8400 for 640x640)
  std::vector<float> points;        // (n, 2) anchor centres in pixels
  std::vector<float> point_stride;  // (n,)
  std::vector<float> dfl;           // (n, 4, kRegMax)
  std::vector<float> cls;           // (n, kClasses)
};

Head make_points() {
  Head h;
  for (double s : kStrides) {
    const std::size_t g = kImage / static_cast<std::size_t>(s);
    std::vector<float> pts(2 * g * g);
    locuskit::grid_points(g, g, s, s, 0.5, pts.data());  // YOLOv8: cell centres
    h.points.insert(h.points.end(), pts.begin(), pts.end());
    h.point_stride.insert(h.point_stride.end(), g * g, static_cast<float>(s));
    h.n += g * g;
  }
  h.dfl.assign(h.n * 4 * kRegMax, -8.0f);
  h.cls.assign(h.n * kClasses, -9.0f);  // sigmoid(-9) ~ 1e-4: background
  return h;
}

// Writes logits whose DFL expectation is distance d (in stride units): two adjacent bins.
void put_distance(float* bins, double d) {
  const auto lo = static_cast<std::size_t>(d);
  const double frac = d - static_cast<double>(lo);
  bins[lo] = static_cast<float>(std::log(1.0 - frac + 1e-6) + 8.0);
  if (lo + 1 < kRegMax) bins[lo + 1] = static_cast<float>(std::log(frac + 1e-6) + 8.0);
}

// Plants `o` at the stride-16 level: the 3x3 points around its centre predict it; the centre one
// most confidently.
void plant(Head& h, const Object& o) {
  const std::size_t level_begin = (kImage / 8) * (kImage / 8), g = kImage / 16;
  const auto cx = static_cast<std::size_t>((o.x1 + o.x2) / 2 / 16);
  const auto cy = static_cast<std::size_t>((o.y1 + o.y2) / 2 / 16);
  for (std::size_t y = cy - 1; y <= cy + 1; ++y)
    for (std::size_t x = cx - 1; x <= cx + 1; ++x) {
      const std::size_t i = level_begin + y * g + x;
      const double px = h.points[2 * i], py = h.points[2 * i + 1];
      const double d[4] = {(px - o.x1) / 16, (py - o.y1) / 16, (o.x2 - px) / 16, (o.y2 - py) / 16};
      for (std::size_t side = 0; side < 4; ++side) {
        float* bins = &h.dfl[(i * 4 + side) * kRegMax];
        for (std::size_t b = 0; b < kRegMax; ++b) bins[b] = -8.0f;
        put_distance(bins, d[side]);
      }
      const bool centre = x == cx && y == cy;
      h.cls[i * kClasses + static_cast<std::size_t>(o.cls)] = centre ? 3.0f : 1.0f;
    }
}

}  // namespace

int main() {
  Head h = make_points();
  const Object objects[3] = {{100, 120, 260, 300, 0}, {300, 200, 420, 330, 16}, {420, 80, 600, 240, 2}};
  for (const Object& o : objects) plant(h, o);

  // 1. DFL: each side's distance is the softmax expectation over kRegMax bins, times the stride.
  std::vector<float> distances(4 * h.n);
  for (std::size_t i = 0; i < h.n; ++i)
    for (std::size_t side = 0; side < 4; ++side) {
      const float* bins = &h.dfl[(i * 4 + side) * kRegMax];
      double z = 0, e = 0;
      for (std::size_t b = 0; b < kRegMax; ++b) {
        const double p = std::exp(static_cast<double>(bins[b]));
        z += p;
        e += p * static_cast<double>(b);
      }
      distances[4 * i + side] = static_cast<float>(e / z) * h.point_stride[i];
    }
  // 2. (l, t, r, b) around each anchor point -> xyxy, clipped to the image.
  std::vector<float> boxes(4 * h.n);
  locuskit::distance_decode(h.points.data(), distances.data(), h.n, boxes.data(), kImage, kImage);
  // 3. Class scores: sigmoid of the logits.
  std::vector<float> scores(h.n * kClasses);
  for (std::size_t j = 0; j < scores.size(); ++j) scores[j] = 1.0f / (1.0f + std::exp(-h.cls[j]));

  // 4. Multi-class NMS, batch of one image: at most 100 detections, IoU 0.7, score > 0.25.
  locuskit::MulticlassNmsParams params;
  params.score_threshold = 0.25;
  params.iou_threshold = 0.7;
  params.max_total = 100;
  std::vector<float> out_boxes(4 * params.max_total), out_scores(params.max_total);
  std::vector<std::int32_t> out_classes(params.max_total), count(1);
  std::vector<std::int64_t> out_indices(params.max_total);
  locuskit::multiclass_nms(boxes.data(), false, scores.data(), 1, h.n, kClasses, params, out_boxes.data(),
                           out_scores.data(), out_classes.data(), out_indices.data(), count.data());

  std::printf("%zu anchor points, %d detections\n", h.n, count[0]);
  int matched = 0;
  for (int k = 0; k < count[0]; ++k) {
    const float* b = &out_boxes[4 * static_cast<std::size_t>(k)];
    std::printf("  class %2d  score %.3f  box [%.1f %.1f %.1f %.1f]\n", out_classes[static_cast<std::size_t>(k)],
                static_cast<double>(out_scores[static_cast<std::size_t>(k)]), static_cast<double>(b[0]),
                static_cast<double>(b[1]), static_cast<double>(b[2]), static_cast<double>(b[3]));
    for (const Object& o : objects)
      if (o.cls == out_classes[static_cast<std::size_t>(k)] && std::fabs(b[0] - o.x1) < 1 &&
          std::fabs(b[1] - o.y1) < 1 && std::fabs(b[2] - o.x2) < 1 && std::fabs(b[3] - o.y2) < 1)
        ++matched;
  }
  // Each object once (its 8 weaker duplicates suppressed), at its planted box.
  if (count[0] != 3 || matched != 3) {
    std::printf("expected the 3 planted objects, got %d detections (%d matched)\n", count[0], matched);
    return 1;
  }
  return 0;
}
