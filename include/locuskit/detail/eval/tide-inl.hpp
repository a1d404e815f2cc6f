#pragma once
// Implementation of eval/tide.hpp, following tidecv's quantify.py / ap.py / error.py step by step
// (the orders of pushes and of class first appearances decide ties and the last bit of the means).
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "../../error.hpp"
#include "../../eval/coco_eval.hpp"  // detail::coco::BoxOverlap, dynamic_for

namespace locuskit {
namespace detail {
namespace tide {

// Rows of a table grouped by image position (file order kept), via a counting sort.
struct ByImage {
  std::vector<std::size_t> offset;   // [I + 1]
  std::vector<std::uint32_t> rows;
};

inline ByImage group_rows(const CocoAnnotations& a, const std::unordered_map<std::int64_t, std::uint32_t>& pos,
                          std::size_t I) {
  ByImage g;
  g.offset.assign(I + 1, 0);
  std::vector<std::uint32_t> key(a.size, std::numeric_limits<std::uint32_t>::max());
  for (std::size_t n = 0; n < a.size; ++n) {
    auto it = pos.find(a.image_id[n]);
    if (it == pos.end()) continue;
    key[n] = it->second;
    ++g.offset[it->second + 1];
  }
  for (std::size_t i = 0; i < I; ++i) g.offset[i + 1] += g.offset[i];
  g.rows.resize(g.offset[I]);
  std::vector<std::size_t> fill(g.offset.begin(), g.offset.end() - 1);
  for (std::size_t n = 0; n < a.size; ++n)
    if (key[n] != std::numeric_limits<std::uint32_t>::max()) g.rows[fill[key[n]]++] = static_cast<std::uint32_t>(n);
  return g;
}

// The columns the per-image box analyses (TIDE, confusion matrix) read; row counts that fit uint32.
inline void check_box_tables(const CocoAnnotations& gt, const CocoAnnotations& dt, const char* fn) {
  auto need = [fn](const void* ptr, const char* what) {
    if (!ptr) throw std::invalid_argument(std::string(fn) + ": missing column " + what);
  };
  if (gt.size) need(gt.image_id, "gt.image_id"), need(gt.category_id, "gt.category_id"), need(gt.bbox, "gt.bbox"),
      need(gt.iscrowd, "gt.iscrowd");
  if (dt.size) need(dt.image_id, "dt.image_id"), need(dt.category_id, "dt.category_id"), need(dt.bbox, "dt.bbox"),
      need(dt.score, "dt.score");
  LOCUSKIT_CHECK(gt.size < std::numeric_limits<std::uint32_t>::max() && dt.size < std::numeric_limits<std::uint32_t>::max(),
                 std::invalid_argument, fn, ": too many rows");
}

// numpy argmax of a row (first maximal element).
inline std::size_t argmax(const double* v, std::size_t n) noexcept {
  std::size_t best = 0;
  for (std::size_t j = 1; j < n; ++j)
    if (v[j] > v[best]) best = j;
  return best;
}

// Everything tidecv's TIDEExample + _eval_image decide for one image.
struct Image {
  std::vector<std::uint32_t> preds;     // kept detections, score order
  std::vector<std::int8_t> used;        // 1 TP, 0 FP, -1 ignored (tidecv's used = None)
  std::vector<TideError> err;           // per kept detection
  std::vector<std::int32_t> pred_gt;    // matched / blamed GT (local index in gts), -1
  std::vector<std::uint8_t> fixable;    // Cls/Loc error whose fix turns it into a TP (BestGTMatch)
  std::vector<std::uint32_t> gts;       // non-ignored GT rows, file order
  std::vector<std::uint8_t> gt_used, gt_usable;
  std::vector<std::int8_t> used_at;     // [ap_thresholds.size() * D]: `used` of the AP-only runs
};

inline void run_image(const CocoAnnotations& gt, const CocoAnnotations& dt, const std::uint32_t* grows,
                      std::size_t ng, const std::uint32_t* drows, std::size_t nd, const TideParams& p, Image& im) {
  im.gts.clear();
  std::vector<std::uint32_t> ignore;
  for (std::size_t j = 0; j < ng; ++j) (gt.iscrowd[grows[j]] != 0 ? ignore : im.gts).push_back(grows[j]);
  im.preds.assign(drows, drows + nd);
  std::stable_sort(im.preds.begin(), im.preds.end(), coco::ScoreDescending{dt.score});
  if (p.max_dets >= 0 && im.preds.size() > std::size_t(p.max_dets)) im.preds.resize(std::size_t(p.max_dets));
  const std::size_t D = im.preds.size(), G = im.gts.size();
  im.used.assign(D, 0);
  im.err.assign(D, TideError::none);
  im.pred_gt.assign(D, -1);
  im.fixable.assign(D, 0);
  im.gt_used.assign(G, 0);
  im.gt_usable.assign(G, 0);
  std::vector<double> iou(D * G), cls_iou(D * G), ioa;
  if (D && G) coco::BoxOverlap{dt.bbox, gt.bbox, nullptr}(im.preds.data(), D, im.gts.data(), G, iou.data());
  for (std::size_t d = 0; d < D; ++d)
    for (std::size_t g = 0; g < G; ++g)
      cls_iou[d * G + g] = dt.category_id[im.preds[d]] == gt.category_id[im.gts[g]] ? iou[d * G + g] : 0.0;
  if (!ignore.empty() && D) {  // IoA (crowd IoU) of every detection with every ignore region
    ioa.resize(D * ignore.size());
    // BoxOverlap's crowd flag is read per GT row: the regions are all crowd rows.
    coco::BoxOverlap{dt.bbox, gt.bbox, gt.iscrowd}(im.preds.data(), D, ignore.data(), ignore.size(), ioa.data());
  }
  std::vector<double> row(G);
  // Greedy, score order, first maximal GT among the unused ones (tidecv zeroes used columns);
  // then unmatched detections with IoA > thr with a region of their class are ignored (-1).
  auto match = [&](double thr, std::int8_t* used, std::uint8_t* gt_used, std::int32_t* pred_gt) {
    for (std::size_t d = 0; d < D && G; ++d) {
      for (std::size_t g = 0; g < G; ++g) row[g] = gt_used[g] ? 0.0 : cls_iou[d * G + g];
      const std::size_t g = argmax(row.data(), G);
      if (row[g] >= thr) {
        used[d] = 1;
        gt_used[g] = 1;
        pred_gt[d] = static_cast<std::int32_t>(g);
      }
    }
    for (std::size_t r = 0; r < ignore.size(); ++r)
      for (std::size_t d = 0; d < D; ++d)
        if (used[d] == 0 && ioa[d * ignore.size() + r] > thr && gt.category_id[ignore[r]] == dt.category_id[im.preds[d]])
          used[d] = -1;
  };
  match(p.pos_thresh, im.used.data(), im.gt_used.data(), im.pred_gt.data());
  im.used_at.assign(p.ap_thresholds.size() * D, 0);
  for (std::size_t x = 0; x < p.ap_thresholds.size(); ++x) {
    std::vector<std::uint8_t> gu(G, 0);
    std::vector<std::int32_t> pg(D, -1);
    match(p.ap_thresholds[x], im.used_at.data() + x * D, gu.data(), pg.data());
  }
  if (!p.run_errors) return;
  // Errors of every non-TP detection (ignored ones too), first rule that fires.
  std::vector<double> best_score(G, -1.0);
  std::vector<std::int64_t> best_pred(G, -1);
  for (std::size_t d = 0; d < D; ++d) {
    if (im.used[d] == 1) continue;
    if (G == 0) {
      im.err[d] = TideError::bkg;
      continue;
    }
    const double* ious = iou.data() + d * G;
    const double* cls = cls_iou.data() + d * G;
    auto blame = [&](TideError e, std::size_t g) {
      im.err[d] = e;
      im.pred_gt[d] = static_cast<std::int32_t>(g);
      if (im.gt_used[g]) return;  // BestGTMatch suppresses: the fix is "remove"
      im.gt_usable[g] = 1;
      const double s = dt.score[im.preds[d]];
      if (best_score[g] < s) best_score[g] = s, best_pred[g] = static_cast<std::int64_t>(d);
    };
    std::size_t g = argmax(cls, G);
    if (p.bg_thresh <= cls[g] && cls[g] <= p.pos_thresh) {
      blame(TideError::loc, g);
      continue;
    }
    for (std::size_t j = 0; j < G; ++j)
      row[j] = dt.category_id[im.preds[d]] == gt.category_id[im.gts[j]] ? 0.0 : ious[j];
    g = argmax(row.data(), G);
    if (row[g] >= p.pos_thresh) {
      blame(TideError::cls, g);
      continue;
    }
    for (std::size_t j = 0; j < G; ++j) row[j] = im.gt_used[j] ? cls[j] : 0.0;
    g = argmax(row.data(), G);
    if (row[g] >= p.pos_thresh) {
      im.err[d] = TideError::dupe;
      im.pred_gt[d] = static_cast<std::int32_t>(g);
      continue;
    }
    g = argmax(ious, G);
    im.err[d] = ious[g] <= p.bg_thresh ? TideError::bkg : TideError::both;
  }
  for (std::size_t g = 0; g < G; ++g)
    if (best_pred[g] >= 0) im.fixable[std::size_t(best_pred[g])] = 1;
}

// One class's AP from its precision / recall points in sorted order, as tidecv's
// APDataObject.get_ap (percent): right-to-left max, recall grid x / 100, searchsorted left,
// Python's sequential sum.
inline double curve_ap(std::vector<double>& prec, const std::vector<double>& rec) {
  const std::size_t n = prec.size();
  for (std::size_t i = n; i-- > 1;)
    if (prec[i] > prec[i - 1]) prec[i - 1] = prec[i];
  double sum = 0;
  std::size_t idx = 0;
  for (int x = 0; x <= 100; ++x) {
    const double r = x / 100.0;
    while (idx < n && rec[idx] < r) ++idx;
    if (idx < n) sum += prec[idx];
  }
  return sum / 101 * 100;
}

// tidecv's ClassedAPDataObject.get_mAP for one variant of the AP data. tidecv stable-sorts each
// class's points by -score in push order; here the items come already in one global order with
// the same relative order inside every class (sorted once, shared by all variants), and
// `route(j, cls, tp)` says where the j-th item goes in this variant (false: dropped). The mean is
// taken over `order` (classes in this variant's first-appearance order), skipping empty classes.
template <class Route>
double map_sorted(std::size_t C, std::size_t n_items, Route&& route, const std::vector<std::int64_t>& positives,
                  const std::vector<std::uint32_t>& order, std::vector<double>* per_class = nullptr) {
  std::vector<std::vector<double>> prec(C), rec(C);
  std::vector<double> nt(C, 0.0), nf(C, 0.0);
  std::uint32_t c = 0;
  bool tp = false;
  for (std::size_t it = 0; it < n_items; ++it) {
    if (!route(it, c, tp)) continue;
    (tp ? nt[c] : nf[c]) += 1;
    if (positives[c] <= 0) continue;  // AP 0; only the count matters
    prec[c].push_back(nt[c] / (nt[c] + nf[c]));
    rec[c].push_back(nt[c] / double(positives[c]));
  }
  if (per_class) per_class->assign(C, 0.0);
  double sum = 0;
  std::size_t n = 0;
  for (std::uint32_t k : order) {
    if (nt[k] + nf[k] == 0 && positives[k] == 0) continue;
    const double ap = positives[k] == 0 ? 0.0 : curve_ap(prec[k], rec[k]);
    if (per_class) (*per_class)[k] = ap;
    sum += ap, ++n;
  }
  return n ? sum / double(n) : 0.0;
}

// Classes in first-appearance order (tidecv's dict insertion order).
struct FirstSeen {
  std::vector<std::uint32_t> order;
  std::vector<std::uint8_t> seen;
  explicit FirstSeen(std::size_t C) : seen(C, 0) {}
  void touch(std::uint32_t c) {
    if (!seen[c]) seen[c] = 1, order.push_back(c);
  }
};

}  // namespace tide
}  // namespace detail

inline TideResult tide_evaluate(const CocoAnnotations& gt, const CocoAnnotations& dt,
                                const std::vector<std::int64_t>& image_ids, const TideParams& p, Parallel par) {
  namespace dt_ = detail::tide;
  dt_::check_box_tables(gt, dt, "tide_evaluate");
  // Image positions in GT order (a repeated id keeps its first position, as tidecv's dict).
  std::unordered_map<std::int64_t, std::uint32_t> pos;
  std::vector<std::int64_t> images;
  for (std::int64_t id : image_ids)
    if (pos.emplace(id, static_cast<std::uint32_t>(images.size())).second) images.push_back(id);
  const std::size_t I = images.size();
  const dt_::ByImage gg = dt_::group_rows(gt, pos, I), dg = dt_::group_rows(dt, pos, I);
  std::vector<dt_::Image> ims(I);
  detail::coco::dynamic_for(I, 64, par, [&](std::size_t i0, std::size_t i1) {
    for (std::size_t i = i0; i < i1; ++i)
      dt_::run_image(gt, dt, gg.rows.data() + gg.offset[i], gg.offset[i + 1] - gg.offset[i],
                     dg.rows.data() + dg.offset[i], dg.offset[i + 1] - dg.offset[i], p, ims[i]);
  });

  // Dense classes in tidecv's first-appearance order: per image its non-ignored GT, then its
  // kept non-ignored detections (classes only seen on detections ignored at pos_thresh follow).
  std::unordered_map<std::int64_t, std::uint32_t> cls;
  TideResult r;
  auto dense = [&](std::int64_t id) {
    auto it = cls.emplace(id, static_cast<std::uint32_t>(r.class_ids.size()));
    if (it.second) r.class_ids.push_back(id);
    return it.first->second;
  };
  // Kept detections in tidecv's push order (images in order, each in score order): item = position.
  std::vector<std::size_t> kept_off(I + 1, 0);
  for (std::size_t i = 0; i < I; ++i) kept_off[i + 1] = kept_off[i] + ims[i].preds.size();
  const std::size_t N = kept_off[I];
  LOCUSKIT_CHECK(N < std::numeric_limits<std::uint32_t>::max(), std::invalid_argument, "tide_evaluate: too many detections");
  std::vector<double> kscore(N);
  std::vector<std::uint32_t> kcls(N);
  std::vector<std::int64_t> positives, fn_count, miss_count;
  auto grow = [&]() {
    positives.resize(r.class_ids.size(), 0), fn_count.resize(r.class_ids.size(), 0);
    miss_count.resize(r.class_ids.size(), 0);
  };
  // The error list (image order; per image detections in score order, then Miss) and the TPs.
  struct Err {
    TideError type;
    std::int64_t pred_cls;  // dense class of the original data point, -1: none (ignored detection, Miss)
    std::int64_t fix_cls;   // dense class of the TP a fix makes (Cls/Loc), -1: the fix removes it
    double score;
  };
  std::vector<Err> errs;
  std::vector<std::uint32_t> tps;  // kept items that are TPs at pos_thresh, push order
  r.dt_error.assign(dt.size, TideError::not_evaluated);
  r.dt_ignored.assign(dt.size, 0);
  r.dt_gt.assign(dt.size, -1);
  r.gt_error.assign(gt.size, TideError::not_evaluated);
  for (std::size_t i = 0; i < I; ++i) {
    const dt_::Image& im = ims[i];
    for (std::uint32_t g : im.gts) {
      const std::uint32_t c = dense(gt.category_id[g]);
      grow();
      ++positives[c];
    }
    for (std::size_t d = 0; d < im.preds.size(); ++d) {
      const std::uint32_t row = im.preds[d];
      const std::size_t k = kept_off[i] + d;
      kscore[k] = dt.score[row];
      r.dt_ignored[row] = im.used[d] == -1;
      r.dt_error[row] = im.used[d] == 1 ? TideError::none : im.err[d];
      if (im.pred_gt[d] >= 0) r.dt_gt[row] = im.gts[std::size_t(im.pred_gt[d])];
      if (im.used[d] != -1) kcls[k] = dense(dt.category_id[row]), grow();
      if (im.used[d] == 1) tps.push_back(static_cast<std::uint32_t>(k));
    }
  }
  const std::size_t C_main = r.class_ids.size();  // the classes of tidecv's AP data at pos_thresh
  for (std::size_t i = 0; i < I; ++i)             // detections ignored at pos_thresh: their classes last
    for (std::size_t d = 0; d < ims[i].preds.size(); ++d)
      if (ims[i].used[d] == -1) kcls[kept_off[i] + d] = dense(dt.category_id[ims[i].preds[d]]);
  grow();
  const std::size_t C = r.class_ids.size();
  for (std::size_t i = 0; i < I && p.run_errors; ++i) {
    const dt_::Image& im = ims[i];
    for (std::size_t d = 0; d < im.preds.size(); ++d) {
      if (im.used[d] == 1) continue;
      const std::size_t k = kept_off[i] + d;
      Err e{im.err[d], im.used[d] == -1 ? -1 : std::int64_t(kcls[k]), -1, kscore[k]};
      if (im.fixable[d])
        e.fix_cls = im.err[d] == TideError::cls ? cls[gt.category_id[im.gts[std::size_t(im.pred_gt[d])]]] : kcls[k];
      errs.push_back(e);
    }
    for (std::size_t g = 0; g < im.gts.size(); ++g) {
      if (im.gt_used[g]) continue;
      const std::uint32_t c = cls[gt.category_id[im.gts[g]]];
      ++fn_count[c];
      if (!im.gt_usable[g]) ++miss_count[c], errs.push_back({TideError::miss, -1, c, 0.0});
    }
  }
  for (std::size_t i = 0; i < I; ++i)
    for (std::size_t g = 0; g < ims[i].gts.size(); ++g)
      r.gt_error[ims[i].gts[g]] = ims[i].gt_used[g] ? TideError::none
                                  : ims[i].gt_usable[g] ? TideError::fixable : TideError::miss;

  // One global order of the kept detections (stable by -score), shared by every threshold.
  std::vector<std::uint32_t> by_score(N);
  for (std::size_t k = 0; k < N; ++k) by_score[k] = static_cast<std::uint32_t>(k);
  std::stable_sort(by_score.begin(), by_score.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return -kscore[a] < -kscore[b]; });
  // AP at a threshold: used flags of each kept detection; classes in first-appearance order.
  auto ap_at = [&](auto used_of, std::vector<double>* per_class) {
    std::vector<std::int8_t> used(N);
    dt_::FirstSeen order(C);
    for (std::size_t i = 0; i < I; ++i) {
      for (std::uint32_t g : ims[i].gts) order.touch(cls[gt.category_id[g]]);
      for (std::size_t d = 0; d < ims[i].preds.size(); ++d) {
        const std::size_t k = kept_off[i] + d;
        used[k] = used_of(i, d);
        if (used[k] != -1) order.touch(kcls[k]);
      }
    }
    return dt_::map_sorted(C, N, [&](std::size_t j, std::uint32_t& c, bool& tp) {
      const std::uint32_t k = by_score[j];
      if (used[k] == -1) return false;
      c = kcls[k], tp = used[k] == 1;
      return true;
    }, positives, order.order, per_class);
  };
  std::vector<double> per_class;
  r.ap = ap_at([&](std::size_t i, std::size_t d) { return ims[i].used[d]; }, &per_class);
  r.class_ap = per_class;
  r.class_positives = positives;
  r.class_counted.assign(C, 0);
  for (std::size_t i = 0; i < I; ++i) {
    for (std::uint32_t g : ims[i].gts) r.class_counted[cls[gt.category_id[g]]] = 1;
    for (std::size_t d = 0; d < ims[i].preds.size(); ++d)
      if (ims[i].used[d] != -1) r.class_counted[kcls[kept_off[i] + d]] = 1;
  }
  for (std::size_t x = 0; x < p.ap_thresholds.size(); ++x)
    r.ap_at_thresholds.push_back(ap_at(
        [&](std::size_t i, std::size_t d) { return ims[i].used_at[x * ims[i].preds.size() + d]; }, nullptr));
  if (!p.run_errors) return r;
  for (const Err& e : errs) ++r.error_counts[tide_error_index(e.type)];

