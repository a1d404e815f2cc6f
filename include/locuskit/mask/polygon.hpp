#pragma once
/// \file polygon.hpp
/// Rasterising polygons and boxes to RLE exactly as pycocotools 2.0.11 does (`rleFrPoly`,
/// `rleFrBbox`), bit for bit: vertices snapped to a 5x finer grid, edges walked with a DDA on that
/// grid, crossings of pixel-centre columns turned into run boundaries (even-odd rule for
/// self-intersecting polygons). A box is the polygon (x,y),(x,y+h),(x+w,y+h),(x+w,y), so a box
/// mask is not "every pixel whose centre is inside" in general.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "rle.hpp"

namespace locuskit {

/// RLE of the polygon with `num_vertices` vertices `xy` = [x0, y0, x1, y1, ...] (pixel
/// coordinates, closed implicitly) in a `height` x `width` image. Parts outside the image vanish;
/// degenerate polygons give an empty mask. Coordinates are truncated toward zero after
/// `5*v + 0.5`, as in the peer. Throws std::invalid_argument for a non-finite coordinate or one
/// beyond +-2e8 (where the peer's int arithmetic overflows). O(perimeter*5 + k log k). Thread-safe.
inline Rle rle_from_polygon(const double* xy, std::size_t num_vertices, std::size_t height, std::size_t width) {
  constexpr double scale = 5;
  const std::size_t k = num_vertices;
  std::vector<int> gx(k + 1), gy(k + 1);
  for (std::size_t j = 0; j < k; ++j) {
    for (int c = 0; c < 2; ++c) {
      const double v = xy[2 * j + c];
      if (!(std::fabs(v) <= 2e8))
        throw std::invalid_argument("polygon coordinate " + std::to_string(v) + " (vertex " + std::to_string(j) +
                                    ") is not finite or beyond +-2e8");
    }
    gx[j] = static_cast<int>(scale * xy[2 * j] + .5);
    gy[j] = static_cast<int>(scale * xy[2 * j + 1] + .5);
  }
  // Dense boundary points on the 5x grid (sized up front: this loop is the hot one).
  std::size_t total = 0;
  if (k > 0) {
    gx[k] = gx[0];
    gy[k] = gy[0];
    for (std::size_t j = 0; j < k; ++j)
      total += static_cast<std::size_t>(std::max(std::abs(gx[j] - gx[j + 1]), std::abs(gy[j] - gy[j + 1]))) + 1;
  }
  std::vector<int> px(total), py(total);
  std::size_t m = 0;
  for (std::size_t j = 0; j < k; ++j) {
    int xs = gx[j], xe = gx[j + 1], ys = gy[j], ye = gy[j + 1];
    const int dx = std::abs(xe - xs), dy = std::abs(ys - ye);
    const bool along_x = dx >= dy;
    // Walk every edge from its lower end so that both directions of an edge give the same points.
    const bool flip = (along_x && xs > xe) || (!along_x && ys > ye);
    if (flip) {
      std::swap(xs, xe);
      std::swap(ys, ye);
    }
    if (along_x) {
      // A repeated vertex (dx = dy = 0) makes the peer divide 0 by 0; its one point is never read
      // (both neighbours share its column), so a slope of 0 gives the same mask without the NaN cast.
      const double slope = dx ? static_cast<double>(ye - ys) / dx : 0.0;
      for (int d = 0; d <= dx; ++d, ++m) {
        const int t = flip ? dx - d : d;
        px[m] = t + xs;
        py[m] = static_cast<int>(ys + slope * t + .5);
      }
    } else {
      const double slope = static_cast<double>(xe - xs) / dy;
      for (int d = 0; d <= dy; ++d, ++m) {
        const int t = flip ? dy - d : d;
        py[m] = t + ys;
        px[m] = static_cast<int>(xs + slope * t + .5);
      }
    }
  }
  // Where the boundary crosses a pixel-centre column, toggle at (column, first row below it).
  std::vector<std::uint32_t> toggles;
  toggles.reserve(total / 5 + 2);
  for (std::size_t j = 1; j < total; ++j) {
    if (px[j] == px[j - 1]) continue;
    double xd = px[j] < px[j - 1] ? px[j] : px[j] - 1;
    xd = (xd + .5) / scale - .5;
    if (std::floor(xd) != xd || xd < 0 || xd > static_cast<double>(width) - 1) continue;
    double yd = py[j] < py[j - 1] ? py[j] : py[j - 1];
    yd = (yd + .5) / scale - .5;
    if (yd < 0) yd = 0;
    else if (yd > static_cast<double>(height)) yd = static_cast<double>(height);
    yd = std::ceil(yd);
    toggles.push_back(static_cast<std::uint32_t>(static_cast<std::uint64_t>(xd) * height +
                                                 static_cast<std::uint64_t>(yd)));
  }
  toggles.push_back(static_cast<std::uint32_t>(height * width));
  std::sort(toggles.begin(), toggles.end());
  // Differences between toggles are the runs; a zero difference (two toggles at one pixel) cancels,
  // joining the next run onto the previous one.
  Rle r{height, width, {}};
  r.counts.reserve(toggles.size());
  std::uint32_t previous = 0;
  for (std::size_t j = 0; j < toggles.size(); ++j) {
    const std::uint32_t run = toggles[j] - previous;
    previous = toggles[j];
    if (j == 0 || run > 0) {
      r.counts.push_back(run);
    } else if (++j < toggles.size()) {
      r.counts.back() += toggles[j] - previous;
      previous = toggles[j];
    }
  }
  return r;
}

/// RLE of the box [x, y, w, h] rasterised as a polygon (pycocotools `rleFrBbox`). Same contract
/// as rle_from_polygon.
inline Rle rle_from_bbox(const double* box_xywh, std::size_t height, std::size_t width) {
  const double xs = box_xywh[0], xe = xs + box_xywh[2];
  const double ys = box_xywh[1], ye = ys + box_xywh[3];
  const double xy[8] = {xs, ys, xs, ye, xe, ye, xe, ys};
  return rle_from_polygon(xy, 4, height, width);
}

}  // namespace locuskit
