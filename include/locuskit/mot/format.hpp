#pragma once
/// \file mot/format.hpp
/// MOTChallenge text files: ground truth (`gt.txt`: `frame,id,x,y,w,h,flag,class,visibility`),
/// tracker results (`frame,id,x,y,w,h,conf,-1,-1,-1`) and detections (`frame,-1,x,y,w,h,score,...`).
///
/// What TrackEval's MotChallenge2DBox accepts is accepted (comma- or whitespace-separated fields,
/// spaces after commas, a trailing comma, frames written as `1.0`, 0-byte files); what it would
/// silently truncate or mis-read is an error naming the file and the 1-based line
/// (locuskit::parse_error): a non-integer frame or id, a frame < 1, a negative id (tracker/GT), a
/// negative width or height, NaN/Inf, too few fields. Blank lines are skipped. Rows stay in file
/// order (the evaluation's floating-point sums and assignments depend on it).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <locuskit/detail/text/records.hpp>
#include <locuskit/error.hpp>

namespace locuskit {

/// What a MOTChallenge text file holds; decides the required fields and the id rules.
enum class MotFileKind {
  ground_truth,  ///< >= 8 fields: frame, id >= 0, box, flag (zero-marked), class [, visibility]
  tracker,       ///< >= 7 fields: frame, id >= 0, box, confidence [, class, ...]
  detections     ///< >= 7 fields: frame, id (any, usually -1), box, score
};

/// Rows of a MOTChallenge file, column-wise, in file order. Absent optional fields are NaN.
struct MotRows {
  std::vector<std::int64_t> frame;      ///< field 1, 1-based frame number
  std::vector<std::int64_t> id;         ///< field 2, object / track id
  std::vector<double> boxes;            ///< fields 3..6, (n, 4) row-major x, y, w, h (top-left, size)
  std::vector<double> confidence;       ///< field 7: tracker/detection score; GT: the zero-marked flag
  std::vector<double> class_id;         ///< field 8 (GT class; tracker rows carry -1); NaN if absent
  std::vector<double> visibility;       ///< field 9 (GT visibility ratio); NaN if absent
  std::vector<std::uint32_t> line;      ///< 1-based source line of each row (for messages)
  std::vector<std::uint8_t> num_fields; ///< fields on each row (capped at 255)

  std::size_t size() const noexcept { return frame.size(); }
  void reserve(std::size_t n) {
    frame.reserve(n); id.reserve(n); boxes.reserve(4 * n); confidence.reserve(n);
    class_id.reserve(n); visibility.reserve(n); line.reserve(n); num_fields.reserve(n);
  }
};

namespace detail {

using text::is_space;

/// An integer field (TrackEval reads it as int(float(x))): integral values within ±2^53 only.
inline std::int64_t mot_parse_integer(std::string_view tok, const std::string& name, std::size_t line, int field,
                                      const char* what) {
  const double v = text::parse_finite_double(tok, name, line, field);
  if (!(std::floor(v) == v) || std::abs(v) > 9007199254740992.0)
    text::fail(name, line, std::string(what) + " (field " + std::to_string(field + 1) + ") is '" + std::string(tok) +
                             "', not an integer");
  return static_cast<std::int64_t>(v);
}

/// Splits a row: on commas (whitespace around fields trimmed) if the line has one, else on whitespace.
/// A trailing empty field (a trailing comma) is dropped, as TrackEval does.
inline void mot_split(std::string_view line, std::vector<std::string_view>& out) {
  text::split_fields(line, line.find(',') != std::string_view::npos, out);
  if (out.size() > 1 && out.back().empty()) out.pop_back();
}

inline std::size_t mot_min_fields(MotFileKind kind) noexcept { return kind == MotFileKind::ground_truth ? 8 : 7; }

}  // namespace detail

/// Parses MOTChallenge text (see the file comment). `name` is used in messages ("name:line: ...").
/// An empty text (or only blank lines) gives zero rows. O(size of text). Thread-safe.
/// Throws locuskit::parse_error on malformed rows.
inline MotRows parse_mot(std::string_view text, MotFileKind kind, const std::string& name) {
  MotRows out;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  out.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  std::vector<std::string_view> tok;
  constexpr std::size_t fast_max = 16;
  double f[fast_max];
  std::size_t nf = 0;
  const std::size_t need = detail::mot_min_fields(kind);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    std::size_t a = 0;
    while (a < line.size() && detail::is_space(line[a])) ++a;
    if (a == line.size()) continue;
    LOCUSKIT_CHECK(line_no <= std::numeric_limits<std::uint32_t>::max(), parse_error, name,
                   ": more than 2^32 lines");
    // Fast path: a plain comma-separated row whose values pass every check below; anything else
    // (including every error) goes through the general path, which names the problem.
    if (detail::text::scan_comma_numbers(line.substr(a), f, fast_max, nf) && nf >= need && f[0] >= 1 &&
        f[0] <= 9007199254740992.0 && std::floor(f[0]) == f[0] && std::abs(f[1]) <= 9007199254740992.0 &&
        std::floor(f[1]) == f[1] && (kind == MotFileKind::detections || f[1] >= 0) && f[4] >= 0 && f[5] >= 0) {
      out.frame.push_back(static_cast<std::int64_t>(f[0]));
      out.id.push_back(static_cast<std::int64_t>(f[1]));
      out.boxes.insert(out.boxes.end(), f + 2, f + 6);
      out.confidence.push_back(f[6]);
      out.class_id.push_back(nf > 7 ? f[7] : nan);
      out.visibility.push_back(nf > 8 ? f[8] : nan);
      out.line.push_back(static_cast<std::uint32_t>(line_no));
      out.num_fields.push_back(static_cast<std::uint8_t>(nf));
      continue;
    }
    detail::mot_split(line.substr(a), tok);
    if (tok.size() < need)
      detail::text::fail(name, line_no,
                       "expected at least " + std::to_string(need) + " fields (" +
                           (kind == MotFileKind::ground_truth ? "frame,id,x,y,w,h,flag,class"
                                                              : "frame,id,x,y,w,h,confidence") +
                           "), found " + std::to_string(tok.size()));
    const std::int64_t frame = detail::mot_parse_integer(tok[0], name, line_no, 0, "frame");
    if (frame < 1) detail::text::fail(name, line_no, "frame " + std::to_string(frame) + " is < 1 (frames are 1-based)");
    const std::int64_t id = detail::mot_parse_integer(tok[1], name, line_no, 1, "id");
    if (kind != MotFileKind::detections && id < 0)
      detail::text::fail(name, line_no, "id " + std::to_string(id) + " is negative");
    double v[4];
    for (int k = 0; k < 4; ++k) v[k] = detail::text::parse_finite_double(tok[2 + k], name, line_no, 2 + k);
    if (v[2] < 0 || v[3] < 0)
      detail::text::fail(name, line_no,
                       "negative box size (w = " + std::string(tok[4]) + ", h = " + std::string(tok[5]) + ")");
    out.frame.push_back(frame);
    out.id.push_back(id);
    out.boxes.insert(out.boxes.end(), v, v + 4);
    out.confidence.push_back(detail::text::parse_finite_double(tok[6], name, line_no, 6));
    out.class_id.push_back(tok.size() > 7 ? detail::text::parse_finite_double(tok[7], name, line_no, 7) : nan);
    out.visibility.push_back(tok.size() > 8 ? detail::text::parse_finite_double(tok[8], name, line_no, 8) : nan);
    for (std::size_t k = 9; k < tok.size(); ++k)
      detail::text::parse_finite_double(tok[k], name, line_no, static_cast<int>(k));  // world coordinates: checked only
    out.line.push_back(static_cast<std::uint32_t>(line_no));
    out.num_fields.push_back(static_cast<std::uint8_t>(tok.size() > 255 ? 255 : tok.size()));
  }
  return out;
}

