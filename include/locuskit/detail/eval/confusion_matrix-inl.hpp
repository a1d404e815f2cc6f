#pragma once
// Implementation of eval/confusion_matrix.hpp.
#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "../../eval/coco_eval.hpp"  // detail::coco::BoxOverlap, dynamic_for
#include "../../eval/tide.hpp"  // detail::tide::group_rows

namespace locuskit {

inline ConfusionMatrix detection_confusion_matrix(const CocoAnnotations& gt, const CocoAnnotations& dt,
                                                  const std::vector<std::int64_t>& image_ids,
                                                  const std::vector<std::int64_t>& cat_ids,
                                                  const ConfusionParams& p, Parallel par) {
  detail::tide::check_box_tables(gt, dt, "detection_confusion_matrix");
  ConfusionMatrix cm;
  cm.cat_ids = cat_ids;
  const std::size_t K = cat_ids.size(), W = K + 1;
  cm.K = K;
  std::unordered_map<std::int64_t, std::uint32_t> slot;
  for (std::size_t k = 0; k < K; ++k) slot.emplace(cat_ids[k], static_cast<std::uint32_t>(k));
  std::unordered_map<std::int64_t, std::uint32_t> pos;
  std::size_t I = 0;
  for (std::int64_t id : image_ids)
    if (pos.emplace(id, static_cast<std::uint32_t>(I)).second) ++I;
  const detail::tide::ByImage gg = detail::tide::group_rows(gt, pos, I), dg = detail::tide::group_rows(dt, pos, I);
  // Per image (row, column) pairs, summed serially afterwards (deterministic).
  std::vector<std::vector<std::uint32_t>> cells(I);
  auto cls = [&](std::int64_t id) -> std::int64_t {
    auto it = slot.find(id);
    return it == slot.end() ? -1 : std::int64_t(it->second);
  };
  detail::coco::dynamic_for(I, 64, par, [&](std::size_t i0, std::size_t i1) {
    std::vector<std::uint32_t> preds, gts, crowd;
    std::vector<double> iou, ioa;
    std::vector<std::uint8_t> taken;
    for (std::size_t i = i0; i < i1; ++i) {
      preds.clear(), gts.clear(), crowd.clear();
      for (std::size_t j = dg.offset[i]; j < dg.offset[i + 1]; ++j) {
        const std::uint32_t r = dg.rows[j];
        if (dt.score[r] >= p.score_thresh && cls(dt.category_id[r]) >= 0) preds.push_back(r);
      }
      std::stable_sort(preds.begin(), preds.end(), detail::coco::ScoreDescending{dt.score});
      if (p.max_dets >= 0 && preds.size() > std::size_t(p.max_dets)) preds.resize(std::size_t(p.max_dets));
      for (std::size_t j = gg.offset[i]; j < gg.offset[i + 1]; ++j) {
        const std::uint32_t r = gg.rows[j];
        if (cls(gt.category_id[r]) < 0) continue;
        (gt.iscrowd[r] != 0 ? crowd : gts).push_back(r);
      }
      const std::size_t D = preds.size(), G = gts.size(), C = crowd.size();
      iou.assign(D * G, 0.0), ioa.assign(D * C, 0.0), taken.assign(G, 0);
      if (D && G) detail::coco::BoxOverlap{dt.bbox, gt.bbox, nullptr}(preds.data(), D, gts.data(), G, iou.data());
      if (D && C) detail::coco::BoxOverlap{dt.bbox, gt.bbox, gt.iscrowd}(preds.data(), D, crowd.data(), C, ioa.data());
      auto& out = cells[i];
      for (std::size_t d = 0; d < D; ++d) {
        const std::int64_t pc = cls(dt.category_id[preds[d]]);
        std::ptrdiff_t best = -1;
        for (int pass = 0; pass < 2 && best < 0; ++pass) {  // own class first, then any class
          double bv = p.iou_thresh;
          for (std::size_t g = 0; g < G; ++g) {
            if (taken[g] || (pass == 0 && cls(gt.category_id[gts[g]]) != pc)) continue;
            const double v = iou[d * G + g];
            if (v >= bv && (best < 0 || v > iou[d * G + std::size_t(best)])) best = std::ptrdiff_t(g), bv = v;
          }
        }
        if (best >= 0) {
          taken[std::size_t(best)] = 1;
          out.push_back(static_cast<std::uint32_t>(cls(gt.category_id[gts[std::size_t(best)]]) * W + pc));
          continue;
        }
        bool ignored = false;
        for (std::size_t c = 0; c < C && !ignored; ++c)
          ignored = ioa[d * C + c] >= p.iou_thresh && cls(gt.category_id[crowd[c]]) == pc;
        if (!ignored) out.push_back(static_cast<std::uint32_t>(K * W + pc));
      }
      for (std::size_t g = 0; g < G; ++g)
        if (!taken[g]) out.push_back(static_cast<std::uint32_t>(cls(gt.category_id[gts[g]]) * W + K));
    }
  });
  cm.counts.assign(W * W, 0);
  for (const auto& v : cells)
    for (std::uint32_t c : v) ++cm.counts[c];
  return cm;
}

}  // namespace locuskit
