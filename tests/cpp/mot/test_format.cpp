// MOTChallenge text reader/writer: TrackEval's accepted syntax, errors naming file and line, round trip.
#include <locuskit/mot/format.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

namespace {
std::string error_of(const std::string& text, MotFileKind kind) {
  try {
    parse_mot(text, kind, "f.txt");
  } catch (const parse_error& e) {
    return e.what();
  }
  return "";
}

// A random decimal as people and programs write them: sign, leading zeros, 0-17 digits, a point
// anywhere, sometimes an exponent; occasionally something that is not a plain number at all.
std::string random_number(std::mt19937_64& rng) {
  std::string s;
  const int kind = static_cast<int>(rng() % 20);
  if (kind == 0) {
    const char* odd[] = {"", "-", ".", "-.", "+1", "nan", "inf", "1e999", "0x1", "1-", "1..2", "--1", "1 2", "e5", "7e"};
    return odd[rng() % (sizeof odd / sizeof *odd)];
  }
  if (kind < 3) return "-1";
  if (rng() % 3 == 0) s += '-';
  const int digits = static_cast<int>(rng() % 18), point = static_cast<int>(rng() % (digits + 2));
  for (int k = 0; k < digits; ++k) {
    if (k == point) s += '.';
    s += static_cast<char>('0' + (k == 0 && rng() % 2 ? 0 : rng() % 10));
  }
  if (digits == 0) s += static_cast<char>('0' + rng() % 10);
  if (point == digits && rng() % 4 == 0) s += '.';  // "5."
  if (rng() % 12 == 0) s += "e" + std::to_string(static_cast<int>(rng() % 50) - 25);
  return s;
}

// Random MOT text: mostly plain rows (small integers for frame and id, boxes, scores, -1 fields),
// with the variations TrackEval accepts and the errors it does not.
std::string random_mot_text(std::mt19937_64& rng, int rows) {
  const bool odd_rows = rng() % 3 == 0;  // else only what every parser accepts, so that rows remain
  std::string text;
  if (rng() % 8 == 0) text += "\xEF\xBB\xBF";
  for (int i = 0; i < rows; ++i) {
    const int variant = odd_rows ? static_cast<int>(rng() % 40) : 4 + static_cast<int>(rng() % 36);
    if (variant == 0) {
      text += rng() % 2 ? "\n" : " \t\r\n";  // blank
      continue;
    }
    std::vector<std::string> f;
    f.push_back(variant == 1 ? random_number(rng) : std::to_string(1 + rng() % 3000));
    f.push_back(variant == 2 ? random_number(rng) : std::to_string(rng() % 100000));
    const int fields = 7 + static_cast<int>(rng() % 5);
    for (int k = 2; k < fields; ++k) {
      if (variant == 3 || (odd_rows && rng() % 10 == 0)) {
        f.push_back(random_number(rng));
      } else if (k >= 7) {
        f.push_back(rng() % 2 ? "-1" : std::to_string(rng() % 13));
      } else {
        char buf[32];
        const double v = static_cast<double>(rng() % 4000000) / std::pow(10.0, static_cast<double>(rng() % 6));
        std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(rng() % 6), v);
        f.push_back(buf);
      }
    }
    std::string line = variant == 4 ? "  " : "";
    for (std::size_t k = 0; k < f.size(); ++k) line += (k ? (variant == 5 ? ", " : variant == 6 ? " " : ",") : "") + f[k];
    if (variant == 7) line += ',';
    if (variant == 8) line += " \t";
    if (variant == 9 && odd_rows) line = line.substr(0, rng() % (line.size() + 1));  // cut short
    text += line;
    if (i + 1 < rows || rng() % 2) text += rng() % 6 == 0 ? "\r\n" : "\n";
  }
  return text;
}

