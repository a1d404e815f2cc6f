#pragma once
/// \file lvis_eval.hpp
/// LVIS federated detection evaluation, bit for bit as the `lvis` API's `LVISEval`
/// (lvis-dataset/lvis-api @7d7f07d, on pycocotools' mask.iou), built on the COCO evaluator:
/// the federated rules become a pre-filter of the rows plus `CocoMatchRules` (GT `ignore` flags,
/// not-exhaustive results ignored when unmatched), and matching / accumulation are
/// `coco_evaluate` / `coco_accumulate` with one unbounded maxDet. So everything that works on a
/// `CocoEvaluation` (states, merging, streaming) works on LVIS too.
///
/// **Example**
/// \code
///   auto gt = locuskit::load_lvis_ground_truth("lvis_v1_val.json");      // eval/lvis_json.hpp
///   auto dt = locuskit::load_coco_results("results.json", gt.coco, true);
///   auto p  = locuskit::lvis_params_for(gt, locuskit::IouType::bbox);
///   auto ev = locuskit::lvis_evaluate(gt.coco.annotations.view(), dt.view(), gt.labels, p);
///   auto acc = locuskit::coco_accumulate(ev.coco);
///   auto sum = locuskit::lvis_summarize(acc, ev);   // sum.values[0] = AP, sum.lines
/// \endcode
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "coco_eval.hpp"
#include "numpy_sum.hpp"

namespace locuskit {

/// Parameters of an LVIS evaluation (`lvis.eval.Params` plus `LVISResults`' `max_dets`).
/// `coco` holds iou_type (bbox | segm), img_ids, cat_ids, iou_thrs, rec_thrs, area_rng,
/// area_rng_lbl and use_cats with the LVIS API's values; its max_dets is unused.
struct LvisParams {
  CocoParams coco;
  /// Results kept per image, across categories, by descending score (stable); negative: no cap.
  std::int64_t max_dets = 300;
  /// Frequency group labels, in the order of APr, APc, APf.
  std::vector<std::string> img_count_lbl{"r", "c", "f"};

