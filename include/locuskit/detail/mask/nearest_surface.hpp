#pragma once
// Exact nearest-surface distances at surface voxels only (surface_distance.hpp's fast path).
//
// Both peers (MONAI, medpy) run a Euclidean distance transform over the whole (cropped) volume and
// read it at the surface voxels; the answer only depends on the two surface point sets, which are
// ~r^2 where the volume is ~r^3. Here: the surface voxels of both masks are listed straight from a
// zero-padded crop (8 voxels per 64-bit word), the target surface is bucketed into a uniform cell
// grid, and every query visits the cells in increasing order of a lower bound on their distance,
// stopping as soon as that bound reaches the best distance found (warm-started with the previous
// query's nearest voxel, which is close on a surface). Distances are formed exactly as the EDT
// forms them, ((dz s0)^2 + (dy s1)^2) + (dx s2)^2 with each difference an exact integer, and the
// minimum of those rounded values is returned, so the result is bit for bit the EDT's. Bounds use
// the same rounded operations (rounding is monotone), so pruning never drops the minimum.
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "../../parallel.hpp"

namespace locuskit::detail {

using Voxel = std::array<std::int32_t, 3>;  // (z, y, x) in the crop

/// `((a s0)^2 + (b s1)^2) + (c s2)^2` for integer offsets, in the EDT's order of operations.
inline double squared_offset(double dz, double dy, double dx, const double* sp) noexcept {
  const double z = dz * sp[0], y = dy * sp[1], x = dx * sp[2];
  return (z * z + y * y) + x * x;
}

/// Surface voxels (mask XOR erosion, outside = background) of a zero-padded C-ordered volume of
/// dims `pd` whose data lies in [pad, pd - pad) on every axis; `offsets` are the linear offsets of
/// the structuring element's neighbours. `vol` must have 8 readable bytes before and after.
/// Appends (z, y, x) minus the padding, in C order.
inline void list_surface(const std::uint8_t* vol, const std::size_t* pd, const std::size_t* pad,
                         const std::vector<std::ptrdiff_t>& offsets, std::vector<Voxel>& out) {
  const std::size_t x_end = pd[2] - pad[2];
  for (std::size_t z = pad[0]; z < pd[0] - pad[0]; ++z)
    for (std::size_t y = pad[1]; y < pd[1] - pad[1]; ++y) {
      const std::uint8_t* row = vol + (z * pd[1] + y) * pd[2];
      for (std::size_t x = pad[2]; x < x_end; x += 8) {
        std::uint64_t m;
        std::memcpy(&m, row + x, 8);
        if (m == 0) continue;
        std::uint64_t inner = m;
        for (const std::ptrdiff_t o : offsets) {
          std::uint64_t nb;
          std::memcpy(&nb, row + static_cast<std::ptrdiff_t>(x) + o, 8);
          inner &= nb;
        }
        if ((m & ~inner) == 0) continue;
        const std::size_t stop = std::min<std::size_t>(8, x_end - x);
        for (std::size_t k = 0; k < stop; ++k) {  // bytes are 0/1: test them one by one (any endianness)
          const std::uint8_t* v = row + x + k;
          if (!*v) continue;
          bool edge = false;
          for (const std::ptrdiff_t o : offsets) edge = edge || !v[o];
          if (edge)
            out.push_back({static_cast<std::int32_t>(z - pad[0]), static_cast<std::int32_t>(y - pad[1]),
                           static_cast<std::int32_t>(x + k - pad[2])});
        }
      }
    }
}

/// The target voxels bucketed into cells of `cell` voxels per axis (CSR), and the cell offsets
/// around a query's cell in increasing order of a lower bound of their squared distance.
class SurfaceGrid {
 public:
  SurfaceGrid(const std::vector<Voxel>& targets, const std::size_t* box, const double* sp) {
    // Cells of about three of the finest voxels per side (a dozen surface voxels each: fewer
    // empty cells to step over than with small ones), coarser when the box is large and the
    // surface small, so the grid never outnumbers the targets by much.
    for (int a = 0; a < 3; ++a) sp_[a] = sp[a];
    const double finest = std::min({sp[0], sp[1], sp[2]});
    double side = 3 * finest;
    for (;;) {
      std::size_t cells = 1;
      for (int a = 0; a < 3; ++a) {
        cell_[a] = box[a] <= 1 ? 1 : static_cast<std::int32_t>(std::max(1.0, std::floor(side / sp[a] + 0.5)));
        n_[a] = static_cast<std::int32_t>((box[a] + static_cast<std::size_t>(cell_[a]) - 1) / static_cast<std::size_t>(cell_[a]));
        cells *= static_cast<std::size_t>(n_[a]);
      }
      if (cells <= 16 * targets.size() + 4096) break;
      side *= 2;
    }
    // Squared distance terms per axis, indexed by the signed voxel difference + box - 1: the
    // distance of a pair is then (t0 + t1) + t2, the EDT's values exactly.
    for (int a = 0; a < 3; ++a) {
      const auto extent = static_cast<std::int32_t>(box[a]);
      square_[a].resize(2 * static_cast<std::size_t>(extent));
      for (std::int32_t d = -extent + 1; d < extent; ++d) {
        const double v = static_cast<double>(d) * sp[a];
        square_[a][static_cast<std::size_t>(d + extent - 1)] = v * v;
      }
      zero_[a] = extent - 1;
    }
    const std::size_t cells = static_cast<std::size_t>(n_[0]) * static_cast<std::size_t>(n_[1]) * static_cast<std::size_t>(n_[2]);
    start_.assign(cells + 1, 0);
    for (const Voxel& t : targets) ++start_[cell_of(t) + 1];
    for (std::size_t c = 0; c < cells; ++c) start_[c + 1] += start_[c];
    points_.resize(targets.size());
    std::vector<std::uint32_t> fill(start_.begin(), start_.end() - 1);
    for (const Voxel& t : targets) points_[fill[cell_of(t)]++] = t;
    // Offsets up to `reach` cells (fewer along short axes); farther cells are searched shell by shell.
    for (int a = 0; a < 3; ++a) reach_[a] = std::min<std::int32_t>(kReach, n_[a] - 1);
    for (std::int32_t dz = -reach_[0]; dz <= reach_[0]; ++dz)
      for (std::int32_t dy = -reach_[1]; dy <= reach_[1]; ++dy)
        for (std::int32_t dx = -reach_[2]; dx <= reach_[2]; ++dx) {
          const std::int32_t o[3] = {dz, dy, dx};
          std::int32_t gap[3];
          for (int a = 0; a < 3; ++a) gap[a] = o[a] == 0 ? 0 : (std::abs(o[a]) - 1) * cell_[a] + 1;
          const std::ptrdiff_t linear = (static_cast<std::ptrdiff_t>(dz) * n_[1] + dy) * n_[2] + dx;
          spiral_.push_back({squared_gap(gap), linear, {dz, dy, dx}});
        }
    std::stable_sort(spiral_.begin(), spiral_.end(), [](const Step& l, const Step& r) { return l.bound < r.bound; });
    // Any cell beyond the offsets is kReach + 1 cells away along some axis that has that many.
    outer_ = std::numeric_limits<double>::infinity();
    for (int a = 0; a < 3; ++a)
      if (n_[a] - 1 > kReach) {
        std::int32_t gap[3] = {0, 0, 0};
        gap[a] = kReach * cell_[a] + 1;
        outer_ = std::min(outer_, squared_gap(gap));
      }
  }