// Every column of two parses, bit for bit.
void check_same_rows(const MotRows& a, const MotRows& b) {
  REQUIRE(a.size() == b.size());
  CHECK(a.frame == b.frame);
  CHECK(a.id == b.id);
  CHECK(a.line == b.line);
  CHECK(a.num_fields == b.num_fields);
  for (std::size_t i = 0; i < a.boxes.size(); ++i) REQUIRE(test::same_bits(a.boxes[i], b.boxes[i]));
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(test::same_bits(a.confidence[i], b.confidence[i]));
    REQUIRE(test::same_bits(a.class_id[i], b.class_id[i]));
    REQUIRE(test::same_bits(a.visibility[i], b.visibility[i]));
  }
}

// No rows, and every column empty (what a failed refill leaves).
void check_empty(const MotRows& r) {
  CHECK(r.size() == 0);
  CHECK(r.id.empty());
  CHECK(r.boxes.empty());
  CHECK(r.confidence.empty());
  CHECK(r.class_id.empty());
  CHECK(r.visibility.empty());
  CHECK(r.line.empty());
  CHECK(r.num_fields.empty());
}

// The rows of `text`, or the message it is rejected with.
struct Parsed {
  MotRows rows;
  std::string error;
};
template <class F>
Parsed parsed(F&& parse) {
  Parsed p;
  try {
    p.rows = parse();
  } catch (const parse_error& e) {
    p.error = e.what();
  }
  return p;
}
}  // namespace

TEST_CASE("mot format: tracker rows, comma and whitespace separated") {
  const MotRows r = parse_mot("1,3,113.84,274.5,57.307,130.05,-1,-1,-1,-1\n\n2.0, 4, 1, 2, 3, 4, 0.5,\n"
                              "3 5 1e1 -2 0 4 0.25\r\n",
                              MotFileKind::tracker, "t.txt");
  REQUIRE(r.size() == 3);
  CHECK(r.frame[0] == 1);
  CHECK(r.id[0] == 3);
  CHECK(r.boxes[0] == 113.84);
  CHECK(r.boxes[3] == 130.05);
  CHECK(r.class_id[0] == -1);
  CHECK(r.frame[1] == 2);  // "2.0" is frame 2 (TrackEval: int(float(x)))
  CHECK(r.num_fields[1] == 7);  // trailing comma dropped
  CHECK(std::isnan(r.class_id[1]));
  CHECK(r.line[1] == 3);
  CHECK(r.boxes[8] == 10.0);
  CHECK(r.boxes[9] == -2.0);  // negative coordinates are fine
  CHECK(r.line[2] == 4);
}

TEST_CASE("mot format: empty text and blank lines give zero rows") {
  CHECK(parse_mot("", MotFileKind::ground_truth, "gt.txt").size() == 0);
  CHECK(parse_mot("\n \n\t\n", MotFileKind::tracker, "t.txt").size() == 0);
}

TEST_CASE("mot format: malformed rows name file and line") {
  const auto T = MotFileKind::tracker;
  CHECK(error_of("1,1,0,0,1,1,1\n1,2,0,0,-1,1,1\n", T).rfind("f.txt:2: negative box size", 0) == 0);
  CHECK(error_of("1.5,1,0,0,1,1,1\n", T).find("f.txt:1: frame (field 1) is '1.5', not an integer") == 0);
  CHECK(error_of("1,2.5,0,0,1,1,1\n", T).find("f.txt:1: id (field 2)") == 0);
  CHECK(error_of("0,1,0,0,1,1,1\n", T).find("f.txt:1: frame 0 is < 1") == 0);
  CHECK(error_of("1,-1,0,0,1,1,1\n", T).find("f.txt:1: id -1 is negative") == 0);
  CHECK(error_of("1,1,0,0,1,1\n", T).find("f.txt:1: expected at least 7 fields") == 0);
  CHECK(error_of("1,1,0,0,1,1,1\n", MotFileKind::ground_truth).find("f.txt:1: expected at least 8 fields") == 0);
  CHECK(error_of("1,1,0,x,1,1,1\n", T).find("f.txt:1: field 4 ('x') is not a number") == 0);
  CHECK(error_of("1,1,0,nan,1,1,1\n", T).find("f.txt:1: field 4 is nan (not finite)") == 0);
  CHECK(error_of("1,1,0,1e999,1,1,1\n", T).find("not finite") != std::string::npos);
  CHECK(error_of("1,1,,0,1,1,1\n", T).find("f.txt:1: field 3 ('') is not a number") == 0);
  CHECK(error_of("1e300,1,0,0,1,1,1\n", T).find("not an integer") != std::string::npos);
  // Detections carry id -1.
  CHECK(parse_mot("1,-1,0,0,1,1,0.9,-1,-1,-1\n", MotFileKind::detections, "d").id[0] == -1);
}

