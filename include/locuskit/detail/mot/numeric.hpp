#pragma once
/// \file detail/mot/numeric.hpp
/// Floating-point building blocks of the MOT metrics with TrackEval's (numpy 1.24's) exact order of
/// operations: the xywh box IoU of `_calculate_box_ious` and `np.sum` over a mostly-zero matrix.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <locuskit/detail/bits.hpp>
#include <locuskit/eval/numpy_sum.hpp>
#include <locuskit/match/linear_assignment.hpp>

namespace locuskit {
namespace detail {

inline constexpr double mot_eps = std::numeric_limits<double>::epsilon();  // np.finfo(float).eps = 2^-52

/// std::max(0.0, v) (v when v > 0, else +0: NaN and -0 included) without a branch: maxsd returns
/// its second operand unless the first is greater, which is that definition.
inline double positive_part(double v) noexcept {
#if defined(__SSE2__)
  return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(v), _mm_setzero_pd()));
#else
  return v > 0.0 ? v : 0.0;
#endif
}

struct MotBoxes;

/// The corners of some MotBoxes rounded to float (structure of arrays, three zero entries past the
/// boxes), for MotBoxes::overlap_mask's four-wide comparisons.
struct MotFloatCorners {
  std::vector<float> x0, y0, x1, y1;

  /// Rounds the corners of boxes `b0 .. b0 + n` of `boxes` to entries 0 .. n (reuses the
  /// storage: one frame's boxes at a time stay in L1, with nothing per file to fault in).
  void assign(const MotBoxes& boxes, std::size_t b0, std::size_t n);
};

/// xywh boxes as corners and areas in structure-of-arrays form (rows picked by `order`), for the IoU
/// of TrackEval's `_calculate_box_ious(..., box_format='xywh')`: corners x+w / y+h first, areas from
/// the corners, intersection zeroed for areas or unions <= eps, union 1 then.
struct MotBoxes {
  std::vector<double> x0, y0, x1, y1, area;

  MotBoxes() = default;
  MotBoxes(const double* xywh, const std::size_t* order, std::size_t n) { assign(xywh, order, n); }

  /// Fills the boxes from rows `order[0..n)` of the (rows, 4) xywh array (reuses the storage).
  void assign(const double* xywh, const std::size_t* order, std::size_t n) {
    resize(n);
    for (std::size_t k = 0; k < n; ++k) set(k, xywh + 4 * order[k]);
  }

  /// Grows with 1/8 to spare: a reused MotBoxes (a prepared GT or a tracker refilled per
  /// sequence) then usually fits the next, slightly larger, set in place instead of faulting in a
  /// new block (capacity never written is never touched).
  void resize(std::size_t n) {
    if (n > x0.capacity())
      for (std::vector<double>* v : {&x0, &y0, &x1, &y1, &area}) v->reserve(n + n / 8);
    x0.resize(n), y0.resize(n), x1.resize(n), y1.resize(n), area.resize(n);
  }

  /// Box k from one xywh row: corners x + w, y + h, then the area from the corners.
  void set(std::size_t k, const double* xywh) noexcept {
    // Locals first: stores through five arrays would make the compiler reload what it wrote.
    const double bx0 = xywh[0], by0 = xywh[1], bx1 = bx0 + xywh[2], by1 = by0 + xywh[3];
    x0[k] = bx0, y0[k] = by0, x1[k] = bx1, y1[k] = by1;
    area[k] = (bx1 - bx0) * (by1 - by0);
  }

  /// TrackEval's IoU of box `i` with box `j` of `other`, its formula in its order: intersection
  /// max(min(x1) - max(x0), 0) · the same in y, union ga + ta - inter, the intersection zeroed
  /// when an area or the union is <= eps (then divided by 1). min/max as numpy's (std::min/max
  /// with the box of `this` first), so ±0 and every other bit as TrackEval.
  double iou(std::size_t i, const MotBoxes& other, std::size_t j) const noexcept {
    const double iw = std::max(std::min(x1[i], other.x1[j]) - std::max(x0[i], other.x0[j]), 0.0);
    const double ih = std::max(std::min(y1[i], other.y1[j]) - std::max(y0[i], other.y0[j]), 0.0);
    const double inter = iw * ih;
    const double ga = area[i], ta = other.area[j], uni = ga + ta - inter;
    const bool ok = (ga > mot_eps) & (ta > mot_eps) & (uni > mot_eps);
    return (ok ? inter : 0.0) / (uni > mot_eps ? uni : 1.0);
  }

  /// Bit c (c < n <= 64) set when box `i` and the box of entry `b0 + c` of `other32` (corners
  /// rounded to float) pass fl(tx0) <= fl(gx1), fl(tx1) >= fl(gx0), fl(ty0) <= fl(gy1) and
  /// fl(ty1) >= fl(gy0) (g = box i, fl = rounding to float). Every pair with a non-zero IoU has
  /// its bit set: a non-zero IoU needs iw = max(min(gx1, tx1) - max(gx0, tx0), 0) != 0, i.e. the
  /// difference > 0 (a NaN difference, inf - inf, makes the union NaN and the IoU 0), so
  /// min(gx1, tx1) > max(gx0, tx0), which implies tx0 < gx1 and tx1 > gx0; y likewise. Rounding
  /// is monotone (a < b implies fl(a) <= fl(b), ±inf included; corners are never NaN with finite
  /// inputs), so each float comparison holds where the double one does. Four pairs per SSE2 step
  /// (two in double); the few extra pairs (equal after rounding) get their exact IoU, ±0 or not.
  std::uint64_t overlap_mask(std::size_t i, const MotFloatCorners& other32, std::size_t b0, std::size_t n) const noexcept {
    const float gx0 = static_cast<float>(x0[i]), gy0 = static_cast<float>(y0[i]), gx1 = static_cast<float>(x1[i]),
                gy1 = static_cast<float>(y1[i]);
    const float *tx0 = other32.x0.data() + b0, *ty0 = other32.y0.data() + b0, *tx1 = other32.x1.data() + b0,
                *ty1 = other32.y1.data() + b0;
    std::uint64_t mask = 0;
    std::size_t j = 0;
#if defined(__SSE2__)
    // Four columns per step, the last step reading up to three past n (MotFloatCorners keeps
    // three padding entries), their bits cleared.
    const __m128 vgx0 = _mm_set1_ps(gx0), vgy0 = _mm_set1_ps(gy0), vgx1 = _mm_set1_ps(gx1), vgy1 = _mm_set1_ps(gy1);
    for (; j < n; j += 4) {
      const __m128 in_x = _mm_and_ps(_mm_cmple_ps(_mm_loadu_ps(tx0 + j), vgx1), _mm_cmpge_ps(_mm_loadu_ps(tx1 + j), vgx0));
      const __m128 in_y = _mm_and_ps(_mm_cmple_ps(_mm_loadu_ps(ty0 + j), vgy1), _mm_cmpge_ps(_mm_loadu_ps(ty1 + j), vgy0));
      mask |= static_cast<std::uint64_t>(_mm_movemask_ps(_mm_and_ps(in_x, in_y))) << j;
    }
    return n == 64 ? mask : mask & ((std::uint64_t{1} << n) - 1);
#else
    for (; j < n; ++j)
      mask |= static_cast<std::uint64_t>((tx0[j] <= gx1) & (tx1[j] >= gx0) & (ty0[j] <= gy1) & (ty1[j] >= gy0)) << j;
    return mask;
#endif
  }

#if defined(__SSE2__)
  /// iou(i0, other, j0) and iou(i1, other, j1) in the two lanes, bit for bit: the same IEEE
  /// operations on the same operands in the same order, per lane (divpd rounds each quotient
  /// correctly, as divsd does; no contraction into FMA with SSE2 intrinsics). std::min(a, b) is
  /// (b < a) ? b : a, which is minpd(b, a); std::max(a, b) is (a < b) ? b : a, which is
  /// maxpd(b, a): ±0, NaN and every tie resolve as in iou(). The selects are masks
  /// (and/andnot/or); the +0 of `ok ? inter : 0.0` is an and with a zero mask.
  __m128d iou2(std::size_t i0, std::size_t i1, const MotBoxes& other, std::size_t j0, std::size_t j1) const noexcept {
    const auto pair = [](const std::vector<double>& a, std::size_t p, std::size_t q) {
      return _mm_loadh_pd(_mm_load_sd(a.data() + p), a.data() + q);
    };
    const __m128d eps = _mm_set1_pd(mot_eps), zero = _mm_setzero_pd();
    const __m128d iw = _mm_max_pd(zero, _mm_sub_pd(_mm_min_pd(pair(other.x1, j0, j1), pair(x1, i0, i1)),
                                                   _mm_max_pd(pair(other.x0, j0, j1), pair(x0, i0, i1))));
    const __m128d ih = _mm_max_pd(zero, _mm_sub_pd(_mm_min_pd(pair(other.y1, j0, j1), pair(y1, i0, i1)),
                                                   _mm_max_pd(pair(other.y0, j0, j1), pair(y0, i0, i1))));
    const __m128d inter = _mm_mul_pd(iw, ih);
    const __m128d ga = pair(area, i0, i1), ta = pair(other.area, j0, j1);
    const __m128d uni = _mm_sub_pd(_mm_add_pd(ga, ta), inter);
    const __m128d uni_ok = _mm_cmpgt_pd(uni, eps);
    const __m128d ok = _mm_and_pd(_mm_and_pd(_mm_cmpgt_pd(ga, eps), _mm_cmpgt_pd(ta, eps)), uni_ok);
    const __m128d den = _mm_or_pd(_mm_and_pd(uni_ok, uni), _mm_andnot_pd(uni_ok, _mm_set1_pd(1.0)));
    return _mm_div_pd(_mm_and_pd(ok, inter), den);
  }
#endif
};

