#pragma once
// A pull tokenizer for JSON read in chunks (a FILE*) or from memory, for loaders that turn large
// files straight into columns without building a document tree (memory: one chunk, not the file).
// It accepts what Python's json module accepts: standard JSON plus the NaN, Infinity and
// -Infinity literals that json.dump writes for non-finite floats; numbers of any size (integers
// beyond 64 bits and 1e400 read as doubles the way float() rounds them: correctly rounded, out of
// range -> ±inf or ±0). Errors are parse_error with the source name and line.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "../../error.hpp"

namespace locuskit {
namespace detail {
namespace cocojson {

/// One number token: its double value (as Python's float() of the token), and, when it is an
/// integer token that fits, the exact int64.
struct JsonNumber {
  double value = 0;
  bool is_integer_token = false;  ///< no fraction, no exponent (Python: an int)
  bool fits_int64 = false;
  std::int64_t as_int64 = 0;
};

class JsonStream {
 public:
  static constexpr std::size_t kChunk = std::size_t(1) << 20;

  /// Reads `size` bytes at `data` (not copied; must outlive the stream).
  JsonStream(const char* data, std::size_t size, std::string name)
      : p_(data), e_(data + size), name_(std::move(name)) {}
  /// Reads `file` in chunks of kChunk bytes (not closed here).
  JsonStream(std::FILE* file, std::string name) : file_(file), name_(std::move(name)) {
    buf_.resize(kChunk);
    p_ = e_ = buf_.data();
  }

  const std::string& name() const noexcept { return name_; }
  std::size_t line() const noexcept { return line_; }

  [[noreturn]] void fail(const std::string& what) const {
    throw parse_error(concat(name_, ": malformed JSON at line ", line_, ": ", what));
  }

  /// Next significant character without consuming it; -1 at the end of the input.
  int peek() {
    for (;;) {
      while (p_ != e_) {
        const char c = *p_;
        if (c == ' ' || c == '\t' || c == '\r') {
          ++p_;
        } else if (c == '\n') {
          ++p_, ++line_;
        } else {
          return static_cast<unsigned char>(c);
        }
      }
      if (!refill()) return -1;
    }
  }
  /// Consumes the character peek() returned.
  void advance() noexcept { ++p_; }
  void expect(char c, const char* context) {
    if (peek() != static_cast<unsigned char>(c)) fail(concat("expected '", c, "' ", context, found()));
    ++p_;
  }
  std::string found() {
    const int c = peek();
    if (c < 0) return " (found the end of the input)";
    if (c >= 0x20 && c < 0x7f) return concat(" (found '", static_cast<char>(c), "')");
    return concat(" (found byte ", c, ")");
  }

  /// After an element of a list (close = ']') or object ('}'): true if a ',' follows (more
  /// elements), false if the closing bracket does (consumed); anything else is an error.
  bool more(char close, const char* where) {
    const int c = peek();
    if (c == ',') return ++p_, true;
    if (c == static_cast<unsigned char>(close)) return ++p_, false;
    fail(concat("expected ',' or '", close, "' ", where, found()));
  }

  /// A string token (peek() == '"'), escapes decoded to UTF-8.
  void string(std::string& out) {
    out.clear();
    ++p_;  // opening quote
    for (;;) {
      if (p_ == e_ && !refill()) fail("unterminated string");
      // Copy the run up to the next quote, backslash or end of the chunk.
      const char* s = p_;
      while (p_ != e_ && *p_ != '"' && *p_ != '\\') {
        if (static_cast<unsigned char>(*p_) < 0x20) fail("control character in a string");
        ++p_;
      }
      out.append(s, static_cast<std::size_t>(p_ - s));
      if (p_ == e_) continue;
      if (*p_ == '"') {
        ++p_;
        return;
      }
      ++p_;  // backslash
      const int c = raw();
      switch (c) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': unicode_escape(out); break;
        default: fail("invalid escape in a string");
      }
    }
  }