TEST_CASE("mot format: format_mot round-trips bit for bit") {
  const MotRows r = parse_mot("1,1,0.1,0.2,1e-300,3.0000000000000004,1,1,0.34375\n7,1000000,-5,6,7,8,0,12,1\n",
                              MotFileKind::ground_truth, "gt.txt");
  const std::string text = format_mot(r, MotFileKind::ground_truth);
  CHECK(text == "1,1,0.1,0.2,1e-300,3.0000000000000004,1,1,0.34375\n7,1000000,-5,6,7,8,0,12,1\n");
  const MotRows back = parse_mot(text, MotFileKind::ground_truth, "again");
  CHECK(back.boxes == r.boxes);
  CHECK(back.frame == r.frame);
  CHECK(back.id == r.id);
  const std::string trk = format_mot(r, MotFileKind::tracker);
  CHECK(trk.substr(0, trk.find('\n')) == "1,1,0.1,0.2,1e-300,3.0000000000000004,1,-1,-1,-1");
}

TEST_CASE("mot format: read_mot and write_mot name the path") {
  CHECK_THROWS_WITH_AS(read_mot("/nonexistent/x.txt", MotFileKind::tracker), "/nonexistent/x.txt: cannot open file",
                       parse_error);
  const std::string path = "mot_format_test.txt";
  MotRows r = parse_mot("2,5,1,2,3,4,0.5\n", MotFileKind::tracker, "t");
  write_mot(path, r, MotFileKind::tracker);
  const MotRows back = read_mot(path, MotFileKind::tracker);
  std::remove(path.c_str());
  CHECK(back.size() == 1);
  CHECK(back.id[0] == 5);
  CHECK(back.confidence[0] == 0.5);
}

TEST_CASE("mot format: the comma-row fast path reads every value as from_chars does, bit for bit") {
  std::mt19937_64 rng(12);
  double f[4];
  std::size_t n = 0;
  for (int i = 0; i < 200000; ++i) {
    const int digits = 1 + static_cast<int>(rng() % 17), fr = static_cast<int>(rng() % (digits + 1));
    std::string s;
    if (rng() % 2) s += '-';
    for (int k = 0; k < digits; ++k) {
      if (k == digits - fr) s += '.';
      s += static_cast<char>('0' + rng() % 10);
    }
    if (rng() % 5 == 0) s += "e" + std::to_string(static_cast<int>(rng() % 40) - 20);
    double v = 0;
    const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
    REQUIRE(res.ec == std::errc());
    CAPTURE(s);
    REQUIRE(detail::text::scan_comma_numbers(s + ",1", f, 4, n));
    CHECK(n == 2);
    CHECK(test::same_bits(f[0], v));
  }
  // Not the plain layout: the general path decides (and names the error).
  for (const char* line : {"1, 2", "1,,2", "+1,2", "1,nan", "1,2 3", "1e999,2", ",1", "."})
    CHECK_FALSE(detail::text::scan_comma_numbers(line, f, 4, n));
  CHECK(detail::text::scan_comma_numbers("1,2,\r", f, 4, n));  // trailing comma and CR
  CHECK(n == 2);
}

