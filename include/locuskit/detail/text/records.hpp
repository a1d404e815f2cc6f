#pragma once
// Line-oriented text records, shared by the trajectory (TUM/KITTI/EuRoC), MOTChallenge and KITTI
// label readers: whitespace, fields split on whitespace or commas, finite numbers with Python's
// float() rules, errors naming file and line, and reading a whole file under a size limit.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#define LOCUSKIT_TEXT_POSIX_FILES 1
#else
#define LOCUSKIT_TEXT_POSIX_FILES 0
#endif

#include <locuskit/detail/bits.hpp>
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

/// Fast path for the common row layout, one pass over the line that starts at `p`: finite numbers
/// separated by single commas, without spaces, signs other than '-', or empty fields (a trailing
/// comma and trailing whitespace allowed), up to the first '\n' or `end`. Stores up to `max` values
/// in `out`, sets `n`, sets `next` past the '\n' (or to `end`) and returns true; returns false for
/// anything else (more than `max` fields included), so the caller re-reads the line with
/// split_fields + parse_finite_double, which accept the same values bit for bit and name the error.
/// With `last` false, a line that reaches `end` without a '\n' is incomplete: returns false.
inline bool scan_comma_row(const char* p, const char* end, bool last, double* out, std::size_t max, std::size_t& n,
                           const char*& next) noexcept {
  // Plain decimals (`-ddd.ddd`, at most 15 digits) are m / 10^k with m < 2^53 and k <= 15, both
  // exact doubles, so one correctly rounded division (none for k = 0) gives the correctly rounded
  // value that from_chars gives; anything else (exponents, longer mantissas) goes to from_chars.
  static constexpr double pow10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  auto is_digit = [](char c) noexcept { return static_cast<unsigned char>(c - '0') < 10; };
  const char* q = p;
  std::size_t k = 0;
  for (;;) {
    if (k == max) return false;
    const char* const start = q;
    const bool neg = q < end && *q == '-';
    q += neg;
    std::uint64_t m = 0;
    const char* const int_start = q;
    while (q < end && is_digit(*q)) m = m * 10 + static_cast<unsigned>(*q++ - '0');
    int digits = static_cast<int>(q - int_start), frac = 0;
    if (q < end && *q == '.') {
      const char* const frac_start = ++q;
      while (q < end && is_digit(*q)) m = m * 10 + static_cast<unsigned>(*q++ - '0');
      frac = static_cast<int>(q - frac_start);
      digits += frac;
    }
    if (digits > 0 && digits <= 15 && (q == end || *q == ',' || *q == '\n' || is_space(*q))) {
      const double whole = static_cast<double>(static_cast<std::int64_t>(m));  // m < 10^15: exact
      const double mag = whole / pow10[frac];
      out[k++] = neg ? -mag : mag;
    } else {
      double v;
      const auto res = std::from_chars(start, end, v);
      if (res.ec != std::errc() || !std::isfinite(v)) return false;
      q = res.ptr;
      out[k++] = v;
    }
    if (q == end) break;
    if (*q == ',') {
      if (++q == end) break;  // a trailing comma
      if (is_digit(*q) || *q == '-' || *q == '.') continue;
      // else a trailing comma, or the next field is not plain: only whitespace may follow
    }
    while (q < end && is_space(*q)) ++q;
    if (q == end) break;
    if (*q != '\n') return false;
    ++q;
    n = k;
    next = q;
    return true;
  }
  if (!last) return false;  // q == end: the line may go on in the next block
  n = k;
  next = q;
  return true;
}