inline void MotFloatCorners::assign(const MotBoxes& boxes, std::size_t b0, std::size_t n) {
  // Three padding entries (zeros) for overlap_mask's last four-wide step.
  if (x0.size() < n + 3) x0.resize(n + 3), y0.resize(n + 3), x1.resize(n + 3), y1.resize(n + 3);
  for (std::size_t k = 0; k < n; ++k) {
    x0[k] = static_cast<float>(boxes.x0[b0 + k]), y0[k] = static_cast<float>(boxes.y0[b0 + k]);
    x1[k] = static_cast<float>(boxes.x1[b0 + k]), y1[k] = static_cast<float>(boxes.y1[b0 + k]);
  }
  for (std::size_t k = n; k < n + 3; ++k) x0[k] = y0[k] = x1[k] = y1[k] = 0.0f;
}

/// Reusable storage of mot_rows_nonzero_iou (no allocation once warm).
struct MotOverlapScratch {
  std::vector<std::uint32_t> box;  // per listed pair, its box of `boxes` (the row's)
};

/// The non-zero IoUs of `nr` boxes of `boxes` (rows[r], or g0 + r when `rows` is null) with
/// boxes `b0 .. b0 + n` of `other` (`other32`: their float corners, from entry 0), row-major: for each pair with
/// IoU != 0 the word {row0 + r, j} (two uint32s, laid out as MotSequenceData::overlap_ij) to
/// ij[m] and the IoU (MotBoxes::iou, same bits) to v[m]; returns the count m. Slots up to
/// nr·n + 1 may be written. The pairs are those of overlap_mask (a superset of the non-zero
/// IoUs, see there); the kept pairs of all rows are listed first (up to four per mask word
/// without a loop: a row overlaps few boxes), then their IoUs computed two at a time in one flat
/// loop, then the ±0 ones squeezed out, the order kept: the same entries, order and bits as
/// iou() over the dense (nr, n) matrix, with few unpredictable branches.
inline std::size_t mot_rows_nonzero_iou(const MotBoxes& boxes, const std::size_t* rows, std::size_t g0, std::size_t nr,
                                        std::size_t row0, const MotBoxes& other, const MotFloatCorners& other32, std::size_t b0,
                                        std::size_t n, std::uint64_t* ij, double* v, MotOverlapScratch& s) {
  if (s.box.size() < nr * n + 1) s.box.resize(nr * n + 1);
  std::uint32_t* box = s.box.data();
  constexpr std::uint64_t top = std::uint64_t{1} << 63;  // keeps the bit scans defined on a zero word
  std::size_t m = 0;
  for (std::size_t r = 0; r < nr; ++r) {
    const std::size_t i = rows ? rows[r] : g0 + r;
    for (std::size_t block = 0; block < n; block += 64) {
      std::uint64_t w = boxes.overlap_mask(i, other32, block, std::min<std::size_t>(64, n - block));
      // The first four set bits written unconditionally (a row overlaps few boxes), the count
      // advanced by those present; more only in a loop that rarely runs.
      std::uint64_t ws[4];
      for (int q = 0; q < 4; ++q) ws[q] = w, w &= w - 1;
      std::size_t got = 0;
      for (int q = 0; q < 4; ++q) {
        const std::uint32_t pair[2] = {static_cast<std::uint32_t>(row0 + r),
                                       static_cast<std::uint32_t>(block + lowest_set_bit(ws[q] | top))};
        std::memcpy(ij + m + got, pair, sizeof pair);
        box[m + got] = static_cast<std::uint32_t>(i);
        got += ws[q] != 0;
      }
      m += got;
      for (; w != 0; w &= w - 1) {
        const std::uint32_t pair[2] = {static_cast<std::uint32_t>(row0 + r),
                                       static_cast<std::uint32_t>(block + lowest_set_bit(w))};
        std::memcpy(ij + m, pair, sizeof pair);
        box[m++] = static_cast<std::uint32_t>(i);
      }
    }
  }
  if (m == 0) return 0;
  ij[m] = ij[m - 1], box[m] = box[m - 1];  // an odd count: the last pair computed twice
  bool any_zero = false;
  for (std::size_t q = 0; q < m; q += 2) {
    std::uint32_t p0[2], p1[2];
    std::memcpy(p0, ij + q, sizeof p0);
    std::memcpy(p1, ij + q + 1, sizeof p1);
#if defined(__SSE2__)
    const __m128d x = boxes.iou2(box[q], box[q + 1], other, b0 + p0[1], b0 + p1[1]);
    _mm_storeu_pd(v + q, x);
    any_zero |= _mm_movemask_pd(_mm_cmpeq_pd(x, _mm_setzero_pd())) != 0;
#else
    v[q] = boxes.iou(box[q], other, b0 + p0[1]), v[q + 1] = boxes.iou(box[q + 1], other, b0 + p1[1]);
    any_zero |= (v[q] == 0) | (v[q + 1] == 0);
#endif
  }
  if (!any_zero) return m;
  // Pairs whose IoU is ±0 (degenerate boxes only: an area or union <= eps, an underflowing
  // quotient, inf corners, a float-rounding tie) squeezed out, the order kept.
  std::size_t kept = 0;
  for (std::size_t q = 0; q < m; ++q) {  // no branch per entry
    ij[kept] = ij[q], v[kept] = v[q];
    kept += v[q] != 0;
  }
  return kept;
}

