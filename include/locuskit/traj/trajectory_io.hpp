#pragma once
/// \file trajectory_io.hpp
/// Readers for TUM (`t tx ty tz qx qy qz qw`), KITTI (12 numbers, row-major [R|t]) and EuRoC csv
/// (`t[ns], px, py, pz, qw, qx, qy, qz, ...`) trajectory files.
///
/// Lenient where evo is needlessly strict (notes §A): any run of spaces/tabs separates fields,
/// blank lines, leading whitespace, CRLF and `#` comments (also indented) are accepted. Errors name
/// the file, the 1-based line and the problem (locuskit::parse_error). Quaternions are normalized
/// (files are off by up to 1.5e-4); KITTI rotations are kept raw (evo parity) and only checked.
/// Duplicated or non-increasing stamps are kept, as evo does, and reported in `warnings`.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <locuskit/detail/traj/trajectory_parsing-inl.hpp>
#include <locuskit/error.hpp>
#include <locuskit/parallel.hpp>

namespace locuskit {

/// Parses trajectory text. `name` is used in messages. O(size of text); with `par.threads` > 1
/// and more than 4 MiB of text, chunks of whole lines are parsed in parallel (same result and the
/// same first error, whatever the thread count). Throws locuskit::parse_error ("name:line:
/// problem") on a malformed row, NaN/Inf, a zero quaternion, a KITTI rotation that is not one
/// (‖RRᵀ − I‖_F > 1e-2 or det ≤ 0), or no rows; a row of another format's shape says which
/// format it looks like.
inline TrajectoryData parse_trajectory(std::string_view text, TrajectoryFormat format, const std::string& name,
                                       Parallel par = {});

namespace detail {
/// parse_trajectory with chunks of at least `grain` bytes (tests and fuzzers use tiny grains to
/// put chunk boundaries everywhere).
inline TrajectoryData parse_trajectory_chunked(std::string_view text, TrajectoryFormat format, const std::string& name,
                                               Parallel par, std::size_t grain) {
  TrajectoryData out;
  // A UTF-8 byte-order mark (editors on Windows write one; Python's csv/numpy readers in evo skip it).
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  detail::ParseDeviations dev;
  const std::size_t chunks = parallel_chunk_count(text.size(), grain, par);
  if (chunks <= 1) {
    out.poses.reserve(16 * (text.size() / 64 + 1));
    detail::parse_lines(text, format, name, 1, out, dev);
  } else {
    // Chunk boundaries moved forward to the next line start; line numbers by counting newlines.
    std::vector<std::size_t> begin(chunks + 1, text.size());
    begin[0] = 0;
    for (std::size_t c = 1; c < chunks; ++c) {
      std::size_t b = std::max(begin[c - 1], detail::chunk_begin(text.size(), chunks, c));
      if (b > 0 && b < text.size() && text[b - 1] != '\n') {
        const std::size_t nl = text.find('\n', b);
        b = nl == std::string_view::npos ? text.size() : nl + 1;
      }
      begin[c] = b;
    }
    std::vector<std::size_t> newlines(chunks, 0);
    std::vector<TrajectoryData> parts(chunks);
    std::vector<detail::ParseDeviations> devs(chunks);
    parallel_for_chunks(chunks, 1, Parallel{static_cast<int>(chunks)}, [&](std::size_t, std::size_t b, std::size_t e) {
      for (std::size_t c = b; c < e; ++c)
        newlines[c] = static_cast<std::size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(begin[c]),
                                                          text.begin() + static_cast<std::ptrdiff_t>(begin[c + 1]), '\n'));
    });
    std::vector<std::size_t> first_line(chunks, 1);
    for (std::size_t c = 1; c < chunks; ++c) first_line[c] = first_line[c - 1] + newlines[c - 1];
    parallel_for_chunks(chunks, 1, Parallel{static_cast<int>(chunks)}, [&](std::size_t, std::size_t b, std::size_t e) {
      for (std::size_t c = b; c < e; ++c) {
        const std::string_view part = text.substr(begin[c], begin[c + 1] - begin[c]);
        parts[c].poses.reserve(16 * (part.size() / 64 + 1));
        detail::parse_lines(part, format, name, first_line[c], parts[c], devs[c]);
      }
    });
    std::size_t rows = 0;
    for (const auto& p : parts) rows += p.size();
    out.poses.reserve(16 * rows);
    if (format != TrajectoryFormat::kitti) out.stamps.reserve(rows);
    if (format == TrajectoryFormat::euroc) out.stamps_ns.reserve(rows);
    for (std::size_t c = 0; c < chunks; ++c) {
      out.poses.insert(out.poses.end(), parts[c].poses.begin(), parts[c].poses.end());
      out.stamps.insert(out.stamps.end(), parts[c].stamps.begin(), parts[c].stamps.end());
      out.stamps_ns.insert(out.stamps_ns.end(), parts[c].stamps_ns.begin(), parts[c].stamps_ns.end());
      std::vector<double>().swap(parts[c].poses);
      dev.quaternion = std::max(dev.quaternion, devs[c].quaternion);
      dev.rotation = std::max(dev.rotation, devs[c].rotation);
    }
  }
  const double max_q_dev = dev.quaternion, max_r_dev = dev.rotation;
  if (out.poses.empty()) throw parse_error(name + ": no poses found");
  if (max_q_dev > 1e-2)
    out.warnings.push_back(name + ": quaternion norms deviate from 1 by up to " + std::to_string(max_q_dev) +
                           " (normalized)");
  if (max_r_dev > 1e-5)
    out.warnings.push_back(name + ": rotations deviate from orthonormal by up to " + std::to_string(max_r_dev) +
                           " (|RR^T - I|_F; kept raw)");
  detail::stamp_warnings(out.stamps, out, name);
  return out;
}
}  // namespace detail

inline TrajectoryData parse_trajectory(std::string_view text, TrajectoryFormat format, const std::string& name,
                                       Parallel par) {
  return detail::parse_trajectory_chunked(text, format, name, par, std::size_t(4) << 20);
}

/// Largest trajectory file read_trajectory accepts (4 GiB: ~40M TUM poses, far beyond any real
/// sequence); a larger file, or a device that never ends, is rejected before memory is spent.
inline constexpr std::uint64_t max_trajectory_file_bytes = std::uint64_t(4) << 30;

/// Reads a trajectory file (see parse_trajectory). Throws parse_error if it is not a readable
/// file (a directory included) or larger than `max_bytes`.
inline TrajectoryData read_trajectory(const std::string& path, TrajectoryFormat format,
                                      std::uint64_t max_bytes = max_trajectory_file_bytes, Parallel par = {}) {
  const std::string text = detail::text::read_file(path, max_bytes, "trajectory file");
  return parse_trajectory(text, format, path, par);
}

}  // namespace locuskit