namespace swar {
// Eight bytes as a little-endian word (byte 0 lowest).
inline std::uint64_t load8(const char* q) noexcept {
  std::uint64_t w = 0;
#if (defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) || defined(_M_X64) || defined(_M_IX86)
  std::memcpy(&w, q, 8);  // one load
#else
  for (int i = 0; i < 8; ++i) w |= std::uint64_t(static_cast<unsigned char>(q[i])) << (8 * i);
#endif
  return w;
}
inline int ctz(std::uint64_t x) noexcept { return static_cast<int>(lowest_set_bit(x)); }  // x != 0
// Bit 7 of each byte of t (bytes ^ '0') set where the byte is not '0'..'9': byte ^ '0' is 0..9
// exactly for the digits; adding 0x76 to its low 7 bits sets bit 7 for 10..127, OR-ing t flags
// 128..255; no carry crosses a byte (0x7f + 0x76 < 0x100).
inline std::uint64_t non_digits(std::uint64_t t) noexcept {
  return (((t & 0x7f7f7f7f7f7f7f7fu) + 0x7676767676767676u) | t) & 0x8080808080808080u;
}
// The number whose decimal digits are the bytes of t (values 0..9, byte 0 the most significant):
// pairs, quads, then the octet, one multiply each.
inline std::uint64_t eight_digits(std::uint64_t t) noexcept {
  t = (t * 2561) >> 8 & 0x00ff00ff00ff00ffu;       // 10 * 2^8 + 1
  t = (t * 6553601) >> 16 & 0x0000ffff0000ffffu;   // 100 * 2^16 + 1
  return (t * 42949672960001u) >> 32;              // 10000 * 2^32 + 1
}
// Bit i of each mask set where byte p[i] (i < 64) is '\n', ',' or '.'.
struct RowMasks {
  std::uint64_t newline, comma, dot;
};
inline RowMasks row_masks(const char* p) noexcept {
  RowMasks m{0, 0, 0};
#if defined(__SSE2__) || defined(_M_X64)
  const __m128i newline = _mm_set1_epi8('\n'), comma = _mm_set1_epi8(','), dot = _mm_set1_epi8('.');
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    auto bits = [&](__m128i c) {
      return std::uint64_t(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, c)))) << (16 * i);
    };
    m.newline |= bits(newline), m.comma |= bits(comma), m.dot |= bits(dot);
  }
#else
  for (int i = 0; i < 64; ++i) {
    const std::uint64_t b = std::uint64_t(1) << i;
    m.newline |= p[i] == '\n' ? b : 0, m.comma |= p[i] == ',' ? b : 0, m.dot |= p[i] == '.' ? b : 0;
  }
#endif
  return m;
}

// Signed divisors: index frac + 8 * negative holds (-1)^negative * 10^frac (frac <= 7).
inline constexpr double signed_pow10[16] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                            -1e0, -1e1, -1e2, -1e3, -1e4, -1e5, -1e6, -1e7};
// The values of two fields into out[0], out[1], each given as `digits` (top-aligned decimal
// digits, byte ^ '0', the bytes below zero) and `divisor` (an index of signed_pow10); the second
// may be padding (digits 0, divisor 0). ORs into `bad` a non-zero byte where a digit byte is not
// 0..9. The digits are at most 8, so the integer is < 10^8 < 2^31 and converts exactly; it and
// 10^k (k <= 7) are exact doubles, so the one correctly rounded division (by +-1 when there is no
// point) gives the correctly rounded decimal, which is what from_chars gives. IEEE division is
// sign-symmetric, so dividing by -10^k gives -(m / 10^k) bit for bit, -0 for a zero m included.
// The operands go from general registers straight to vector registers: built in memory with two
// 8-byte stores and read back with one 16-byte load, they would stall on store forwarding.
#if defined(__SSE2__) || defined(_M_X64)
using DigitCheck = __m128i;
inline DigitCheck no_bad_digits() noexcept { return _mm_setzero_si128(); }
inline bool digits_ok(DigitCheck bad) noexcept {
  return _mm_movemask_epi8(_mm_cmpeq_epi8(bad, _mm_setzero_si128())) == 0xffff;
}
inline void two_field_values(std::uint64_t digits0, unsigned divisor0, std::uint64_t digits1, unsigned divisor1,
                             double* out, DigitCheck& bad) noexcept {
  // Bytes to pairs (x * (10 * 2^8 + 1) >> 8 in 16-bit lanes: the high byte's product wraps to
  // itself, the low (more significant) digit is multiplied by 10), pairs to quads (pmaddwd by
  // (100, 1): <= 9999, fits int16 for the pack), quads to the 8-digit integer (pmaddwd by
  // (10000, 1): < 2^31), two int32 to two doubles.
  const __m128i t = _mm_unpacklo_epi64(_mm_cvtsi64_si128(static_cast<long long>(digits0)),
                                       _mm_cvtsi64_si128(static_cast<long long>(digits1)));
  bad = _mm_or_si128(bad, _mm_subs_epu8(t, _mm_set1_epi8(9)));  // non-zero where a byte is > 9
  const __m128i pairs = _mm_srli_epi16(_mm_mullo_epi16(t, _mm_set1_epi16(2561)), 8);
  const __m128i quads = _mm_madd_epi16(pairs, _mm_set1_epi32(0x00010064));
  const __m128i whole = _mm_madd_epi16(_mm_packs_epi32(quads, quads), _mm_set1_epi32(0x00012710));
  const __m128d divisor = _mm_unpacklo_pd(_mm_load_sd(signed_pow10 + divisor0), _mm_load_sd(signed_pow10 + divisor1));
  _mm_storeu_pd(out, _mm_div_pd(_mm_cvtepi32_pd(whole), divisor));
}
#else
using DigitCheck = std::uint64_t;
inline DigitCheck no_bad_digits() noexcept { return 0; }
inline bool digits_ok(DigitCheck bad) noexcept { return bad == 0; }
inline void two_field_values(std::uint64_t digits0, unsigned divisor0, std::uint64_t digits1, unsigned divisor1,
                             double* out, DigitCheck& bad) noexcept {
  bad |= non_digits(digits0) | non_digits(digits1);
  out[0] = static_cast<double>(static_cast<std::int64_t>(eight_digits(digits0))) / signed_pow10[divisor0];
  out[1] = static_cast<double>(static_cast<std::int64_t>(eight_digits(digits1))) / signed_pow10[divisor1];
}
#endif
}  // namespace swar

