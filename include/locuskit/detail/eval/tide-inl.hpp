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
  std::vector<double> iou(D * G), cls_iou(D * G), buf;
  if (D && G) coco::BoxOverlap{dt.bbox, gt.bbox, nullptr}(im.preds.data(), D, im.gts.data(), G, iou.data());
  for (std::size_t d = 0; d < D; ++d)
    for (std::size_t g = 0; g < G; ++g)
      cls_iou[d * G + g] = dt.category_id[im.preds[d]] == gt.category_id[im.gts[g]] ? iou[d * G + g] : 0.0;
  if (G) {  // greedy, score order, first maximal GT; used GT columns zeroed
    buf = cls_iou;
    for (std::size_t d = 0; d < D; ++d) {
      const std::size_t g = argmax(buf.data() + d * G, G);
      if (buf[d * G + g] >= p.pos_thresh) {
        im.used[d] = 1;
        im.gt_used[g] = 1;
        im.pred_gt[d] = static_cast<std::int32_t>(g);
        for (std::size_t e = 0; e < D; ++e) buf[e * G + g] = 0;
      }
    }
  }
  if (!ignore.empty() && D) {  // ignore regions: IoA (crowd IoU) > pos_thresh with one of the class
    std::vector<double> ioa(D * ignore.size());
    // BoxOverlap's crowd flag is read per GT row: the regions are all crowd rows.
    coco::BoxOverlap{dt.bbox, gt.bbox, gt.iscrowd}(im.preds.data(), D, ignore.data(), ignore.size(), ioa.data());
    for (std::size_t r = 0; r < ignore.size(); ++r)
      for (std::size_t d = 0; d < D; ++d)
        if (im.used[d] == 0 && ioa[d * ignore.size() + r] > p.pos_thresh &&
            gt.category_id[ignore[r]] == dt.category_id[im.preds[d]])
          im.used[d] = -1;
  }
  if (!p.run_errors) return;
  // Errors of every non-TP detection (ignored ones too), first rule that fires.
  std::vector<double> best_score(G, -1.0);
  std::vector<std::int64_t> best_pred(G, -1);
  std::vector<double> row(G);
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

// One class's AP as tidecv's APDataObject.get_ap (percent): points in push order, stable sort
// by -score, precision right-to-left max, recall grid x / 100, searchsorted left, Python sums.
struct Point {
  double score;
  bool tp;
};

inline double class_ap(std::vector<Point>& pts, std::int64_t positives) {
  if (positives == 0) return 0;
  std::stable_sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return -a.score < -b.score; });
  const std::size_t n = pts.size();
  std::vector<double> prec(n), rec(n);
  double nt = 0, nf = 0;
  for (std::size_t i = 0; i < n; ++i) {
    (pts[i].tp ? nt : nf) += 1;
    prec[i] = nt / (nt + nf);
    rec[i] = nt / double(positives);
  }
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

