#pragma once
/// \file confusion_matrix.hpp
/// Semantic segmentation: the pixel confusion matrix of a predicted and a ground-truth label map,
/// from which every mmsegmentation / torchmetrics / FCN-style metric is derived. An extra row and
/// column (index num_classes) count labels outside [0, num_classes): mmsegmentation's
/// `torch.histc` drops such a prediction from the predicted-area histogram but still counts the
/// pixel in the ground-truth area (and the other way round), which this layout preserves.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "../parallel.hpp"

namespace locuskit {

/// How ground-truth labels are read before counting.
struct LabelRules {
  std::int64_t num_classes = 0;
  /// GT pixels equal to this are skipped (after the zero-label reduction); any value, even one
  /// the dtype cannot hold (then nothing is skipped).
  std::int64_t ignore_index = 255;
  /// mmsegmentation's `reduce_zero_label`: GT 0 -> 255, k -> k-1, and 254 (from 255) -> 255.
  bool reduce_zero_label = false;
};

/// Adds the counts of `n` pixels to `matrix`, (num_classes+1)^2 uint64 row-major with rows =
/// ground truth, columns = prediction, index num_classes = "outside [0, num_classes)". Label maps
/// may have any integer type (signed values below 0 are outside). Pixels whose (reduced) GT is
/// `ignore_index` are skipped. O(n); split over `par.threads` with one private matrix per chunk,
/// summed in chunk order (integers: the result does not depend on the thread count).
template <class Pred, class Gt>
void confusion_matrix_update(const Pred* pred, const Gt* gt, std::size_t n, const LabelRules& rules,
                             std::uint64_t* matrix, Parallel par = {}) {
  static_assert(std::is_integral_v<Pred> && std::is_integral_v<Gt>, "label maps must be integer");
  const std::int64_t c = rules.num_classes;
  const std::size_t side = static_cast<std::size_t>(c) + 1;
  const auto bin = [c](auto v) -> std::size_t {
    // Compare in the value's own signedness so that uint64 labels above INT64_MAX are "outside".
    if constexpr (std::is_signed_v<decltype(v)>) {
      return (v >= 0 && static_cast<std::int64_t>(v) < c) ? static_cast<std::size_t>(v) : static_cast<std::size_t>(c);
    } else {
      return static_cast<std::uint64_t>(v) < static_cast<std::uint64_t>(c) ? static_cast<std::size_t>(v)
                                                                             : static_cast<std::size_t>(c);
    }
  };
  const std::size_t chunks = std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(std::max(par.threads, 1)),
                                                                            n / (1u << 16)));
  // Where the (gt, pred) value pair lands in the matrix, or skip (ignored GT). The rules depend
  // only on the two values, so 8-bit maps count value pairs first (a branch-free 256x256
  // histogram) and apply the rules once per pair.
  const auto cell = [&](std::int64_t g, bool g_outside_int64, std::size_t pred_bin, std::size_t& out) {
    if (rules.reduce_zero_label && !g_outside_int64) {
      g = g == 0 ? 255 : g - 1;
      if (g == 254) g = 255;
    }
    if (!g_outside_int64 && g == rules.ignore_index) return false;
    const std::size_t row = g_outside_int64 ? static_cast<std::size_t>(c) : bin(g);
    out = row * side + pred_bin;
    return true;
  };
  std::vector<std::vector<std::uint64_t>> partial(chunks);
  parallel_for(chunks, 1, Parallel{static_cast<int>(chunks)}, [&](std::size_t cb, std::size_t ce) {
    for (std::size_t k = cb; k < ce; ++k) {
      auto& local = partial[k];
      local.assign(side * side, 0);
      const std::size_t begin = k * n / chunks, end = (k + 1) * n / chunks;
      if constexpr (sizeof(Pred) == 1 && sizeof(Gt) == 1) {
        std::vector<std::uint64_t> pairs(256 * 256, 0);
        for (std::size_t i = begin; i < end; ++i)
          ++pairs[static_cast<std::size_t>(static_cast<std::uint8_t>(gt[i])) * 256 + static_cast<std::uint8_t>(pred[i])];
        for (std::size_t gv = 0; gv < 256; ++gv)
          for (std::size_t pv = 0; pv < 256; ++pv) {
            const std::uint64_t count = pairs[gv * 256 + pv];
            if (count == 0) continue;
            std::size_t at;
            // back to the typed values (int8 maps are signed)
            if (cell(static_cast<std::int64_t>(static_cast<Gt>(gv)), false, bin(static_cast<Pred>(pv)), at))
              local[at] += count;
          }
      } else {
        for (std::size_t i = begin; i < end; ++i) {
          std::int64_t g;
          bool g_outside_int64 = false;
          if constexpr (std::is_unsigned_v<Gt> && sizeof(Gt) == 8) {
            g_outside_int64 = gt[i] > static_cast<std::uint64_t>(INT64_MAX);
            g = g_outside_int64 ? -1 : static_cast<std::int64_t>(gt[i]);
          } else {
            g = static_cast<std::int64_t>(gt[i]);
          }
          std::size_t at;
          if (cell(g, g_outside_int64, bin(pred[i]), at)) ++local[at];
        }
      }
    }
  });
  for (const auto& local : partial)
    for (std::size_t j = 0; j < side * side; ++j) matrix[j] += local[j];
}

}  // namespace locuskit