  /// Squared distance from `q` to the nearest target, and that target in `found` (`found` on
  /// entry: a warm-start guess, or z < 0 for none). `far_cells` counts cells visited beyond the
  /// nearby offsets (the costly case of surfaces far apart).
  double nearest(const Voxel& q, Voxel& found, std::size_t& far_cells) const noexcept {
    double best = std::numeric_limits<double>::infinity();
    if (found[0] >= 0) best = distance(q, found);
    std::int32_t qc[3];
    bool interior = true;  // every offset lands inside the grid: no range checks
    for (int a = 0; a < 3; ++a) {
      qc[a] = q[a] / cell_[a];
      interior = interior && qc[a] >= reach_[a] && qc[a] + reach_[a] < n_[a];
    }
    const std::ptrdiff_t home = static_cast<std::ptrdiff_t>(linear_cell(qc[0], qc[1], qc[2]));
    // Offsets bounded below `outer_` first: once one's bound reaches `best`, nothing left can beat it.
    std::size_t i = 0;
    for (; i < spiral_.size() && spiral_[i].bound < outer_; ++i) {
      const Step& s = spiral_[i];
      if (s.bound >= best) return best;
      if (interior) {
        const auto c = static_cast<std::size_t>(home + s.linear);
        if (start_[c] != start_[c + 1])
          scan_cell(q, qc[0] + s.offset[0], qc[1] + s.offset[1], qc[2] + s.offset[2], c, best, found);
      } else {
        scan_cell_checked(q, qc[0] + s.offset[0], qc[1] + s.offset[1], qc[2] + s.offset[2], best, found);
      }
    }
    if (best <= outer_) return best;
    // Far: the rest of the offsets, then the shells beyond them (each set in increasing bound).
    for (; i < spiral_.size() && spiral_[i].bound < best; ++i, ++far_cells) {
      const Step& s = spiral_[i];
      scan_cell_checked(q, qc[0] + s.offset[0], qc[1] + s.offset[1], qc[2] + s.offset[2], best, found);
    }
    const std::int32_t max_shell = std::max({n_[0], n_[1], n_[2]});
    for (std::int32_t k = kReach + 1; k <= max_shell; ++k) {
      double shell_bound = std::numeric_limits<double>::infinity();
      for (int a = 0; a < 3; ++a)
        if (n_[a] > 1) {
          std::int32_t gap[3] = {0, 0, 0};
          gap[a] = (k - 1) * cell_[a] + 1;
          shell_bound = std::min(shell_bound, squared_gap(gap));
        }
      if (shell_bound >= best) return best;
      const std::int32_t z0 = std::max(-k, -qc[0]), z1 = std::min(k, n_[0] - 1 - qc[0]);
      const std::int32_t y0 = std::max(-k, -qc[1]), y1 = std::min(k, n_[1] - 1 - qc[1]);
      const std::int32_t x0 = std::max(-k, -qc[2]), x1 = std::min(k, n_[2] - 1 - qc[2]);
      for (std::int32_t dz = z0; dz <= z1; ++dz)
        for (std::int32_t dy = y0; dy <= y1; ++dy) {
          if (std::abs(dz) == k || std::abs(dy) == k) {  // a face of the shell: the whole row
            for (std::int32_t dx = x0; dx <= x1; ++dx) scan_cell_checked(q, qc[0] + dz, qc[1] + dy, qc[2] + dx, best, found);
            far_cells += static_cast<std::size_t>(x1 - x0 + 1);
          } else {  // inside the shell: its two ends
            scan_cell_checked(q, qc[0] + dz, qc[1] + dy, qc[2] - k, best, found);
            scan_cell_checked(q, qc[0] + dz, qc[1] + dy, qc[2] + k, best, found);
            far_cells += 2;
          }
        }
    }
    return best;
  }