/// mot_rows_nonzero_iou appending to (ij, v) from position n, which grow as needed (doubling;
/// never shrunk), rows taken a few thousand pairs at a time so that the slots it may write stay
/// bounded by the frame's size; returns the new count. Output rows are numbered 0 .. nr.
inline std::size_t mot_append_nonzero_iou(const MotBoxes& boxes, const std::size_t* rows, std::size_t g0,
                                          std::size_t nr, const MotBoxes& other, const MotFloatCorners& other32,
                                          std::size_t b0, std::size_t n_cols, std::vector<std::uint64_t>& ij,
                                          std::vector<double>& v, std::size_t n, MotOverlapScratch& s) {
  const std::size_t chunk = std::max<std::size_t>(1, 4096 / std::max<std::size_t>(n_cols, 1));
  for (std::size_t r0 = 0; r0 < nr; r0 += chunk) {
    const std::size_t nc = std::min(chunk, nr - r0), need = n + nc * n_cols + 1;
    if (v.size() < need) {
      const std::size_t cap = std::max(2 * v.size(), need);
      v.resize(cap), ij.resize(cap);
    }
    n += mot_rows_nonzero_iou(boxes, rows ? rows + r0 : nullptr, g0 + r0, nc, r0, other, other32, b0, n_cols,
                              ij.data() + n, v.data() + n, s);
  }
  return n;
}

/// Values keyed by (GT id, tracker id) pairs that occur: per GT id a list of slots searched
/// linearly (a GT id meets few tracker ids), so no hashing and no dense G×T table.
template <class Value>
struct IdPairTable {
  static constexpr std::uint32_t none = ~std::uint32_t{0};
  struct Slot {
    std::uint32_t gt, trk, next;
    Value value;
  };
  std::vector<std::uint32_t> first;  // per GT id, its newest slot
  std::vector<Slot> slots;

  explicit IdPairTable(std::size_t num_gt_ids) { reset(num_gt_ids); }

  /// Empties the table for GT ids 0 .. num_gt_ids - 1, keeping the storage (a table reused
  /// across sequences allocates once it has held as many pairs).
  void reset(std::size_t num_gt_ids) {
    first.assign(num_gt_ids, none);
    slots.clear();
  }

  /// The value of pair (g, t), value-initialised when new. The pair found moves to the front of
  /// g's list: a GT id keeps its tracker id over many frames, so the next look-up is one compare.
  Value& at(std::uint32_t g, std::uint32_t t) {
    std::uint32_t sl = first[g];
    if (sl != none && slots[sl].trk == t) return slots[sl].value;
    std::uint32_t prev = none;
    while (sl != none && slots[sl].trk != t) prev = sl, sl = slots[sl].next;
    if (sl == none) {
      sl = static_cast<std::uint32_t>(slots.size());
      slots.push_back(Slot{g, t, first[g], Value{}});
    } else {
      slots[prev].next = slots[sl].next;  // prev exists: sl was not the front
      slots[sl].next = first[g];
    }
    first[g] = sl;
    return slots[sl].value;
  }

  /// The slots in key order g·T + t (GT ids ascending, then tracker ids).
  std::vector<std::uint32_t> key_order() const {
    std::vector<std::uint32_t> order;
    order.reserve(slots.size());
    for (std::size_t g = 0; g < first.size(); ++g) {
      const std::size_t b = order.size();
      for (std::uint32_t sl = first[g]; sl != none; sl = slots[sl].next) order.push_back(sl);
      std::sort(order.begin() + static_cast<std::ptrdiff_t>(b), order.end(),
                [&](std::uint32_t x, std::uint32_t y) { return slots[x].trk < slots[y].trk; });
    }
    return order;
  }
};

/// Writes the pairs (i, col_of[i]) with col_of[i] >= 0, i < nr ascending, to rows/cols (sized to
/// fit; no per-pair push_back).
template <class ColOf>
void write_row_pairs(std::size_t nr, ColOf&& col_of, std::vector<std::int64_t>& rows, std::vector<std::int64_t>& cols) {
  rows.resize(nr), cols.resize(nr);
  std::size_t n = 0;
  for (std::size_t i = 0; i < nr; ++i) {
    const std::int64_t c = col_of(i);
    rows[n] = static_cast<std::int64_t>(i), cols[n] = c;
    n += c >= 0;
  }
  rows.resize(n), cols.resize(n);
}

/// Scratch space of max_score_pairs (reused across frames: no allocation once warm).
struct MotAssignScratch {
  std::vector<std::uint32_t> parent;        // union-find over rows (0..nr) and columns (nr..nr+nc)
  std::vector<std::uint32_t> edge_r, edge_c;  // positive entries, row-major order
  std::vector<std::uint32_t> comp_edges;    // edges grouped by component
  std::vector<std::uint32_t> comp_begin, comp_fill;  // group_edges_by_component
  std::vector<std::uint8_t> col_used;
  std::vector<std::uint32_t> best, cur;     // enumeration state
  std::vector<std::uint8_t> pick;           // chosen edges, per edge
  std::vector<double> rest;                 // branch-and-bound suffix bounds
  struct LineBest {  // unique_best_line_pairs: a row's (column's) best and second entry, best's index
    double best, second;
    std::int64_t arg;
  };
  std::vector<LineBest> row_line, col_line;
  std::vector<std::uint32_t> nonzero;          // (row, column) of each positive entry
  // certified_component_pairs / certified_greedy_pairs: the positive entries (n_edges of
  // edge_r/edge_c/edge_v); per row (0..nr) and column (nr..nr+nc) the index in m_edge of the
  // candidate matching's entry covering it (-1: none); a component's local indices, cost matrix
  // and entries; greedy's sort keys; the difference constraints on the duals and their solution.
  std::vector<double> edge_v;
  std::size_t n_edges = 0;
  std::vector<std::int32_t> mate;
  std::vector<std::uint32_t> m_edge;
  std::vector<std::int32_t> local;
  std::vector<std::uint32_t> comp_rows, comp_cols;
  std::vector<double> cost;
  std::vector<std::int64_t> comp_col4row, comp_edge_at;
  std::vector<std::uint64_t> sort_key, row_key, col_key;
  std::vector<std::uint32_t> alive;
  struct DifferenceConstraint {
    std::uint32_t from, to;
    double w;
  };
  std::vector<DifferenceConstraint> constraints;
  std::vector<double> potential, m_value;
  std::size_t midpoint_certified = 0;          // certify_matching proofs by the midpoint duals (tests count it)
  LinearAssignmentWorkspace lap;               // the solver's scratch
};

