#pragma once
// Implementation of eval/coco_eval.hpp. Every step follows pycocotools 2.0.11 cocoeval.py in the
// order of operations that decides the last bit; the notes' rule numbers are cited.
#include <algorithm>
#include <atomic>
#include <initializer_list>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "../../error.hpp"
#include "../../eval/numpy_sum.hpp"
#include "../../mask/mask_iou.hpp"
#include "../../mask/polygon.hpp"
#include "../../mask/rle.hpp"

namespace locuskit {
namespace detail {
namespace coco {

constexpr double kEps = std::numeric_limits<double>::epsilon();  // np.spacing(1)

// numpy's ordering for sorts and searchsorted: NaN sorts after every number.
inline bool np_less(double a, double b) noexcept { return a < b || (b != b && a == a); }

// Descending score with NaN last; used with std::stable_sort it is the order of numpy's stable
// argsort of -score (ties keep their current order, which need not be the index order).
struct ScoreDescending {
  const double* score;
  bool operator()(std::uint32_t i, std::uint32_t j) const noexcept { return np_less(-score[i], -score[j]); }
};

/// Box IoU between results and GT of one unit, as maskUtils.bbIou (rule 7). out: D x G.
struct BoxOverlap {
  const double* dt_bbox;
  const double* gt_bbox;
  const double* gt_crowd;  // may be null
  void operator()(const std::uint32_t* dt_idx, std::size_t D, const std::uint32_t* gt_idx, std::size_t G,
                  double* out) const noexcept {
    for (std::size_t g = 0; g < G; ++g) {
      const double* gb = gt_bbox + 4 * std::size_t(gt_idx[g]);
      const double ga = gb[2] * gb[3];
      const bool crowd = gt_crowd && gt_crowd[gt_idx[g]] != 0;
      for (std::size_t d = 0; d < D; ++d) {
        const double* db = dt_bbox + 4 * std::size_t(dt_idx[d]);
        const double da = db[2] * db[3];
        double& o = out[d * G + g];
        o = 0;
        const double w = std::fmin(db[2] + db[0], gb[2] + gb[0]) - std::fmax(db[0], gb[0]);
        if (w <= 0) continue;
        const double h = std::fmin(db[3] + db[1], gb[3] + gb[1]) - std::fmax(db[1], gb[1]);
        if (h <= 0) continue;
        const double i = w * h;
        const double u = crowd ? da : da + ga - i;
        o = i / u;
      }
    }
  }
};

/// The RLE of row `n` of a table's segmentation column (pycocotools' annToRLE): stored counts, or
/// for a box-only result loadRes' polygon [[x1,y1, x1,y2, x2,y2, x2,y1]] rasterised at its image size.
inline Rle row_mask(const CocoAnnotations& a, std::uint32_t n) {
  Rle r;
  r.height = a.segm_size[2 * std::size_t(n)];
  r.width = a.segm_size[2 * std::size_t(n) + 1];
  if (a.segm_kind[n] == segm_box) {
    const double* bb = a.bbox + 4 * std::size_t(n);
    const double x1 = bb[0], x2 = bb[0] + bb[2], y1 = bb[1], y2 = bb[1] + bb[3];
    // resource limit (docs/eval.md): the rasteriser walks the outline on a 5x grid
    LOCUSKIT_CHECK(10 * (std::fabs(bb[2]) + std::fabs(bb[3])) <= double(1 << 26), std::invalid_argument,
                   "results[", n, "]: box too large to rasterise as a mask (a documented resource limit)");
    const double xy[8] = {x1, y1, x1, y2, x2, y2, x2, y1};
    return rle_from_polygon(xy, 4, r.height, r.width);
  }
  r.counts.assign(a.segm_counts + a.segm_offset[n], a.segm_counts + a.segm_offset[n + 1]);
  return r;
}

/// Mask IoU between results and GT of one unit, as maskUtils.iou on annToRLE masks (rule 8):
/// box prefilter on rleToBbox boxes, IoA for crowd GT, −1 for different sizes. out: D x G.
struct MaskOverlap {
  const CocoAnnotations* dt;
  const CocoAnnotations* gt;
  void masks(const std::uint32_t* dt_idx, std::size_t D, const std::uint32_t* gt_idx, std::size_t G,
             std::vector<Rle>& dm, std::vector<Rle>& gm, std::vector<std::uint8_t>& crowd) const {
    dm.resize(D), gm.resize(G), crowd.resize(G);
    for (std::size_t d = 0; d < D; ++d) dm[d] = row_mask(*dt, dt_idx[d]);
    for (std::size_t g = 0; g < G; ++g) {
      gm[g] = row_mask(*gt, gt_idx[g]);
      crowd[g] = gt->iscrowd[gt_idx[g]] != 0;
    }
  }
  void operator()(const std::uint32_t* dt_idx, std::size_t D, const std::uint32_t* gt_idx, std::size_t G,
                  double* out) const {
    std::vector<Rle> dm, gm;
    std::vector<std::uint8_t> crowd;
    masks(dt_idx, D, gt_idx, G, dm, gm, crowd);
    rle_iou_matrix(dm.data(), D, gm.data(), G, crowd.data(), out, Parallel{1});
  }
};

/// The boundary of a mask as boundary-iou-api's mask_to_boundary: the mask minus its erosion by
/// a (2d+1) x (2d+1) square (d successive 3x3 erosions), outside the image counting as
/// background, d = max(1, round_half_even(ratio * sqrt(h² + w²))). O(h*w).
inline Rle mask_boundary(const Rle& m, double dilation_ratio) {
  const std::size_t h = m.height, w = m.width;
  Rle out;
  out.height = h, out.width = w;
  if (h == 0 || w == 0) return out;
  LOCUSKIT_CHECK(h <= (std::size_t(1) << 31) / w, std::invalid_argument, "boundary: a ", h, " x ", w,
                 " mask is beyond the 2^31-pixel limit of Boundary IoU (it is decoded to find the boundary)");
  const double diag = std::sqrt(static_cast<double>(h) * static_cast<double>(h) + static_cast<double>(w) * static_cast<double>(w));
  const double dr = std::nearbyint(dilation_ratio * diag);  // round half to even (default mode)
  const std::size_t d = dr < 1 ? 1 : static_cast<std::size_t>(dr);
  std::vector<std::uint8_t> px(h * w), er(h * w), tmp(h * w);
  rle_decode(&m, 1, px.data(), px.size());
  // A pixel survives an erosion along one axis when no background lies within d on that axis.
  auto erode = [d](const std::uint8_t* in, std::uint8_t* o, std::size_t n, std::size_t stride) {
    // running count of background pixels in [i - d, i + d], out of range = background
    std::size_t j = 0;  // index of the next pixel entering the window
    long zeros = static_cast<long>(d);  // positions before 0 inside the window for i = 0: d of them
    for (; j < n && j <= d; ++j) zeros += in[j * stride] == 0;
    if (d + 1 > n) zeros += static_cast<long>(d + 1 - n);
    for (std::size_t i = 0; i < n; ++i) {
      o[i * stride] = zeros == 0;
      // slide: i - d leaves, i + d + 1 enters
      zeros -= i < d ? 1 : (in[(i - d) * stride] == 0);
      const std::size_t e = i + d + 1;
      zeros += e < n ? (in[e * stride] == 0) : 1;
    }
  };
  for (std::size_t x = 0; x < w; ++x) erode(px.data() + x * h, tmp.data() + x * h, h, 1);  // along y (column)
  for (std::size_t y = 0; y < h; ++y) erode(tmp.data() + y, er.data() + y, w, h);         // along x (row)
  for (std::size_t i = 0; i < h * w; ++i) px[i] = px[i] && !er[i];
  return rle_encode(px.data(), h, w);
}

/// Boundary AP's overlap (boundary-iou-api cocoeval): min(mask IoU, Boundary IoU) for non-crowd
/// GT, plain mask IoU (IoA) for crowd GT. out: D x G.
struct BoundaryOverlap {
  MaskOverlap mask;
  double dilation_ratio;
  void operator()(const std::uint32_t* dt_idx, std::size_t D, const std::uint32_t* gt_idx, std::size_t G,
                  double* out) const {
    std::vector<Rle> dm, gm;
    std::vector<std::uint8_t> crowd;
    mask.masks(dt_idx, D, gt_idx, G, dm, gm, crowd);
    rle_iou_matrix(dm.data(), D, gm.data(), G, crowd.data(), out, Parallel{1});
    for (Rle& r : dm) r = mask_boundary(r, dilation_ratio);
    for (std::size_t g = 0; g < G; ++g) gm[g] = crowd[g] ? Rle{} : mask_boundary(gm[g], dilation_ratio);
    std::vector<double> b(D * G);
    rle_iou_matrix(dm.data(), D, gm.data(), G, nullptr, b.data(), Parallel{1});
    for (std::size_t d = 0; d < D; ++d)
      for (std::size_t g = 0; g < G; ++g)
        if (!crowd[g]) out[d * G + g] = std::fmin(out[d * G + g], b[d * G + g]);
  }
};

inline double np_max(double a, double b) noexcept { return (a != a || b != b) ? a + b : (a < b ? b : a); }

/// Object keypoint similarity, as COCOeval.computeOks (rule 9). out: D x G.
struct OksOverlap {
  const double* dt_kpts;
  const double* gt_kpts;
  const double* gt_bbox;
  const double* gt_area;
  const double* sigmas;
  std::size_t k;  // keypoints per object
  std::size_t dt_stride, gt_stride;
  void operator()(const std::uint32_t* dt_idx, std::size_t D, const std::uint32_t* gt_idx, std::size_t G,
                  double* out) const {
    std::vector<double> vars(k), e(k);
    for (std::size_t j = 0; j < k; ++j) {
      const double s2 = sigmas[j] * 2;
      vars[j] = s2 * s2;
    }
    for (std::size_t g = 0; g < G; ++g) {
      const double* gk = gt_kpts + gt_stride * gt_idx[g];
      std::size_t k1 = 0;
      for (std::size_t j = 0; j < k; ++j) k1 += gk[3 * j + 2] > 0;
      const double* bb = gt_bbox + 4 * std::size_t(gt_idx[g]);
      const double x0 = bb[0] - bb[2], x1 = bb[0] + bb[2] * 2;
      const double y0 = bb[1] - bb[3], y1 = bb[1] + bb[3] * 2;
      const double denom = gt_area[gt_idx[g]] + kEps;
      for (std::size_t d = 0; d < D; ++d) {
        const double* dk = dt_kpts + dt_stride * dt_idx[d];
        std::size_t n = 0;
        for (std::size_t j = 0; j < k; ++j) {
          double dx, dy;
          if (k1 > 0) {
            if (!(gk[3 * j + 2] > 0)) continue;
            dx = dk[3 * j] - gk[3 * j];
            dy = dk[3 * j + 1] - gk[3 * j + 1];
          } else {
            const double xd = dk[3 * j], yd = dk[3 * j + 1];
            dx = np_max(0.0, x0 - xd) + np_max(0.0, xd - x1);
            dy = np_max(0.0, y0 - yd) + np_max(0.0, yd - y1);
          }
          const double ej = (dx * dx + dy * dy) / vars[j] / denom / 2;
          e[n++] = std::exp(-ej);
        }
        out[d * G + g] = numpy_sum(e.data(), n) / static_cast<double>(n);
      }
    }
  }
};

// Runs body(i0, i1) over [0, n) in blocks handed out on demand (work per item is very uneven:
// category sizes are long-tailed). Every item's output is independent, so the result does not
// depend on the thread count or the schedule.
template <class Body>
void dynamic_for(std::size_t n, std::size_t block, Parallel par, Body&& body) {
  const std::size_t blocks = (n + block - 1) / block;
  const int threads = static_cast<int>(std::min<std::size_t>(blocks, std::size_t(std::max(par.threads, 1))));
  if (threads <= 1) {
    if (n) body(std::size_t(0), n);
    return;
  }
  std::atomic<std::size_t> next{0};
  parallel_for(std::size_t(threads), 1, Parallel{threads}, [&](std::size_t, std::size_t) {
    for (;;) {
      const std::size_t b = next.fetch_add(1, std::memory_order_relaxed);
      if (b >= blocks) break;
      body(b * block, std::min(n, (b + 1) * block));
    }
  });
}

// Position of `v` in the sorted vector `ids`, or -1.
inline std::ptrdiff_t find_sorted(const std::vector<std::int64_t>& ids, std::int64_t v) noexcept {
  auto it = std::lower_bound(ids.begin(), ids.end(), v);
  return (it != ids.end() && *it == v) ? it - ids.begin() : -1;
}

// Resource limits (docs/eval.md): per-(image, category) state and the accumulated arrays are
// allocated up front, so absurd sizes are refused before allocating rather than failing (or
// wrapping) later. 2^28 units is ~50x LVIS (20k images x 1203 categories); 2^31 array cells
// is 16 GB of doubles.
constexpr std::size_t kMaxUnits = std::size_t(1) << 28;
constexpr std::size_t kMaxCells = std::size_t(1) << 31;

// Product of `dims` if it is at most `limit`, else std::invalid_argument naming `what`.
inline std::size_t bounded_product(std::initializer_list<std::size_t> dims, std::size_t limit, const char* what) {
  std::size_t n = 1;
  bool zero = false;
  for (std::size_t d : dims) zero = zero || d == 0;
  if (zero) return 0;
  for (std::size_t d : dims) {
    LOCUSKIT_CHECK(n <= limit / d, std::invalid_argument, what, " would exceed ", limit,
                   " entries (a documented resource limit, docs/eval.md): check imgIds / catIds / iouThrs / "
                   "recThrs / maxDets / areaRng");
    n *= d;
  }
  return n;
}

// len(x[0:stop]) for a Python list of n items (a negative stop counts from the end: maxDets < 0).
inline std::size_t slice_stop(std::size_t n, std::int64_t stop) noexcept {
  if (stop >= 0) return std::min<std::size_t>(n, static_cast<std::uint64_t>(stop));
  const std::uint64_t back = std::uint64_t(0) - static_cast<std::uint64_t>(stop);  // -stop, no overflow
  return back >= n ? 0 : n - static_cast<std::size_t>(back);
}

// Groups annotations into units, keeping file order inside a unit (rules 1, 10): returns the
// annotation indices ordered by unit and `offset` ([U+1]).
struct Grouping {
  std::vector<std::uint32_t> order;
  std::vector<std::size_t> offset;
};

// `cat_pos`: (category id, slot) sorted by id, slots 0..C-1 distinct. `cat_seq`: without
// use_cats, the slots in params.cat_ids order, duplicates repeated: pycocotools pools
// `[_ for cId in p.catIds for _ in self._gts[imgId, cId]]`, so a category listed twice brings its
// annotations twice (rule 10).
inline Grouping group_by_unit(const CocoAnnotations& a, const CocoParams& p, std::size_t I, std::size_t K,
                              const std::vector<std::pair<std::int64_t, std::size_t>>& cat_pos,
                              const std::vector<std::size_t>& cat_seq, const std::uint8_t* skip = nullptr) {
  // Key (image, category slot), image-major: with use_cats it is the unit itself; without, a
  // pooled image unit lists its annotations category by category.
  const std::size_t C = std::max<std::size_t>(cat_pos.size(), 1);
  const std::size_t U = K * I;
  const std::size_t S = I * C;
  LOCUSKIT_CHECK(S < std::numeric_limits<std::uint32_t>::max(), std::invalid_argument,
                 "too many (image, category) pairs: ", I, " images x ", C, " categories");
  std::vector<std::uint32_t> key(a.size, std::numeric_limits<std::uint32_t>::max());
  std::vector<std::size_t> count(S + 1, 0);
  // Image id -> position: a dense table when the ids span a small range, else binary search.
  std::vector<std::int32_t> dense;
  std::int64_t lo_id = 0;
  if (I) {
    lo_id = p.img_ids.front();
    const std::uint64_t span = static_cast<std::uint64_t>(p.img_ids.back()) - static_cast<std::uint64_t>(lo_id);
    if (span < 16 * std::uint64_t(I) + 1024) {
      dense.assign(span + 1, -1);
      for (std::size_t i = 0; i < I; ++i) dense[std::size_t(p.img_ids[i] - lo_id)] = static_cast<std::int32_t>(i);
    }
  }
  for (std::size_t n = 0; n < a.size; ++n) {
    if (skip && skip[n]) continue;
    std::ptrdiff_t i;
    if (!dense.empty()) {
      const std::uint64_t off = static_cast<std::uint64_t>(a.image_id[n]) - static_cast<std::uint64_t>(lo_id);
      i = off < dense.size() ? dense[off] : -1;
    } else {
      i = find_sorted(p.img_ids, a.image_id[n]);
    }
    if (i < 0) continue;
    auto it = std::lower_bound(cat_pos.begin(), cat_pos.end(), std::make_pair(a.category_id[n], std::size_t(0)));
    if (it == cat_pos.end() || it->first != a.category_id[n]) continue;
    const std::size_t s = std::size_t(i) * C + it->second;
    key[n] = static_cast<std::uint32_t>(s);
    ++count[s + 1];
  }
  for (std::size_t s = 0; s < S; ++s) count[s + 1] += count[s];
  Grouping g;
  g.order.resize(count[S]);
  std::vector<std::size_t> fill(count.begin(), count.end() - 1);
  for (std::size_t n = 0; n < a.size; ++n)
    if (key[n] != std::numeric_limits<std::uint32_t>::max()) g.order[fill[key[n]]++] = static_cast<std::uint32_t>(n);
  if (p.use_cats) {
    g.offset = std::move(count);
    return g;
  }
  // Pooled units: each image's slots in cat_seq order (a slot listed twice is copied twice).
  Grouping pooled;
  pooled.offset.assign(U + 1, 0);
  std::size_t total = 0;
  for (std::size_t i = 0; i < I; ++i)
    for (std::size_t slot : cat_seq) total += count[i * C + slot + 1] - count[i * C + slot];
  LOCUSKIT_CHECK(total < std::numeric_limits<std::uint32_t>::max(), std::invalid_argument,
                 "too many pooled annotations (catIds repeats categories): ", total);
  pooled.order.reserve(total);
  for (std::size_t i = 0; i < I; ++i) {
    for (std::size_t slot : cat_seq)
      pooled.order.insert(pooled.order.end(), g.order.begin() + count[i * C + slot],
                          g.order.begin() + count[i * C + slot + 1]);
    pooled.offset[i + 1] = pooled.order.size();
  }
  return pooled;
}

inline void check_columns(const CocoAnnotations& a, const char* what, bool is_gt, IouType type) {
  auto need = [&](const void* ptr, const char* field) {
    LOCUSKIT_CHECK(a.size == 0 || ptr != nullptr, std::invalid_argument, what, ": field '", field, "' is missing");
  };
  need(a.id, "id");
  need(a.image_id, "image_id");
  need(a.category_id, "category_id");
  need(a.area, "area");
  if (is_gt) need(a.iscrowd, "iscrowd");
  else need(a.score, "score");
  if (type == IouType::bbox || (is_gt && type == IouType::keypoints)) need(a.bbox, "bbox");
  if (iou_type_uses_masks(type)) {
    need(a.segm_kind, "segmentation");
    for (std::size_t n = 0; n < a.size; ++n) {
      LOCUSKIT_CHECK(a.segm_kind[n] != segm_missing, std::invalid_argument, what, "[", n, "]: field 'segmentation' is missing");
      LOCUSKIT_CHECK(a.segm_kind[n] != segm_invalid, std::invalid_argument, what, "[", n, "]: 'segmentation' is not a mask");
      LOCUSKIT_CHECK(a.segm_kind[n] != segm_box || a.bbox, std::invalid_argument, what, ": field 'bbox' is missing");
    }
  }
  if (type == IouType::keypoints) {
    need(a.keypoints, "keypoints");
    if (is_gt) need(a.num_keypoints, "num_keypoints");
  }
}

template <class Overlap>
CocoEvaluation evaluate_units(const CocoAnnotations& gt, const CocoAnnotations& dt, CocoParams p,
                              const Overlap& overlap, Parallel par, bool record_matches,
                              const CocoMatchRules& rules = {}) {
  CocoEvaluation ev;
  // evaluate() rewrites the parameters (rule 4, 29).
  std::sort(p.img_ids.begin(), p.img_ids.end());
  p.img_ids.erase(std::unique(p.img_ids.begin(), p.img_ids.end()), p.img_ids.end());
  if (p.use_cats) {
    std::sort(p.cat_ids.begin(), p.cat_ids.end());
    p.cat_ids.erase(std::unique(p.cat_ids.begin(), p.cat_ids.end()), p.cat_ids.end());
  }
  std::sort(p.max_dets.begin(), p.max_dets.end());
  if (p.max_dets.empty()) throw std::out_of_range("maxDets is empty: pycocotools' evaluate() reads maxDets[-1]");
  const std::int64_t max_det = p.max_dets.back();
  const std::size_t I = p.img_ids.size(), K = p.use_cats ? p.cat_ids.size() : 1, A = p.area_rng.size(),
                    T = p.iou_thrs.size();
  // Distinct category ids -> slot (their rank); with use_cats the ids are already sorted and
  // unique, so slot k is the K axis position.
  std::vector<std::int64_t> distinct(p.cat_ids);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<std::pair<std::int64_t, std::size_t>> cat_pos;
  for (std::size_t c = 0; c < distinct.size(); ++c) cat_pos.emplace_back(distinct[c], c);
  std::vector<std::size_t> cat_seq;
  for (std::int64_t c : p.cat_ids) cat_seq.push_back(std::size_t(find_sorted(distinct, c)));

  bounded_product({I, K, std::max<std::size_t>(A, 1)}, kMaxUnits, "images x categories x area ranges");
  bounded_product({I, std::max<std::size_t>(cat_pos.size(), 1)}, kMaxUnits, "images x categories");
  const Grouping gg = group_by_unit(gt, p, I, K, cat_pos, cat_seq, rules.gt_skip);
  const Grouping dg = group_by_unit(dt, p, I, K, cat_pos, cat_seq, rules.dt_skip);
  const std::size_t U = K * I;
  ev.I = I, ev.K = K, ev.A = A, ev.T = T;
  ev.present.assign(U, 0);
  ev.npig.assign(U * A, 0);
  ev.dt_offset.assign(U + 1, 0);
  for (std::size_t u = 0; u < U; ++u) {
    const std::size_t n = dg.offset[u + 1] - dg.offset[u];
    ev.dt_offset[u + 1] = ev.dt_offset[u] + slice_stop(n, max_det);
  }
  const std::size_t D = ev.dt_offset[U];
  ev.dt_score.resize(D);
  ev.dt_id.resize(D);
  ev.dt_rank.resize(D);
  ev.dt_state.resize(bounded_product({D, A, T}, kMaxCells, "results x area ranges x IoU thresholds"));
  ev.dt_summary.assign(D * A, 0);
  ev.gt_offset = gg.offset;
  ev.gt_index = gg.order;
  if (record_matches) ev.dt_match.assign(D * A * T, -1), ev.dt_match_iou.assign(D * A * T, 0.0);
  ev.positive_dt_ids = true;
  for (std::size_t n = 0; n < dt.size; ++n) ev.positive_dt_ids = ev.positive_dt_ids && dt.id[n] > 0;
  const bool keypoints = p.iou_type == IouType::keypoints;
  // computeOks looks units up by (image, catId) even without use_cats, where catId is -1: no
  // overlaps at all, so every result stays unmatched (mirrored, rule 9/10).
  const bool no_overlaps = keypoints && !p.use_cats;

  // Units are image-major (u = i * K + k): results and GT of one image sit together in the input
  // files, so their columns are read with good locality and the outputs are written in order.
  dynamic_for(I, 16, par, [&](std::size_t i0, std::size_t i1) {
    std::vector<std::uint32_t> dts, gts, gorder;
    std::vector<double> ious, row_max;
    std::vector<std::uint8_t> gt_ign, gt_base_ign, gt_crowd, taken, dt_out, seen;
    for (std::size_t u = i0 * K; u < i1 * K; ++u) {
      const std::size_t gb = gg.offset[u], ge = gg.offset[u + 1], db = dg.offset[u], de = dg.offset[u + 1];
      if (gb == ge && db == de) continue;  // pycocotools' None
      ev.present[u] = 1;
      dts.assign(dg.order.begin() + db, dg.order.begin() + de);
      std::stable_sort(dts.begin(), dts.end(), ScoreDescending{dt.score});  // rule 11
      const std::size_t Dn = ev.dt_offset[u + 1] - ev.dt_offset[u];
      dts.resize(Dn);
      gts.assign(gg.order.begin() + gb, gg.order.begin() + ge);
      const std::size_t G = gts.size();
      ious.assign(Dn * G, 0.0);
      const bool have_ious = Dn > 0 && G > 0 && !no_overlaps;
      if (have_ious) overlap(dts.data(), Dn, gts.data(), G, ious.data());
      // Best overlap of each result: below a threshold it cannot match there (NaN may match:
      // pycocotools' `iou < best` is false for NaN, so NaN counts as +inf here).
      row_max.assign(Dn, -INFINITY);
      if (have_ious)
        for (std::size_t d = 0; d < Dn; ++d)
          for (std::size_t g = 0; g < G; ++g) {
            const double v = ious[d * G + g];
            row_max[d] = v != v ? INFINITY : std::max(row_max[d], v);
          }
      gt_base_ign.resize(G);
      gt_crowd.resize(G);
      for (std::size_t g = 0; g < G; ++g) {
        const std::uint32_t n = gts[g];
        gt_crowd[g] = gt.iscrowd[n] != 0;
        gt_base_ign[g] = rules.gt_ignore ? rules.gt_ignore[n] != 0
                                         : gt_crowd[g] || (keypoints && gt.num_keypoints[n] == 0);  // rule 12
      }
      const std::size_t base = ev.dt_offset[u];
      for (std::size_t d = 0; d < Dn; ++d) {
        ev.dt_score[base + d] = dt.score[dts[d]];
        ev.dt_id[base + d] = dt.id[dts[d]];
        ev.dt_rank[base + d] = static_cast<std::uint32_t>(d);
      }
      gt_ign.resize(G);
      gorder.resize(G);
      taken.resize(G);
      dt_out.resize(Dn);
      for (std::size_t a = 0; a < A; ++a) {
        const double lo = p.area_rng[a][0], hi = p.area_rng[a][1];
        std::uint32_t npig = 0;
        for (std::size_t g = 0; g < G; ++g) {
          const double ar = gt.area[gts[g]];
          gt_ign[g] = gt_base_ign[g] || ar < lo || ar > hi;
          npig += !gt_ign[g];
        }
        ev.npig[u * A + a] = npig;
        // Non-ignored GT first, stable (rule 13).
        std::size_t w = 0;
        for (std::size_t g = 0; g < G; ++g)
          if (!gt_ign[g]) gorder[w++] = static_cast<std::uint32_t>(g);
        for (std::size_t g = 0; g < G; ++g)
          if (gt_ign[g]) gorder[w++] = static_cast<std::uint32_t>(g);
        for (std::size_t d = 0; d < Dn; ++d) {
          const double ar = dt.area[dts[d]];
          dt_out[d] = ar < lo || ar > hi || (rules.dt_ignore_unmatched && rules.dt_ignore_unmatched[dts[d]]);
        }
        seen.assign(Dn, 0);
        for (std::size_t t = 0; t < T; ++t) {
          std::fill(taken.begin(), taken.end(), 0);
          const double best0 = std::min(p.iou_thrs[t], 1 - 1e-10);
          for (std::size_t d = 0; d < Dn; ++d) {
            std::uint8_t state;
            std::ptrdiff_t matched_gt = -1;
            double match_iou = 0;
            if (!have_ious || row_max[d] < best0) {
              state = dt_out[d] ? CocoEvaluation::ignored : CocoEvaluation::false_positive;
            } else {
              double best = best0;
              std::ptrdiff_t m = -1;
              const double* row = ious.data() + d * G;
              for (std::size_t j = 0; j < G; ++j) {
                const std::uint32_t g = gorder[j];
                if (taken[g] && !gt_crowd[g]) continue;
                if (m > -1 && !gt_ign[m] && gt_ign[g]) break;
                if (row[g] < best) continue;
                best = row[g];
                m = g;
              }
              if (m == -1) {
                state = dt_out[d] ? CocoEvaluation::ignored : CocoEvaluation::false_positive;
              } else {
                // gtm stores the result id; "already matched" is gtm > 0.
                if (dt.id[dts[d]] > 0) taken[m] = 1;
                matched_gt = m;
                match_iou = row[m];
                const bool matched = gt.id[gts[m]] != 0;  // id 0 reads as "unmatched" (rule 16)
                const bool ign = gt_ign[m] || (!matched && dt_out[d]);
                state = ign ? CocoEvaluation::ignored
                            : (matched ? CocoEvaluation::true_positive : CocoEvaluation::false_positive);
              }
            }
            ev.dt_state[((base + d) * A + a) * T + t] = state;
            if (record_matches) {
              ev.dt_match[((base + d) * A + a) * T + t] = static_cast<std::int32_t>(matched_gt);
              ev.dt_match_iou[((base + d) * A + a) * T + t] = match_iou;
            }
            seen[d] |= state == CocoEvaluation::ignored ? 1 : state == CocoEvaluation::true_positive ? 2 : 4;
          }
        }
        for (std::size_t d = 0; d < Dn; ++d)
          ev.dt_summary[(base + d) * A + a] = seen[d] <= 1 ? 0 : seen[d] == 4 ? 2 : 1;
      }
    }
  });
  ev.params = std::move(p);
  return ev;
}

// Smallest count c in [0, npig] with c / npig >= v (numpy ordering), or npig + 1 if none.
inline std::size_t needed_tp(double v, std::size_t npig) noexcept {
  std::size_t lo = 0, hi = npig + 1;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    const double rc = static_cast<double>(mid) / static_cast<double>(npig);
    if (np_less(rc, v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

}  // namespace coco
}  // namespace detail

inline CocoEvaluation coco_evaluate(const CocoAnnotations& gt, const CocoAnnotations& dt, const CocoParams& params,
                                    Parallel par, bool record_matches, const CocoMatchRules& rules) {
  namespace dc = detail::coco;
  dc::check_columns(gt, "ground truth", true, params.iou_type);
  dc::check_columns(dt, "results", false, params.iou_type);
  LOCUSKIT_CHECK(gt.size < (std::size_t(1) << 32) && dt.size < (std::size_t(1) << 32), std::invalid_argument,
                 "too many annotations (at most 2^32 - 1)");
  if (params.iou_type == IouType::keypoints) {
    const std::size_t k = params.kpt_oks_sigmas.size();
    LOCUSKIT_CHECK(gt.size == 0 || gt.keypoint_values == 3 * k, std::invalid_argument,
                   "ground truth keypoints: ", gt.keypoint_values, " values per object, expected 3 x ", k,
                   " (kpt_oks_sigmas)");
    LOCUSKIT_CHECK(dt.size == 0 || dt.keypoint_values == 3 * k, std::invalid_argument,
                   "results keypoints: ", dt.keypoint_values, " values per object, expected 3 x ", k,
                   " (kpt_oks_sigmas)");
    dc::OksOverlap ov{dt.keypoints, gt.keypoints, gt.bbox, gt.area, params.kpt_oks_sigmas.data(), k,
                      dt.keypoint_values, gt.keypoint_values};
    return dc::evaluate_units(gt, dt, params, ov, par, record_matches, rules);
  }
  if (params.iou_type == IouType::segm)
    return dc::evaluate_units(gt, dt, params, dc::MaskOverlap{&dt, &gt}, par, record_matches, rules);
  if (params.iou_type == IouType::boundary)
    return dc::evaluate_units(gt, dt, params, dc::BoundaryOverlap{dc::MaskOverlap{&dt, &gt}, params.dilation_ratio},
                              par, record_matches, rules);
  dc::BoxOverlap ov{dt.bbox, gt.bbox, gt.iscrowd};
  return dc::evaluate_units(gt, dt, params, ov, par, record_matches, rules);
}

inline CocoEvaluation coco_evaluation_from_states(std::size_t I, std::size_t K, std::size_t A, std::size_t T,
                                                  std::vector<std::int64_t> max_dets, std::vector<std::uint8_t> present,
                                                  std::vector<std::uint32_t> npig, std::vector<std::size_t> dt_offset,
                                                  std::vector<double> dt_score, std::vector<std::uint8_t> dt_state) {
  namespace dc = detail::coco;
  const std::size_t U = dc::bounded_product({I, K}, dc::kMaxUnits, "records: images x categories");
  LOCUSKIT_CHECK(present.size() == U && npig.size() == dc::bounded_product({U, A}, dc::kMaxCells, "records: npig") &&
                     dt_offset.size() == U + 1,
                 std::invalid_argument,
                 "records: present / npig / dt_offset sizes do not match ", I, " images x ", K, " categories");
  LOCUSKIT_CHECK(dt_offset.front() == 0 && dt_offset.back() == dt_score.size(), std::invalid_argument,
                 "records: dt_offset must start at 0 and end at the number of results");
  for (std::size_t u = 0; u < U; ++u)
    LOCUSKIT_CHECK(dt_offset[u] <= dt_offset[u + 1], std::invalid_argument, "records: dt_offset must not decrease");
  const std::size_t D = dt_score.size();
  LOCUSKIT_CHECK(D < (std::size_t(1) << 32) &&
                     dt_state.size() == dc::bounded_product({D, A, T}, dc::kMaxCells, "records: dt_state"),
                 std::invalid_argument,
                 "records: dt_state must hold results x area ranges x thresholds states");
  CocoEvaluation ev;
  ev.I = I, ev.K = K, ev.A = A, ev.T = T;
  ev.params.max_dets = std::move(max_dets);
  ev.present = std::move(present);
  ev.npig = std::move(npig);
  ev.dt_offset = std::move(dt_offset);
  ev.dt_score = std::move(dt_score);
  ev.dt_state = std::move(dt_state);
  ev.dt_id.assign(D, 0);
  ev.dt_rank.resize(D);
  ev.dt_summary.resize(D * A);
  ev.positive_dt_ids = false;  // records may match a GT more than once: size buffers by results
  for (std::size_t u = 0; u < U; ++u)
    for (std::size_t d = ev.dt_offset[u]; d < ev.dt_offset[u + 1]; ++d)
      ev.dt_rank[d] = static_cast<std::uint32_t>(d - ev.dt_offset[u]);
  for (std::size_t d = 0; d < D * A; ++d) {
    unsigned seen = 0;
    for (std::size_t t = 0; t < T; ++t) {
      const std::uint8_t st = ev.dt_state[d * T + t];
      LOCUSKIT_CHECK(st <= CocoEvaluation::false_positive, std::invalid_argument, "records: invalid state ", int(st));
      seen |= st == CocoEvaluation::ignored ? 1u : st == CocoEvaluation::true_positive ? 2u : 4u;
    }
    ev.dt_summary[d] = seen <= 1 ? 0 : seen == 4 ? 2 : 1;
  }
  return ev;
}

inline CocoAccumulation coco_accumulate(const CocoEvaluation& ev, const std::vector<double>* rec_thrs_in,
                                        Parallel par) {
  namespace dc = detail::coco;
  const CocoParams& p = ev.params;
  const std::vector<double>& rec_thrs = rec_thrs_in ? *rec_thrs_in : p.rec_thrs;
  CocoAccumulation acc;
  const std::size_t T = ev.T, R = rec_thrs.size(), K = ev.K, A = ev.A, M = p.max_dets.size(), I = ev.I;
  acc.T = T, acc.R = R, acc.K = K, acc.A = A, acc.M = M;
  acc.precision.assign(dc::bounded_product({T, R, K, A, M}, dc::kMaxCells, "precision array (T x R x K x A x M)"), -1.0);
  acc.scores.assign(T * R * K * A * M, -1.0);
  acc.recall.assign(T * K * A * M, -1.0);
  auto pidx = [&](std::size_t t, std::size_t r, std::size_t k, std::size_t a, std::size_t m) {
    return (((t * R + r) * K + k) * A + a) * M + m;
  };
  auto ridx = [&](std::size_t t, std::size_t k, std::size_t a, std::size_t m) { return ((t * K + k) * A + a) * M + m; };

  struct Entry {
    double score;
    std::uint32_t d, rank;
    std::uint32_t kinds;  // dt_summary of areas 0..15, 2 bits each (read from memory beyond)
    std::uint32_t unit_size;  // results kept in its unit (for negative maxDets: x[0:-n])
  };
  auto pack_kinds = [&](std::size_t d) {
    std::uint32_t bits = 0;
    for (std::size_t a = 0; a < A && a < 16; ++a) bits |= std::uint32_t(ev.dt_summary[d * A + a]) << (2 * a);
    return bits;
  };
  // Non-ignored GT per (category, area), summed over images in one sequential pass.
  std::vector<std::size_t> npig_ka(K * A, 0);
  for (std::size_t u = 0; u < K * I; ++u)
    for (std::size_t a = 0; a < A; ++a) npig_ka[(u % K) * A + a] += ev.npig[u * A + a];
  // Results bucketed by category in one sequential pass, each bucket in (image, rank) order.
  std::vector<std::size_t> bucket(K + 1, 0);
  for (std::size_t u = 0; u < K * I; ++u) bucket[u % K + 1] += ev.dt_offset[u + 1] - ev.dt_offset[u];
  for (std::size_t k = 0; k < K; ++k) bucket[k + 1] += bucket[k];
  std::vector<Entry> entries(bucket[K]);
  {
    std::vector<std::size_t> fill(bucket.begin(), bucket.end() - 1);
    for (std::size_t u = 0; u < K * I; ++u)
      for (std::size_t d = ev.dt_offset[u]; d < ev.dt_offset[u + 1]; ++d)
        entries[fill[u % K]++] = Entry{-ev.dt_score[d], static_cast<std::uint32_t>(d), ev.dt_rank[d], pack_kinds(d),
                                       static_cast<std::uint32_t>(ev.dt_offset[u + 1] - ev.dt_offset[u])};
  }
  dc::dynamic_for(K, 1, par, [&](std::size_t k0, std::size_t k1) {
    std::vector<std::size_t> npig(A), cap(A), slot0(A), need(A * R);
    std::vector<std::size_t> nd(M), tpn(A * T * M), fpn(A * T * M), fp_all(A * M);
    std::vector<double> first_score(M), tp_pr, tp_score;
    std::vector<std::uint8_t> active;
    std::vector<std::size_t> kept_m(M), tp_max(A * T);
    for (std::size_t k = k0; k < k1; ++k) {
      bool any = false;
      for (std::size_t i = 0; i < I; ++i) any = any || ev.present[i * K + k];
      if (!any) continue;  // every unit None: cells stay -1
      // Results of the category in image order then rank; a stable sort by descending score
      // breaks cross-image ties by image id, then rank (rule 17). Keeping only rank < maxDet
      // for each m preserves this order.
      Entry* const sb = entries.data() + bucket[k];
      Entry* const se = entries.data() + bucket[k + 1];
      std::sort(sb, se, [](const Entry& x, const Entry& y) {
        if (dc::np_less(x.score, y.score)) return true;
        if (dc::np_less(y.score, x.score)) return false;
        return x.d < y.d;
      });
      // Rebuilt records may let a GT match several results (ids <= 0), so true positives are not
      // bounded by npig: count them, rather than reserving a slot per result (a category with
      // 1e6 results would need A*T*M*1e6 slots; the evaluation-state merge path hits this).
      if (!ev.positive_dt_ids) {
        std::fill(tp_max.begin(), tp_max.end(), 0);
        for (const Entry* ep = sb; ep != se; ++ep)
          for (std::size_t a = 0; a < A; ++a) {
            const std::uint8_t kind = a < 16 ? (ep->kinds >> (2 * a)) & 3u : ev.dt_summary[ep->d * A + a];
            if (kind != 1) continue;  // all ignored or all false positives
            const std::uint8_t* st = ev.dt_state.data() + (ep->d * A + a) * T;
            for (std::size_t t = 0; t < T; ++t) tp_max[a * T + t] += st[t] == CocoEvaluation::true_positive;
          }
      }
      std::size_t slots = 0;
      active.clear();
      for (std::size_t a = 0; a < A; ++a) {
        npig[a] = npig_ka[k * A + a];
        slot0[a] = slots;
        if (npig[a] == 0) continue;  // rule 18: cells stay -1
        active.push_back(static_cast<std::uint8_t>(a));
        // A GT is matched at most once per threshold when every result id is positive (pycocotools'
        // "already matched" test is gtm > 0), so true positives <= npig; otherwise <= results.
        cap[a] = ev.positive_dt_ids ? npig[a]
                 : T == 0           ? 0
                                    : *std::max_element(tp_max.begin() + a * T, tp_max.begin() + (a + 1) * T);
        slots += T * M * cap[a];
        for (std::size_t r = 0; r < R; ++r) need[a * R + r] = dc::needed_tp(rec_thrs[r], npig[a]);
      }
      if (active.empty()) continue;
      // For every (a, t, m): the precision at each TP and its score. Only TP positions matter:
      // searchsorted(rc, v) lands on the position of the c-th TP (or 0), and the envelope there
      // is the max over later TPs (pr only drops between TPs). See docs/eval.md.
      tp_pr.resize(slots);
      tp_score.resize(slots);
      std::fill(nd.begin(), nd.end(), 0);
      std::fill(tpn.begin(), tpn.end(), 0);
      std::fill(fpn.begin(), fpn.end(), 0);
      std::fill(fp_all.begin(), fp_all.end(), 0);
      for (const Entry* ep = sb; ep != se; ++ep) {
        const Entry& en = *ep;
        const std::size_t d = en.d;
        const std::uint32_t rank = en.rank;
        // The maxDets whose cut e['dtScores'][0:maxDet] keeps this result (any order, any sign).
        std::size_t km = 0;
        for (std::size_t m = 0; m < M; ++m)
          if (rank < dc::slice_stop(en.unit_size, p.max_dets[m])) kept_m[km++] = m;
        if (km == 0) continue;
        const std::size_t* const km_end = kept_m.data() + km;
        const double score = -en.score;
        for (const std::size_t* mp = kept_m.data(); mp != km_end; ++mp)
          if (nd[*mp]++ == 0) first_score[*mp] = score;
        for (std::uint8_t a : active) {
          const std::uint8_t kind = a < 16 ? (en.kinds >> (2 * a)) & 3u : ev.dt_summary[d * A + a];
          if (kind == 0) continue;  // ignored at every threshold
          if (kind == 2) {          // false positive at every threshold: one counter per m
            for (const std::size_t* mp = kept_m.data(); mp != km_end; ++mp) ++fp_all[a * M + *mp];
            continue;
          }
          const std::uint8_t* st = ev.dt_state.data() + (d * A + a) * T;
          std::size_t* tpa = tpn.data() + a * T * M;
          std::size_t* fpa = fpn.data() + a * T * M;
          for (std::size_t t = 0; t < T; ++t) {
            if (st[t] == CocoEvaluation::true_positive) {
              for (const std::size_t* mp = kept_m.data(); mp != km_end; ++mp) {
                const std::size_t m = *mp;
                const std::size_t c = ++tpa[t * M + m];
                const double tp = static_cast<double>(c),
                             fp = static_cast<double>(fpa[t * M + m] + fp_all[a * M + m]);
                const std::size_t slot = slot0[a] + (t * M + m) * cap[a] + (c - 1);
                tp_pr[slot] = tp / (fp + tp + dc::kEps);  // rule 19
                tp_score[slot] = score;
              }
            } else if (st[t] == CocoEvaluation::false_positive) {
              for (const std::size_t* mp = kept_m.data(); mp != km_end; ++mp) ++fpa[t * M + *mp];
            }
          }
        }
      }
      for (std::uint8_t a : active) {
        const std::size_t* need_a = need.data() + a * R;
        for (std::size_t t = 0; t < T; ++t) {
          for (std::size_t m = 0; m < M; ++m) {
            const std::size_t ntp = tpn[(a * T + t) * M + m];
            acc.recall[ridx(t, k, a, m)] =
                nd[m] ? static_cast<double>(ntp) / static_cast<double>(npig[a]) : 0.0;  // rule 20
            double* pr = tp_pr.data() + slot0[a] + (t * M + m) * cap[a];
            const double* sc = tp_score.data() + slot0[a] + (t * M + m) * cap[a];
            for (std::size_t c = ntp; c-- > 1;)  // envelope from the right (rule 21)
              if (pr[c] > pr[c - 1]) pr[c - 1] = pr[c];
            std::size_t r = 0;
            for (; r < R; ++r) {
              double q, s;
              if (need_a[r] == 0) {
                if (nd[m] == 0) break;
                q = ntp ? pr[0] : 0.0;
                s = first_score[m];
              } else {
                if (need_a[r] > ntp) break;  // searchsorted index >= nd
                q = pr[need_a[r] - 1];
                s = sc[need_a[r] - 1];
              }
              acc.precision[pidx(t, r, k, a, m)] = q;
              acc.scores[pidx(t, r, k, a, m)] = s;
            }
            for (; r < R; ++r)  // pycocotools' zero-initialized q / ss past the break
              acc.precision[pidx(t, r, k, a, m)] = acc.scores[pidx(t, r, k, a, m)] = 0.0;
          }
        }
      }
    }
  });
  return acc;
}

namespace detail {
namespace coco {

inline std::string format_summary_line(bool ap, const std::string& iou_str, const std::string& area_lbl,
                                       std::int64_t max_det, double value) {
  // ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'
  char buf[512];
  std::snprintf(buf, sizeof buf, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3lld ] = %0.3f",
                ap ? "Average Precision" : "Average Recall", ap ? "(AP)" : "(AR)", iou_str.c_str(),
                area_lbl.c_str(), static_cast<long long>(max_det), value);
  return buf;
}

}  // namespace coco
}  // namespace detail

inline double coco_summary_stat(const CocoAccumulation& acc, const CocoParams& p, bool ap, bool all_ious,
                                double iou_thr, const std::string& area_lbl, std::int64_t max_det) {
  std::vector<std::size_t> tsel, aind, mind;
  for (std::size_t t = 0; t < acc.T; ++t)
    if (all_ious || p.iou_thrs[t] == iou_thr) tsel.push_back(t);
  for (std::size_t a = 0; a < p.area_rng_lbl.size(); ++a)
    if (p.area_rng_lbl[a] == area_lbl) aind.push_back(a);
  for (std::size_t m = 0; m < p.max_dets.size(); ++m)
    if (p.max_dets[m] == max_det) mind.push_back(m);
  for (std::size_t a : aind)
    if (a >= acc.A) throw std::out_of_range("areaRngLbl has more labels than areaRng has ranges");
  // numpy broadcasts the two index lists s[..., aind, mind] together.
  std::vector<std::pair<std::size_t, std::size_t>> am;
  if (aind.size() == mind.size()) {
    for (std::size_t j = 0; j < aind.size(); ++j) am.emplace_back(aind[j], mind[j]);
  } else if (aind.size() == 1) {
    for (std::size_t m : mind) am.emplace_back(aind[0], m);
  } else if (mind.size() == 1) {
    for (std::size_t a : aind) am.emplace_back(a, mind[0]);
  } else {
    throw std::out_of_range("shape mismatch: area labels and maxDets matches cannot be broadcast together");
  }
  std::vector<double> vals;
  if (ap) {
    for (std::size_t t : tsel)
      for (std::size_t r = 0; r < acc.R; ++r)
        for (std::size_t k = 0; k < acc.K; ++k)
          for (auto [a, m] : am) {
            const double v = acc.precision[(((t * acc.R + r) * acc.K + k) * acc.A + a) * acc.M + m];
            if (v > -1) vals.push_back(v);
          }
  } else {
    for (std::size_t t : tsel)
      for (std::size_t k = 0; k < acc.K; ++k)
        for (auto [a, m] : am) {
          const double v = acc.recall[((t * acc.K + k) * acc.A + a) * acc.M + m];
          if (v > -1) vals.push_back(v);
        }
  }
  return vals.empty() ? -1.0 : numpy_mean(vals.data(), vals.size());
}

inline CocoSummary coco_summarize(const CocoAccumulation& acc, const CocoParams& p) {
  CocoSummary out;
  auto fmt2 = [](double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%0.2f", v);
    return std::string(b);
  };
  auto one = [&](bool ap, bool has_thr, double thr, const std::string& lbl, std::int64_t md) {
    std::string iou_str;
    if (!has_thr) {
      if (p.iou_thrs.empty()) throw std::out_of_range("index 0 is out of bounds for axis 0 with size 0 (iouThrs is empty)");
      iou_str = fmt2(p.iou_thrs.front()) + ":" + fmt2(p.iou_thrs.back());
    } else {
      iou_str = fmt2(thr);
    }
    const double v = coco_summary_stat(acc, p, ap, !has_thr, thr, lbl, md);
    out.stats.push_back(v);
    out.lines.push_back(detail::coco::format_summary_line(ap, iou_str, lbl, md, v));
  };
  auto md = [&](std::size_t i) {
    if (i >= p.max_dets.size()) throw std::out_of_range("list index out of range (summarize() needs 3 maxDets)");
    return p.max_dets[i];
  };
  if (p.iou_type == IouType::keypoints) {
    one(true, false, 0, "all", 20);
    one(true, true, .5, "all", 20);
    one(true, true, .75, "all", 20);
    one(true, false, 0, "medium", 20);
    one(true, false, 0, "large", 20);
    one(false, false, 0, "all", 20);
    one(false, true, .5, "all", 20);
    one(false, true, .75, "all", 20);
    one(false, false, 0, "medium", 20);
    one(false, false, 0, "large", 20);
  } else {
    one(true, false, 0, "all", 100);  // the literal 100 (rule 24)
    one(true, true, .5, "all", md(2));
    one(true, true, .75, "all", md(2));
    one(true, false, 0, "small", md(2));
    one(true, false, 0, "medium", md(2));
    one(true, false, 0, "large", md(2));
    one(false, false, 0, "all", md(0));
    one(false, false, 0, "all", md(1));
    one(false, false, 0, "all", md(2));
    one(false, false, 0, "small", md(2));
    one(false, false, 0, "medium", md(2));
    one(false, false, 0, "large", md(2));
  }
  return out;
}

}  // namespace locuskit