TEST_CASE("mot format: the 64-byte row scanner reads what from_chars reads, bit for bit") {
  // Rows of random numbers in a buffer with 8 bytes before and 64 after the row start, as
  // scan_comma_row64 needs; whenever it accepts, scan_comma_row accepts the same row with the same
  // values, and every value is from_chars' (the general path's parse_finite_double).
  std::mt19937_64 rng(1207);
  double f[16], g[16];
  std::size_t n = 0, m = 0;
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) {
    std::vector<std::string> fields;
    const int count = 1 + static_cast<int>(rng() % 11);
    std::string row;
    for (int k = 0; k < count; ++k) {
      fields.push_back(rng() % 3 ? random_number(rng) : std::to_string(rng() % 100));
      row += (k ? "," : "") + fields.back();
    }
    if (rng() % 3 == 0) {  // the submission layout's ",-1,-1,-1" ending (read three fields at once)
      for (int k = 0; k < 3; ++k) fields.push_back("-1");
      row += ",-1,-1,-1";
    }
    if (rng() % 5 == 0) row += ",";
    if (rng() % 5 == 0) row += "\r";
    std::string buf = std::string(8, '7') + row + "\n" + std::string(80, rng() % 2 ? '9' : '\n');
    CAPTURE(row);
    const char* p = buf.data() + 8;
    const char* next = nullptr;
    const bool fast = detail::text::scan_comma_row64(p, f, 16, n, next);
    const char* next2 = nullptr;
    const bool scalar = detail::text::scan_comma_row(p, buf.data() + buf.size(), true, g, 16, m, next2);
    if (!fast) continue;
    ++accepted;
    REQUIRE(scalar);
    REQUIRE(n == m);
    REQUIRE(next == next2);
    REQUIRE(n == fields.size() - fields.back().empty());  // an empty last field is a trailing comma
    for (std::size_t k = 0; k < n; ++k) {
      CAPTURE(fields[k]);
      REQUIRE(test::same_bits(f[k], g[k]));
      REQUIRE(test::same_bits(f[k], detail::text::parse_finite_double(fields[k], "x", 1, static_cast<int>(k))));
    }
  }
  CHECK(accepted > 10000);  // the fast scanner is exercised, not just declined
  // Declined: the slower paths decide (and name the error).
  for (const char* row : {"1, 2\n", "1,,2\n", "+1,2\n", "1,nan\n", "1,2 3\n", "1e5,2\n", "123456789,1\n", "1.2.3,4\n",
                          "-,1\n", ",1\n", ".\n", "\n", "1,-\n", ",,-1,-1,-1\n", "1,,-1,-1,-1\n", "1.2.3,-1,-1,-1\n",
                          "1,2,3,4,5,6,7,8,9,10,11,12,13,14,-1,-1,-1\n"}) {
    std::string buf = std::string(8, ' ') + row + std::string(80, ' ');
    CAPTURE(row);
    const char* next = nullptr;
    CHECK_FALSE(detail::text::scan_comma_row64(buf.data() + 8, f, 16, n, next));
  }
  std::string buf = std::string(8, ' ') + "1,-2.5,0.125,\r\n" + std::string(80, ' ');
  const char* next = nullptr;
  REQUIRE(detail::text::scan_comma_row64(buf.data() + 8, f, 16, n, next));
  CHECK(n == 3);
  CHECK(f[1] == -2.5);
  CHECK(next == buf.data() + 8 + 15);
  // The ",-1,-1,-1" ending counts against `max` like any three fields.
  buf = std::string(8, ' ') + "1,2,3,4,-1,-1,-1\n" + std::string(80, ' ');
  CHECK_FALSE(detail::text::scan_comma_row64(buf.data() + 8, f, 6, n, next));
  REQUIRE(detail::text::scan_comma_row64(buf.data() + 8, f, 7, n, next));
  CHECK(n == 7);
  CHECK((f[3] == 4 && f[4] == -1 && f[5] == -1 && f[6] == -1));
  buf = std::string(8, ' ') + "-1,-1,-1,-1,\r\n" + std::string(80, ' ');
  REQUIRE(detail::text::scan_comma_row64(buf.data() + 8, f, 16, n, next));
  CHECK(n == 4);
  CHECK((f[0] == -1 && f[3] == -1));
  // Signed zeros and the sign carried by the divisor, at even and odd positions (the first and
  // second of a converted pair, and the last field paired with padding): -0 stays -0.
  const char* zeros[] = {"0", "-0", "-0.0", "-.0", "-0.", "0.000", "-0.0000", "-.0000000", "-7.5", "-9999999", "-.1234567"};
  for (int lead = 0; lead < 3; ++lead) {
    for (const char* a : zeros) {
      for (const char* b : zeros) {
        std::string row;
        for (int k = 0; k < lead; ++k) row += "3,";
        row += std::string(a) + "," + b;
        buf = std::string(8, ' ') + row + "\n" + std::string(80, ' ');
        CAPTURE(row);
        REQUIRE(detail::text::scan_comma_row64(buf.data() + 8, f, 16, n, next));
        REQUIRE(n == static_cast<std::size_t>(lead + 2));
        CHECK(test::same_bits(f[lead], detail::text::parse_finite_double(a, "x", 1, 0)));
        CHECK(test::same_bits(f[lead + 1], detail::text::parse_finite_double(b, "x", 1, 1)));
        CHECK(std::signbit(f[lead + 1]) == (b[0] == '-'));
      }
    }
  }
}

