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
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
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
  /// Removes every row; the columns keep their capacity (for refilling, see read_mot(path, kind, out)).
  void clear() noexcept {
    frame.clear(); id.clear(); boxes.clear(); confidence.clear();
    class_id.clear(); visibility.clear(); line.clear(); num_fields.clear();
  }
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

/// The rows of MOTChallenge text, appended line by line to `out` (parse_mot and read_mot): the
/// text may arrive in blocks (see parse), line numbers continue across them.
class MotLineParser {
 public:
  MotLineParser(MotFileKind kind, const std::string& name, MotRows& out)
      : kind_(kind), name_(name), out_(out), need_(mot_min_fields(kind)) {}

  /// Parses the lines of [pos, end) and returns `end`; unless `last`, a final line without its
  /// '\n' is left unparsed and its start returned (the caller passes it again with what follows).
  /// Bytes from `readable` (<= pos) to `end` may be read.
  const char* parse(const char* pos, const char* end, bool last, const char* readable) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    while (pos < end) {
      const char* start = pos;
      while (start < end && is_space(*start)) ++start;
      // Fast path: a plain comma-separated row whose values pass every check of the general
      // path below; anything else (including every error) goes through the general path, which
      // names the problem.
      const char* next = nullptr;
      const bool window = start - readable >= 8 && end - start >= 64;  // scan_comma_row64 reads start[-8, 64)
      if (((window && text::scan_comma_row64(start, f_, fast_max, nf_, next)) ||
           text::scan_comma_row(start, end, last, f_, fast_max, nf_, next)) &&
          nf_ >= need_ && f_[0] >= 1 &&
          f_[0] <= 9007199254740992.0 && is_integral(f_[0]) && std::abs(f_[1]) <= 9007199254740992.0 &&
          is_integral(f_[1]) && (kind_ == MotFileKind::detections || f_[1] >= 0) && f_[4] >= 0 && f_[5] >= 0) {
        ++line_no_;
        check_line_count();
        append_row(static_cast<std::int64_t>(f_[0]), static_cast<std::int64_t>(f_[1]), f_ + 2, f_[6],
                   nf_ > 7 ? f_[7] : nan, nf_ > 8 ? f_[8] : nan, nf_);
        pos = next;
        continue;
      }
      const char* nl = static_cast<const char*>(std::memchr(pos, '\n', static_cast<std::size_t>(end - pos)));
      if (!nl) {
        if (!last) {
          flush();
          return pos;
        }
        nl = end;
      }
      const std::string_view line(start, static_cast<std::size_t>(nl - start));
      pos = nl == end ? end : nl + 1;
      ++line_no_;
      if (line.empty()) continue;  // blank
      check_line_count();
      general_row(line);
    }
    flush();
    return end;
  }

 private:
  static constexpr std::size_t fast_max = 16;

  // floor(v) == v for |v| <= 2^53 (truncation is exact there), without a libm call.
  static bool is_integral(double v) noexcept { return static_cast<double>(static_cast<std::int64_t>(v)) == v; }

  void check_line_count() const {
    LOCUSKIT_CHECK(line_no_ <= std::numeric_limits<std::uint32_t>::max(), parse_error, name_,
                   ": more than 2^32 lines");
  }

  // A non-blank line (leading whitespace removed) that is not a plain row: split it, check every
  // field and name the first problem.
  void general_row(std::string_view line) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::size_t line_no = line_no_;
    const std::string& name = name_;
    mot_split(line, tok_);
    const std::vector<std::string_view>& tok = tok_;
    if (tok.size() < need_)
      text::fail(name, line_no,
                 "expected at least " + std::to_string(need_) + " fields (" +
                     (kind_ == MotFileKind::ground_truth ? "frame,id,x,y,w,h,flag,class"
                                                         : "frame,id,x,y,w,h,confidence") +
                     "), found " + std::to_string(tok.size()));
    const std::int64_t frame = mot_parse_integer(tok[0], name, line_no, 0, "frame");
    if (frame < 1) text::fail(name, line_no, "frame " + std::to_string(frame) + " is < 1 (frames are 1-based)");
    const std::int64_t id = mot_parse_integer(tok[1], name, line_no, 1, "id");
    if (kind_ != MotFileKind::detections && id < 0) text::fail(name, line_no, "id " + std::to_string(id) + " is negative");
    double v[4];
    for (int k = 0; k < 4; ++k) v[k] = text::parse_finite_double(tok[2 + k], name, line_no, 2 + k);
    if (v[2] < 0 || v[3] < 0)
      text::fail(name, line_no, "negative box size (w = " + std::string(tok[4]) + ", h = " + std::string(tok[5]) + ")");
    const double confidence = text::parse_finite_double(tok[6], name, line_no, 6);
    const double class_id = tok.size() > 7 ? text::parse_finite_double(tok[7], name, line_no, 7) : nan;
    const double visibility = tok.size() > 8 ? text::parse_finite_double(tok[8], name, line_no, 8) : nan;
    for (std::size_t k = 9; k < tok.size(); ++k)
      text::parse_finite_double(tok[k], name, line_no, static_cast<int>(k));  // world coordinates: checked only
    append_row(frame, id, v, confidence, class_id, visibility, tok.size());
  }

  // One row, checked, at the current line (fields counted up to 255): into the pending rows,
  // which go to `out_` a batch at a time (one capacity check and copy per column and batch, not
  // a push_back per value), and always before parse returns.
  void append_row(std::int64_t frame, std::int64_t id, const double* box, double confidence, double class_id,
                  double visibility, std::size_t num_fields) {
    const std::size_t i = pending_++;
    rows_.frame[i] = frame;
    rows_.id[i] = id;
    std::memcpy(rows_.boxes + 4 * i, box, 4 * sizeof(double));
    rows_.confidence[i] = confidence;
    rows_.class_id[i] = class_id;
    rows_.visibility[i] = visibility;
    rows_.line[i] = static_cast<std::uint32_t>(line_no_);
    rows_.num_fields[i] = static_cast<std::uint8_t>(num_fields > 255 ? 255 : num_fields);
    if (pending_ == batch) flush();
  }

  void flush() {
    const std::size_t n = pending_;
    auto put = [](auto& column, const auto* values, std::size_t count) {
      column.insert(column.end(), values, values + count);
    };
    put(out_.frame, rows_.frame, n);
    put(out_.id, rows_.id, n);
    put(out_.boxes, rows_.boxes, 4 * n);
    put(out_.confidence, rows_.confidence, n);
    put(out_.class_id, rows_.class_id, n);
    put(out_.visibility, rows_.visibility, n);
    put(out_.line, rows_.line, n);
    put(out_.num_fields, rows_.num_fields, n);
    pending_ = 0;
  }

  static constexpr std::size_t batch = 64;
  struct PendingRows {  // MotRows' columns for up to `batch` rows
    std::int64_t frame[batch], id[batch];
    double boxes[4 * batch], confidence[batch], class_id[batch], visibility[batch];
    std::uint32_t line[batch];
    std::uint8_t num_fields[batch];
  };

  MotFileKind kind_;
  const std::string& name_;
  MotRows& out_;
  std::size_t need_;
  std::size_t line_no_ = 0;
  double f_[fast_max];
  std::size_t nf_ = 0;
  std::vector<std::string_view> tok_;
  std::size_t pending_ = 0;
  PendingRows rows_;
};

