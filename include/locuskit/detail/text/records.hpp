#pragma once
// Line-oriented text records, shared by the trajectory (TUM/KITTI/EuRoC), MOTChallenge and KITTI
// label readers: whitespace, fields split on whitespace or commas, finite numbers with Python's
// float() rules, errors naming file and line, and reading a whole file under a size limit.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <locuskit/error.hpp>

namespace locuskit {
namespace detail {
namespace text {

inline bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/// Throws parse_error "name:line: what".
[[noreturn]] inline void fail(const std::string& name, std::size_t line, const std::string& what) {
  throw parse_error(name + ":" + std::to_string(line) + ": " + what);
}

/// A finite number as Python's float() reads it (a leading '+' allowed; subnormal and overflowing
/// literals get their IEEE value, so 1e999 is rejected as not finite). Throws naming field + 1.
inline double parse_finite_double(std::string_view tok, const std::string& name, std::size_t line, int field) {
  double v = 0;
  const char* b = tok.data();
  const char* e = b + tok.size();
  if (b != e && *b == '+') ++b;
  auto res = std::from_chars(b, e, v);
  if (res.ec == std::errc::result_out_of_range && res.ptr == e) {
    v = std::strtod(std::string(tok).c_str(), nullptr);  // from_chars reports these as out of range
  } else if (res.ec != std::errc() || res.ptr != e || b == e) {
    fail(name, line, "field " + std::to_string(field + 1) + " ('" + std::string(tok) + "') is not a number");
  }
  if (!std::isfinite(v)) fail(name, line, "field " + std::to_string(field + 1) + " is " + std::string(tok) + " (not finite)");
  return v;
}

/// Splits `line` into fields: on whitespace, or (commas = true) on commas with the whitespace
/// around each field trimmed; empty comma fields are kept (the callers decide what they mean).
inline void split_fields(std::string_view line, bool commas, std::vector<std::string_view>& out) {
  out.clear();
  const std::size_t n = line.size();
  if (!commas) {
    std::size_t i = 0;
    while (i < n) {
      while (i < n && is_space(line[i])) ++i;
      std::size_t j = i;
      while (j < n && !is_space(line[j])) ++j;
      if (j > i) out.push_back(line.substr(i, j - i));
      i = j;
    }
    return;
  }
  std::size_t start = 0;
  for (std::size_t k = 0; k <= n; ++k) {
    if (k == n || line[k] == ',') {
      std::size_t a = start, b = k;
      while (a < b && is_space(line[a])) ++a;
      while (b > a && is_space(line[b - 1])) --b;
      out.push_back(line.substr(a, b - a));
      start = k + 1;
    }
  }
}

/// The whole file at `path`, read in blocks with `max_bytes` enforced as it goes (pipes and
/// devices have no size). Throws parse_error naming `path` for a directory ("is a directory, not a
/// <kind>"), an unreadable file or one above the limit.
inline std::string read_file(const std::string& path, std::uint64_t max_bytes, const char* kind = "file") {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw parse_error(path + ": is a directory, not a " + kind);
  std::ifstream f(path, std::ios::binary);
  if (!f) throw parse_error(path + ": cannot open file");
  std::string out;
  const std::uint64_t size = std::filesystem::is_regular_file(path, ec) ? std::filesystem::file_size(path, ec) : 0;
  if (!ec && size > max_bytes)
    throw parse_error(path + ": file is " + std::to_string(size) + " bytes, more than the limit of " +
                      std::to_string(max_bytes));
  if (!ec && size > 0) out.reserve(static_cast<std::size_t>(size));
  char block[1 << 16];
  while (f.read(block, sizeof block) || f.gcount() > 0) {
    out.append(block, static_cast<std::size_t>(f.gcount()));
    if (out.size() > max_bytes) throw parse_error(path + ": more than the limit of " + std::to_string(max_bytes) + " bytes");
  }
  if (f.bad()) throw parse_error(path + ": read error");
  return out;
}

}  // namespace text
}  // namespace detail
}  // namespace locuskit