namespace mot_assign {
inline std::uint32_t find(std::vector<std::uint32_t>& p, std::uint32_t x) noexcept {
  while (p[x] != x) x = p[x] = p[p[x]];
  return x;
}

/// The positive entries of `m` among the n_ij (row, column) pairs `ij` (row-major order), in that
/// order, to s.edge_r/edge_c/edge_v[0 .. n) without a branch per entry; returns n. The arrays
/// only grow (no allocation once warm).
template <class Scratch>
std::size_t collect_positive(const double* m, std::size_t nc, const std::uint32_t* ij, std::size_t n_ij, Scratch& s) {
  if (s.edge_r.size() < n_ij) s.edge_r.resize(n_ij), s.edge_c.resize(n_ij), s.edge_v.resize(n_ij);
  std::uint32_t *er = s.edge_r.data(), *ec = s.edge_c.data();
  double* ev = s.edge_v.data();
  std::size_t n = 0;
  for (std::size_t q = 0; q < n_ij; ++q) {
    const std::uint32_t i = ij[2 * q], j = ij[2 * q + 1];
    const double x = m[static_cast<std::size_t>(i) * nc + j];
    er[n] = i, ec[n] = j, ev[n] = x;
    n += x > 0;
  }
  s.n_edges = n;
  return n;
}

/// Groups the n edges (er[q], ec[q]) of a bipartite graph (rows < nr, columns < nc) by connected
/// component: union-find over rows (0..nr) and columns (nr..nr+nc), then a counting sort on the
/// root, stable (edges keep their order within a component): the component of root x is
/// comp_edges[comp_begin[x] .. comp_begin[x + 1]). `parent` and `fill` are scratch.
inline void group_edges_by_component(const std::uint32_t* er, const std::uint32_t* ec, std::size_t n, std::size_t nr,
                                     std::size_t nc, std::vector<std::uint32_t>& parent,
                                     std::vector<std::uint32_t>& comp_begin, std::vector<std::uint32_t>& fill,
                                     std::vector<std::uint32_t>& comp_edges) {
  const std::size_t nn = nr + nc;
  parent.resize(nn);
  for (std::size_t x = 0; x < nn; ++x) parent[x] = static_cast<std::uint32_t>(x);
  for (std::size_t q = 0; q < n; ++q) {
    const std::uint32_t a = find(parent, er[q]), b = find(parent, static_cast<std::uint32_t>(nr + ec[q]));
    if (a != b) parent[a] = b;
  }
  comp_begin.assign(nn + 1, 0);
  for (std::size_t q = 0; q < n; ++q) ++comp_begin[find(parent, er[q]) + 1];
  for (std::size_t x = 0; x < nn; ++x) comp_begin[x + 1] += comp_begin[x];
  fill.assign(comp_begin.begin(), comp_begin.end() - 1);
  comp_edges.resize(n);
  for (std::size_t q = 0; q < n; ++q) comp_edges[fill[find(parent, er[q])]++] = static_cast<std::uint32_t>(q);
}

/// The connected components of the graph of positive entries of `m` (rows 0..nr, columns
/// nr..nr+nc as vertices), from the list `ij` of n_ij (row, column) pairs in row-major order that
/// includes every positive entry: the positive ones as collect_positive lists them, grouped by
/// component in s.comp_edges (stable: rows ascending within a component), component of root x in
/// comp_edges[comp_begin[x] .. comp_begin[x + 1]). Returns the number of positive entries.
template <class Scratch>
std::size_t group_components(const double* m, std::size_t nr, std::size_t nc, const std::uint32_t* ij, std::size_t n_ij,
                             Scratch& s) {
  const std::size_t ne = collect_positive(m, nc, ij, n_ij, s);
  group_edges_by_component(s.edge_r.data(), s.edge_c.data(), ne, nr, nc, s.parent, s.comp_begin, s.comp_fill,
                           s.comp_edges);
  return ne;
}

/// Branch-and-bound search of the matchings of one component's edges [0, n) (grouped by row, rows
/// ascending) for the best total and the best total of any other matching. A subtree is cut when
/// even every remaining row taking its largest entry could not beat the second best (with a
/// relative slack far above rounding), so neither value can come from it.
struct Enum {
  const double* m;
  std::size_t nc;
  const std::uint32_t* er;
  const std::uint32_t* ec;
  const std::uint32_t* edges;
  std::size_t n;
  std::vector<std::uint8_t>& col_used;
  std::vector<std::uint32_t>& cur;
  std::vector<std::uint32_t>& best;
  const double* rest;  // rest[k]: sum of the largest entry of each row from edge position k on
  double best_total = -1, second_total = -1;
  std::size_t nodes_left = 256;  // search budget; exhausted = give up (the solver decides)

  void leaf(double total) {
    if (total > best_total) {
      second_total = best_total;
      best_total = total;
      best = cur;
    } else if (total > second_total) {
      second_total = total;
    }
  }
  void run(std::size_t k, double total) {
    if (nodes_left == 0) return;
    --nodes_left;
    if (k == n) return leaf(total);
    if ((total + rest[k]) * (1 + 1e-12) < second_total) return;
    const std::uint32_t row = er[edges[k]];
    std::size_t end = k;
    while (end < n && er[edges[end]] == row) ++end;
    for (std::size_t q = k; q < end; ++q) {
      const std::uint32_t c = ec[edges[q]];
      if (col_used[c]) continue;
      col_used[c] = 1;
      cur.push_back(edges[q]);
      run(end, total + m[static_cast<std::size_t>(row) * nc + c]);
      cur.pop_back();
      col_used[c] = 0;
    }
    run(end, total);  // row unmatched
  }
};

}  // namespace mot_assign

/// If every row and every column of the (nr, nc) row-major matrix `m` (entries >= 0) has at most
/// one entry > 0, every optimal assignment (scipy's included) contains exactly those pairs among
/// its positive-score pairs; they are written in row order to `rows`/`cols` and true is returned.
/// Otherwise returns false. `ij` holds n_ij (row, column) pairs in row-major order (rows
/// ascending, no pair twice) that include every positive entry of `m`; entries that are not > 0
/// are skipped. One pass that stops at the first conflict; O(nc + n_ij). `col_used` is scratch.
inline bool independent_positive_pairs(const double* m, std::size_t nc, const std::uint32_t* ij, std::size_t n_ij,
                                       std::vector<std::int64_t>& rows, std::vector<std::int64_t>& cols,
                                       std::vector<std::uint8_t>& col_used) {
  col_used.assign(nc, 0);
  rows.resize(n_ij), cols.resize(n_ij);
  std::size_t n = 0;
  for (std::size_t q = 0; q < n_ij; ++q) {
    const std::uint32_t i = ij[2 * q], j = ij[2 * q + 1];
    if (!(m[static_cast<std::size_t>(i) * nc + j] > 0)) continue;
    if (col_used[j] || (n > 0 && rows[n - 1] == static_cast<std::int64_t>(i))) return false;
    col_used[j] = 1;
    rows[n] = static_cast<std::int64_t>(i), cols[n] = static_cast<std::int64_t>(j), ++n;
  }
  rows.resize(n), cols.resize(n);
  return true;
}