 private:
  static constexpr std::int32_t kReach = 6;
  struct Step {
    double bound;
    std::ptrdiff_t linear;
    std::int32_t offset[3];
  };

  double term(int axis, std::int32_t difference) const noexcept {
    return square_[axis][static_cast<std::size_t>(difference + zero_[axis])];
  }
  // ((g0 s0)^2 + (g1 s1)^2) + (g2 s2)^2 for nonnegative gaps (not beyond the box), rounded as a distance is.
  double squared_gap(const std::int32_t* gap) const noexcept {
    double t[3];
    for (int a = 0; a < 3; ++a) {
      const double v = static_cast<double>(gap[a]) * sp_[a];
      t[a] = v * v;
    }
    return (t[0] + t[1]) + t[2];
  }
  std::size_t linear_cell(std::int32_t cz, std::int32_t cy, std::int32_t cx) const noexcept {
    return (static_cast<std::size_t>(cz) * static_cast<std::size_t>(n_[1]) + static_cast<std::size_t>(cy)) *
               static_cast<std::size_t>(n_[2]) + static_cast<std::size_t>(cx);
  }
  std::size_t cell_of(const Voxel& v) const noexcept { return linear_cell(v[0] / cell_[0], v[1] / cell_[1], v[2] / cell_[2]); }
  double distance(const Voxel& q, const Voxel& t) const noexcept {
    return (term(0, q[0] - t[0]) + term(1, q[1] - t[1])) + term(2, q[2] - t[2]);
  }
  void scan_cell_checked(const Voxel& q, std::int32_t cz, std::int32_t cy, std::int32_t cx, double& best,
                         Voxel& found) const noexcept {
    if (cz < 0 || cy < 0 || cx < 0 || cz >= n_[0] || cy >= n_[1] || cx >= n_[2]) return;
    const std::size_t c = linear_cell(cz, cy, cx);
    if (start_[c] != start_[c + 1]) scan_cell(q, cz, cy, cx, c, best, found);
  }
  // A non-empty cell: skipped whole when the query's own gap to it already reaches `best`.
  void scan_cell(const Voxel& q, std::int32_t cz, std::int32_t cy, std::int32_t cx, std::size_t c, double& best,
                 Voxel& found) const noexcept {
    const std::int32_t cell_at[3] = {cz, cy, cx};
    double bound_terms[3];
    for (int a = 0; a < 3; ++a) {
      const std::int32_t lo = cell_at[a] * cell_[a], hi = lo + cell_[a] - 1;
      bound_terms[a] = term(a, q[a] < lo ? lo - q[a] : q[a] > hi ? q[a] - hi : 0);
    }
    if ((bound_terms[0] + bound_terms[1]) + bound_terms[2] >= best) return;
    const double* t0 = square_[0].data() + zero_[0] + q[0];
    const double* t1 = square_[1].data() + zero_[1] + q[1];
    const double* t2 = square_[2].data() + zero_[2] + q[2];
    for (std::uint32_t i = start_[c], end = start_[c + 1]; i < end; ++i) {
      const Voxel& t = points_[i];
      const double d = (t0[-t[0]] + t1[-t[1]]) + t2[-t[2]];
      if (d < best) {
        best = d;
        found = t;
      }
    }
  }

