#pragma once
// The joint walk over two run-length sequences that merge and mask IoU share. It reproduces
// pycocotools' loop step for step (maskApi.c rleMerge / rleIou): every iteration consumes
// min(remaining a, remaining b) pixels, each side advances by at most one count per iteration, and
// the walk stops as soon as both remainders are zero -- even if counts are left (zero-length runs
// at that point end it). Keeping that exact shape is what makes zero-length runs come out as the
// peer's do. One deliberate difference: when one sequence is used up while the other still has
// pixels (counts summing to different totals, i.e. a corrupt RLE), pycocotools loops forever;
// here the walk ends there.
#include <cstddef>
#include <cstdint>

namespace locuskit::detail {

/// Calls `step(length, a_on, b_on, next_a_on, next_b_on, last)` for every segment of the joint
/// walk over counts `a[0..na)` and `b[0..nb)` (both start with a 0-run). `a_on`/`b_on` are the
/// values during the segment, `next_*` the values after advancing, `last` whether the walk ends.
/// An empty sequence is treated as a single zero-length 0-run. O(na + nb); always terminates.
/// noexcept if `step` is.
template <class Step>
inline void sweep_runs(const std::uint32_t* a, std::size_t na, const std::uint32_t* b, std::size_t nb,
                       Step&& step) {
  std::uint64_t rem_a = na ? a[0] : 0, rem_b = nb ? b[0] : 0;
  std::size_t ia = 1, ib = 1;
  bool on_a = false, on_b = false;
  for (;;) {
    const std::uint64_t len = rem_a < rem_b ? rem_a : rem_b;
    const bool seg_a = on_a, seg_b = on_b;
    bool advanced = false;
    rem_a -= len;
    if (rem_a == 0 && ia < na) {
      rem_a = a[ia++];
      on_a = !on_a;
      advanced = true;
    }
    rem_b -= len;
    if (rem_b == 0 && ib < nb) {
      rem_b = b[ib++];
      on_b = !on_b;
      advanced = true;
    }
    const bool stuck = len == 0 && !advanced;  // one side used up, the other not: no progress possible
    const bool last = rem_a + rem_b == 0 || stuck;
    step(len, seg_a, seg_b, on_a, on_b, last);
    if (last) return;
  }
}

}  // namespace locuskit::detail
