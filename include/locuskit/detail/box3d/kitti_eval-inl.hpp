#pragma once
// Implementation of box3d/kitti_eval.hpp. Rule-for-rule restatement of OpenPCDet's
// kitti_object_eval_python/eval.py (clean_data, compute_statistics_jit, get_thresholds,
// eval_class, get_mAP, get_mAP_R40); line numbers in docs/box3d.md and the notes §7.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "../../box3d/iou3d.hpp"

namespace locuskit {
namespace detail {

/// 2D IoU as `image_box_overlap(dt, gt, criterion=-1)` computes it (no +1, same operation order).
inline double kitti_image_iou(const double* d, const double* g) noexcept {
  const double iw = std::min(d[2], g[2]) - std::max(d[0], g[0]);
  if (!(iw > 0)) return 0.0;
  const double ih = std::min(d[3], g[3]) - std::max(d[1], g[1]);
  if (!(ih > 0)) return 0.0;
  const double ua = (d[2] - d[0]) * (d[3] - d[1]) + (g[2] - g[0]) * (g[3] - g[1]) - iw * ih;
  return iw * ih / ua;
}

/// Intersection over the detection's area (`criterion=0`), for DontCare regions.
inline double kitti_image_iof(const double* d, const double* dc) noexcept {
  const double iw = std::min(d[2], dc[2]) - std::max(d[0], dc[0]);
  if (!(iw > 0)) return 0.0;
  const double ih = std::min(d[3], dc[3]) - std::max(d[1], dc[1]);
  if (!(ih > 0)) return 0.0;
  return iw * ih / ((d[2] - d[0]) * (d[3] - d[1]));
}

/// Object i as a `kitti_camera` box (x, y, z, l, w, h, ry).
inline void kitti_camera_box(const KittiObjects& o, std::size_t i, double* box) noexcept {
  box[0] = o.location[3 * i], box[1] = o.location[3 * i + 1], box[2] = o.location[3 * i + 2];
  box[3] = o.dimensions[3 * i + 2], box[4] = o.dimensions[3 * i + 1], box[5] = o.dimensions[3 * i];
  box[6] = o.rotation_y[i];
}

/// Overlaps of every (detection, GT) pair of each frame, for the three metrics:
/// ov[m][pair_begin[f] + j * G_f + i] for detection j and GT i of frame f.
struct KittiOverlaps {
  std::vector<std::size_t> pair_begin;
  std::vector<double> ov[3];
};

inline KittiOverlaps kitti_overlaps(const KittiObjects& gt, const KittiObjects& det, Parallel par) {
  const std::size_t frames = gt.frames();
  KittiOverlaps r;
  r.pair_begin.resize(frames + 1, 0);
  for (std::size_t f = 0; f < frames; ++f) {
    const std::size_t g = gt.frame_begin[f + 1] - gt.frame_begin[f], d = det.frame_begin[f + 1] - det.frame_begin[f];
    r.pair_begin[f + 1] = r.pair_begin[f] + g * d;
  }
  for (auto& v : r.ov) v.assign(r.pair_begin[frames], 0.0);
  parallel_for(frames, 32, par, [&](std::size_t fb, std::size_t fe) {
    for (std::size_t f = fb; f < fe; ++f) {
      const std::size_t g0 = gt.frame_begin[f], g1 = gt.frame_begin[f + 1];
      const std::size_t d0 = det.frame_begin[f], d1 = det.frame_begin[f + 1];
      std::size_t p = r.pair_begin[f];
      for (std::size_t j = d0; j < d1; ++j) {
        double bd[7];
        kitti_camera_box(det, j, bd);
        for (std::size_t i = g0; i < g1; ++i, ++p) {
          r.ov[0][p] = kitti_image_iou(&det.bbox[4 * j], &gt.bbox[4 * i]);
          double bg[7];
          kitti_camera_box(gt, i, bg);
          // Boxes whose BEV circumcircles are apart cannot overlap (most pairs of a frame).
          const double dx = bd[0] - bg[0], dz = bd[2] - bg[2];
          const double reach = 0.5 * (std::hypot(bd[3], bd[4]) + std::hypot(bg[3], bg[4]));
          if (dx * dx + dz * dz > reach * reach * 1.0000001) continue;
          const Box3dOverlap o = box3d_overlap(bd, bg, Box3dConvention::kitti_camera);
          if (!(o.bev_intersection > 0)) continue;
          r.ov[1][p] = o.bev_intersection / ((o.area_a + o.area_b) - o.bev_intersection);
          if (o.intersection > 0) r.ov[2][p] = o.intersection / ((o.volume_a + o.volume_b) - o.intersection);
        }
      }
    }
  });
  return r;
}

/// clean_data for one (class, difficulty): -1 not this class, 0 valid, 1 ignored; and, per frame,
/// the objects that are not -1 (CSR: frame f owns [*_begin[f], *_begin[f + 1]) of *_list), with the
/// scores of those detections sorted descending.
struct KittiIgnore {
  std::vector<std::int8_t> gt, det;
  std::size_t num_valid_gt = 0;
  std::vector<std::size_t> gt_begin, gt_list, det_begin, det_list;
  std::vector<double> det_scores_sorted;
};

/// A view of consecutive object indices.
struct KittiIndexSpan {
  const std::size_t* first = nullptr;
  std::size_t count = 0;
  const std::size_t* begin() const noexcept { return first; }
  const std::size_t* end() const noexcept { return first + count; }
  std::size_t size() const noexcept { return count; }
  bool empty() const noexcept { return count == 0; }
  std::size_t operator[](std::size_t k) const noexcept { return first[k]; }
};

/// Per frame, the DontCare regions among the ground truth (CSR as in KittiIgnore).
struct KittiDontCare {
  std::vector<std::size_t> begin, list;
};

inline KittiDontCare kitti_dontcare(const KittiObjects& gt) {
  KittiDontCare r;
  r.begin.push_back(0);
  for (std::size_t f = 0; f < gt.frames(); ++f) {
    for (std::size_t i = gt.frame_begin[f]; i < gt.frame_begin[f + 1]; ++i)
      if (gt.dontcare[i]) r.list.push_back(i);
    r.begin.push_back(r.list.size());
  }
  return r;
}

inline KittiIgnore kitti_ignore(const KittiObjects& gt, const KittiObjects& det, int cls, int difficulty,
                                bool devkit_height_rule) {
  static constexpr double kMinHeight[3] = {40, 25, 25};
  static constexpr int kMaxOcclusion[3] = {0, 1, 2};
  static constexpr double kMaxTruncation[3] = {0.15, 0.3, 0.5};
  const auto want = static_cast<KittiClass>(cls);
  const KittiClass neighbour = want == KittiClass::car          ? KittiClass::van
                               : want == KittiClass::pedestrian ? KittiClass::person_sitting
                                                                : KittiClass::other;
  KittiIgnore r;
  r.gt.resize(gt.size());
  for (std::size_t i = 0; i < gt.size(); ++i) {
    const double height = gt.bbox[4 * i + 3] - gt.bbox[4 * i + 1];
    const int valid_class = gt.cls[i] == want ? 1 : (neighbour != KittiClass::other && gt.cls[i] == neighbour ? 0 : -1);
    const bool too_small = devkit_height_rule ? height < kMinHeight[difficulty] : height <= kMinHeight[difficulty];
    const bool ignore = gt.occluded[i] > kMaxOcclusion[difficulty] || gt.truncated[i] > kMaxTruncation[difficulty] || too_small;
    if (valid_class == 1 && !ignore) {
      r.gt[i] = 0;
      ++r.num_valid_gt;
    } else if (valid_class == 0 || (ignore && valid_class == 1)) {
      r.gt[i] = 1;
    } else {
      r.gt[i] = -1;
    }
  }
  r.det.resize(det.size());
  for (std::size_t j = 0; j < det.size(); ++j) {
    const double height = std::fabs(det.bbox[4 * j + 3] - det.bbox[4 * j + 1]);
    r.det[j] = height < kMinHeight[difficulty] ? 1 : (det.cls[j] == want ? 0 : -1);
  }
  const std::size_t frames = gt.frames();
  r.gt_begin.assign(1, 0);
  r.det_begin.assign(1, 0);
  for (std::size_t f = 0; f < frames; ++f) {
    for (std::size_t i = gt.frame_begin[f]; i < gt.frame_begin[f + 1]; ++i)
      if (r.gt[i] != -1) r.gt_list.push_back(i);
    r.gt_begin.push_back(r.gt_list.size());
    for (std::size_t j = det.frame_begin[f]; j < det.frame_begin[f + 1]; ++j)
      if (r.det[j] != -1) r.det_list.push_back(j), r.det_scores_sorted.push_back(det.score[j]);
    r.det_begin.push_back(r.det_list.size());
    std::sort(r.det_scores_sorted.begin() + static_cast<std::ptrdiff_t>(r.det_begin[f]), r.det_scores_sorted.end(),
              [](double a, double b) { return a > b; });
  }
  return r;
}

/// get_thresholds: scores (sorted descending) kept where the recall passes the next of the
/// `samples` evenly spaced targets. The running `current_recall` sum is kept as the peer does.
inline std::vector<double> kitti_thresholds(std::vector<double> scores, std::size_t num_gt, int samples) {
  std::sort(scores.begin(), scores.end(), [](double a, double b) { return a > b; });
  std::vector<double> out;
  double current_recall = 0;
  const double n = static_cast<double>(num_gt);
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const double l_recall = static_cast<double>(i + 1) / n;
    const double r_recall = i + 1 < scores.size() ? static_cast<double>(i + 2) / n : l_recall;
    if ((r_recall - current_recall) < (current_recall - l_recall) && i + 1 < scores.size()) continue;
    out.push_back(scores[i]);
    current_recall += 1 / (samples - 1.0);
  }
  return out;
}

/// One frame of one (metric, class, difficulty, overlap) configuration, relevant objects only.
class KittiFrameMatcher {
 public:
  static constexpr double kNoDetection = -10000000;

