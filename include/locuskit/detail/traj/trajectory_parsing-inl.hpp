#pragma once
/// \file trajectory_parsing-inl.hpp
/// Implementation of locuskit/traj/trajectory_io.hpp: tokenizing, number parsing, the per-row
/// conversion and the messages. Included by that header only.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <locuskit/detail/text/records.hpp>
#include <locuskit/error.hpp>

namespace locuskit {

/// Trajectory file formats.
enum class TrajectoryFormat { tum, kitti, euroc };

/// A trajectory as read from a file. `poses` holds n row-major 4×4 matrices (camera/body to
/// world); `stamps` are float64 seconds (empty for KITTI); `stamps_ns` the exact integer
/// nanoseconds of EuRoC files (empty otherwise); `warnings` lists non-fatal findings.
struct TrajectoryData {
  std::vector<double> stamps;
  std::vector<std::int64_t> stamps_ns;
  std::vector<double> poses;
  std::vector<std::string> warnings;
  std::size_t size() const noexcept { return poses.size() / 16; }
};

namespace detail {

using text::is_space;

/// Fills pose (row-major 4×4) from t and a quaternion (x, y, z, w), normalizing it.
inline void pose_from_tq(const double t[3], double x, double y, double z, double w, double* P, const std::string& name,
                         std::size_t line, double& max_dev) {
  const double n = std::sqrt(x * x + y * y + z * z + w * w);
  if (!(n >= 1e-8)) text::fail(name, line, "quaternion has norm " + std::to_string(n) + " (cannot be normalized)");
  max_dev = std::max(max_dev, std::abs(n - 1));
  x /= n; y /= n; z /= n; w /= n;
  // Same product expansion as a normalized quaternion_matrix.
  const double xx = x * x, yy = y * y, zz = z * z, xy = x * y, xz = x * z, yz = y * z, wx = w * x, wy = w * y,
               wz = w * z;
  P[0] = 1 - 2 * (yy + zz); P[1] = 2 * (xy - wz);     P[2] = 2 * (xz + wy);      P[3] = t[0];
  P[4] = 2 * (xy + wz);     P[5] = 1 - 2 * (xx + zz); P[6] = 2 * (yz - wx);      P[7] = t[1];
  P[8] = 2 * (xz - wy);     P[9] = 2 * (yz + wx);     P[10] = 1 - 2 * (xx + yy); P[11] = t[2];
  P[12] = 0; P[13] = 0; P[14] = 0; P[15] = 1;
}

/// " (this looks like a KITTI file ...)" when a row has the shape of another format, else "".
inline std::string format_hint(TrajectoryFormat format, std::string_view line, std::size_t fields) {
  const bool has_comma = line.find(',') != std::string_view::npos;
  if (format != TrajectoryFormat::euroc && has_comma)
    return " (comma-separated: this looks like a EuRoC csv file; use format 'euroc')";
  if (format == TrajectoryFormat::euroc && !has_comma && (fields == 1 || fields == 0))
    return " (no commas: this looks like a TUM or KITTI file)";
  if (format != TrajectoryFormat::kitti && fields == 12)
    return " (12 numbers: this looks like a KITTI file; use format 'kitti')";
  if (format != TrajectoryFormat::tum && fields == 8)
    return " (8 numbers: this looks like a TUM file; use format 'tum')";
  return "";
}

inline void stamp_warnings(const std::vector<double>& s, TrajectoryData& out, const std::string& name) {
  std::size_t dup = 0, back = 0;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == s[i - 1]) ++dup;
    else if (s[i] < s[i - 1]) ++back;
  }
  if (dup) out.warnings.push_back(name + ": " + std::to_string(dup) + " duplicated timestamp(s) (kept, as evo does)");
  if (back) out.warnings.push_back(name + ": timestamps decrease " + std::to_string(back) + " time(s) (kept in file order)");
}

/// Per-range parse state: the largest quaternion-norm and rotation deviations seen.
struct ParseDeviations {
  double quaternion = 0, rotation = 0;
};