/// Rows to reserve for `total` bytes of MOT text, from the lines in `sample` (its first bytes):
/// about 1/8 more than the sample's rate predicts (capacity never written is never touched), and
/// never more than a row per 14 bytes (the shortest row, `1,1,0,0,0,0,0\n`).
inline std::size_t mot_row_estimate(std::string_view sample, std::uint64_t total) {
  if (sample.empty()) return 0;
  const std::size_t lines = static_cast<std::size_t>(std::count(sample.begin(), sample.end(), '\n')) + 1;
  const double rows = static_cast<double>(lines) * static_cast<double>(total) / static_cast<double>(sample.size());
  return static_cast<std::size_t>(std::min(rows * 1.125 + 16, static_cast<double>(total / 14 + 1)));
}

// Runs fill(out) on a cleared `out`; if it throws, `out` is left empty (every column, capacity
// kept) and the error passes on.
template <class Fill>
void mot_refill(MotRows& out, Fill&& fill) {
  out.clear();
  try {
    fill(out);
  } catch (...) {
    out.clear();
    throw;
  }
}
}  // namespace detail

/// Parses MOTChallenge text (see the file comment) into `out`, replacing its rows; its columns
/// keep their capacity (a caller parsing many texts into one MotRows allocates and faults that
/// memory once). `name` is used in messages ("name:line: ..."). An empty text (or only blank
/// lines) gives zero rows. O(size of text). Thread-safe for distinct `out`. Throws
/// locuskit::parse_error on malformed rows, and then leaves `out` empty.
inline void parse_mot(std::string_view text, MotFileKind kind, const std::string& name, MotRows& out) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  detail::mot_refill(out, [&](MotRows& rows) {
    rows.reserve(detail::mot_row_estimate(text.substr(0, 1 << 16), text.size()));
    detail::MotLineParser(kind, name, rows).parse(text.data(), text.data() + text.size(), true, text.data());
  });
}