/// A certificate that the best matching of the positive entries of the (nr, nc) row-major matrix
/// `m` (entries >= 0) is unique with a margin, from one pass over `m`: every row takes its largest
/// entry, no two rows take the same column, and each row's largest entry beats the row's other
/// positive entries by more than delta = 1e-9·(1 + total) — or the same with columns for rows.
/// Why that suffices (rows; columns alike): the dual y_i = the row's largest entry, y_j = 0 is
/// feasible (y_i + y_j >= m_ij) and tight on the chosen pairs, so any other matching M' scores
/// total − Σ_{rows M' leaves unmatched} y_i − Σ_{e in M'} (y_i + y_j − m_e); M' either leaves a
/// chosen row unmatched (y_i > delta) or uses an unchosen entry (slack > delta). scipy's solver is
/// optimal up to rounding far below delta, so its positive pairs are these. On success writes them
/// in row order and returns true; any tie or near-tie (or neither certificate) returns false.
/// `ij` holds n_ij (row, column) pairs that include every positive entry (others are skipped), so
/// a caller that knows its non-zeros passes just those. O(nr + nc + n_ij); no allocation once `s`
/// is warm.
template <class Scratch>
bool unique_best_line_pairs(const double* m, std::size_t nr, std::size_t nc, const std::uint32_t* ij, std::size_t n_ij,
                            std::vector<std::int64_t>& rows, std::vector<std::int64_t>& cols, Scratch& s) {
  rows.clear();
  cols.clear();
  // One record per line (best, second, arg): two fills per frame instead of six.
  s.row_line.assign(nr, {0.0, 0.0, -1});
  s.col_line.assign(nc, {0.0, 0.0, -1});
  auto* const row = s.row_line.data();
  auto* const col = s.col_line.data();
  for (std::size_t q = 0; q < n_ij; ++q) {
    const std::uint32_t i = ij[2 * q], j = ij[2 * q + 1];
    const double x = m[static_cast<std::size_t>(i) * nc + j];
    // Best and second best without branches (entries fall at random; x = +0 changes nothing).
    const double rb = row[i].best, cb = col[j].best;
    row[i].second = std::max(row[i].second, std::min(rb, x));
    row[i].best = std::max(rb, x);
    row[i].arg = x > rb ? static_cast<std::int64_t>(j) : row[i].arg;
    col[j].second = std::max(col[j].second, std::min(cb, x));
    col[j].best = std::max(cb, x);
    col[j].arg = x > cb ? static_cast<std::int64_t>(i) : col[j].arg;
  }
  s.col_used.assign(nc, 0);
  bool rows_ok = true;
  double row_total = 0, row_gap = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < nr && rows_ok; ++i) {
    if (row[i].arg < 0) continue;
    const std::size_t j = static_cast<std::size_t>(row[i].arg);
    rows_ok = !s.col_used[j];
    s.col_used[j] = 1;
    row_total += row[i].best;
    row_gap = std::min(row_gap, row[i].best - row[i].second);  // second = 0: one positive entry
  }
  if (rows_ok && row_gap > 1e-9 * (1 + row_total)) {
    write_row_pairs(nr, [&](std::size_t i) { return row[i].arg; }, rows, cols);
    return true;
  }
  // Columns: their chosen rows must be distinct; row[i].arg now maps a row to its column.
  for (std::size_t i = 0; i < nr; ++i) row[i].arg = -1;
  double col_total = 0, col_gap = std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < nc; ++j) {
    if (col[j].arg < 0) continue;
    const std::size_t i = static_cast<std::size_t>(col[j].arg);
    if (row[i].arg >= 0) return false;
    row[i].arg = static_cast<std::int64_t>(j);
    col_total += col[j].best;
    col_gap = std::min(col_gap, col[j].best - col[j].second);
  }
  if (!(col_gap > 1e-9 * (1 + col_total))) return false;
  write_row_pairs(nr, [&](std::size_t i) { return row[i].arg; }, rows, cols);
  return true;
}

namespace mot_assign {
/// Starts a candidate matching M in `s` for certify_matching: no entry taken yet.
template <class Scratch>
void begin_matching(std::size_t nr, std::size_t nc, Scratch& s) {
  s.mate.assign(nr + nc, -1);
  s.m_edge.clear();
}

/// Adds positive entry q (of collect_positive's list) to the candidate M; returns its value.
template <class Scratch>
double take_entry(std::size_t nr, std::uint32_t q, Scratch& s) {
  s.mate[s.edge_r[q]] = s.mate[nr + s.edge_c[q]] = static_cast<std::int32_t>(s.m_edge.size());
  s.m_edge.push_back(q);
  return s.edge_v[q];
}

/// The certificate of certified_component_pairs (see there) for the candidate matching M held in
/// `s`: the positive entries as collect_positive lists them, M's entries in s.m_edge, s.mate the
/// index in m_edge of the M entry covering each row (0..nr) and column (nr..nr+nc), -1 for none;
/// total = value(M). On success writes M in row order and returns true.
template <class Scratch>
bool certify_matching(std::size_t nr, std::size_t nc, std::vector<std::int64_t>& rows, std::vector<std::int64_t>& cols,
                      Scratch& s, double total) {
  const std::size_t nn = nr + nc, ne = s.n_edges, K = s.m_edge.size();
  const std::uint32_t *er = s.edge_r.data(), *ec = s.edge_c.data(), *me = s.m_edge.data();
  const double* ev = s.edge_v.data();
  const std::int32_t* mate = s.mate.data();
  const double delta = 1e-9 * (1 + total), tol = delta / (4 * static_cast<double>(nn + 1));
  // The duals as t_e (e in M, index k) and t_z (index K), an uncovered row or column mapping to
  // index K (unsigned min), whose value m_K is 0: no branches (entries fall at random).
  const std::uint32_t z = static_cast<std::uint32_t>(K);
  if (s.m_value.size() < K + 1) s.m_value.resize(K + 1);
  double* mv = s.m_value.data();
  for (std::size_t k = 0; k < K; ++k) mv[k] = ev[me[k]];
  mv[K] = 0.0;
  auto index_of = [z](std::int32_t a) { return std::min(static_cast<std::uint32_t>(a), z); };
  if (s.potential.size() < K + 1) s.potential.resize(K + 1);
  double* x = s.potential.data();
  // The checks of the proof, on d_i = max(0, t_a), d_j = max(0, m_b − t_b) (0 where uncovered:
  // t_K = m_K = 0), for t = x − x_K. Whatever produced x, these alone decide.
  auto proof_holds = [&] {
    const double x_z = x[K];
    for (std::size_t k = 0; k <= K; ++k) x[k] -= x_z;
    bool fail = false;
    for (std::size_t q = 0; q < ne; ++q) {
      const std::int32_t a = mate[er[q]], b = mate[nr + ec[q]];
      const std::uint32_t ia = index_of(a), ib = index_of(b);
      // Without branches (whether an end is covered falls at random): positive_part, and the
      // verdict as bit operations.
      const double slack = (positive_part(x[ia]) + positive_part(mv[ib] - x[ib])) - ev[q];
      const bool in_m = (a >= 0) & (a == b);
      const bool bad_m = !(ev[q] > delta) | !(std::abs(slack) <= tol), bad_other = !(slack > delta);
      fail |= (in_m & bad_m) | (!in_m & bad_other);
    }
    return !fail;
  };
  // First the midpoint t_e = m_e / 2 (each end of e gets half; exact in binary, so s_e = 0 on
  // M): it passes in most HOTA frames (~80 % at MOT17 scale), and then no constraint is built.
  auto midpoint = [&] {
    for (std::size_t k = 0; k < K; ++k) x[k] = 0.5 * mv[k];
    x[K] = 0.0;
  };
  midpoint();
  bool proved = proof_holds();
  s.midpoint_certified += proved;
  if (!proved) {
    // Difference constraints x_to <= x_from + w, solved by relaxation. From any start it ends,
    // where no cycle is negative, in a solution within |M| + 1 rounds (x_v = min(start_v, min over
    // paths u -> v of start_u + w)); starting at the midpoint again takes fewer rounds than t = 0.
    if (s.constraints.size() < ne + 2 * K) s.constraints.resize(ne + 2 * K);
    auto* con = s.constraints.data();
    std::size_t nk = 0;
    for (std::size_t k = 0; k < K; ++k) {
      con[nk++] = {static_cast<std::uint32_t>(k), z, 0.0};  // t_e >= 0
      con[nk++] = {z, static_cast<std::uint32_t>(k), mv[k]};  // t_e <= m_e
    }
    bool free_pair = false;  // an entry with row and column both uncovered: M is not maximal
    for (std::size_t q = 0; q < ne; ++q) {
      const std::int32_t a = mate[er[q]], b = mate[nr + ec[q]];
      // d_i + d_j >= m_ij + 2·delta with d_i = t_a (or 0), d_j = m_b − t_b (or 0); M's own
      // entries are written over (nk not advanced).
      const std::uint32_t from = index_of(a), to = index_of(b);
      con[nk] = {from, to, mv[to] - (ev[q] + 2 * delta)};
      nk += !((a >= 0) & (a == b));
      free_pair |= (a < 0) & (b < 0);
    }
    if (free_pair) return false;
    midpoint();
    bool changed = true;
    for (std::size_t round = 0; round < K + 2 && changed; ++round) {
      changed = false;
      for (std::size_t c = 0; c < nk; ++c) {
        const double y = x[con[c].from] + con[c].w;
        if (y < x[con[c].to]) x[con[c].to] = y, changed = true;
      }
    }
    if (changed || !proof_holds()) return false;
  }
  write_row_pairs(nr, [&](std::size_t i) { return mate[i] < 0 ? std::int64_t{-1} : std::int64_t{ec[me[mate[i]]]}; }, rows, cols);
  return true;
}
}  // namespace mot_assign