/// Parses the rows of `text` (whole lines) into `out`; `first_line` is the 1-based number of its
/// first line in the file (for messages). Throws parse_error on the first malformed row.
inline void parse_lines(std::string_view text, TrajectoryFormat format, const std::string& name,
                        std::size_t first_line, TrajectoryData& out, ParseDeviations& dev) {
  std::vector<std::string_view> tok;
  std::size_t line_no = first_line - 1, pos = 0;
  double& max_q_dev = dev.quaternion;
  double& max_r_dev = dev.rotation;
  const bool commas = format == TrajectoryFormat::euroc;
  const std::size_t need = format == TrajectoryFormat::kitti ? 12 : 8;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    std::size_t a = 0;
    while (a < line.size() && is_space(line[a])) ++a;
    if (a == line.size() || line[a] == '#') continue;
    text::split_fields(line.substr(a), commas, tok);
    if (commas && !tok.empty() && tok.back().empty() && tok.size() > need) tok.pop_back();  // trailing comma
    if (format == TrajectoryFormat::euroc ? tok.size() < need : tok.size() != need)
      text::fail(name, line_no,
                         "expected " + std::string(format == TrajectoryFormat::euroc ? "at least " : "") +
                             std::to_string(need) + " fields, found " + std::to_string(tok.size()) +
                             format_hint(format, line.substr(a), tok.size()));
    double P[16];
    if (format == TrajectoryFormat::kitti) {
      double v[12];
      for (int k = 0; k < 12; ++k) v[k] = text::parse_finite_double(tok[k], name, line_no, k);
      for (int k = 0; k < 12; ++k) P[k] = v[k];
      P[12] = 0; P[13] = 0; P[14] = 0; P[15] = 1;
      // ‖RRᵀ − I‖_F and det as a sanity check only; the raw matrix is kept (evo parity).
      double dev2 = 0;
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) {
          double d = P[4 * r] * P[4 * c] + P[4 * r + 1] * P[4 * c + 1] + P[4 * r + 2] * P[4 * c + 2] - (r == c);
          dev2 += d * d;
        }
      const double det = P[0] * (P[5] * P[10] - P[6] * P[9]) - P[1] * (P[4] * P[10] - P[6] * P[8]) +
                         P[2] * (P[4] * P[9] - P[5] * P[8]);
      if (!(std::sqrt(dev2) <= 1e-2) || !(det > 0))
        text::fail(name, line_no,
                           "rotation is not a rotation matrix (|RR^T - I|_F = " + std::to_string(std::sqrt(dev2)) +
                               ", det = " + std::to_string(det) + ")");
      max_r_dev = std::max(max_r_dev, std::sqrt(dev2));
    } else if (format == TrajectoryFormat::tum) {
      double v[8];
      for (int k = 0; k < 8; ++k) v[k] = text::parse_finite_double(tok[k], name, line_no, k);
      out.stamps.push_back(v[0]);
      pose_from_tq(v + 1, v[4], v[5], v[6], v[7], P, name, line_no, max_q_dev);
    } else {
      std::int64_t ns = 0;
      const char* b = tok[0].data();
      auto res = std::from_chars(b, b + tok[0].size(), ns);
      if (res.ec != std::errc() || res.ptr != b + tok[0].size())
        text::fail(name, line_no, "field 1 ('" + std::string(tok[0]) + "') is not an integer nanosecond timestamp");
      double v[7];
      for (int k = 0; k < 7; ++k) v[k] = text::parse_finite_double(tok[k + 1], name, line_no, k + 1);
      out.stamps_ns.push_back(ns);
      // evo parses the ns as a float and divides by 1e9; (double)ns rounds the same way.
      out.stamps.push_back(static_cast<double>(ns) / 1e9);
      pose_from_tq(v, v[4], v[5], v[6], v[3], P, name, line_no, max_q_dev);  // w first in EuRoC
    }
    out.poses.insert(out.poses.end(), P, P + 16);
  }
}

/// Rough number of rows in `text` (its newlines + 1), to reserve output once.
inline std::size_t count_lines(std::string_view text) noexcept {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}
}  // namespace detail
}  // namespace locuskit