TEST_CASE("mot format: the fast paths accept what the general path accepts, with the same bits and messages") {
  // A space after every comma sends every row through the general path (split, trim,
  // parse_finite_double); the fast paths must give the same rows, or the same message.
  std::mt19937_64 rng(77);
  int errors = 0, rows = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = random_mot_text(rng, 1 + static_cast<int>(rng() % 40));
    std::string spaced;
    for (const char c : text) {
      spaced += c;
      if (c == ',') spaced += ' ';
    }
    for (const MotFileKind kind : {MotFileKind::ground_truth, MotFileKind::tracker, MotFileKind::detections}) {
      CAPTURE(text);
      const Parsed a = parsed([&] { return parse_mot(text, kind, "f.txt"); });
      const Parsed b = parsed([&] { return parse_mot(spaced, kind, "f.txt"); });
      REQUIRE(a.error == b.error);
      check_same_rows(a.rows, b.rows);
      errors += !a.error.empty();
      rows += static_cast<int>(a.rows.size());
    }
  }
  CHECK(errors > 500);  // both kinds of outcome are exercised
  CHECK(rows > 10000);
}

TEST_CASE("mot format: parse_mot_blocks gives parse_mot's rows and messages at any block border") {
  std::mt19937_64 rng(4242);
  MotRows reused;
  for (int i = 0; i < 1500; ++i) {
    std::string text = random_mot_text(rng, 1 + static_cast<int>(rng() % 30));
    if (i % 10 == 0) text += std::string(300, ' ') + "\n2,1,0,0,1,1,1\n";  // a line longer than small blocks
    const MotFileKind kind = i % 2 ? MotFileKind::tracker : MotFileKind::ground_truth;
    const Parsed whole = parsed([&] { return parse_mot(text, kind, "f.txt"); });
    const std::size_t block = 1 + rng() % 200, most = 1 + rng() % 300;
    std::size_t at = 0;
    auto read = [&](char* dst, std::size_t n) {  // hands out at most `most` bytes a call, like a pipe
      const std::size_t k = std::min({n, most, text.size() - at});
      std::memcpy(dst, text.data() + at, k);
      at += k;
      return k;
    };
    CAPTURE(text);
    CAPTURE(block);
    // Into storage that still holds the previous text's rows (or was left empty by its error).
    const Parsed blocks = parsed([&] {
      detail::parse_mot_blocks(read, text.size(), kind, "f.txt", block, reused);
      return reused;
    });
    REQUIRE(blocks.error == whole.error);
    check_same_rows(blocks.rows, whole.rows);
    if (!blocks.error.empty()) check_empty(reused);
  }
}