/// The positive pairs of the best matching of the positive entries of the (nr, nc) row-major
/// matrix `m` (entries >= 0), found per connected component of the graph of positive entries
/// (each a small matrix for the solver) and accepted only with a proof that this matching M is
/// the unique optimum by a margin — then scipy's solve of the whole matrix returns the same
/// positive pairs. The proof: let d_v >= 0 be a value per row and column and s_e = d_i + d_j − m_e
/// per positive entry e = (i, j). For any matching M' of positive entries,
/// Σ_{e in M'} m_e = Σ_{v covered by M'} d_v − Σ_{e in M'} s_e, so
///   value(M) − value(M') = d(covered by M, not M') − d(covered by M', not M) + s(M') − s(M).
/// Checked: m_e > delta and |s_e| <= tol on M; s_e > delta on every other positive entry; d_v <= tol
/// where M leaves v uncovered; delta = 1e-9·(1 + value(M)), tol = delta / (4·(nr + nc + 1)). With
/// k = min(nr, nc): if M' uses an entry outside M, s(M') > delta − k·tol, d(covered by M', not M)
/// <= (nr + nc)·tol and s(M) <= k·tol; if M' is a proper subset of M, it leaves both ends of some
/// e in M uncovered, worth d_i + d_j = m_e + s_e > delta − tol, and s(M') − s(M) >= −k·tol.
/// Either way M' scores less by more than delta/2 — far beyond rounding (in these checks,
/// ~1e-16·(1 + value(M)), or in the solver's total): scipy's assignment, optimal up to rounding,
/// has M as its positive pairs (any matching of positive entries extends to an assignment by zero
/// pairs, so its positive pairs score at least value(M) − rounding). Where a check fails (a tie
/// or a near-tie), returns false and the caller solves the whole matrix.
/// Finding d: with d = 0 off M and d_i = t_e, d_j = m_e − t_e on e = (i, j) in M, the wanted
/// inequalities (0 <= t_e <= m_e; s > 2·delta off M) are differences of two t's (or bounds, a t
/// against a fixed zero t_z), solved by Bellman–Ford relaxation (a cycle still relaxing after
/// |M| + 2 rounds: no such d, refuse); the checks above then decide, whatever the relaxation
/// did (certify_matching first tries the closed form t_e = m_e / 2, then relaxes from there). Writes
/// M in row order; O(n_ij + Σ_components r'²·c' + |M|·(n_ij + |M|)), typically
/// O(n_ij) relaxation rounds being few; no allocation once `s` is warm.
template <class Scratch>
bool certified_component_pairs(const double* m, std::size_t nr, std::size_t nc, const std::uint32_t* ij,
                               std::size_t n_ij, std::vector<std::int64_t>& rows, std::vector<std::int64_t>& cols,
                               Scratch& s) {
  const std::size_t nn = nr + nc;
  mot_assign::group_components(m, nr, nc, ij, n_ij, s);
  mot_assign::begin_matching(nr, nc, s);
  s.local.resize(nn);
  double total = 0;
  for (std::size_t root = 0; root < nn; ++root) {
    const std::size_t b = s.comp_begin[root], e = s.comp_begin[root + 1];
    if (e - b == 0) continue;
    const std::uint32_t* ce = s.comp_edges.data() + b;
    if (e - b == 1) {
      total += mot_assign::take_entry(nr, ce[0], s);
      continue;
    }
    // Local indices: rows in order of appearance (ascending), columns likewise.
    s.comp_rows.clear(), s.comp_cols.clear();
    for (std::size_t k = 0; k < e - b; ++k) {
      const std::uint32_t i = s.edge_r[ce[k]], j = s.edge_c[ce[k]];
      if (s.comp_rows.empty() || s.comp_rows.back() != i) s.local[i] = static_cast<std::int32_t>(s.comp_rows.size()), s.comp_rows.push_back(i);
      if (s.mate[nr + j] != -2) s.mate[nr + j] = -2, s.local[nr + j] = static_cast<std::int32_t>(s.comp_cols.size()), s.comp_cols.push_back(j);
    }
    for (const std::uint32_t j : s.comp_cols) s.mate[nr + j] = -1;
    // The solver's rows are the smaller side; one zero column more keeps a free column.
    const std::size_t cr = s.comp_rows.size(), cc = s.comp_cols.size();
    const bool flip = cr > cc;
    const std::size_t sr = flip ? cc : cr, sc = (flip ? cr : cc) + (cr == cc);
    s.cost.assign(sr * sc, 0.0);
    s.comp_edge_at.assign(cr * cc, -1);
    for (std::size_t k = 0; k < e - b; ++k) {
      const std::uint32_t q = ce[k];
      const std::size_t a = static_cast<std::size_t>(s.local[s.edge_r[q]]), c = static_cast<std::size_t>(s.local[nr + s.edge_c[q]]);
      s.cost[flip ? c * sc + a : a * sc + c] = -s.edge_v[q];
      s.comp_edge_at[a * cc + c] = static_cast<std::int64_t>(q);
    }
    s.comp_col4row.resize(sr);
    lap_core(s.cost.data(), sr, sc, s.comp_col4row.data(), s.lap);
    for (std::size_t a = 0; a < sr; ++a) {
      const std::size_t c = static_cast<std::size_t>(s.comp_col4row[a]);
      if (c >= (flip ? cr : cc)) continue;  // the added column
      const std::int64_t q = s.comp_edge_at[flip ? c * cc + a : a * cc + c];
      if (q >= 0) total += mot_assign::take_entry(nr, static_cast<std::uint32_t>(q), s);  // else a zero pair: not in M
    }
  }
  return mot_assign::certify_matching(nr, nc, rows, cols, s, total);
}

