#pragma once
/// \file surface_distance.hpp
/// Surface (boundary) voxels of binary masks and the distances between two surfaces, the basis
/// of Hausdorff distance, HD95, average symmetric surface distance and normalized surface Dice
/// (MONAI `get_mask_edges` / `get_surface_distance`, medpy `__surface_distances`). The reductions
/// (max, percentiles, means) and each peer's conventions are applied by the caller
/// (locuskit.medical).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "../parallel.hpp"
#include "../detail/mask/nearest_surface.hpp"
#include "distance_transform.hpp"

namespace locuskit {


namespace detail {
struct Grid3 {
  std::size_t d[3] = {1, 1, 1};
  Grid3(const std::size_t* shape, int ndim) {
    for (int a = 0; a < ndim; ++a) d[3 - ndim + a] = shape[a];
  }
  std::size_t index(std::size_t z, std::size_t y, std::size_t x) const { return (z * d[1] + y) * d[2] + x; }
};

/// The structuring element's neighbours (dz, dy, dx) over the last `ndim` axes: scipy's
/// face-connected cross, or the full 3^ndim cube with `full_connectivity`.
inline std::vector<std::array<int, 3>> structuring_neighbours(int ndim, bool full_connectivity) {
  const int first_axis = 3 - ndim;
  std::vector<std::array<int, 3>> steps;
  for (int dz = -1; dz <= 1; ++dz)
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        const int off[3] = {dz, dy, dx};
        int nonzero = 0;
        bool valid = true;
        for (int a = 0; a < 3; ++a)
          if (off[a] != 0) {
            valid = valid && a >= first_axis;
            ++nonzero;
          }
        if (!valid || nonzero == 0 || (!full_connectivity && nonzero != 1)) continue;
        steps.push_back({dz, dy, dx});
      }
  return steps;
}

/// Linear offsets of `steps` in a C-ordered box of extents d[0..2].
inline std::vector<std::ptrdiff_t> linear_offsets(const std::vector<std::array<int, 3>>& steps, const std::size_t* d) {
  std::vector<std::ptrdiff_t> linear;
  linear.reserve(steps.size());
  for (const auto& st : steps)
    linear.push_back((static_cast<std::ptrdiff_t>(st[0]) * static_cast<std::ptrdiff_t>(d[1]) + st[1]) *
                         static_cast<std::ptrdiff_t>(d[2]) + st[2]);
  return linear;
}
}  // namespace detail

/// Surface voxels: set voxels with at least one neighbour unset or outside the grid, i.e.
/// `mask XOR binary_erosion(mask, structure, border_value=0)` with scipy's face-connected cross
/// (`full_connectivity = false`, MONAI and medpy's default) or the full 3^ndim cube.
/// C-ordered grids of ndim 1..3; `edges` has prod(shape) bytes (0/1). O(N * neighbours).
inline void surface_voxels(const std::uint8_t* mask, const std::size_t* shape, int ndim, bool full_connectivity,
                           std::uint8_t* edges) {
  const detail::Grid3 g(shape, ndim);
  const int first_axis = 3 - ndim;
  // Neighbour offsets of the structuring element (face cross or full cube), in index and linear form.
  const std::vector<std::array<int, 3>> steps = detail::structuring_neighbours(ndim, full_connectivity);
  const std::vector<std::ptrdiff_t> linear = detail::linear_offsets(steps, g.d);
  for (std::size_t z = 0; z < g.d[0]; ++z)
    for (std::size_t y = 0; y < g.d[1]; ++y)
      for (std::size_t x = 0; x < g.d[2]; ++x) {
        const std::size_t i = g.index(z, y, x);
        if (!mask[i]) {
          edges[i] = 0;
          continue;
        }
        const std::size_t at[3] = {z, y, x};
        bool interior = true;
        for (int a = first_axis; a < 3; ++a) interior = interior && at[a] >= 1 && at[a] + 1 < g.d[a];
        bool edge = false;
        if (interior) {  // every neighbour exists: linear offsets only
          for (const std::ptrdiff_t o : linear)
            if (!mask[static_cast<std::ptrdiff_t>(i) + o]) {
              edge = true;
              break;
            }
        } else {  // on the grid border, which counts as background
          for (const auto& st : steps) {
            std::size_t nb[3];
            bool inside = true;
            for (int a = 0; a < 3; ++a) {
              const auto p = static_cast<std::ptrdiff_t>(at[a]) + st[a];
              inside = inside && p >= 0 && p < static_cast<std::ptrdiff_t>(g.d[a]);
              nb[a] = static_cast<std::size_t>(p);
            }
            if (!inside || !mask[g.index(nb[0], nb[1], nb[2])]) {
              edge = true;
              break;
            }
          }
        }
        edges[i] = edge ? 1 : 0;
      }
}