  /// Frame f's objects that are not `-1` for this class and difficulty.
  void load(const KittiObjects& gt, const KittiObjects& det, const KittiIgnore& ig, const KittiDontCare& dc,
            const double* overlaps, std::size_t f) {
    gt_ = KittiIndexSpan{ig.gt_list.data() + ig.gt_begin[f], ig.gt_begin[f + 1] - ig.gt_begin[f]};
    det_ = KittiIndexSpan{ig.det_list.data() + ig.det_begin[f], ig.det_begin[f + 1] - ig.det_begin[f]};
    dc_ = KittiIndexSpan{dc.list.data() + dc.begin[f], dc.begin[f + 1] - dc.begin[f]};
    g0_ = gt.frame_begin[f], d0_ = det.frame_begin[f], g_count_ = gt.frame_begin[f + 1] - g0_;
    gt_objects_ = &gt, det_objects_ = &det, ig_ = &ig, overlaps_ = overlaps;
    assigned_.assign(det_.size(), 0);
    active_.assign(det_.size(), 1);
  }

  bool empty() const noexcept { return gt_.empty() && det_.empty(); }

  /// First pass (compute_fp=False): appends the TP scores.
  void first_pass(double min_overlap, std::vector<double>& tp_scores) {
    std::fill(assigned_.begin(), assigned_.end(), 0);
    for (const std::size_t i : gt_) {
      std::ptrdiff_t best = -1;
      double valid_detection = kNoDetection;
      for (std::size_t k = 0; k < det_.size(); ++k) {
        if (assigned_[k]) continue;
        const double s = det_objects_->score[det_[k]];
        if (overlap(k, i) > min_overlap && s > valid_detection) best = static_cast<std::ptrdiff_t>(k), valid_detection = s;
      }
      const std::int8_t igt = ig_->gt[i];
      if (valid_detection == kNoDetection) continue;  // a miss (fn is not needed here)
      if (igt == 1 || ig_->det[det_[best]] == 1) {
        assigned_[best] = 1;
      } else {
        tp_scores.push_back(det_objects_->score[det_[best]]);
        assigned_[best] = 1;
      }
    }
  }