/// certified_component_pairs' result from a greedy candidate: the positive entries taken in
/// decreasing order while both their row and column are free, then the same certificate (which
/// refuses where greedy's matching is not the unique optimum by a margin). The order compares
/// values to 2^-36 relative (the entry's index in the low 16 bits of a sort key): entries closer
/// than that may be taken in either order, which the certificate then judges like any other
/// candidate. O(n_ij·rounds + certificate), rounds of locally dominant entries being few (each
/// takes at least the largest free entry); no allocation once `s` is warm.
template <class Scratch>
bool certified_greedy_pairs(const double* m, std::size_t nr, std::size_t nc, const std::uint32_t* ij,
                            std::size_t n_ij, std::vector<std::int64_t>& rows, std::vector<std::int64_t>& cols,
                            Scratch& s) {
  const std::size_t ne = mot_assign::collect_positive(m, nc, ij, n_ij, s);
  if (ne > 0xFFFF) return false;
  if (s.sort_key.size() < ne) s.sort_key.resize(ne);
  std::uint64_t* key = s.sort_key.data();
  // Greedy as rounds of locally dominant entries (the largest key of both their row and column
  // among the entries still free), which with distinct keys takes what a sorted greedy takes.
  mot_assign::begin_matching(nr, nc, s);
  s.row_key.assign(nr, 0), s.col_key.assign(nc, 0);
  if (s.alive.size() < ne) s.alive.resize(ne);
  std::uint32_t* alive = s.alive.data();
  std::size_t n_alive = ne;
  double total = 0;
  std::uint64_t *rk = s.row_key.data(), *ck = s.col_key.data();
  const std::uint32_t *er = s.edge_r.data(), *ec = s.edge_c.data();
  const double* ev = s.edge_v.data();
  // The keys, every entry alive, and the first round's row and column maxima in one pass.
  for (std::size_t q = 0; q < ne; ++q) {
    std::uint64_t bits;  // positive doubles order as their bit patterns
    std::memcpy(&bits, ev + q, sizeof bits);
    key[q] = (bits & ~std::uint64_t{0xFFFF}) | q;
    alive[q] = static_cast<std::uint32_t>(q);
    rk[er[q]] = std::max(rk[er[q]], key[q]);
    ck[ec[q]] = std::max(ck[ec[q]], key[q]);
  }
  // take_entry without a branch per entry (which entries a round takes falls at random): every
  // entry writes its slot of m_edge and the mates, a taken one advances the count. Adding +0 for
  // an entry not taken leaves the total (>= +0) unchanged.
  s.m_edge.resize(ne);
  std::uint32_t* me = s.m_edge.data();
  std::int32_t* mate = s.mate.data();
  std::uint32_t n_taken = 0;
  for (bool first = true; n_alive > 0; first = false) {
    if (!first)
      for (std::size_t k = 0; k < n_alive; ++k) {
        const std::uint32_t q = alive[k];
        rk[er[q]] = std::max(rk[er[q]], key[q]);
        ck[ec[q]] = std::max(ck[ec[q]], key[q]);
      }
    for (std::size_t k = 0; k < n_alive; ++k) {
      const std::uint32_t q = alive[k];
      const bool take = (rk[er[q]] == key[q]) & (ck[ec[q]] == key[q]);
      // Masks rather than `take ? .. : ..`, which the compiler turns back into a branch.
      const std::int32_t keep = static_cast<std::int32_t>(take) - 1, at = static_cast<std::int32_t>(n_taken);
      me[n_taken] = q;
      std::int32_t& mr = mate[er[q]];
      mr = (mr & keep) | (at & ~keep);
      std::int32_t& mc = mate[nr + ec[q]];
      mc = (mc & keep) | (at & ~keep);
      std::uint64_t v_bits;
      std::memcpy(&v_bits, ev + q, sizeof v_bits);
      v_bits &= ~static_cast<std::uint64_t>(0) * static_cast<std::uint64_t>(take);
      double v;
      std::memcpy(&v, &v_bits, sizeof v);
      total += v;
      n_taken += take;
    }
    std::size_t n = 0;
    for (std::size_t k = 0; k < n_alive; ++k) {
      const std::uint32_t q = alive[k];
      rk[er[q]] = 0, ck[ec[q]] = 0;
      alive[n] = q;
      n += (mate[er[q]] < 0) & (mate[nr + ec[q]] < 0);
    }
    n_alive = n;
  }
  s.m_edge.resize(n_taken);
  return mot_assign::certify_matching(nr, nc, rows, cols, s, total);
}

/// scipy's `linear_sum_assignment(m, maximize=True)`, all min(nr, nc) pairs in row order.
inline void solve_max_score(const double* m, std::size_t nr, std::size_t nc, std::vector<std::int64_t>& rows,
                            std::vector<std::int64_t>& cols, LinearAssignmentWorkspace& ws) {
  const std::size_t k = std::min(nr, nc);
  rows.resize(k);
  cols.resize(k);
  linear_sum_assignment(m, nr, nc, rows.data(), cols.data(), /*maximize=*/true, ws);
}

/// The positive-score pairs of the maximum-score assignment of the (nr, nc) row-major matrix `m`
/// (entries >= 0) as scipy's `linear_sum_assignment(-m)` chooses them, without solving the whole
/// matrix where the answer is forced. Any assignment's positive pairs form a matching of the
/// graph of positive entries, and any such matching extends to a full assignment with zero pairs,
/// so an optimal assignment's positive pairs are a maximum-weight matching of that graph: its
/// connected components independently. Tried in turn, each exact where it answers:
/// components that are single entries (independent_positive_pairs); with `line_certificate`,
/// every row (or every column) clearly preferring a distinct partner (unique_best_line_pairs:
/// cheap, decides most CLEAR frames); the greedy matching with a dual certificate that it is the
/// unique optimum by a margin (certified_greedy_pairs), then the per-component solves with that
/// certificate (certified_component_pairs); with `max_component` > 1, a search of every
/// component of at most that many entries by branch and bound, taking its best matching when it
/// beats every other matching of the component by more than 1e-9·(1 + total). Each margin is far
/// beyond the solver's rounding, so scipy (optimal up to rounding) returns the same pairs. A
/// frame none of them decides (a tie or near-tie that matters) goes through
/// linear_sum_assignment on the whole matrix (scipy's tie-breaking). Writes pairs in row order to
/// `rows`/`cols`; callers keep pairs by their own rule (every such rule rejects score-0 pairs,
/// which the solver path may also return). `ij`/`n_ij`: optionally the (row, column) pairs of
/// every positive entry, in row-major order (see unique_best_line_pairs); then only the solver
/// reads the whole matrix. No allocation once `s` is warm.
inline void max_score_pairs(const double* m, std::size_t nr, std::size_t nc, std::vector<std::int64_t>& rows,
                            std::vector<std::int64_t>& cols, MotAssignScratch& s, std::size_t max_component = 6,
                            const std::uint32_t* ij = nullptr, std::size_t n_ij = 0, bool line_certificate = true) {
  if (!ij) {  // the positive entries' list, without a branch per entry
    if (s.nonzero.size() < 2 * nr * nc) s.nonzero.resize(2 * nr * nc);
    std::size_t n = 0;
    for (std::size_t i = 0; i < nr; ++i)
      for (std::size_t j = 0; j < nc; ++j) {
        s.nonzero[2 * n] = static_cast<std::uint32_t>(i), s.nonzero[2 * n + 1] = static_cast<std::uint32_t>(j);
        n += m[i * nc + j] > 0;
      }
    ij = s.nonzero.data(), n_ij = n;
  }
  if (independent_positive_pairs(m, nc, ij, n_ij, rows, cols, s.col_used)) return;
  if (line_certificate && unique_best_line_pairs(m, nr, nc, ij, n_ij, rows, cols, s)) return;
  if (certified_greedy_pairs(m, nr, nc, ij, n_ij, rows, cols, s)) return;
  if (certified_component_pairs(m, nr, nc, ij, n_ij, rows, cols, s)) return;
  rows.clear();
  cols.clear();
  if (max_component <= 1) return solve_max_score(m, nr, nc, rows, cols, s.lap);
  const std::size_t nn = nr + nc;
  const std::size_t ne = mot_assign::group_components(m, nr, nc, ij, n_ij, s);
  bool solved = true;
  if (ne > 0) {
    // A component beyond the search size sends the frame to the solver: decide that first.
    for (std::size_t root = 0; root < nn && solved; ++root) solved = s.comp_begin[root + 1] - s.comp_begin[root] <= max_component;
    s.pick.assign(ne, 0);
    s.col_used.assign(nc, 0);
    for (std::size_t root = 0; root < nn && solved; ++root) {
      const std::size_t b = s.comp_begin[root], e = s.comp_begin[root + 1];
      if (e - b == 0) continue;
      if (e - b == 1) {
        s.pick[s.comp_edges[b]] = 1;
        continue;
      }
      s.cur.clear();
      const std::uint32_t* ce = s.comp_edges.data() + b;
      s.rest.assign(e - b + 1, 0.0);
      for (std::size_t q = e - b; q-- > 0;) {
        // rest[q] = rest[next row start] + this row's largest entry (taken at the row's first edge).
        const std::uint32_t row = s.edge_r[ce[q]];
        std::size_t end = q;
        while (end < e - b && s.edge_r[ce[end]] == row) ++end;
        double mx = 0;
        for (std::size_t k2 = q; k2 < end; ++k2) mx = std::max(mx, m[static_cast<std::size_t>(row) * nc + s.edge_c[ce[k2]]]);
        s.rest[q] = s.rest[end] + mx;
      }
      mot_assign::Enum en{m, nc, s.edge_r.data(), s.edge_c.data(), ce, e - b, s.col_used, s.cur, s.best, s.rest.data()};
      en.run(0, 0.0);
      if (en.nodes_left == 0 || !(en.best_total - en.second_total > 1e-9 * (1 + en.best_total))) {
        solved = false;
        break;
      }
      for (const std::uint32_t q : s.best) s.pick[q] = 1;
    }
  }
  if (solved) {
    for (std::size_t q = 0; q < ne; ++q)
      if (s.pick[q]) rows.push_back(s.edge_r[q]), cols.push_back(s.edge_c[q]);
    return;
  }
  solve_max_score(m, nr, nc, rows, cols, s.lap);
}

