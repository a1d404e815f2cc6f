// MOTChallenge text reader/writer: TrackEval's accepted syntax, errors naming file and line, round trip.
#include <locuskit/mot/format.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

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