  double sp_[3];
  double outer_;  // lower bound of every cell beyond the offsets
  std::int32_t cell_[3], n_[3], reach_[3], zero_[3];
  std::vector<double> square_[3];
  std::vector<std::uint32_t> start_;
  std::vector<Voxel> points_;
  std::vector<Step> spiral_;
};

/// Distances (not squared) from every `queries` voxel to the nearest `targets` voxel, in query
/// order; +inf for each when `targets` is empty. Returns false, leaving `out` unspecified, when
/// the search would visit more than `far_budget` cells beyond the grid's precomputed reach (the
/// caller then runs the volume EDT instead). Queries are split over `par` threads in fixed
/// chunks; the result does not depend on the split (each value is the exact minimum).
inline bool nearest_surface_distances(const std::vector<Voxel>& queries, const std::vector<Voxel>& targets,
                                      const std::size_t* box, const double* sp, std::size_t far_budget,
                                      Parallel par, std::vector<double>& out) {
  out.assign(queries.size(), std::numeric_limits<double>::infinity());
  if (targets.empty() || queries.empty()) return true;
  const SurfaceGrid grid(targets, box, sp);
  std::atomic<std::size_t> far_total{0};
  std::atomic<bool> over{false};
  parallel_for_chunks(queries.size(), 4096, par, [&](std::size_t, std::size_t begin, std::size_t end) {
    Voxel guess = {-1, 0, 0};
    std::size_t far = 0;
    for (std::size_t i = begin; i < end; ++i) {
      out[i] = std::sqrt(grid.nearest(queries[i], guess, far));
      if (far > 4096 || i + 1 == end) {  // publish the count now and then (cheap, and stops early)
        if (far_total.fetch_add(far, std::memory_order_relaxed) + far > far_budget) over.store(true);
        far = 0;
        if (over.load(std::memory_order_relaxed)) return;
      }
    }
  });
  return !over.load();
}

}  // namespace locuskit::detail