/// numpy's pairwise sum over positions [lo, lo + n) of N virtual arrays that are zero except at
/// the sorted positions `idx[b..e)`, into out[v]; `get(k, x)` writes the N values at idx[k] to
/// x[0..N) (computed when needed: no storage for them). Equal bit for bit to summing the dense
/// arrays, because adding +0.0 to a non-negative partial sum changes nothing; requires
/// non-negative values. N arrays sharing their positions are summed in one traversal.
template <std::size_t N, class Index, class Get>
inline void sparse_pairwise_sums_of(std::size_t lo, std::size_t n, const Index* idx, Get& get, std::size_t b,
                                    std::size_t e, double* out) {
  for (std::size_t v = 0; v < N; ++v) out[v] = 0.0;
  if (b == e) return;
  double x[N], y[N];
  if (e - b <= 2) {
    // One or two non-zeros: x, or x + y whatever the tree (one addition, which commutes; the
    // zeros added around it change nothing): no walk down to the leaves.
    get(b, x);
    if (e - b == 2) {
      get(b + 1, y);
      for (std::size_t v = 0; v < N; ++v) x[v] = x[v] + y[v];
    }
    for (std::size_t v = 0; v < N; ++v) out[v] = x[v];
    return;
  }
  if (n < 8) {
    for (std::size_t k = b; k < e; ++k) {
      get(k, x);
      for (std::size_t v = 0; v < N; ++v) out[v] += x[v];
    }
    return;
  }
  if (n <= 128) {
    double r[N][8] = {};
    const std::size_t body = n - (n % 8);
    std::size_t k = b;
    for (; k < e && idx[k] - lo < body; ++k) {
      get(k, x);
      for (std::size_t v = 0; v < N; ++v) r[v][(idx[k] - lo) % 8] += x[v];
    }
    for (std::size_t v = 0; v < N; ++v)
      out[v] = ((r[v][0] + r[v][1]) + (r[v][2] + r[v][3])) + ((r[v][4] + r[v][5]) + (r[v][6] + r[v][7]));
    for (; k < e; ++k) {
      get(k, x);
      for (std::size_t v = 0; v < N; ++v) out[v] += x[v];
    }
    return;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  const std::size_t mid = static_cast<std::size_t>(std::lower_bound(idx + b, idx + e, lo + n2) - idx);
  sparse_pairwise_sums_of<N>(lo, n2, idx, get, b, mid, x);
  sparse_pairwise_sums_of<N>(lo + n2, n - n2, idx, get, mid, e, y);
  for (std::size_t v = 0; v < N; ++v) out[v] = x[v] + y[v];
}

/// sparse_pairwise_sums_of with the values stored: val[v][b..e).
template <std::size_t N, class Index>
inline void sparse_pairwise_sums(std::size_t lo, std::size_t n, const Index* idx, const double* const* val,
                                 std::size_t b, std::size_t e, double* out) noexcept {
  auto get = [val](std::size_t k, double* x) {
    for (std::size_t v = 0; v < N; ++v) x[v] = val[v][k];
  };
  sparse_pairwise_sums_of<N>(lo, n, idx, get, b, e, out);
}

/// sparse_pairwise_sums of one array.
template <class Index>
inline double sparse_pairwise_sum(std::size_t lo, std::size_t n, const Index* idx, const double* val,
                                  std::size_t b, std::size_t e) noexcept {
  double out;
  sparse_pairwise_sums<1>(lo, n, idx, &val, b, e, &out);
  return out;
}

/// `np.sum` of N contiguous float64 arrays of length n that are zero except at the sorted
/// positions idx[0..m) (non-negative values, written by get(k, x) as in sparse_pairwise_sums_of):
/// 8192-element blocks added left to right, each pairwise; into out[v].
template <std::size_t N, class Get>
inline void sparse_numpy_sums_of(std::size_t n, const std::uint64_t* idx, Get& get, std::size_t m, double* out) {
  for (std::size_t v = 0; v < N; ++v) out[v] = 0.0;
  std::size_t k = 0;
  for (std::size_t lo = 0; lo < n && k < m; lo += 8192) {
    const std::size_t len = std::min<std::size_t>(8192, n - lo);
    std::size_t e = k;
    while (e < m && idx[e] < lo + len) ++e;
    if (e > k) {
      double block[N];
      sparse_pairwise_sums_of<N>(lo, len, idx, get, k, e, block);
      for (std::size_t v = 0; v < N; ++v) out[v] += block[v];
    }
    k = e;
  }
}

/// sparse_numpy_sums_of with the values stored: val[v][0..m).
template <std::size_t N>
inline void sparse_numpy_sums(std::size_t n, const std::uint64_t* idx, const double* const* val, std::size_t m,
                              double* out) noexcept {
  auto get = [val](std::size_t k, double* x) {
    for (std::size_t v = 0; v < N; ++v) x[v] = val[v][k];
  };
  sparse_numpy_sums_of<N>(n, idx, get, m, out);
}

/// sparse_numpy_sums of one array.
inline double sparse_numpy_sum(std::size_t n, const std::uint64_t* idx, const double* val, std::size_t m) noexcept {
  double out;
  sparse_numpy_sums<1>(n, idx, &val, m, &out);
  return out;
}

}  // namespace detail
}  // namespace locuskit
