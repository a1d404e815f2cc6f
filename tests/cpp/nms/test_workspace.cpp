// nms/workspace.hpp: one opaque workspace reused across sizes and variants gives the results of a
// fresh one; it only grows.
#include <locuskit/nms.hpp>

#include <cstdint>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE_TEMPLATE("NmsWorkspace: reserve/capacity, and a reused workspace equals a fresh one", T, float, double) {
  NmsWorkspace<T> ws;
  CHECK(ws.capacity() == 0);
  ws.reserve(100);
  CHECK(ws.capacity() == 100);
  ws.reserve(10);  // never shrinks
  CHECK(ws.capacity() == 100);
  CHECK(NmsWorkspace<T>(7).capacity() == 7);
  for (std::size_t n : {5000u, 300u, 17u, 0u, 1200u}) {  // large first: stale data in the buffers
    CAPTURE(n);
    const auto boxes = test::random_boxes<T>(n, std::uint32_t(n + 1));
    std::vector<T> scores(n), out(n), out_fresh(n), fused(4 * n), fused_fresh(4 * n);
    std::vector<std::int64_t> classes(n), a(n), b(n);
    for (std::size_t i = 0; i < n; ++i) scores[i] = T((i * 7) % 19) / T(19), classes[i] = std::int64_t(i % 4);
    auto same = [&](std::size_t ka, std::size_t kb) {
      REQUIRE(ka == kb);
      for (std::size_t i = 0; i < ka; ++i) CHECK(a[i] == b[i]);
    };
    same(nms(boxes.data(), scores.data(), n, 0.5, a.data(), {}, &ws), nms(boxes.data(), scores.data(), n, 0.5, b.data()));
    same(batched_nms(boxes.data(), scores.data(), classes.data(), n, 0.5, a.data(), {}, &ws),
         batched_nms(boxes.data(), scores.data(), classes.data(), n, 0.5, b.data()));
    SoftNmsParams sp;
    sp.score_threshold = 0.1;
    same(soft_nms(boxes.data(), scores.data(), n, a.data(), out.data(), sp, &ws),
         soft_nms(boxes.data(), scores.data(), n, b.data(), out_fresh.data(), sp));
    same(diou_nms(boxes.data(), scores.data(), n, 0.5, 1.0, a.data(), IouRule::torchvision, &ws),
         diou_nms(boxes.data(), scores.data(), n, 0.5, 1.0, b.data()));
    same(weighted_nms(boxes.data(), scores.data(), n, 0.5, a.data(), fused.data(), IouRule::torchvision, &ws),
         weighted_nms(boxes.data(), scores.data(), n, 0.5, b.data(), fused_fresh.data()));
    same(cluster_nms(boxes.data(), scores.data(), n, 0.5, a.data(), 300, IouRule::torchvision, nullptr, &ws),
         cluster_nms(boxes.data(), scores.data(), n, 0.5, b.data(), 300));
    MatrixNmsParams mp;
    same(matrix_nms(boxes.data(), scores.data(), classes.data(), n, a.data(), out.data(), mp, &ws),
         matrix_nms(boxes.data(), scores.data(), classes.data(), n, b.data(), out_fresh.data(), mp));
    CHECK(ws.capacity() >= n);
  }
}
