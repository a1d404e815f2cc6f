// Differential fuzz target for the IoU family against the scalar oracles, bit for bit (NaN = NaN):
//   box_iou (every Degenerate policy, 1 and 3 threads) vs reference::box_iou,
//   box_iou_family (iou, giou, diou, ciou, ioa) vs reference::box_iou_family,
//   box_iou_family_aligned vs the diagonal of reference::box_iou_family,
//   box_iou_max vs the first strict maximum over reference::box_iou's rows and columns.
#include <cstdint>
#include <limits>
#include <vector>

#include <locuskit/box.hpp>

#include "fuzz_support.hpp"

namespace {
using namespace locuskit;

template <class T>
void run(FuzzedDataProvider& in) {
  const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 40);
  const std::size_t m = in.ConsumeIntegralInRange<std::size_t>(0, 40);
  const auto deg = static_cast<Degenerate>(in.ConsumeIntegralInRange<int>(0, 2));
  const int threads = in.ConsumeBool() ? 1 : 3;
  const std::vector<T> a = fuzz::boxes<T>(in, n), b = fuzz::boxes<T>(in, m);

  std::vector<T> ref(n * m), out(n * m);
  reference::box_iou(a.data(), n, b.data(), m, ref.data(), deg);
  box_iou(a.data(), n, b.data(), m, out.data(), deg, Parallel{threads});
  for (std::size_t q = 0; q < n * m; ++q)
    FUZZ_CHECK(fuzz::same_value(out[q], ref[q]), "box_iou[%zu,%zu] = %.17g, reference %.17g", q / m, q % m,
               static_cast<double>(out[q]), static_cast<double>(ref[q]));

  // box_iou_max: the first strict maximum (NaN never wins; -inf/-1 when the other set is empty).
  {
    const T ninf = -std::numeric_limits<T>::infinity();
    std::vector<T> ra(n, ninf), rb(m, ninf), oa(n), ob(m);
    std::vector<std::int64_t> rai(n, -1), rbi(m, -1), oai(n), obi(m);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < m; ++j) {
        const T v = ref[i * m + j];
        if (v > ra[i]) ra[i] = v, rai[i] = static_cast<std::int64_t>(j);
        if (v > rb[j]) rb[j] = v, rbi[j] = static_cast<std::int64_t>(i);
      }
    box_iou_max(a.data(), n, b.data(), m, oa.data(), oai.data(), ob.data(), obi.data(), deg, Parallel{threads});
    if (oa != ra || ob != rb || oai != rai || obi != rbi) {
      fuzz::print_boxes("a", a), fuzz::print_boxes("b", b);
      std::fprintf(stderr, "arch %s, degenerate %d, threads %d\n", simd::arch_name(simd::active_arch()),
                   static_cast<int>(deg), threads);
    }
    // bit for bit, the sign of zero included (box_iou_max once returned -0.0 for +0.0)
    auto same = [](T x, T y) { return fuzz::same_value(x, y); };
    for (std::size_t i = 0; i < n; ++i)
      FUZZ_CHECK(same(oa[i], ra[i]) && oai[i] == rai[i], "box_iou_max a[%zu] = (%.17g, %lld), oracle (%.17g, %lld)",
                 i, static_cast<double>(oa[i]), static_cast<long long>(oai[i]), static_cast<double>(ra[i]),
                 static_cast<long long>(rai[i]));
    for (std::size_t j = 0; j < m; ++j)
      FUZZ_CHECK(same(ob[j], rb[j]) && obi[j] == rbi[j], "box_iou_max b[%zu] = (%.17g, %lld), oracle (%.17g, %lld)",
                 j, static_cast<double>(ob[j]), static_cast<long long>(obi[j]), static_cast<double>(rb[j]),
                 static_cast<long long>(rbi[j]));
  }

  const auto kind = static_cast<IouKind>(in.ConsumeIntegralInRange<int>(0, 4));
  const T eps = in.ConsumeBool() ? T(1e-7) : static_cast<T>(in.ConsumeFloatingPointInRange<double>(0.0, 1.0));
  reference::box_iou_family(kind, a.data(), n, b.data(), m, ref.data(), deg, eps);
  box_iou_family(kind, a.data(), n, b.data(), m, out.data(), deg, eps, Parallel{threads});
  for (std::size_t q = 0; q < n * m; ++q)
    FUZZ_CHECK(fuzz::same_value(out[q], ref[q]), "box_iou_family(kind %d)[%zu,%zu] = %.17g, reference %.17g",
               static_cast<int>(kind), q / m, q % m, static_cast<double>(out[q]), static_cast<double>(ref[q]));

  // Aligned pairs (a_i, b_i) over the common length.
  const std::size_t k = std::min(n, m);
  std::vector<T> diag(k);
  box_iou_family_aligned(kind, a.data(), b.data(), k, diag.data(), deg, eps, Parallel{threads});
  for (std::size_t i = 0; i < k; ++i)
    FUZZ_CHECK(fuzz::same_value(diag[i], ref[i * m + i]), "box_iou_family_aligned(kind %d)[%zu] = %.17g, reference %.17g",
               static_cast<int>(kind), i, static_cast<double>(diag[i]), static_cast<double>(ref[i * m + i]));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  locuskit::fuzz::pick_arch(in);
  if (in.ConsumeBool()) run<float>(in);
  else run<double>(in);
  return 0;
}
