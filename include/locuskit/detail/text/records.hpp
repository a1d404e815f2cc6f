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

/// Fast path for the common row layout: `line` (no newline) is finite numbers separated by single
/// commas, without spaces, signs other than '-', or empty fields (a trailing comma and trailing
/// whitespace allowed). Stores up to `max` values in `out`, sets `n` and returns true; returns
/// false for anything else (more than `max` fields included), so the caller re-reads the line with
/// split_fields + parse_finite_double, which accept the same values bit for bit and name the error.
inline bool scan_comma_numbers(std::string_view line, double* out, std::size_t max, std::size_t& n) noexcept {
  const char* p = line.data();
  const char* e = p + line.size();
  while (e > p && is_space(e[-1])) --e;
  n = 0;
  while (p < e) {
    if (n == max) return false;
    // Plain decimals (`-ddd.ddd`, at most 15 digits) are m / 10^k with m < 2^53 and k <= 15, both
    // exact doubles, so one correctly rounded division gives the correctly rounded value that
    // from_chars gives; anything else goes to from_chars.
    static constexpr double pow10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const char* q = p;
    const bool neg = *q == '-';
    q += neg;
    std::uint64_t iv = 0;
    int digits = 0, frac = 0;
    const char* d = q;
    while (q < e && static_cast<unsigned char>(*q - '0') < 10) iv = iv * 10 + static_cast<unsigned>(*q++ - '0'), ++digits;
    const bool int_part = q > d;
    if (q < e && *q == '.') {
      const char* f0 = ++q;
      while (q < e && static_cast<unsigned char>(*q - '0') < 10) iv = iv * 10 + static_cast<unsigned>(*q++ - '0'), ++digits;
      frac = static_cast<int>(q - f0);
    }
    if ((int_part || frac > 0) && digits <= 15 && (q == e || *q == ',')) {
      const double mag = static_cast<double>(iv) / pow10[frac];
      out[n++] = neg ? -mag : mag;
    } else {
      double v;
      const auto res = std::from_chars(p, e, v);
      if (res.ec != std::errc() || !std::isfinite(v)) return false;
      q = res.ptr;
      if (q != e && *q != ',') return false;
      out[n++] = v;
    }
    if (q == e) return true;
    p = q + 1;  // past the comma; a trailing comma ends the row
    if (p < e && *p == ',') return false;
  }
  return n > 0;
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