/// parse_mot into a new MotRows.
inline MotRows parse_mot(std::string_view text, MotFileKind kind, const std::string& name) {
  MotRows out;
  parse_mot(text, kind, name, out);
  return out;
}

/// Largest MOT file read_mot accepts (4 GiB); a larger file or an endless device is rejected early.
inline constexpr std::uint64_t max_mot_file_bytes = std::uint64_t(4) << 30;

/// Reads a whole file into memory. Throws parse_error naming `path` if it cannot be read, is a
/// directory or is larger than `max_bytes`.
inline std::string read_text_file(const std::string& path, std::uint64_t max_bytes = max_mot_file_bytes) {
  return detail::text::read_file(path, max_bytes);
}

namespace detail {
/// parse_mot over text that arrives in blocks, into `out` (cleared first; left empty if it throws):
/// `read(dst, n)` stores up to n (> 0) bytes and returns how many (0 at the end); `size_hint` is
/// the total size if known (else 0), for the row estimate. Blocks of `block_bytes` (grown while one
/// line does not fit); lines that cross a block border are carried over, so the rows and messages
/// are parse_mot's on the whole text.
template <class Read>
void parse_mot_blocks(Read&& read, std::uint64_t size_hint, MotFileKind kind, const std::string& name,
                      std::size_t block_bytes, MotRows& out) {
  mot_refill(out, [&](MotRows& rows) {
    MotLineParser parser(kind, name, rows);
    // buf = 8 bytes the fast row scanner may read before a line, then the block: `have` bytes (the
    // start of a line not parsed yet, then what was read after it).
    constexpr std::size_t front = 8;
    std::size_t capacity = block_bytes < 8 ? 8 : block_bytes, have = 0;
    std::unique_ptr<char[]> buf(new char[front + capacity]);  // read() fills the block
    std::memset(buf.get(), 0, front);
    bool first = true;
    for (;;) {
      if (have == capacity) {  // one line fills the block: make room for the rest of it
        std::unique_ptr<char[]> bigger(new char[front + 2 * capacity]);
        std::memcpy(bigger.get(), buf.get(), front + have);
        buf.swap(bigger);
        capacity *= 2;
      }
      char* const data = buf.get() + front;
      const std::size_t got = read(data + have, capacity - have);
      have += got;
      const bool last = got == 0;
      const char* begin = data;
      const char* const end = data + have;
      if (first) {
        if (have < 3 && !last) continue;  // not enough to tell a byte-order mark yet
        first = false;
        if (have >= 3 && std::memcmp(begin, "\xEF\xBB\xBF", 3) == 0) begin += 3;
        const std::string_view sample(begin, static_cast<std::size_t>(end - begin));
        rows.reserve(mot_row_estimate(sample, size_hint > have ? size_hint : have));
      }
      const char* const rest = parser.parse(begin, end, last, buf.get());
      if (last) break;
      have = static_cast<std::size_t>(end - rest);
      std::memmove(data, rest, have);
    }
  });
}
}  // namespace detail

/// Reads a MOTChallenge file into `out` (see parse_mot; messages name `path`), replacing its
/// rows; its columns keep their capacity, so a caller reading many files into one MotRows (one
/// per thread) allocates and faults that memory once, not per file. Read and parsed in blocks of
/// 64 KiB (the text stays in cache; no copy of the whole file is kept), with the same rows and
/// messages as parse_mot on the whole text. The size limit and read errors of read_text_file
/// apply; a malformed row before the point where they are found is reported first. If it throws
/// (the file cannot be opened, a malformed row, ...), `out` is left empty. Thread-safe for
/// distinct `out`.
inline void read_mot(const std::string& path, MotFileKind kind, MotRows& out) {
  out.clear();  // also when the file cannot be opened
  detail::text::InputFile file(path, max_mot_file_bytes);
  detail::parse_mot_blocks([&](char* dst, std::size_t n) { return file.read(dst, n); }, file.size(), kind, path,
                           std::size_t(1) << 16, out);
}

/// read_mot into a new MotRows.
inline MotRows read_mot(const std::string& path, MotFileKind kind) {
  MotRows out;
  read_mot(path, kind, out);
  return out;
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