/// scan_comma_row for short rows, without a branch per digit: the line at `p` has at most 63
/// bytes before its '\n' and its fields are `[-]digits[.digits]` with at most 8 bytes after the
/// sign (the digits and the point). Returns false for anything else (the caller then uses
/// scan_comma_row, which gives the same values, or its general path). `max` <= 16. Reads
/// p[-8, 64): the caller guarantees these bytes exist. Separators come from byte masks of the
/// 64-byte window; each field is one 8-byte load ending at its end, the point squeezed out; the
/// digits are checked and converted two fields at a time, as soon as a pair is found
/// (swar::two_field_values).
inline bool scan_comma_row64(const char* p, double* out, std::size_t max, std::size_t& n, const char*& next) noexcept {
  const swar::RowMasks m = swar::row_masks(p);
  if (!m.newline) return false;
  const int newline = swar::ctz(m.newline);
  int r = newline;
  while (r > 0 && is_space(p[r - 1])) --r;
  if (r == 0) return false;
  const std::uint64_t below = ~std::uint64_t(0) >> (64 - r);  // bits [0, r), r in 1..63
  std::uint64_t commas = m.comma & below, dots = m.dot & below;
  if (p[r - 1] == ',') commas &= ~(std::uint64_t(1) << --r);  // one trailing comma
  constexpr std::uint64_t zeros = 0x3030303030303030u;
  if (max > 16) max = 16;
  // The MOTChallenge submission layout ends each row with ",-1,-1,-1" (what from_chars reads as
  // -1.0 three times): those three fields at once.
  int minus_ones = 0;
  if (r >= 10) {
    if (p[r - 9] == ',' && swar::load8(p + r - 8) == swar::load8("-1,-1,-1")) {
      r -= 9;
      commas &= ~std::uint64_t(0) >> (64 - r);
      minus_ones = 3;
    }
  }
  // Fields are converted in pairs as they are found: the even one waits in (held_digits, held_divisor).
  swar::DigitCheck bad = swar::no_bad_digits();
  std::uint64_t held_digits = 0;
  unsigned held_divisor = 0;
  std::size_t k = 0;
  for (int s = 0;;) {
    if (k == max) return false;
    const bool last = commas == 0;
    const int e = last ? r : swar::ctz(commas);  // the field is [s, e)
    commas &= commas - 1;
    const bool neg = p[s] == '-';
    const int len = e - s - neg;  // digits and point
    if (len > 8) return false;
    std::uint64_t w = swar::load8(p + e - 8);  // the field in its top `len` bytes
    int digits = len, frac = 0;
    if (dots && swar::ctz(dots) < e) {  // the field's point, byte j of w: move the bytes below it up one
      const int j = swar::ctz(dots) - (e - 8);
      dots &= dots - 1;
      if (dots && swar::ctz(dots) < e) return false;  // a second point
      const std::uint64_t below_point = (std::uint64_t(1) << (8 * j)) - 1;
      w = (w & (~std::uint64_t(0) << (8 * j) << 8)) | (w & below_point) << 8;
      --digits;
      frac = 7 - j;
    }
    if (digits <= 0) return false;
    // every byte of the field but the sign and the point
    const std::uint64_t field_digits = (w ^ zeros) & (~std::uint64_t(0) << (64 - 8 * digits));
    const unsigned divisor = static_cast<unsigned>(frac) + 8 * neg;
    if (k & 1) swar::two_field_values(held_digits, held_divisor, field_digits, divisor, out + k - 1, bad);
    else held_digits = field_digits, held_divisor = divisor;
    ++k;
    if (last) break;
    s = e + 1;
  }
  if (k + minus_ones > max) return false;
  if (k & 1) {  // the last field, with a padding one (out may have no room for a second value)
    double pair[2];
    swar::two_field_values(held_digits, held_divisor, 0, 0, pair, bad);
    out[k - 1] = pair[0];
  }
  if (!swar::digits_ok(bad)) return false;
  for (int i = 0; i < minus_ones; ++i) out[k++] = -1.0;
  n = k;
  next = p + newline + 1;
  return true;
}