  struct Stats {
    std::int64_t tp = 0, fp = 0, fn = 0;
    double similarity = 0;  ///< -1: no TP and no FP (the peer then adds nothing)
  };

  /// Second pass (compute_fp=True) with the detections scoring >= thresh.
  Stats second_pass(double min_overlap, double thresh, bool dontcare_removal, bool compute_aos) {
    Stats st;
    for (std::size_t k = 0; k < det_.size(); ++k) assigned_[k] = 0, active_[k] = !(det_objects_->score[det_[k]] < thresh);
    deltas_.clear();
    for (const std::size_t i : gt_) {
      std::ptrdiff_t best = -1;
      double valid_detection = kNoDetection, max_overlap = 0;
      bool assigned_ignored_det = false;
      for (std::size_t k = 0; k < det_.size(); ++k) {
        if (assigned_[k] || !active_[k]) continue;
        const double ov = overlap(k, i);
        const std::int8_t idet = ig_->det[det_[k]];
        if (ov > min_overlap && (ov > max_overlap || assigned_ignored_det) && idet == 0) {
          max_overlap = ov, best = static_cast<std::ptrdiff_t>(k), valid_detection = 1, assigned_ignored_det = false;
        } else if (ov > min_overlap && valid_detection == kNoDetection && idet == 1) {
          best = static_cast<std::ptrdiff_t>(k), valid_detection = 1, assigned_ignored_det = true;
        }
      }
      const std::int8_t igt = ig_->gt[i];
      if (valid_detection == kNoDetection) {
        st.fn += igt == 0;
      } else if (igt == 1 || ig_->det[det_[best]] == 1) {
        assigned_[best] = 1;
      } else {
        ++st.tp;
        if (compute_aos) deltas_.push_back(gt_objects_->alpha[i] - det_objects_->alpha[det_[best]]);
        assigned_[best] = 1;
      }
    }
    for (std::size_t k = 0; k < det_.size(); ++k)
      st.fp += !assigned_[k] && ig_->det[det_[k]] == 0 && active_[k];
    if (dontcare_removal) {
      std::int64_t removed = 0;
      for (const std::size_t c : dc_) {
        for (std::size_t k = 0; k < det_.size(); ++k) {
          if (assigned_[k] || ig_->det[det_[k]] != 0 || !active_[k]) continue;
          if (kitti_image_iof(&det_objects_->bbox[4 * det_[k]], &gt_objects_->bbox[4 * c]) > min_overlap)
            assigned_[k] = 1, ++removed;
        }
      }
      st.fp -= removed;
    }
    if (compute_aos) {
      if (st.tp > 0 || st.fp > 0) {
        double sum = 0;  // numba's np.sum: left to right (the fp leading zeros change nothing)
        for (const double d : deltas_) sum += (1.0 + std::cos(d)) / 2.0;
        st.similarity = sum;
      } else {
        st.similarity = -1;
      }
    }
    return st;
  }