  /// The LVIS API's defaults (ids left empty: taken from the ground truth). The grids are
  /// np.linspace's doubles and the area ranges [0, 1e10], [0, 1024], [1024, 9216], [9216, 1e10].
  static LvisParams defaults(IouType type) {
    LvisParams p;
    p.coco = CocoParams::defaults(IouType::bbox);
    p.coco.iou_type = type;
    p.coco.max_dets = {std::numeric_limits<std::int64_t>::max()};
    return p;
  }
};

/// The federated labels of an LVIS ground truth: per image (last entry of an id wins, as the
/// API's `imgs` dict) the verified-negative and not-exhaustive category ids, per category its
/// `frequency`, per annotation its `ignore` flag.
struct LvisLabels {
  std::vector<std::int64_t> image_ids;            ///< images (file order)
  std::vector<std::uint64_t> neg_offset{0};        ///< [images + 1] into neg_category_ids
  std::vector<std::int64_t> neg_category_ids;
  std::vector<std::uint64_t> not_exhaustive_offset{0};  ///< [images + 1]
  std::vector<std::int64_t> not_exhaustive_category_ids;
  std::vector<std::int64_t> category_ids;          ///< categories (file order)
  std::vector<std::string> frequency;              ///< per category; "" where the key is absent
  std::vector<std::uint8_t> gt_ignore;             ///< per GT annotation row (0 where absent)
};

/// An LVIS evaluation: the COCO matching state plus what the summary needs.
struct LvisEvaluation {
  CocoEvaluation coco;   ///< K axis = params.coco.cat_ids (sorted), one maxDet (unbounded)
  LvisParams params;     ///< normalized (ids sorted and unique)
  /// Positions on the K axis of the categories of each frequency group (`_prepare_freq_group`).
  std::vector<std::vector<std::size_t>> freq_groups;
  std::size_t results_after_cap = 0;  ///< results left by the per-image cap
  std::size_t dt_evaluated = 0;       ///< results left by the area and federated filters
  std::size_t gt_evaluated = 0;       ///< GT with 0 < area < inf in the evaluated images / categories
};

/// `LVISEval.results` in its key order (AP, AP50, AP75, APs, APm, APl, APr, APc, APf, AR\@N,
/// ARs\@N, ARm\@N, ARl\@N) and `print_results()`' lines.
struct LvisSummary {
  std::vector<std::string> keys;
  std::vector<double> values;
  std::vector<std::string> lines;
};

/// The LVIS API's parameters for a ground truth: img_ids and cat_ids sorted, each id once.
inline LvisParams lvis_params_for(const std::vector<std::int64_t>& image_ids,
                                  const std::vector<std::int64_t>& category_ids, IouType type) {
  LvisParams p = LvisParams::defaults(type);
  p.coco.img_ids = image_ids;
  p.coco.cat_ids = category_ids;
  return p;
}

/// Federated LVIS matching, as `LVISResults` + `LVISEval.evaluate()`:
/// 1. the per-image cap: an image with more than `max_dets` results keeps the first `max_dets`
///    by descending score (stable: ties keep file order), across categories, before anything else;
/// 2. GT and results need 0 < area < inf (strict; NaN fails), image in img_ids, category in cat_ids;
/// 3. a result of category c in image i is dropped unless c is in i's neg_category_ids or i has a
///    GT of c left by rule 2;
/// 4. GT `ignore` flags are the ignore rule and `iscrowd` is not read (IoU with crowd flags 0);
/// 5. an unmatched result whose category is in its image's not_exhaustive_category_ids is ignored.
/// Matching itself is `coco_evaluate` (greedy, pycocotools' loop). `gt` needs id, image_id,
/// category_id, area and bbox (bbox) or segmentation (segm); `dt` id, image_id, category_id,
/// score, area, bbox / segmentation; `labels.gt_ignore` one flag per GT row. Throws
/// std::invalid_argument for unsupported iou types, a result or GT on an image without labels,
/// a category without a frequency in img_count_lbl (the API's KeyError / ValueError).
/// Memory O(N + K*I*A); complexity that of coco_evaluate plus O(N log N). Thread-safe;
/// deterministic for any `par.threads`.
inline LvisEvaluation lvis_evaluate(const CocoAnnotations& gt, const CocoAnnotations& dt, const LvisLabels& labels,
                                    const LvisParams& params, Parallel par = {});

/// `LVISEval.summarize()` on `coco_accumulate(ev.coco)`: NumPy's mean over the cells > −1 of the
/// selected slices (AP: every threshold, area "all"; AP50 / AP75 at iou_thrs == .5 / .75;
/// APs/m/l by area label; APr/c/f over the frequency groups; AR\@N from recall), −1 where none.
/// Throws std::out_of_range where the API raises IndexError. O(size of the arrays). Thread-safe.
inline LvisSummary lvis_summarize(const CocoAccumulation& acc, const LvisEvaluation& ev);

/// AP of category position k as the reference tools report it: mean of precision[:, :, k, a]
/// over the cells > −1 (−1 if none). O(T * R).
inline double lvis_category_ap(const CocoAccumulation& acc, std::size_t k, std::size_t a = 0);

// ---------------------------------------------------------------------------------------------

namespace detail {
namespace lvis {

// Sorted unique copy.
inline std::vector<std::int64_t> sorted_unique(std::vector<std::int64_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

inline bool contains_sorted(const std::int64_t* b, const std::int64_t* e, std::int64_t v) noexcept {
  const std::int64_t* it = std::lower_bound(b, e, v);
  return it != e && *it == v;
}

// Per image (position in the sorted unique image id list): sorted category lists.
struct PerImageSets {
  std::vector<std::uint64_t> offset;
  std::vector<std::int64_t> ids;
  bool has(std::size_t i, std::int64_t c) const noexcept {
    return contains_sorted(ids.data() + offset[i], ids.data() + offset[i + 1], c);
  }
};

// The lists of the last label entry of each image id, sorted, indexed like `image_ids` (sorted).
inline PerImageSets per_image(const std::vector<std::int64_t>& image_ids, const LvisLabels& lab,
                              const std::vector<std::uint64_t>& off, const std::vector<std::int64_t>& ids) {
  std::vector<std::ptrdiff_t> entry(image_ids.size(), -1);
  for (std::size_t j = 0; j < lab.image_ids.size(); ++j) {
    auto it = std::lower_bound(image_ids.begin(), image_ids.end(), lab.image_ids[j]);
    if (it != image_ids.end() && *it == lab.image_ids[j]) entry[std::size_t(it - image_ids.begin())] = std::ptrdiff_t(j);
  }
  PerImageSets s;
  s.offset.assign(image_ids.size() + 1, 0);
  for (std::size_t i = 0; i < image_ids.size(); ++i) {
    LOCUSKIT_CHECK(entry[i] >= 0, std::invalid_argument, "image ", image_ids[i],
                   " has no federated labels (neg_category_ids / not_exhaustive_category_ids)");
    const std::size_t j = std::size_t(entry[i]);
    const std::size_t b = s.ids.size();
    s.ids.insert(s.ids.end(), ids.begin() + std::ptrdiff_t(off[j]), ids.begin() + std::ptrdiff_t(off[j + 1]));
    std::sort(s.ids.begin() + std::ptrdiff_t(b), s.ids.end());
    s.offset[i + 1] = s.ids.size();
  }
  return s;
}

inline std::ptrdiff_t position(const std::vector<std::int64_t>& sorted, std::int64_t v) noexcept {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), v);
  return (it != sorted.end() && *it == v) ? it - sorted.begin() : -1;
}

inline bool area_positive(double a) noexcept { return a > 0 && a < INFINITY; }

// Mean of the values > -1 (NumPy's pairwise sum), -1 if none.
inline double mean_valid(const std::vector<double>& vals) {
  return vals.empty() ? -1.0 : numpy_mean(vals.data(), vals.size());
}

}  // namespace lvis
}  // namespace detail