/// scan_comma_row on one line (`line` holds no '\n'): the values of a plain comma row.
inline bool scan_comma_numbers(std::string_view line, double* out, std::size_t max, std::size_t& n) noexcept {
  const char* next = nullptr;
  const char* const end = line.data() + line.size();
  return scan_comma_row(line.data(), end, true, out, max, n, next) && next == end;
}

/// A file opened for reading, with read_file's checks and messages: a directory ("is a directory,
/// not a <kind>"), a file that cannot be opened ("cannot open file"), a regular file above
/// `max_bytes` ("file is N bytes, more than the limit of M"). read() counts what it returns
/// against the limit ("more than the limit of M bytes": pipes and devices have no size) and throws
/// "read error". POSIX open/read straight into the caller's buffer (std::ifstream elsewhere).
class InputFile {
 public:
  InputFile(const std::string& path, std::uint64_t max_bytes, const char* kind = "file") : path_(path), max_(max_bytes) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw parse_error(path + ": is a directory, not a " + kind);
#if LOCUSKIT_TEXT_POSIX_FILES
    do fd_.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    while (fd_.fd < 0 && errno == EINTR);
    if (fd_.fd < 0) throw parse_error(path + ": cannot open file");
    struct stat st;
    if (::fstat(fd_.fd, &st) == 0 && S_ISREG(st.st_mode)) size_ = static_cast<std::uint64_t>(st.st_size);
#else
    f_.open(path, std::ios::binary);
    if (!f_) throw parse_error(path + ": cannot open file");
    const std::uint64_t size = std::filesystem::is_regular_file(path, ec) ? std::filesystem::file_size(path, ec) : 0;
    if (!ec) size_ = size;
#endif
    if (size_ > max_bytes)
      throw parse_error(path + ": file is " + std::to_string(size_) + " bytes, more than the limit of " +
                        std::to_string(max_bytes));
  }

  /// The size of a regular file when opened; 0 when unknown (pipes, devices).
  std::uint64_t size() const noexcept { return size_; }

  /// Reads up to `n` (> 0) bytes into `dst`; returns how many, 0 at the end of the file.
  std::size_t read(char* dst, std::size_t n) {
#if LOCUSKIT_TEXT_POSIX_FILES
    ::ssize_t got;
    do got = ::read(fd_.fd, dst, n < (std::size_t(1) << 30) ? n : (std::size_t(1) << 30));
    while (got < 0 && errno == EINTR);
    if (got < 0) throw parse_error(path_ + ": read error");
#else
    f_.read(dst, static_cast<std::streamsize>(n));
    const std::streamsize got = f_.gcount();
    if (f_.bad()) throw parse_error(path_ + ": read error");
#endif
    total_ += static_cast<std::uint64_t>(got);
    if (total_ > max_) throw parse_error(path_ + ": more than the limit of " + std::to_string(max_) + " bytes");
    return static_cast<std::size_t>(got);
  }

 private:
  std::string path_;
  std::uint64_t max_, size_ = 0, total_ = 0;
#if LOCUSKIT_TEXT_POSIX_FILES
  struct Descriptor {  // closed also when the constructor throws
    int fd = -1;
    Descriptor() = default;
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    ~Descriptor() {
      if (fd >= 0) ::close(fd);
    }
  } fd_;
#else
  std::ifstream f_;
#endif
};

/// The whole file at `path`, with `max_bytes` enforced as it goes (pipes and devices have no
/// size): a regular file is read straight into a string of its size. Throws parse_error naming
/// `path` for a directory ("is a directory, not a <kind>"), an unreadable file or one above the limit.
inline std::string read_file(const std::string& path, std::uint64_t max_bytes, const char* kind = "file") {
  InputFile file(path, max_bytes, kind);
  std::string out(static_cast<std::size_t>(file.size()), '\0');
  std::size_t filled = 0;
  char block[1 << 16];
  for (;;) {
    if (filled < out.size()) {  // the size fstat gave
      const std::size_t got = file.read(&out[filled], out.size() - filled);
      if (got == 0) break;
      filled += got;
    } else {  // beyond it: a pipe or device, or a file that grew
      const std::size_t got = file.read(block, sizeof block);
      if (got == 0) break;
      out.append(block, got);
      filled += got;
    }
  }
  out.resize(filled);
  return out;
}

}  // namespace text
}  // namespace detail
}  // namespace locuskit
