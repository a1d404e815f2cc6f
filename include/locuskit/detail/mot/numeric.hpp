#pragma once
/// \file detail/mot/numeric.hpp
/// Floating-point building blocks of the MOT metrics with TrackEval's (numpy 1.24's) exact order of
/// operations: the xywh box IoU of `_calculate_box_ious` and `np.sum` over a mostly-zero matrix.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(_MSC_VER)
#include <intrin.h>
#endif

#include <locuskit/eval/numpy_sum.hpp>
#include <locuskit/match/linear_assignment.hpp>

namespace locuskit {
namespace detail {

inline constexpr double mot_eps = std::numeric_limits<double>::epsilon();  // np.finfo(float).eps = 2^-52

/// Index of the lowest set bit of a non-zero word.
inline unsigned lowest_set_bit(std::uint64_t x) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return static_cast<unsigned>(__builtin_ctzll(x));
#elif defined(_MSC_VER) && defined(_M_X64)
  unsigned long k;
  _BitScanForward64(&k, x);
  return static_cast<unsigned>(k);
#else
  unsigned k = 0;
  while (!(x & 1)) x >>= 1, ++k;
  return k;
#endif
}

/// Appends the non-zero entries of one similarity row without a branch per entry (overlaps fall at
/// random): called with (j, x) for every column, it writes the word {row, j} (two uint32s, laid out
/// as MotSequenceData::overlap_ij) to ij[m] and x to v[m], and advances m past non-zeros only.
/// IoUs are >= ±0, so `!= 0` keeps exactly the positive ones. ij and v hold a slot per column.
struct NonzeroRowAppender {
  std::uint32_t row;
  std::uint64_t* ij;
  double* v;
  std::size_t m = 0;
  void operator()(std::size_t j, double x) noexcept {
    const std::uint32_t pair[2] = {row, static_cast<std::uint32_t>(j)};
    std::memcpy(ij + m, pair, sizeof pair);
    v[m] = x;
    m += x != 0;
  }
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
    x0.resize(n), y0.resize(n), x1.resize(n), y1.resize(n), area.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      const double* b = xywh + 4 * order[k];
      x0[k] = b[0], y0[k] = b[1], x1[k] = b[0] + b[2], y1[k] = b[1] + b[3];
      area[k] = (x1[k] - x0[k]) * (y1[k] - y0[k]);
    }
  }

  /// TrackEval's IoU of box `i` with box `j` of `other`, its formula in its order: intersection
  /// max(min(x1) - max(x0), 0) · the same in y, union ga + ta - inter, the intersection zeroed
  /// when an area or the union is <= eps (then divided by 1). min/max as numpy's (std::min/max
  /// with the box of `this` first), so ±0 and every other bit as TrackEval.
  double iou(std::size_t i, const MotBoxes& other, std::size_t j) const noexcept {
    const double iw = std::max(std::min(x1[i], other.x1[j]) - std::max(x0[i], other.x0[j]), 0.0);
    const double ih = std::max(std::min(y1[i], other.y1[j]) - std::max(y0[i], other.y0[j]), 0.0);
    const double inter = iw * ih;
    const double uni = area[i] + other.area[j] - inter;
    const bool ok = (area[i] > mot_eps) & (other.area[j] > mot_eps) & (uni > mot_eps);
    return (ok ? inter : 0.0) / (uni > mot_eps ? uni : 1.0);
  }

  /// Bit c (c < n <= 64) set when box `i` and box `b0 + c` of `other` pass tx0 < gx1, tx1 > gx0,
  /// ty0 < gy1 and ty1 > gy0 (g = box i). Every pair with a non-zero IoU has its bit set: a
  /// non-zero IoU needs iw = max(min(gx1, tx1) - max(gx0, tx0), 0) != 0, i.e. the difference > 0
  /// (a NaN difference, inf - inf, makes the union NaN and the IoU 0), so min(gx1, tx1) >
  /// max(gx0, tx0), which implies the two x comparisons (min <= gx1, max >= tx0 and alike); y
  /// likewise. Corners are never NaN (finite inputs), so a cleared bit means IoU ±0.
  std::uint64_t overlap_mask(std::size_t i, const MotBoxes& other, std::size_t b0, std::size_t n) const noexcept {
    const double gx0 = x0[i], gy0 = y0[i], gx1 = x1[i], gy1 = y1[i];
    const double *tx0 = other.x0.data() + b0, *ty0 = other.y0.data() + b0, *tx1 = other.x1.data() + b0,
                 *ty1 = other.y1.data() + b0;
    std::uint64_t mask = 0;
    std::size_t j = 0;
#if defined(__SSE2__)
    const __m128d vgx0 = _mm_set1_pd(gx0), vgy0 = _mm_set1_pd(gy0), vgx1 = _mm_set1_pd(gx1), vgy1 = _mm_set1_pd(gy1);
    for (; j + 2 <= n; j += 2) {
      const __m128d in_x = _mm_and_pd(_mm_cmplt_pd(_mm_loadu_pd(tx0 + j), vgx1), _mm_cmpgt_pd(_mm_loadu_pd(tx1 + j), vgx0));
      const __m128d in_y = _mm_and_pd(_mm_cmplt_pd(_mm_loadu_pd(ty0 + j), vgy1), _mm_cmpgt_pd(_mm_loadu_pd(ty1 + j), vgy0));
      mask |= static_cast<std::uint64_t>(_mm_movemask_pd(_mm_and_pd(in_x, in_y))) << j;
    }
#endif
    for (; j < n; ++j)
      mask |= static_cast<std::uint64_t>((tx0[j] < gx1) & (tx1[j] > gx0) & (ty0[j] < gy1) & (ty1[j] > gy0)) << j;
    return mask;
  }

  /// The non-zero IoUs of box `i` with boxes `b0 .. b0 + n` of `other`, in column order: for each
  /// column j with IoU != 0, the word {row, j} (two uint32s) to ij[m] and the IoU (iou(), same
  /// bits) to v[m]; returns the count m. Only the pairs overlap_mask keeps are computed (~10 % in
  /// MOT data), each without a branch on its value. Slots up to n may be written.
  std::size_t iou_row_nonzero(std::size_t i, const MotBoxes& other, std::size_t b0, std::size_t n, std::uint32_t row,
                              std::uint64_t* ij, double* v) const noexcept {
    NonzeroRowAppender append{row, ij, v};
    for (std::size_t block = 0; block < n; block += 64) {
      for (std::uint64_t mask = overlap_mask(i, other, b0 + block, std::min<std::size_t>(64, n - block)); mask != 0;
           mask &= mask - 1) {
        const std::size_t j = block + lowest_set_bit(mask);
        append(j, iou(i, other, b0 + j));
      }
    }
    return append.m;
  }
};