/// For every voxel set in `from_edges` (C order), the Euclidean distance in `spacing` units to
/// the nearest voxel set in `to_edges`; +inf for each when `to_edges` is empty. Exact EDT of
/// the bounding box of both surfaces only (the nearest surface voxel always lies inside it).
/// O(box volume * ndim). `par` splits the transform's lines.
inline std::vector<double> directed_surface_distances(const std::uint8_t* from_edges, const std::uint8_t* to_edges,
                                                      const std::size_t* shape, int ndim, const double* spacing,
                                                      Parallel par = {}) {
  const detail::Grid3 g(shape, ndim);
  std::size_t lo[3] = {g.d[0], g.d[1], g.d[2]}, hi[3] = {0, 0, 0};
  std::size_t from_count = 0;
  bool any_to = false;
  for (std::size_t z = 0; z < g.d[0]; ++z)
    for (std::size_t y = 0; y < g.d[1]; ++y)
      for (std::size_t x = 0; x < g.d[2]; ++x) {
        const std::size_t i = g.index(z, y, x);
        if (!from_edges[i] && !to_edges[i]) continue;
        from_count += from_edges[i] ? 1 : 0;
        any_to = any_to || to_edges[i];
        const std::size_t at[3] = {z, y, x};
        for (int a = 0; a < 3; ++a) {
          lo[a] = std::min(lo[a], at[a]);
          hi[a] = std::max(hi[a], at[a] + 1);
        }
      }
  std::vector<double> out;
  out.reserve(from_count);
  if (from_count == 0) return out;
  if (!any_to) {
    out.assign(from_count, std::numeric_limits<double>::infinity());
    return out;
  }
  const std::size_t box[3] = {hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]};
  const std::size_t box_n = box[0] * box[1] * box[2];
  std::vector<std::uint8_t> seeds(box_n);
  for (std::size_t z = 0; z < box[0]; ++z)
    for (std::size_t y = 0; y < box[1]; ++y)
      for (std::size_t x = 0; x < box[2]; ++x)
        seeds[(z * box[1] + y) * box[2] + x] = to_edges[g.index(z + lo[0], y + lo[1], x + lo[2])];
  double sp[3] = {1, 1, 1};
  for (int a = 0; a < ndim; ++a) sp[3 - ndim + a] = spacing[a];
  std::vector<double> squared(box_n);
  squared_distance_transform(seeds.data(), box, 3, sp, squared.data(), par);
  for (std::size_t z = 0; z < box[0]; ++z)
    for (std::size_t y = 0; y < box[1]; ++y)
      for (std::size_t x = 0; x < box[2]; ++x)
        if (from_edges[g.index(z + lo[0], y + lo[1], x + lo[2])])
          out.push_back(std::sqrt(squared[(z * box[1] + y) * box[2] + x]));
  return out;
}

namespace detail {
// Any byte of [p, p + n) nonzero, 8 at a time.
inline bool any_set(const std::uint8_t* p, std::size_t n) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w) return true;
  }
  for (; i < n; ++i)
    if (p[i]) return true;
  return false;
}
}  // namespace detail

