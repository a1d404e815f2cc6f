#pragma once
/// \file anchor/grid_anchors.hpp
/// Grid anchors: per-cell base ("cell") anchors in the conventions of torchvision, detectron2 and
/// mmdet (RetinaNet octave scales, YOLO explicit shapes), and their tiling over a feature grid.
///
/// Every generator writes into caller-provided (count, 4) xyxy buffers; `num_*` functions give the
/// count. Orders follow the peers: torchvision rows are ratio-major, detectron2 size-major, mmdet
/// ratio-major with `scale_major = true`; tiled anchors are location-major (row y, column x, then
/// the cell anchors of that location), as all three peers.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "../error.hpp"

namespace locuskit {

namespace detail {
inline void check_positive_list(const double* v, std::size_t n, const char* what) {
  LOCUSKIT_CHECK(n > 0, std::invalid_argument, what, ": must not be empty");
  for (std::size_t i = 0; i < n; ++i)
    LOCUSKIT_CHECK(std::isfinite(v[i]) && v[i] > 0, std::invalid_argument, what, "[", i,
                   "] must be a finite positive number, got ", v[i]);
}
}  // namespace detail

/// torchvision `AnchorGenerator.generate_anchors(sizes, aspect_ratios)`: `n_ratios * n_sizes`
/// rows, **ratio-major** (row `r * n_sizes + s`). With `h_ratio = sqrt(ar)` (ar = h/w),
/// `w = (1/h_ratio)·size`, `h = h_ratio·size`, the box `[-w, -h, w, h] / 2` **rounded half to
/// even**. Computed in float32 as torchvision does (also for double output: torchvision builds
/// float32 cell anchors and casts them). `out` (n_ratios*n_sizes, 4). Throws std::invalid_argument
/// on empty lists or non-positive / non-finite values. O(n). Thread-safe.
template <class T>
void cell_anchors_torchvision(const double* sizes, std::size_t n_sizes, const double* aspect_ratios,
                              std::size_t n_ratios, T* out) {
  detail::check_positive_list(sizes, n_sizes, "sizes");
  detail::check_positive_list(aspect_ratios, n_ratios, "aspect_ratios");
  for (std::size_t r = 0; r < n_ratios; ++r) {
    const float h_ratio = std::sqrt(static_cast<float>(aspect_ratios[r]));
    const float w_ratio = 1.0f / h_ratio;
    for (std::size_t s = 0; s < n_sizes; ++s) {
      const float size = static_cast<float>(sizes[s]);
      const float ws = w_ratio * size, hs = h_ratio * size;
      T* o = out + 4 * (r * n_sizes + s);
      // std::nearbyint rounds half to even in the default rounding mode, as torch.round.
      o[0] = static_cast<T>(std::nearbyint(-ws / 2.0f));
      o[1] = static_cast<T>(std::nearbyint(-hs / 2.0f));
      o[2] = static_cast<T>(std::nearbyint(ws / 2.0f));
      o[3] = static_cast<T>(std::nearbyint(hs / 2.0f));
    }
  }
}

/// detectron2 `DefaultAnchorGenerator.generate_cell_anchors(sizes, aspect_ratios)`:
/// `n_sizes * n_ratios` rows, **size-major** (row `s * n_ratios + r`). `w = sqrt(size²/ar)`,
/// `h = ar·w`, box `[-w/2, -h/2, w/2, h/2]`, computed in double and not rounded. `out`
/// (n_sizes*n_ratios, 4). Throws on empty lists or non-positive values. Thread-safe.
template <class T>
void cell_anchors_detectron2(const double* sizes, std::size_t n_sizes, const double* aspect_ratios,
                             std::size_t n_ratios, T* out) {
  detail::check_positive_list(sizes, n_sizes, "sizes");
  detail::check_positive_list(aspect_ratios, n_ratios, "aspect_ratios");
  for (std::size_t s = 0; s < n_sizes; ++s) {
    const double area = sizes[s] * sizes[s];
    for (std::size_t r = 0; r < n_ratios; ++r) {
      const double w = std::sqrt(area / aspect_ratios[r]);
      const double h = aspect_ratios[r] * w;
      T* o = out + 4 * (s * n_ratios + r);
      o[0] = static_cast<T>(-w / 2.0);
      o[1] = static_cast<T>(-h / 2.0);
      o[2] = static_cast<T>(w / 2.0);
      o[3] = static_cast<T>(h / 2.0);
    }
  }
}

/// mmdet `AnchorGenerator.gen_single_level_base_anchors(base_size, scales, ratios, center)`:
/// `w = base_size·(1/√ar)·scale`, `h = base_size·√ar·scale` and corners `centre ∓ 0.5·(w, h)`,
/// unrounded, computed in float32 in mmdet's operation order (its tensors are float32):
/// `(base·w_ratio)·scale` when `scale_major` (mmdet default: ratio-major rows `r * n_scales + s`),
/// `(base·scale)·w_ratio` otherwise (scale-major rows `s * n_ratios + r`, as mmdet's SSD). The
/// centre is mmdet's `center` (YOLO/SSD: stride/2), or `center_offset·base_size` (default 0).
/// RetinaNet: `scales = octave_scales(4, 3)`, base size = stride. `out` (n_ratios*n_scales, 4).
template <class T>
void cell_anchors_mmdet(double base_size, const double* scales, std::size_t n_scales, const double* aspect_ratios,
                        std::size_t n_ratios, T* out, bool scale_major, double center_x, double center_y) {
  LOCUSKIT_CHECK(std::isfinite(base_size) && base_size > 0, std::invalid_argument,
                 "base_size must be a finite positive number, got ", base_size);
  detail::check_positive_list(scales, n_scales, "scales");
  detail::check_positive_list(aspect_ratios, n_ratios, "aspect_ratios");
  LOCUSKIT_CHECK(std::isfinite(center_x) && std::isfinite(center_y), std::invalid_argument, "center must be finite");
  const float base = static_cast<float>(base_size);
  const float cx = static_cast<float>(center_x), cy = static_cast<float>(center_y);
  for (std::size_t r = 0; r < n_ratios; ++r) {
    const float h_ratio = std::sqrt(static_cast<float>(aspect_ratios[r])), w_ratio = 1.0f / h_ratio;
    for (std::size_t s = 0; s < n_scales; ++s) {
      const float scale = static_cast<float>(scales[s]);
      const float w = scale_major ? (base * w_ratio) * scale : (base * scale) * w_ratio;
      const float h = scale_major ? (base * h_ratio) * scale : (base * scale) * h_ratio;
      T* o = out + 4 * (scale_major ? r * n_scales + s : s * n_ratios + r);
      o[0] = static_cast<T>(cx - 0.5f * w);
      o[1] = static_cast<T>(cy - 0.5f * h);
      o[2] = static_cast<T>(cx + 0.5f * w);
      o[3] = static_cast<T>(cy + 0.5f * h);
    }
  }
}

/// Same, with mmdet's default centre `center_offset·base_size` (center_offset 0 in mmdet ≥ 2).
template <class T>
void cell_anchors_mmdet(double base_size, const double* scales, std::size_t n_scales, const double* aspect_ratios,
                        std::size_t n_ratios, T* out, bool scale_major = true, double center_offset = 0.0) {
  cell_anchors_mmdet(base_size, scales, n_scales, aspect_ratios, n_ratios, out, scale_major,
                     center_offset * base_size, center_offset * base_size);
}

/// RetinaNet octave scales: `scales[i] = octave_base_scale · 2^(i / scales_per_octave)` for
/// i < scales_per_octave (mmdet `octave_base_scale=4, scales_per_octave=3`; detectron2 writes the
/// same as sizes `x · 2^(i/3)`). `out` has scales_per_octave entries.
inline void octave_scales(double octave_base_scale, std::size_t scales_per_octave, double* out) {
  LOCUSKIT_CHECK(std::isfinite(octave_base_scale) && octave_base_scale > 0, std::invalid_argument,
                 "octave_base_scale must be a finite positive number, got ", octave_base_scale);
  LOCUSKIT_CHECK(scales_per_octave > 0, std::invalid_argument, "scales_per_octave must be positive");
  for (std::size_t i = 0; i < scales_per_octave; ++i)
    out[i] = octave_base_scale * std::pow(2.0, static_cast<double>(i) / static_cast<double>(scales_per_octave));
}

/// Cell anchors from explicit shapes (YOLO per-level anchors, mmdet `YOLOAnchorGenerator`):
/// box `centre ∓ 0.5·(w, h)` for each `(w, h)` row of `wh` (n, 2), centre `(center_x, center_y)`
/// (mmdet YOLO: stride/2). `out` (n, 4). Throws on non-positive shapes.
template <class T>
void cell_anchors_from_wh(const double* wh, std::size_t n, double center_x, double center_y, T* out) {
  LOCUSKIT_CHECK(n > 0, std::invalid_argument, "anchor shapes must not be empty");
  for (std::size_t i = 0; i < n; ++i) {
    const double w = wh[2 * i], h = wh[2 * i + 1];
    LOCUSKIT_CHECK(std::isfinite(w) && std::isfinite(h) && w > 0 && h > 0, std::invalid_argument,
                   "anchor shape ", i, " must be finite and positive, got (", w, ", ", h, ")");
    out[4 * i + 0] = static_cast<T>(center_x - 0.5 * w);
    out[4 * i + 1] = static_cast<T>(center_y - 0.5 * h);
    out[4 * i + 2] = static_cast<T>(center_x + 0.5 * w);
    out[4 * i + 3] = static_cast<T>(center_y + 0.5 * h);
  }
}

/// Number of anchors `grid_anchors` writes.
inline std::size_t num_grid_anchors(std::size_t n_cell, std::size_t grid_h, std::size_t grid_w) noexcept {
  return n_cell * grid_h * grid_w;
}

/// Tiles `cell` (n_cell, 4) over a grid_h × grid_w feature map: anchor
/// `((y·grid_w + x)·n_cell + a)` = `cell[a] + (sx, sy, sx, sy)` with `sx = T(offset·stride_w +
/// x·stride_w)` (the shift computed in double, then rounded to T; then added in T, as
/// torchvision/detectron2/mmdet add a float shift to float cell anchors). torchvision: offset 0
/// and integer strides `image // grid`; detectron2: its `offset`; mmdet: 0 (the centre offset is
/// in the cell anchors). `out` (grid_h*grid_w*n_cell, 4). Throws on non-positive strides.
/// O(output), no allocation; with `par.threads > 1` rows of the grid are split across threads.
template <class T>
void grid_anchors(const T* cell, std::size_t n_cell, std::size_t grid_h, std::size_t grid_w,
                  double stride_h, double stride_w, double offset, T* out) {
  LOCUSKIT_CHECK(std::isfinite(stride_h) && std::isfinite(stride_w) && stride_h > 0 && stride_w > 0,
                 std::invalid_argument, "strides must be finite and positive, got (", stride_h, ", ",
                 stride_w, ")");
  LOCUSKIT_CHECK(std::isfinite(offset), std::invalid_argument, "offset must be finite");
  for (std::size_t y = 0; y < grid_h; ++y) {
    const T sy = static_cast<T>(offset * stride_h + static_cast<double>(y) * stride_h);
    for (std::size_t x = 0; x < grid_w; ++x) {
      const T sx = static_cast<T>(offset * stride_w + static_cast<double>(x) * stride_w);
      T* o = out + 4 * ((y * grid_w + x) * n_cell);
      for (std::size_t a = 0; a < n_cell; ++a) {
        o[4 * a + 0] = sx + cell[4 * a + 0];
        o[4 * a + 1] = sy + cell[4 * a + 1];
        o[4 * a + 2] = sx + cell[4 * a + 2];
        o[4 * a + 3] = sy + cell[4 * a + 3];
      }
    }
  }
}

/// Anchor-free points (FCOS / CenterNet / mmdet `MlvlPointGenerator`): point `y·grid_w + x` =
/// `((x + offset)·stride_w, (y + offset)·stride_h)` computed in double, rounded to T. mmdet's
/// default offset is 0.5; FCOS's original `x·s + s//2` equals it for even strides. `out`
/// (grid_h*grid_w, 2). Throws on non-positive strides.
template <class T>
void grid_points(std::size_t grid_h, std::size_t grid_w, double stride_h, double stride_w, double offset,
                 T* out) {
  LOCUSKIT_CHECK(std::isfinite(stride_h) && std::isfinite(stride_w) && stride_h > 0 && stride_w > 0,
                 std::invalid_argument, "strides must be finite and positive, got (", stride_h, ", ",
                 stride_w, ")");
  LOCUSKIT_CHECK(std::isfinite(offset), std::invalid_argument, "offset must be finite");
  for (std::size_t y = 0; y < grid_h; ++y)
    for (std::size_t x = 0; x < grid_w; ++x) {
      out[2 * (y * grid_w + x) + 0] = static_cast<T>((static_cast<double>(x) + offset) * stride_w);
      out[2 * (y * grid_w + x) + 1] = static_cast<T>((static_cast<double>(y) + offset) * stride_h);
    }
}

/// Anchors inside the image with an allowed border (mmdet `anchor_inside_flags`, detectron2
/// `Boxes.inside_box`): `flags[i] = x1 >= -b && y1 >= -b && x2 < W + b && y2 < H + b`; a negative
/// `allowed_border` marks every anchor valid (mmdet). `anchors` (n, 4) xyxy; `flags` n bytes (0/1).
template <class T>
void anchor_inside_flags(const T* anchors, std::size_t n, double image_h, double image_w,
                         double allowed_border, std::uint8_t* flags) noexcept {
  if (allowed_border < 0) {
    for (std::size_t i = 0; i < n; ++i) flags[i] = 1;
    return;
  }
  const T lo = static_cast<T>(-allowed_border);
  const T xhi = static_cast<T>(image_w + allowed_border), yhi = static_cast<T>(image_h + allowed_border);
  for (std::size_t i = 0; i < n; ++i) {
    const T* a = anchors + 4 * i;
    flags[i] = static_cast<std::uint8_t>(a[0] >= lo && a[1] >= lo && a[2] < xhi && a[3] < yhi);
  }
}

}  // namespace locuskit