/// Scratch space of max_score_pairs (reused across frames: no allocation once warm).
struct MotAssignScratch {
  std::vector<std::uint32_t> parent;        // union-find over rows (0..nr) and columns (nr..nr+nc)
  std::vector<std::uint32_t> edge_r, edge_c;  // positive entries, row-major order
  std::vector<std::uint32_t> comp_edges;    // edges grouped by component
  std::vector<std::uint32_t> comp_begin, root_count;
  std::vector<std::uint8_t> col_used;
  std::vector<std::uint32_t> best, cur;     // enumeration state
  std::vector<std::uint8_t> pick;           // chosen edges, per edge
  std::vector<double> rest;                 // branch-and-bound suffix bounds
  std::vector<double> row_best, row_second, col_best, col_second;  // unique_best_line_pairs
  std::vector<std::int64_t> row_arg, col_arg;
  std::vector<std::uint32_t> nonzero;          // (row, column) of each positive entry
  LinearAssignmentWorkspace lap;               // the solver's scratch
};

namespace mot_assign {
inline std::uint32_t find(std::vector<std::uint32_t>& p, std::uint32_t x) noexcept {
  while (p[x] != x) x = p[x] = p[p[x]];
  return x;
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
/// Otherwise returns false. One pass that stops at the first conflict. `col_used` is scratch.
inline bool independent_positive_pairs(const double* m, std::size_t nr, std::size_t nc, std::vector<std::int64_t>& rows,
                                       std::vector<std::int64_t>& cols, std::vector<std::uint8_t>& col_used) {
  rows.clear();
  cols.clear();
  col_used.assign(nc, 0);
  for (std::size_t i = 0; i < nr; ++i) {
    std::int64_t found = -1;
    for (std::size_t j = 0; j < nc; ++j) {
      if (!(m[i * nc + j] > 0)) continue;
      if (found >= 0 || col_used[j]) return false;
      found = static_cast<std::int64_t>(j);
      col_used[j] = 1;
    }
    if (found >= 0) rows.push_back(static_cast<std::int64_t>(i)), cols.push_back(found);
  }
  return true;
}

/// independent_positive_pairs from a list instead of a matrix scan: `ij` holds n_ij (row, column)
/// pairs in row-major order (rows ascending, no pair twice) that include every positive entry of
/// `m`; entries that are not > 0 are skipped. Same result as the matrix version; O(nc + n_ij).
inline bool independent_positive_pairs(const double* m, std::size_t nc, const std::uint32_t* ij, std::size_t n_ij,
                                       std::vector<std::int64_t>& rows, std::vector<std::int64_t>& cols,
                                       std::vector<std::uint8_t>& col_used) {
  rows.clear();
  cols.clear();
  col_used.assign(nc, 0);
  for (std::size_t q = 0; q < n_ij; ++q) {
    const std::uint32_t i = ij[2 * q], j = ij[2 * q + 1];
    if (!(m[static_cast<std::size_t>(i) * nc + j] > 0)) continue;
    if (col_used[j] || (!rows.empty() && rows.back() == static_cast<std::int64_t>(i))) return false;
    col_used[j] = 1;
    rows.push_back(static_cast<std::int64_t>(i)), cols.push_back(static_cast<std::int64_t>(j));
  }
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
  s.row_best.assign(nr, 0.0);
  s.row_second.assign(nr, 0.0);
  s.row_arg.assign(nr, -1);
  s.col_best.assign(nc, 0.0);
  s.col_second.assign(nc, 0.0);
  s.col_arg.assign(nc, -1);
  for (std::size_t q = 0; q < n_ij; ++q) {
    const std::uint32_t i = ij[2 * q], j = ij[2 * q + 1];
    const double x = m[static_cast<std::size_t>(i) * nc + j];
    if (!(x > 0)) continue;
    if (x > s.row_best[i]) s.row_second[i] = s.row_best[i], s.row_best[i] = x, s.row_arg[i] = j;
    else if (x > s.row_second[i]) s.row_second[i] = x;
    if (x > s.col_best[j]) s.col_second[j] = s.col_best[j], s.col_best[j] = x, s.col_arg[j] = i;
    else if (x > s.col_second[j]) s.col_second[j] = x;
  }
  s.col_used.assign(nc, 0);
  bool rows_ok = true;
  double row_total = 0, row_gap = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < nr && rows_ok; ++i) {
    if (s.row_arg[i] < 0) continue;
    const std::size_t j = static_cast<std::size_t>(s.row_arg[i]);
    rows_ok = !s.col_used[j];
    s.col_used[j] = 1;
    row_total += s.row_best[i];
    row_gap = std::min(row_gap, s.row_best[i] - s.row_second[i]);  // second = 0: one positive entry
  }
  if (rows_ok && row_gap > 1e-9 * (1 + row_total)) {
    for (std::size_t i = 0; i < nr; ++i)
      if (s.row_arg[i] >= 0) rows.push_back(static_cast<std::int64_t>(i)), cols.push_back(s.row_arg[i]);
    return true;
  }
  // Columns: their chosen rows must be distinct; row_arg now maps a row to its column.
  std::fill(s.row_arg.begin(), s.row_arg.end(), -1);
  double col_total = 0, col_gap = std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < nc; ++j) {
    if (s.col_arg[j] < 0) continue;
    const std::size_t i = static_cast<std::size_t>(s.col_arg[j]);
    if (s.row_arg[i] >= 0) return false;
    s.row_arg[i] = static_cast<std::int64_t>(j);
    col_total += s.col_best[j];
    col_gap = std::min(col_gap, s.col_best[j] - s.col_second[j]);
  }
  if (!(col_gap > 1e-9 * (1 + col_total))) return false;
  for (std::size_t i = 0; i < nr; ++i)
    if (s.row_arg[i] >= 0) rows.push_back(static_cast<std::int64_t>(i)), cols.push_back(s.row_arg[i]);
  return true;
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
/// connected components independently. Components that are single entries give their pairs
/// (checked first in one cheap pass over the matrix); then a frame where every row (or every
/// column) takes its clearly largest entry without conflicts is decided by the dual certificate of
/// unique_best_line_pairs (any number of entries); with `max_component` > 1, a component of at
/// most that many entries is searched by branch and bound, and its best matching is taken when it
/// beats every other matching of the component by more than 1e-9·(1 + total) — far beyond the
/// solver's rounding, so scipy (optimal up to rounding) returns it too. A component with a tie or
/// a near-tie, or a larger one, makes the whole matrix go through linear_sum_assignment (scipy's
/// tie-breaking). Writes pairs in row order to `rows`/`cols`; callers keep pairs by their own rule
/// (every such rule rejects score-0 pairs, which the solver path may also return). `ij`/`n_ij`:
/// optionally the (row, column) pairs of every positive entry, in row-major order (see
/// unique_best_line_pairs); then only the solver reads the whole matrix.
inline void max_score_pairs(const double* m, std::size_t nr, std::size_t nc, std::vector<std::int64_t>& rows,
                            std::vector<std::int64_t>& cols, MotAssignScratch& s, std::size_t max_component = 6,
                            const std::uint32_t* ij = nullptr, std::size_t n_ij = 0) {
  if (ij ? independent_positive_pairs(m, nc, ij, n_ij, rows, cols, s.col_used)
         : independent_positive_pairs(m, nr, nc, rows, cols, s.col_used))
    return;
  if (!ij) {
    s.nonzero.clear();
    for (std::size_t i = 0; i < nr; ++i)
      for (std::size_t j = 0; j < nc; ++j)
        if (m[i * nc + j] > 0) s.nonzero.push_back(static_cast<std::uint32_t>(i)), s.nonzero.push_back(static_cast<std::uint32_t>(j));
    ij = s.nonzero.data(), n_ij = s.nonzero.size() / 2;
  }
  if (unique_best_line_pairs(m, nr, nc, ij, n_ij, rows, cols, s)) return;
  rows.clear();
  cols.clear();
  if (max_component <= 1) return solve_max_score(m, nr, nc, rows, cols, s.lap);
  const std::size_t nn = nr + nc;
  s.parent.resize(nn);
  for (std::size_t x = 0; x < nn; ++x) s.parent[x] = static_cast<std::uint32_t>(x);
  s.edge_r.clear(), s.edge_c.clear();
  for (std::size_t i = 0; i < nr; ++i)
    for (std::size_t j = 0; j < nc; ++j)
      if (m[i * nc + j] > 0) {
        s.edge_r.push_back(static_cast<std::uint32_t>(i)), s.edge_c.push_back(static_cast<std::uint32_t>(j));
        const std::uint32_t a = mot_assign::find(s.parent, static_cast<std::uint32_t>(i));
        const std::uint32_t b = mot_assign::find(s.parent, static_cast<std::uint32_t>(nr + j));
        if (a != b) s.parent[a] = b;
      }
  const std::size_t ne = s.edge_r.size();
  bool solved = true;
  if (ne > 0) {
    // Group edges by component (counting sort on the root, stable: rows stay ascending).
    s.root_count.assign(nn + 1, 0);
    for (std::size_t q = 0; q < ne; ++q) ++s.root_count[mot_assign::find(s.parent, s.edge_r[q]) + 1];
    for (std::size_t x = 0; x < nn; ++x) s.root_count[x + 1] += s.root_count[x];
    s.comp_edges.resize(ne);
    s.comp_begin.assign(s.root_count.begin(), s.root_count.end());  // comp_begin[root] .. comp_begin[root+1]
    for (std::size_t q = 0; q < ne; ++q)
      s.comp_edges[s.root_count[mot_assign::find(s.parent, s.edge_r[q])]++] = static_cast<std::uint32_t>(q);
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

/// numpy's pairwise sum over positions [lo, lo + n) of a virtual array that is zero except at the
/// sorted positions `idx[b..e)` (values `val`). Equal bit for bit to summing the dense array,
/// because adding +0.0 to a non-negative partial sum changes nothing; requires non-negative values.
template <class Index>
inline double sparse_pairwise_sum(std::size_t lo, std::size_t n, const Index* idx, const double* val,
                                  std::size_t b, std::size_t e) noexcept {
  if (b == e) return 0.0;
  if (n < 8) {
    double res = 0.0;
    for (std::size_t k = b; k < e; ++k) res += val[k];
    return res;
  }
  if (n <= 128) {
    double r[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const std::size_t body = n - (n % 8);
    std::size_t k = b;
    for (; k < e && idx[k] - lo < body; ++k) r[(idx[k] - lo) % 8] += val[k];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; k < e; ++k) res += val[k];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  const std::size_t mid = static_cast<std::size_t>(std::lower_bound(idx + b, idx + e, lo + n2) - idx);
  return sparse_pairwise_sum(lo, n2, idx, val, b, mid) + sparse_pairwise_sum(lo + n2, n - n2, idx, val, mid, e);
}

/// `np.sum` of a contiguous float64 array of length n that is zero except at the sorted positions
/// idx[0..m) (non-negative values val): 8192-element blocks added left to right, each pairwise.
inline double sparse_numpy_sum(std::size_t n, const std::uint64_t* idx, const double* val, std::size_t m) noexcept {
  double acc = 0.0;
  std::size_t k = 0;
  for (std::size_t lo = 0; lo < n && k < m; lo += 8192) {
    const std::size_t len = std::min<std::size_t>(8192, n - lo);
    std::size_t e = k;
    while (e < m && idx[e] < lo + len) ++e;
    if (e > k) acc += sparse_pairwise_sum(lo, len, idx, val, k, e);
    k = e;
  }
  return acc;
}

}  // namespace detail
}  // namespace locuskit