/// Both directed distance sets of two masks, `first` = `a` surface -> `b` surface, `second` = the
/// reverse, each in C order of the surface voxels and equal, bit for bit, to
/// directed_surface_distances on the surfaces of the whole grid (surface_voxels with
/// `full_connectivity`; the grid border counts as background).
/// Only the surfaces are visited: one O(N) scan for the bounding box of `a | b`, the surface voxels
/// listed from that box, then for each surface voxel an exact nearest-voxel search over the other
/// surface in a cell grid (detail/mask/nearest_surface.hpp): about O(S * r^2) for S surface voxels
/// at typical distance r, against O(box volume) for the EDT. When the surfaces lie so far apart that
/// the search would visit more cells than the box has voxels, the EDT of the box answers instead
/// (same values). Queries are split over `par` threads; the result does not depend on the count.
inline std::pair<std::vector<double>, std::vector<double>> surface_distances(
    const std::uint8_t* a, const std::uint8_t* b, const std::size_t* shape, int ndim, const double* spacing,
    bool full_connectivity, Parallel par = {}) {
  const detail::Grid3 g(shape, ndim);
  std::size_t lo[3] = {g.d[0], g.d[1], g.d[2]}, hi[3] = {0, 0, 0};
  for (std::size_t z = 0; z < g.d[0]; ++z)
    for (std::size_t y = 0; y < g.d[1]; ++y) {
      const std::size_t row = g.index(z, y, 0);
      if (!detail::any_set(a + row, g.d[2]) && !detail::any_set(b + row, g.d[2])) continue;
      std::size_t first = 0, last = g.d[2] - 1;
      while (!(a[row + first] | b[row + first])) ++first;
      while (!(a[row + last] | b[row + last])) --last;
      lo[0] = std::min(lo[0], z);
      hi[0] = std::max(hi[0], z + 1);
      lo[1] = std::min(lo[1], y);
      hi[1] = std::max(hi[1], y + 1);
      lo[2] = std::min(lo[2], first);
      hi[2] = std::max(hi[2], last + 1);
    }
  if (hi[0] == 0) return {};
  if (std::max({hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]}) >= (std::size_t{1} << 30)) {
    // The search keeps voxel coordinates (and their differences) in int32: longer axes take the
    // EDT of the whole grid.
    const std::size_t total = g.d[0] * g.d[1] * g.d[2];
    std::vector<std::uint8_t> ea(total), eb(total);
    surface_voxels(a, shape, ndim, full_connectivity, ea.data());
    surface_voxels(b, shape, ndim, full_connectivity, eb.data());
    return {directed_surface_distances(ea.data(), eb.data(), shape, ndim, spacing, par),
            directed_surface_distances(eb.data(), ea.data(), shape, ndim, spacing, par)};
  }
  // The box, zero-padded by one voxel on the mask's axes (outside the grid = background), plus
  // 8 bytes of slack at both ends for the 64-bit neighbour reads.
  const int first_axis = 3 - ndim;
  std::size_t pad[3], pd[3];
  for (int axis = 0; axis < 3; ++axis) {
    pad[axis] = axis >= first_axis ? 1 : 0;
    pd[axis] = hi[axis] - lo[axis] + 2 * pad[axis];
  }
  const std::size_t slack = 8, volume = pd[0] * pd[1] * pd[2];
  // the structuring element's neighbours, linear in the padded box
  const std::vector<std::ptrdiff_t> offsets =
      detail::linear_offsets(detail::structuring_neighbours(ndim, full_connectivity), pd);
  std::vector<detail::Voxel> surface[2];
  {
    std::vector<std::uint8_t> padded(volume + 2 * slack);
    const std::uint8_t* masks[2] = {a, b};
    for (int m = 0; m < 2; ++m) {
      for (std::size_t z = lo[0]; z < hi[0]; ++z)
        for (std::size_t y = lo[1]; y < hi[1]; ++y) {
          const std::size_t dst = slack + ((z - lo[0] + pad[0]) * pd[1] + (y - lo[1] + pad[1])) * pd[2] + pad[2];
          std::memcpy(padded.data() + dst, masks[m] + g.index(z, y, lo[2]), hi[2] - lo[2]);
        }
      detail::list_surface(padded.data() + slack, pd, pad, offsets, surface[m]);
    }
  }
  double sp[3] = {1, 1, 1};
  for (int axis = 0; axis < ndim; ++axis) sp[3 - ndim + axis] = spacing[axis];
  const std::size_t box[3] = {hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]};
  const std::size_t box_volume = box[0] * box[1] * box[2];
  std::pair<std::vector<double>, std::vector<double>> out;
  std::vector<double>* dist[2] = {&out.first, &out.second};
  for (int from = 0; from < 2; ++from) {
    const auto& queries = surface[from];
    const auto& targets = surface[1 - from];
    if (detail::nearest_surface_distances(queries, targets, box, sp, box_volume, par, *dist[from])) continue;
    // Far apart: the EDT of the box, read at the query voxels.
    std::vector<std::uint8_t> q_edges(box_volume, 0), t_edges(box_volume, 0);
    for (const auto& v : queries) q_edges[(static_cast<std::size_t>(v[0]) * box[1] + static_cast<std::size_t>(v[1])) * box[2] + static_cast<std::size_t>(v[2])] = 1;
    for (const auto& v : targets) t_edges[(static_cast<std::size_t>(v[0]) * box[1] + static_cast<std::size_t>(v[1])) * box[2] + static_cast<std::size_t>(v[2])] = 1;
    *dist[from] = directed_surface_distances(q_edges.data(), t_edges.data(), box, 3, sp, par);
  }
  return out;
}

}  // namespace locuskit