/// Largest MOT file read_mot accepts (4 GiB); a larger file or an endless device is rejected early.
inline constexpr std::uint64_t max_mot_file_bytes = std::uint64_t(4) << 30;

/// Reads a whole file into memory. Throws parse_error naming `path` if it cannot be read, is a
/// directory or is larger than `max_bytes`.
inline std::string read_text_file(const std::string& path, std::uint64_t max_bytes = max_mot_file_bytes) {
  return detail::text::read_file(path, max_bytes);
}

/// Reads a MOTChallenge file (see parse_mot; messages name `path`).
inline MotRows read_mot(const std::string& path, MotFileKind kind) {
  return parse_mot(read_text_file(path), kind, path);
}

namespace detail {
inline void mot_put_double(std::string& s, double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  s.append(buf, r.ptr);
}
inline void mot_put_int(std::string& s, std::int64_t v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}
}  // namespace detail

/// Formats rows as MOTChallenge text, one row per line in order, comma-separated, every double in
/// its shortest round-trip form (parse_mot(format_mot(r)) gives r back bit for bit). Ground truth:
/// `frame,id,x,y,w,h,flag,class,visibility`; tracker and detections:
/// `frame,id,x,y,w,h,conf,-1,-1,-1` (the MOTChallenge submission layout). NaN fields are written
/// as -1. Throws std::invalid_argument if the column vectors disagree in length. O(n).
inline std::string format_mot(const MotRows& rows, MotFileKind kind) {
  const std::size_t n = rows.size();
  LOCUSKIT_CHECK(rows.id.size() == n && rows.boxes.size() == 4 * n && rows.confidence.size() == n,
                 std::invalid_argument, "format_mot: MotRows columns have different lengths");
  const bool has_class = rows.class_id.size() == n, has_vis = rows.visibility.size() == n;
  std::string s;
  s.reserve(n * 48);
  auto put_opt = [&](bool has, const std::vector<double>& col, std::size_t i) {
    s.push_back(',');
    if (has && !std::isnan(col[i])) detail::mot_put_double(s, col[i]);
    else s.append("-1");
  };
  for (std::size_t i = 0; i < n; ++i) {
    detail::mot_put_int(s, rows.frame[i]);
    s.push_back(',');
    detail::mot_put_int(s, rows.id[i]);
    for (int k = 0; k < 4; ++k) {
      s.push_back(',');
      detail::mot_put_double(s, rows.boxes[4 * i + k]);
    }
    s.push_back(',');
    detail::mot_put_double(s, rows.confidence[i]);
    if (kind == MotFileKind::ground_truth) {
      put_opt(has_class, rows.class_id, i);
      put_opt(has_vis, rows.visibility, i);
    } else {
      s.append(",-1,-1,-1");
    }
    s.push_back('\n');
  }
  return s;
}

/// Writes format_mot(rows, kind) to `path` (created or truncated). Throws parse_error naming the
/// path if it cannot be written.
inline void write_mot(const std::string& path, const MotRows& rows, MotFileKind kind) {
  const std::string text = format_mot(rows, kind);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw parse_error(path + ": cannot open for writing");
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!f) throw parse_error(path + ": write error");
}

}  // namespace locuskit