TEST_CASE("mot format: read_mot reads a file larger than its block as parse_mot reads the text") {
  std::mt19937_64 rng(5);
  std::string text;
  while (text.size() < 300000) {
    text += std::to_string(1 + rng() % 900) + "," + std::to_string(rng() % 50) + ",";
    text += std::to_string(rng() % 2000) + "." + std::to_string(rng() % 100) + ",12.5,40,80.25,0.87654,-1,-1,-1\n";
  }
  const std::string path = "mot_format_big_test.txt";
  {
    std::ofstream f(path, std::ios::binary);
    f << "\xEF\xBB\xBF" << text;
  }
  const MotRows from_file = read_mot(path, MotFileKind::tracker);
  const std::string back = read_text_file(path);
  std::remove(path.c_str());
  CHECK(back == "\xEF\xBB\xBF" + text);
  check_same_rows(from_file, parse_mot(text, MotFileKind::tracker, path));
  CHECK(from_file.size() > 5000);
}

TEST_CASE("mot format: read_text_file keeps its messages, sizes and the unknown-size case") {
  CHECK_THROWS_WITH_AS(read_text_file("/nonexistent/x.txt"), "/nonexistent/x.txt: cannot open file", parse_error);
  CHECK_THROWS_WITH_AS(read_text_file("."), ".: is a directory, not a file", parse_error);
  const std::string path = "mot_read_file_test.txt";
  for (const std::size_t size : {std::size_t(0), std::size_t(1), std::size_t(65536), std::size_t(65537), std::size_t(200003)}) {
    std::string text(size, 'x');
    for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + i % 26);
    {
      std::ofstream f(path, std::ios::binary);
      f << text;
    }
    CHECK(read_text_file(path) == text);
    if (size > 10)
      CHECK_THROWS_WITH_AS(read_text_file(path, 10),
                           (path + ": file is " + std::to_string(size) + " bytes, more than the limit of 10").c_str(),
                           parse_error);
  }
  std::remove(path.c_str());
  // /proc files have no size (like pipes): read in blocks, the limit enforced as they come.
  std::ifstream proc("/proc/self/cmdline", std::ios::binary);
  if (proc) {
    const std::string expected((std::istreambuf_iterator<char>(proc)), std::istreambuf_iterator<char>());
    CHECK(read_text_file("/proc/self/cmdline") == expected);
    CHECK_THROWS_WITH_AS(read_text_file("/proc/self/cmdline", 1), "/proc/self/cmdline: more than the limit of 1 bytes",
                         parse_error);
  }
}

TEST_CASE("mot format: read_mot and parse_mot into reused storage give a fresh read's rows; errors leave it empty") {
  // A long file, a shorter one with other values and layouts (GT rows with 9 fields, a general-path
  // row, a BOM), then the long one again: each read into the same MotRows equals a fresh read.
  std::mt19937_64 rng(99);
  std::string long_text, short_text = "\xEF\xBB\xBF";
  for (int i = 0; i < 40000; ++i)
    long_text += std::to_string(1 + i / 30) + "," + std::to_string(i % 30) + "," + std::to_string(rng() % 1900) + "." +
                 std::to_string(rng() % 100) + ",563.5,62,153,0.61234,-1,-1,-1\n";
  for (int i = 0; i < 700; ++i)
    short_text += std::to_string(1 + i / 7) + "," + std::to_string(i % 7) + ",1151,563,62,153,1,1,0.59375\n";
  short_text += "9, 3, 1e1, 2, 3, 4, 1, 7\n";
  const std::string long_path = "mot_reuse_long_test.txt", short_path = "mot_reuse_short_test.txt",
                    bad_path = "mot_reuse_bad_test.txt";
  for (const auto& [path, text] : {std::pair<std::string, std::string>{long_path, long_text}, {short_path, short_text},
                                   {bad_path, short_text + "10,1,0,0,-1,1,1,1\n"}}) {
    std::ofstream f(path, std::ios::binary);
    f << text;
  }
  const MotFileKind GT = MotFileKind::ground_truth;
  MotRows rows;
  read_mot(long_path, GT, rows);
  check_same_rows(rows, read_mot(long_path, GT));
  CHECK(rows.size() == 40000);
  const std::size_t capacity = rows.frame.capacity();
  read_mot(short_path, GT, rows);
  check_same_rows(rows, read_mot(short_path, GT));
  CHECK(rows.size() == 701);
  CHECK(rows.frame.capacity() == capacity);  // refilled, not reallocated
  CHECK(rows.line.back() == 701);            // line numbers start again
  read_mot(long_path, GT, rows);
  check_same_rows(rows, read_mot(long_path, GT));
  // A malformed row, a missing file, malformed text: the message of a fresh read, `rows` left empty.
  CHECK_THROWS_WITH_AS(read_mot(bad_path, GT, rows), (bad_path + ":702: negative box size (w = -1, h = 1)").c_str(),
                       parse_error);
  check_empty(rows);
  read_mot(short_path, GT, rows);
  CHECK_THROWS_WITH_AS(read_mot("/nonexistent/x.txt", GT, rows), "/nonexistent/x.txt: cannot open file", parse_error);
  check_empty(rows);
  read_mot(short_path, GT, rows);
  CHECK_THROWS_WITH_AS(parse_mot("1,1,0,0,1,1,1,1\n1,2,0,x,1,1,1,1\n", GT, "t", rows), "t:2: field 4 ('x') is not a number",
                       parse_error);
  check_empty(rows);
  parse_mot(short_text, GT, "s", rows);
  check_same_rows(rows, read_mot(short_path, GT));
  parse_mot("", GT, "s", rows);
  check_empty(rows);
  for (const std::string& path : {long_path, short_path, bad_path}) std::remove(path.c_str());
}