inline LvisEvaluation lvis_evaluate(const CocoAnnotations& gt, const CocoAnnotations& dt, const LvisLabels& labels,
                                    const LvisParams& params, Parallel par) {
  namespace dl = detail::lvis;
  const IouType type = params.coco.iou_type;
  LOCUSKIT_CHECK(type == IouType::bbox || type == IouType::segm, std::invalid_argument, "iou_type: ",
                 iou_type_name(type), " is not supported (LVIS evaluates bbox or segm)");
  LOCUSKIT_CHECK(labels.gt_ignore.size() == gt.size, std::invalid_argument, "labels.gt_ignore: ",
                 labels.gt_ignore.size(), " flags for ", gt.size, " GT annotations");
  LOCUSKIT_CHECK(labels.neg_offset.size() == labels.image_ids.size() + 1 &&
                     labels.not_exhaustive_offset.size() == labels.image_ids.size() + 1 &&
                     labels.neg_offset.back() == labels.neg_category_ids.size() &&
                     labels.not_exhaustive_offset.back() == labels.not_exhaustive_category_ids.size() &&
                     labels.frequency.size() == labels.category_ids.size(),
                 std::invalid_argument, "labels: offsets / frequencies do not match the images / categories");
  LOCUSKIT_CHECK(gt.size == 0 || (gt.image_id && gt.category_id && gt.area), std::invalid_argument,
                 "ground truth: image_id, category_id and area are required");
  LOCUSKIT_CHECK(dt.size == 0 || (dt.image_id && dt.category_id && dt.area && dt.score), std::invalid_argument,
                 "results: image_id, category_id, score and area are required");

  LvisEvaluation out;
  out.params = params;
  CocoParams& cp = out.params.coco;
  cp.img_ids = dl::sorted_unique(cp.img_ids);
  cp.cat_ids = dl::sorted_unique(cp.cat_ids);
  cp.max_dets = {std::numeric_limits<std::int64_t>::max()};
  const std::vector<std::int64_t>& imgs = cp.img_ids;
  const std::vector<std::int64_t>& cats = cp.cat_ids;

  // Frequency groups: positions in the sorted cat_ids (eval.py `_prepare_freq_group`), the
  // frequency of the last category entry with that id.
  out.freq_groups.assign(out.params.img_count_lbl.size(), {});
  {
    std::vector<std::ptrdiff_t> entry(cats.size(), -1);
    for (std::size_t j = 0; j < labels.category_ids.size(); ++j) {
      const std::ptrdiff_t k = dl::position(cats, labels.category_ids[j]);
      if (k >= 0) entry[std::size_t(k)] = std::ptrdiff_t(j);
    }
    for (std::size_t k = 0; k < cats.size(); ++k) {
      LOCUSKIT_CHECK(entry[k] >= 0, std::invalid_argument, "category ", cats[k], " is not in the ground truth's categories");
      const std::string& f = labels.frequency[std::size_t(entry[k])];
      LOCUSKIT_CHECK(!f.empty(), std::invalid_argument, "category ", cats[k], ": missing field 'frequency'");
      auto it = std::find(out.params.img_count_lbl.begin(), out.params.img_count_lbl.end(), f);
      LOCUSKIT_CHECK(it != out.params.img_count_lbl.end(), std::invalid_argument, "category ", cats[k],
                     ": frequency '", f, "' is not in img_count_lbl");
      out.freq_groups[std::size_t(it - out.params.img_count_lbl.begin())].push_back(k);
    }
  }

  const dl::PerImageSets neg = dl::per_image(imgs, labels, labels.neg_offset, labels.neg_category_ids);
  const dl::PerImageSets not_exhaustive =
      dl::per_image(imgs, labels, labels.not_exhaustive_offset, labels.not_exhaustive_category_ids);

  // GT: strict area filter (lvis.py get_ann_ids); the (image, category) pairs left are positive.
  std::vector<std::uint8_t> gt_skip(gt.size, 0);
  std::vector<std::uint64_t> positive;  // image position * |cats| + category position
  for (std::size_t n = 0; n < gt.size; ++n) {
    const std::ptrdiff_t i = dl::position(imgs, gt.image_id[n]), k = dl::position(cats, gt.category_id[n]);
    if (i < 0 || k < 0 || !dl::area_positive(gt.area[n])) {
      gt_skip[n] = 1;
      continue;
    }
    ++out.gt_evaluated;
    positive.push_back(std::uint64_t(i) * cats.size() + std::uint64_t(k));
  }
  std::sort(positive.begin(), positive.end());
  positive.erase(std::unique(positive.begin(), positive.end()), positive.end());

  // Results: the per-image cap over every row (results.py limit_dets_per_image).
  std::vector<std::uint8_t> dt_skip(dt.size, 0);
  if (params.max_dets >= 0) {
    std::vector<std::uint32_t> order(dt.size);
    for (std::size_t n = 0; n < dt.size; ++n) order[n] = static_cast<std::uint32_t>(n);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return dt.image_id[a] < dt.image_id[b]; });
    const std::size_t cap = static_cast<std::size_t>(params.max_dets);
    for (std::size_t b = 0; b < order.size();) {
      std::size_t e = b;
      while (e < order.size() && dt.image_id[order[e]] == dt.image_id[order[b]]) ++e;
      if (e - b > cap) {
        std::stable_sort(order.begin() + std::ptrdiff_t(b), order.begin() + std::ptrdiff_t(e),
                         detail::coco::ScoreDescending{dt.score});
        for (std::size_t j = b + cap; j < e; ++j) dt_skip[order[j]] = 1;
      }
      b = e;
    }
  }
  std::vector<std::uint8_t> dt_unmatched_ignored(dt.size, 0);
  for (std::size_t n = 0; n < dt.size; ++n) {
    if (dt_skip[n]) continue;
    ++out.results_after_cap;
    const std::ptrdiff_t i = dl::position(imgs, dt.image_id[n]), k = dl::position(cats, dt.category_id[n]);
    if (i < 0 || k < 0 || !dl::area_positive(dt.area[n])) {
      dt_skip[n] = 1;
      continue;
    }
    const std::uint64_t key = std::uint64_t(i) * cats.size() + std::uint64_t(k);
    const bool pos = std::binary_search(positive.begin(), positive.end(), key);
    if (!pos && !neg.has(std::size_t(i), dt.category_id[n])) {  // federated filter (eval.py:99-103)
      dt_skip[n] = 1;
      continue;
    }
    ++out.dt_evaluated;
    dt_unmatched_ignored[n] = not_exhaustive.has(std::size_t(i), dt.category_id[n]);
  }

  // iscrowd is never read: IoU with crowd flags 0 (eval.py compute_iou).
  std::vector<double> no_crowd(gt.size, 0.0);
  CocoAnnotations g = gt;
  g.iscrowd = no_crowd.data();
  CocoMatchRules rules;
  rules.gt_ignore = labels.gt_ignore.data();
  rules.dt_ignore_unmatched = dt_unmatched_ignored.data();
  rules.gt_skip = gt_skip.data();
  rules.dt_skip = dt_skip.data();
  out.coco = coco_evaluate(g, dt, cp, par, false, rules);
  return out;
}