// tidecv's ClassedAPDataObject for one "fix" variant: classes by dense index, the mean taken in
// the order classes first appeared in this variant.
struct ApData {
  std::vector<std::vector<Point>> pts;
  std::vector<std::int64_t> positives;
  std::vector<std::uint32_t> order;  // dense classes in first-appearance order
  std::vector<std::uint8_t> seen;
  explicit ApData(std::size_t C) : pts(C), positives(C, 0), seen(C, 0) {}
  void touch(std::uint32_t c) {
    if (!seen[c]) seen[c] = 1, order.push_back(c);
  }
  void push(std::uint32_t c, double s, bool tp) {
    touch(c);
    pts[c].push_back({s, tp});
  }
  double map(std::vector<double>* per_class = nullptr) {
    double sum = 0;
    std::size_t n = 0;
    if (per_class) per_class->assign(pts.size(), 0.0);
    for (std::uint32_t c : order) {
      if (pts[c].empty() && positives[c] == 0) continue;
      const double ap = class_ap(pts[c], positives[c]);
      if (per_class) (*per_class)[c] = ap;
      sum += ap, ++n;
    }
    return n ? sum / double(n) : 0.0;
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
  // kept non-ignored detections.
  std::unordered_map<std::int64_t, std::uint32_t> cls;
  TideResult r;
  auto dense = [&](std::int64_t id) {
    auto it = cls.emplace(id, static_cast<std::uint32_t>(r.class_ids.size()));
    if (it.second) r.class_ids.push_back(id);
    return it.first->second;
  };
  // The error list (image order; per image detections in score order, then Miss) and the TPs.
  struct Err {
    TideError type;
    std::int64_t pred_cls;  // -1: no original data point (ignored detection, Miss)
    std::int64_t fix_cls;   // Cls/Loc fixed into a TP of this class, -1: fix removes it
    double score;
  };
  std::vector<Err> errs;
  std::vector<std::pair<std::uint32_t, double>> tps;
  std::vector<std::uint32_t> base_cls_seq;  // original push order (class, score, tp)
  std::vector<dt_::Point> base_pts;
  std::vector<std::int64_t> fn_count;
  r.dt_error.assign(dt.size, TideError::not_evaluated);
  r.dt_ignored.assign(dt.size, 0);
  r.dt_gt.assign(dt.size, -1);
  r.gt_error.assign(gt.size, TideError::not_evaluated);
  std::vector<std::int64_t> positives;
  auto grow = [&]() {
    positives.resize(r.class_ids.size(), 0);
    fn_count.resize(r.class_ids.size(), 0);
  };
  for (std::size_t i = 0; i < I; ++i) {
    const dt_::Image& im = ims[i];
    for (std::uint32_t g : im.gts) {
      const std::uint32_t c = dense(gt.category_id[g]);
      grow();
      ++positives[c];
    }
    for (std::size_t d = 0; d < im.preds.size(); ++d) {
      const std::uint32_t row = im.preds[d];
      const std::int64_t cid = dt.category_id[row];
      r.dt_ignored[row] = im.used[d] == -1;
      r.dt_error[row] = im.used[d] == 1 ? TideError::none : im.err[d];
      if (im.pred_gt[d] >= 0) r.dt_gt[row] = im.gts[std::size_t(im.pred_gt[d])];
      if (im.used[d] != -1) {
        const std::uint32_t c = dense(cid);
        grow();
        base_cls_seq.push_back(c);
        base_pts.push_back({dt.score[row], im.used[d] == 1});
        if (im.used[d] == 1) tps.emplace_back(c, dt.score[row]);
      }
      if (im.used[d] != 1 && p.run_errors) {
        Err e{im.err[d], im.used[d] == -1 ? -1 : cid, -1, dt.score[row]};
        if (im.fixable[d]) e.fix_cls = im.err[d] == TideError::cls ? gt.category_id[im.gts[std::size_t(im.pred_gt[d])]] : cid;
        errs.push_back(e);
      }
    }
    for (std::size_t g = 0; g < im.gts.size(); ++g) {
      const std::uint32_t row = im.gts[g];
      if (im.gt_used[g]) {
        r.gt_error[row] = TideError::none;
        continue;
      }
      const std::uint32_t c = dense(gt.category_id[row]);
      ++fn_count[c];
      const bool miss = !im.gt_usable[g];
      r.gt_error[row] = miss ? TideError::miss : TideError::fixable;
      if (miss && p.run_errors) errs.push_back({TideError::miss, -1, gt.category_id[row], 0.0});
    }
  }
  const std::size_t C = r.class_ids.size();
  grow();
  // The original AP data.
  dt_::ApData base(C);
  for (std::size_t c = 0; c < C; ++c) base.touch(static_cast<std::uint32_t>(c)), base.positives[c] = positives[c];
  for (std::size_t n = 0; n < base_pts.size(); ++n) base.pts[base_cls_seq[n]].push_back(base_pts[n]);
  std::vector<double> per_class;
  r.ap = base.map(&per_class);
  r.class_ap = per_class;
  r.class_positives = positives;
  r.class_counted.resize(C);
  for (std::size_t c = 0; c < C; ++c) r.class_counted[c] = !base.pts[c].empty() || positives[c] != 0;
  if (!p.run_errors) return r;
  for (const Err& e : errs) ++r.error_counts[tide_error_index(e.type)];

  // fix_errors: error points first (original or fixed), then every TP, then the GT counts.
  auto variant = [&](int fix_type, bool fp_transform, bool fn_fix) {
    dt_::ApData v(C);
    v.positives = positives;
    for (const Err& e : errs) {
      const bool selected = int(e.type) == fix_type;
      if (selected) {
        if (e.type == TideError::miss) --v.positives[cls[e.fix_cls]];
        else if (e.fix_cls >= 0) v.push(cls[e.fix_cls], e.score, true);
      } else if (e.pred_cls >= 0) {
        v.push(cls[e.pred_cls], fp_transform ? 0.0 : e.score, false);
      }
    }
    // TPs are pushed class by class in the original class order (gt_pos keys), then every
    // class gets its GT count: the classes no error point touched follow in that order.
    for (std::size_t c = 0; c < C; ++c) {
      v.touch(static_cast<std::uint32_t>(c));
      if (fn_fix) v.positives[c] -= fn_count[c];
    }
    for (const auto& t : tps) v.push(t.first, fp_transform ? 1.0 : t.second, true);
    return v.map();
  };
  for (int e = 1; e <= 6; ++e) r.main_dap[std::size_t(e - 1)] = std::max(variant(e, false, false) - r.ap, 0.0);
  r.special_dap[0] = variant(0, true, false) - r.ap;
  r.special_dap[1] = variant(0, false, true) - r.ap;
  return r;
}

}  // namespace locuskit