TEST_CASE("mot format: long texts give, row for row, what each line parsed alone gives") {
  // Rows go to MotRows in batches: thousands of rows (fast-path and general-path rows mixed,
  // blank lines, CRLF) must come out in file order with their own line numbers, whether parsed
  // whole, in blocks of any size, or line by line (where no batch holds more than one row).
  std::mt19937_64 rng(2026);
  for (int round = 0; round < 6; ++round) {
    const MotFileKind kind = round % 2 ? MotFileKind::tracker : MotFileKind::ground_truth;
    std::string text;
    MotRows expected;
    std::size_t line_no = 0;
    for (int i = 0; i < 2500; ++i) {
      ++line_no;
      const int variant = static_cast<int>(rng() % 12);
      if (variant == 0) {
        text += "\n";
        continue;
      }
      const std::string sep = variant == 1 ? ", " : variant == 2 ? " " : ",";
      std::string line = std::to_string(1 + rng() % 900) + sep + std::to_string(rng() % 5000);
      for (int k = 0; k < 4; ++k) line += sep + std::to_string(rng() % 3000) + "." + std::to_string(rng() % 1000);
      line += sep + (variant == 3 ? "1e-1" : "0." + std::to_string(rng() % 100000));
      line += kind == MotFileKind::ground_truth ? sep + std::to_string(rng() % 12) + sep + "0.5"
                                                      : sep + "-1" + sep + "-1" + sep + "-1";
      text += line + (variant == 4 ? "\r\n" : "\n");
      const MotRows one = parse_mot(line, kind, "f.txt");
      REQUIRE(one.size() == 1);
      expected.frame.push_back(one.frame[0]);
      expected.id.push_back(one.id[0]);
      expected.boxes.insert(expected.boxes.end(), one.boxes.begin(), one.boxes.end());
      expected.confidence.push_back(one.confidence[0]);
      expected.class_id.push_back(one.class_id[0]);
      expected.visibility.push_back(one.visibility[0]);
      expected.line.push_back(static_cast<std::uint32_t>(line_no));
      expected.num_fields.push_back(one.num_fields[0]);
    }
    check_same_rows(parse_mot(text, kind, "f.txt"), expected);
    const std::size_t block = 64 + rng() % 5000;
    std::size_t at = 0;
    MotRows blocks;
    detail::parse_mot_blocks(
        [&](char* dst, std::size_t n) {
          const std::size_t k = std::min(n, text.size() - at);
          std::memcpy(dst, text.data() + at, k);
          at += k;
          return k;
        },
        text.size(), kind, "f.txt", block, blocks);
    check_same_rows(blocks, expected);
  }
}
