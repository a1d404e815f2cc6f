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
#include <limits>
#include <vector>

#include "../parallel.hpp"
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
  std::vector<std::array<int, 3>> steps;
  std::vector<std::ptrdiff_t> linear;
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
        linear.push_back((static_cast<std::ptrdiff_t>(dz) * static_cast<std::ptrdiff_t>(g.d[1]) + dy) *
                             static_cast<std::ptrdiff_t>(g.d[2]) + dx);
      }
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

}  // namespace locuskit