  // fix_errors: each error's point (original or fixed) in error order, then every TP; stable by
  // -score. Items (errors 0..E-1, then TPs) are sorted once for all variants and laid out in that
  // order: class of the point when the item's type is not fixed (-1: none), class of the fixed
  // point when it is, type (-1 for a TP).
  struct Item {
    std::int32_t orig, fix;
    std::int8_t type;
  };
  const std::size_t E = errs.size(), NI = E + tps.size();
  auto item_of = [&](std::size_t j) {
    if (j >= E) {
      const std::int32_t c = std::int32_t(kcls[tps[j - E]]);
      return Item{c, c, -1};
    }
    const Err& e = errs[j];
    return Item{std::int32_t(e.pred_cls), e.type == TideError::miss ? -1 : std::int32_t(e.fix_cls), std::int8_t(e.type)};
  };
  auto item_score = [&](std::size_t j) { return j < E ? errs[j].score : kscore[tps[j - E]]; };
  std::vector<std::uint32_t> perm(NI);
  for (std::size_t j = 0; j < NI; ++j) perm[j] = static_cast<std::uint32_t>(j);
  std::stable_sort(perm.begin(), perm.end(), [&](std::uint32_t a, std::uint32_t b) { return -item_score(a) < -item_score(b); });
  std::vector<Item> sorted_items(NI), fp_items;  // FalsePos scores TPs 1 and FPs 0: TPs, then errors
  for (std::size_t j = 0; j < NI; ++j) sorted_items[j] = item_of(perm[j]);
  for (std::size_t j = E; j < NI; ++j) fp_items.push_back(item_of(j));
  for (std::size_t j = 0; j < E; ++j) fp_items.push_back(item_of(j));
  auto variant = [&](int fix_type, bool fp_transform, bool fn_fix) {
    std::vector<std::int64_t> pos = positives;
    dt_::FirstSeen order(C);
    for (std::size_t j = 0; j < E; ++j) {  // error points are pushed first: their classes lead
      const Item it = item_of(j);
      const std::int32_t c = it.type == fix_type ? it.fix : it.orig;
      if (c >= 0) order.touch(std::uint32_t(c));
    }
    // TPs are pushed class by class in the original class order, then every class of the
    // original data gets its GT count: the remaining classes follow in that order.
    for (std::uint32_t k = 0; k < C_main; ++k) order.touch(k);
    for (std::size_t k = 0; k < C; ++k) {
      if (fix_type == int(TideError::miss)) pos[k] -= miss_count[k];
      if (fn_fix) pos[k] -= fn_count[k];
    }
    const std::vector<Item>& seq = fp_transform ? fp_items : sorted_items;
    return dt_::map_sorted(C, NI, [&](std::size_t j, std::uint32_t& c, bool& tp) {
      const Item& it = seq[j];
      const bool fixed = it.type == fix_type;
      const std::int32_t k = fixed ? it.fix : it.orig;
      c = std::uint32_t(k), tp = fixed || it.type == -1;
      return k >= 0;
    }, pos, order.order);
  };
  for (int e = 1; e <= 6; ++e) r.main_dap[std::size_t(e - 1)] = std::max(variant(e, false, false) - r.ap, 0.0);
  r.special_dap[0] = variant(0, true, false) - r.ap;
  r.special_dap[1] = variant(0, false, true) - r.ap;
  return r;
}

}  // namespace locuskit