 private:
  double overlap(std::size_t k, std::size_t i) const noexcept {
    return overlaps_[(det_[k] - d0_) * g_count_ + (i - g0_)];
  }

  KittiIndexSpan gt_, det_, dc_;
  std::vector<std::uint8_t> assigned_, active_;
  std::vector<double> deltas_;
  std::size_t g0_ = 0, d0_ = 0, g_count_ = 0;
  const KittiObjects *gt_objects_ = nullptr, *det_objects_ = nullptr;
  const KittiIgnore* ig_ = nullptr;
  const double* overlaps_ = nullptr;
};

/// max over [i, end) with NaN propagating as np.max does.
inline double kitti_nan_max(const double* b, const double* e) noexcept {
  double m = *b;
  for (const double* p = b; p != e; ++p) {
    if (std::isnan(*p)) return *p;
    if (*p > m) m = *p;
  }
  return m;
}

inline double kitti_ratio(double num, double den) noexcept {
  return den != 0 ? num / den : (num != 0 ? num * std::numeric_limits<double>::infinity()
                                          : std::numeric_limits<double>::quiet_NaN());
}

}  // namespace detail

inline Kitti3dResult evaluate_kitti3d(const KittiObjects& gt, const KittiObjects& det, const Kitti3dParams& params,
                                      Parallel par) {
  using A = KittiEvalAxes;
  LOCUSKIT_CHECK(gt.frames() == det.frames(), std::invalid_argument, "evaluate_kitti3d: ", gt.frames(),
                 " ground-truth frames but ", det.frames(), " detection frames");
  const std::size_t frames = gt.frames();
  Kitti3dResult res;
  // The peer's rule: the first frame with detections decides whether alphas exist.
  for (std::size_t f = 0; f < frames; ++f) {
    if (det.frame_begin[f + 1] > det.frame_begin[f]) {
      res.compute_aos = det.alpha[det.frame_begin[f]] != -10;
      break;
    }
  }
  const detail::KittiOverlaps ov = detail::kitti_overlaps(gt, det, par);
  std::vector<detail::KittiIgnore> ignores(A::classes * A::difficulties);
  parallel_for(ignores.size(), 1, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t t = b; t < e; ++t)
      ignores[t] = detail::kitti_ignore(gt, det, static_cast<int>(t / A::difficulties), static_cast<int>(t % A::difficulties),
                                        params.devkit_height_rule);
  });
  for (std::size_t t = 0; t < ignores.size(); ++t) res.num_valid_gt[t] = ignores[t].num_valid_gt;
  const detail::KittiDontCare dontcare = detail::kitti_dontcare(gt);

  const std::size_t per_metric = std::size_t(A::classes) * A::difficulties * A::overlap_sets * A::samples;
  res.precision.assign(A::metrics * per_metric, 0.0);
  res.recall.assign(A::metrics * per_metric, 0.0);
  res.orientation.assign(per_metric, 0.0);
  const std::size_t configs = std::size_t(A::metrics) * A::classes * A::difficulties * A::overlap_sets;
  // One configuration per task: each is computed start to end by one thread, frames in order.
  parallel_for(configs, 1, par, [&](std::size_t cb, std::size_t ce) {
    detail::KittiFrameMatcher fm;
    std::vector<double> tp_scores;
    std::vector<std::array<double, 4>> pr;
    for (std::size_t config = cb; config < ce; ++config) {
      std::size_t rest = config;
      const int set = static_cast<int>(rest % A::overlap_sets);
      rest /= A::overlap_sets;
      const int diff = static_cast<int>(rest % A::difficulties);
      rest /= A::difficulties;
      const int cls = static_cast<int>(rest % A::classes);
      const int metric = static_cast<int>(rest / A::classes);
      const double min_overlap = params.min_overlap[set][metric][cls];
      const detail::KittiIgnore& ig = ignores[std::size_t(cls) * A::difficulties + diff];
      const double* overlaps = ov.ov[metric].data();
      const bool aos = metric == 0 && res.compute_aos;

      tp_scores.clear();
      for (std::size_t f = 0; f < frames; ++f) {
        fm.load(gt, det, ig, dontcare, overlaps + ov.pair_begin[f], f);
        if (!fm.empty()) fm.first_pass(min_overlap, tp_scores);
      }
      std::vector<double> thresholds = detail::kitti_thresholds(tp_scores, ig.num_valid_gt, A::samples);
      if (thresholds.size() > std::size_t(A::samples)) thresholds.resize(A::samples);  // cannot happen (TP <= valid GT)
      pr.assign(thresholds.size(), {0, 0, 0, 0});
      for (std::size_t f = 0; f < frames && !thresholds.empty(); ++f) {
        fm.load(gt, det, ig, dontcare, overlaps + ov.pair_begin[f], f);
        if (fm.empty()) continue;
        // The stats only change when a threshold admits another relevant detection.
        const double* sorted_scores = ig.det_scores_sorted.data() + ig.det_begin[f];
        const std::size_t relevant = ig.det_begin[f + 1] - ig.det_begin[f];
        std::size_t admitted = 0, last_admitted = static_cast<std::size_t>(-1);
        detail::KittiFrameMatcher::Stats st;
        for (std::size_t t = 0; t < thresholds.size(); ++t) {
          while (admitted < relevant && !(sorted_scores[admitted] < thresholds[t])) ++admitted;
          if (admitted != last_admitted) st = fm.second_pass(min_overlap, thresholds[t], metric == 0, aos), last_admitted = admitted;
          pr[t][0] += static_cast<double>(st.tp);
          pr[t][1] += static_cast<double>(st.fp);
          pr[t][2] += static_cast<double>(st.fn);
          if (st.similarity != -1) pr[t][3] += st.similarity;
        }
      }
      const std::size_t base = ((std::size_t(cls) * A::difficulties + diff) * A::overlap_sets + set) * A::samples;
      double* prec = &res.precision[metric * per_metric + base];
      double* rec = &res.recall[metric * per_metric + base];
      double* ori = &res.orientation[base];
      for (std::size_t t = 0; t < thresholds.size(); ++t) {
        rec[t] = detail::kitti_ratio(pr[t][0], pr[t][0] + pr[t][2]);
        prec[t] = detail::kitti_ratio(pr[t][0], pr[t][0] + pr[t][1]);
        if (aos) ori[t] = detail::kitti_ratio(pr[t][3], pr[t][0] + pr[t][1]);
      }
      for (std::size_t t = 0; t < thresholds.size(); ++t) {
        prec[t] = detail::kitti_nan_max(prec + t, prec + A::samples);
        rec[t] = detail::kitti_nan_max(rec + t, rec + A::samples);
        if (aos) ori[t] = detail::kitti_nan_max(ori + t, ori + A::samples);
      }
    }
  });

  // get_mAP / get_mAP_R40: left-to-right sums, then / 11 (or / 40) * 100.
  const std::size_t cells = std::size_t(A::classes) * A::difficulties * A::overlap_sets;
  res.ap11.assign(4 * cells, 0.0);
  res.ap40.assign(4 * cells, 0.0);
  for (int m = 0; m < 4; ++m) {
    if (m == 3 && !res.compute_aos) {  // the peer returns None: no alphas to score
      std::fill(res.ap11.begin() + 3 * cells, res.ap11.end(), std::numeric_limits<double>::quiet_NaN());
      std::fill(res.ap40.begin() + 3 * cells, res.ap40.end(), std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    const double* src = m < 3 ? &res.precision[m * per_metric] : res.orientation.data();
    for (std::size_t c = 0; c < cells; ++c) {
      const double* p = src + c * A::samples;
      double s11 = 0, s40 = 0;
      for (int i = 0; i < A::samples; i += 4) s11 = s11 + p[i];
      for (int i = 1; i < A::samples; ++i) s40 = s40 + p[i];
      res.ap11[m * cells + c] = s11 / 11 * 100;
      res.ap40[m * cells + c] = s40 / 40 * 100;
    }
  }
  return res;
}

}  // namespace locuskit