  /// A number token, or NaN / Infinity / -Infinity (Python's json extensions). peek() must be
  /// '-', a digit, 'N' or 'I'.
  JsonNumber number() {
    JsonNumber n;
    int c = peek();
    if (c == 'N') {
      literal("NaN");
      n.value = std::numeric_limits<double>::quiet_NaN();
      return n;
    }
    if (c == 'I' || (c == '-' && p_ + 1 != e_ && p_[1] == 'I')) {
      if (c == '-') ++p_;
      literal("Infinity");
      n.value = c == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
      return n;
    }
    // The token is the run of number characters; usually it lies in the buffer: parse in place.
    const char* q = p_;
    while (q != e_ && is_number_char(*q)) ++q;
    if (q != e_) {
      const char* b = p_;
      p_ = q;
      if (!convert(b, q, n)) fail("invalid number");
      return n;
    }
    tok_.clear();
    for (;;) {  // cut by the end of the chunk: gather it across refills
      const char* s = p_;
      while (p_ != e_ && is_number_char(*p_)) ++p_;
      tok_.append(s, static_cast<std::size_t>(p_ - s));
      if (p_ != e_ || !refill()) break;
    }
    if (tok_.size() == 1 && tok_[0] == '-' && raw_peek() == 'I') {  // "-" then "Infinity" in the next chunk
      literal("Infinity");
      n.value = -std::numeric_limits<double>::infinity();
      return n;
    }
    if (!convert(tok_.data(), tok_.data() + tok_.size(), n)) fail("invalid number");
    return n;
  }

  /// true / false / null: the literal's first letter must be peek().
  void literal(const char* word) {
    for (const char* w = word; *w; ++w) {
      if (raw_peek() != static_cast<unsigned char>(*w)) fail(concat("invalid literal (expected ", word, ")"));
      ++p_;
    }
  }

  /// Skips one value of any type (iteratively: no recursion depth to exhaust).
  void skip_value() {
    std::vector<char>& open = open_;  // '{' or '[' per open container
    open.clear();
    for (;;) {
      const int c = peek();
      bool scalar = true;
      if (c == '{' || c == '[') {
        ++p_;
        const int d = peek();
        if (d == (c == '{' ? '}' : ']')) {
          ++p_;  // empty container: a complete value
        } else {
          open.push_back(static_cast<char>(c));
          scalar = false;
          if (c == '{') key();
        }
      } else if (c == '"') {
        string(scratch_);
      } else if (c == 't') {
        literal("true");
      } else if (c == 'f') {
        literal("false");
      } else if (c == 'n') {
        literal("null");
      } else if (c == '-' || is_digit(c) || c == 'N' || c == 'I') {
        number();
      } else {
        fail(concat("expected a value", found()));
      }
      if (!scalar) continue;
      // After a complete value: close containers, or go on to the next element.
      for (;;) {
        if (open.empty()) return;
        const bool object = open.back() == '{';
        if (more(object ? '}' : ']', "in a skipped value")) {
          if (object) key();
          break;
        }
        open.pop_back();
      }
    }
  }

  /// A key and its colon (inside an object, peek() must be '"').
  void key() {
    if (peek() != '"') fail(concat("expected a key", found()));
    string(scratch_);
    expect(':', "after a key");
  }

 private:
  static bool is_digit(int c) noexcept { return c >= '0' && c <= '9'; }
  static bool is_number_char(char c) noexcept {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
  }

