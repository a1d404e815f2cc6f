// A downstream program: includes the umbrella header and checks one IoU by hand.
#include <locuskit/locuskit.hpp>

#include <cstdio>

int main() {
  const float a[4] = {0, 0, 10, 10};
  const float b[4] = {5, 0, 15, 10};
  float iou = -1;
  locuskit::box_iou(a, 1, b, 1, &iou);
  // Intersection 50, union 150.
  if (iou != 50.0f / 150.0f) {
    std::printf("unexpected IoU %.9g\n", iou);
    return 1;
  }
  std::printf("locuskit %s consumer ok: IoU %.6f\n", LOCUSKIT_VERSION_STRING, iou);
  return 0;
}