inline double lvis_category_ap(const CocoAccumulation& acc, std::size_t k, std::size_t a) {
  std::vector<double> vals;
  for (std::size_t t = 0; t < acc.T; ++t)
    for (std::size_t r = 0; r < acc.R; ++r) {
      const double v = acc.precision[(((t * acc.R + r) * acc.K + k) * acc.A + a) * acc.M];
      if (v > -1) vals.push_back(v);
    }
  return detail::lvis::mean_valid(vals);
}

inline LvisSummary lvis_summarize(const CocoAccumulation& acc, const LvisEvaluation& ev) {
  const LvisParams& lp = ev.params;
  const CocoParams& p = lp.coco;
  LOCUSKIT_CHECK(acc.M == 1, std::invalid_argument, "lvis_summarize: expected one maxDet column, got ", acc.M);
  LvisSummary out;
  // _summarize(summary_type, iou_thr, area_rng, freq_group_idx): the selection in NumPy's C order.
  auto stat = [&](bool ap, bool has_thr, double thr, const std::string& area, std::ptrdiff_t group) {
    std::vector<std::size_t> tsel, aidx, ksel;
    for (std::size_t t = 0; t < acc.T; ++t)
      if (!has_thr || p.iou_thrs[t] == thr) tsel.push_back(t);
    for (std::size_t a = 0; a < p.area_rng_lbl.size(); ++a)
      if (p.area_rng_lbl[a] == area) aidx.push_back(a);
    for (std::size_t a : aidx)
      if (a >= acc.A) throw std::out_of_range("area_rng_lbl has more labels than area_rng has ranges");
    if (group >= 0) {
      // s[:, :, freq_groups[g], aidx]: the two index lists broadcast together
      const std::vector<std::size_t>& fg = ev.freq_groups[std::size_t(group)];
      if (!(fg.size() == aidx.size() || aidx.size() == 1 || fg.size() == 1))
        throw std::out_of_range("shape mismatch: frequency group and area indices cannot be broadcast together");
      std::vector<std::pair<std::size_t, std::size_t>> ka;
      const std::size_t n = aidx.size() == 1 ? fg.size() : aidx.size();
      for (std::size_t j = 0; j < n; ++j) ka.emplace_back(fg[fg.size() == 1 ? 0 : j], aidx[aidx.size() == 1 ? 0 : j]);
      if (fg.empty()) ka.clear();
      std::vector<double> vals;
      for (std::size_t t : tsel)
        for (std::size_t r = 0; r < acc.R; ++r)
          for (auto [k, a] : ka) {
            const double v = acc.precision[((t * acc.R + r) * acc.K + k) * acc.A + a];
            if (v > -1) vals.push_back(v);
          }
      return detail::lvis::mean_valid(vals);
    }
    std::vector<double> vals;
    if (ap) {
      for (std::size_t t : tsel)
        for (std::size_t r = 0; r < acc.R; ++r)
          for (std::size_t k = 0; k < acc.K; ++k)
            for (std::size_t a : aidx) {
              const double v = acc.precision[((t * acc.R + r) * acc.K + k) * acc.A + a];
              if (v > -1) vals.push_back(v);
            }
    } else {
      for (std::size_t t : tsel)
        for (std::size_t k = 0; k < acc.K; ++k)
          for (std::size_t a : aidx) {
            const double v = acc.recall[(t * acc.K + k) * acc.A + a];
            if (v > -1) vals.push_back(v);
          }
    }
    return detail::lvis::mean_valid(vals);
  };
  const std::string md = std::to_string(lp.max_dets);
  auto add = [&](std::string key, double v) {
    out.keys.push_back(std::move(key));
    out.values.push_back(v);
  };
  add("AP", stat(true, false, 0, "all", -1));
  add("AP50", stat(true, true, 0.50, "all", -1));
  add("AP75", stat(true, true, 0.75, "all", -1));
  add("APs", stat(true, false, 0, "small", -1));
  add("APm", stat(true, false, 0, "medium", -1));
  add("APl", stat(true, false, 0, "large", -1));
  for (std::size_t g = 0; g < 3; ++g) {
    LOCUSKIT_CHECK(g < ev.freq_groups.size(), std::out_of_range, "img_count_lbl needs 3 labels (r, c, f)");
    for (std::size_t k : ev.freq_groups[g])
      LOCUSKIT_CHECK(k < acc.K, std::out_of_range, "frequency groups index categories beyond the K axis (use_cats off)");
    add(std::string("AP") + "rcf"[g], stat(true, false, 0, "all", std::ptrdiff_t(g)));  // the API's literal keys
  }
  add("AR@" + md, stat(false, false, 0, "all", -1));
  for (const char* a : {"small", "medium", "large"}) add(std::string("AR") + a[0] + "@" + md, stat(false, false, 0, a, -1));

  // print_results(): " {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} catIds={:>3s}] = {:0.3f}"
  if (p.iou_thrs.empty()) throw std::out_of_range("iou_thrs is empty");
  char buf[512];
  for (std::size_t j = 0; j < out.keys.size(); ++j) {
    const std::string& key = out.keys[j];
    const bool ap = key.find("AP") != std::string::npos;
    std::string iou;
    if (key.size() > 2 && key[2] >= '0' && key[2] <= '9') {
      std::snprintf(buf, sizeof buf, "%0.2f", std::stod(key.substr(2)) / 100);
      iou = buf;
    } else {
      std::snprintf(buf, sizeof buf, "%0.2f:%0.2f", p.iou_thrs.front(), p.iou_thrs.back());
      iou = buf;
    }
    const char c = key.size() > 2 ? key[2] : 0;
    const std::string group = (c == 'r' || c == 'c' || c == 'f') ? std::string(1, c) : "all";
    const std::string area = (c == 's' || c == 'm' || c == 'l') ? std::string(1, c) : "all";
    std::snprintf(buf, sizeof buf, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3lld catIds=%3s] = %0.3f",
                  ap ? "Average Precision" : "Average Recall", ap ? "(AP)" : "(AR)", iou.c_str(), area.c_str(),
                  static_cast<long long>(lp.max_dets), group.c_str(), out.values[j]);
    out.lines.push_back(buf);
  }
  return out;
}

}  // namespace locuskit