  // JSON number grammar -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? over all of [b, e), converted
  // as Python does: an integer token that fits is exact (its double rounds to nearest, as float()),
  // anything else correctly rounded by from_chars, out of range -> ±inf / ±0. false if invalid.
  static bool convert(const char* b, const char* e, JsonNumber& n) noexcept {
    const char* q = b;
    const bool neg = q != e && *q == '-';
    q += neg;
    if (q == e) return false;
    const char* int_begin = q;
    if (*q == '0') ++q;
    else if (is_digit(*q)) while (q != e && is_digit(*q)) ++q;
    else return false;
    const char* int_end = q;
    bool integer = true;
    if (q != e && *q == '.') {
      integer = false;
      ++q;
      if (q == e || !is_digit(*q)) return false;
      while (q != e && is_digit(*q)) ++q;
    }
    long exp10 = 0;
    if (q != e && (*q == 'e' || *q == 'E')) {
      integer = false;
      ++q;
      bool eneg = false;
      if (q != e && (*q == '+' || *q == '-')) eneg = *q++ == '-';
      if (q == e || !is_digit(*q)) return false;
      for (; q != e && is_digit(*q); ++q)
        if (exp10 < 100000) exp10 = exp10 * 10 + (*q - '0');
      if (eneg) exp10 = -exp10;
    }
    if (q != e) return false;
    n.is_integer_token = integer;
    if (integer) {
      const auto r = std::from_chars(b, e, n.as_int64);
      n.fits_int64 = r.ec == std::errc() && r.ptr == e;
      if (n.fits_int64) {
        n.value = static_cast<double>(n.as_int64);
        return true;
      }
    }
    const auto r = std::from_chars(b, e, n.value);
    if (r.ec == std::errc::result_out_of_range) {
      // float() gives ±inf above the range and ±0 below it: the decimal exponent of the first
      // nonzero digit decides.
      long lead = 0;
      bool nonzero = false;
      for (const char* d = int_begin; d != int_end && !nonzero; ++d) nonzero = *d != '0';
      if (nonzero) {
        const char* d = int_begin;
        while (*d == '0') ++d;
        lead = static_cast<long>(int_end - d);
      } else {
        const char* d = int_end;
        if (d != e && *d == '.') {
          ++d;
          long zeros = 0;
          for (; d != e && *d == '0'; ++d) ++zeros;
          nonzero = d != e && is_digit(*d);
          lead = -zeros;
        }
      }
      const bool huge = nonzero && exp10 + lead > 0;
      n.value = huge ? std::numeric_limits<double>::infinity() : 0.0;
      if (neg) n.value = -n.value;
      return true;
    }
    return r.ec == std::errc() && r.ptr == e;
  }

  // Next raw character (no whitespace skipping), -1 at the end.
  int raw_peek() {
    if (p_ == e_ && !refill()) return -1;
    return static_cast<unsigned char>(*p_);
  }
  int raw() {
    const int c = raw_peek();
    if (c < 0) fail("unexpected end of the input");
    ++p_;
    return c;
  }
  unsigned hex4() {
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const int c = raw();
      v <<= 4;
      if (c >= '0' && c <= '9') v |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
      else fail("invalid \\u escape");
    }
    return v;
  }
  void unicode_escape(std::string& out) {
    unsigned cp = hex4();
    if (cp >= 0xD800 && cp < 0xDC00 && raw_peek() == '\\') {  // surrogate pair
      ++p_;
      if (raw() != 'u') fail("invalid surrogate pair");
      const unsigned lo = hex4();
      if (lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      else fail("invalid surrogate pair");
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  bool refill() {
    if (!file_) return false;
    const std::size_t n = std::fread(buf_.data(), 1, buf_.size(), file_);
    if (n == 0) {
      if (std::ferror(file_)) throw parse_error(concat(name_, ": read error"));
      return false;
    }
    p_ = buf_.data();
    e_ = p_ + n;
    return true;
  }

  std::FILE* file_ = nullptr;
  std::vector<char> buf_;
  const char* p_ = nullptr;
  const char* e_ = nullptr;
  std::string name_;
  std::size_t line_ = 1;
  std::string tok_, scratch_;
  std::vector<char> open_;
};

}  // namespace cocojson
}  // namespace detail
}  // namespace locuskit
