// KITTI label_2 parser (box3d/kitti_label.hpp): fields, classes, and errors naming file and line.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <locuskit/box3d/kitti_label.hpp>

using namespace locuskit;

namespace {
const char* kGt =
    "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59\n"
    "\n"
    "DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10\r\n"
    "person_SITTING\t0.5 2 0.1 1 2 3 4.5 1.5 0.6 0.8 1 2 3 0.25\n";

std::string error_of(const std::string& text) {
  KittiObjects o;
  try {
    parse_kitti_label(text, "lbl/000007.txt", o);
  } catch (const parse_error& e) {
    CHECK(o.size() == 0);  // unchanged on error
    CHECK(o.frames() == 0);
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("kitti_label: fields, classes, DontCare, blank lines and CRLF") {
  KittiObjects o;
  parse_kitti_label(kGt, "gt.txt", o);
  REQUIRE(o.frames() == 1);
  REQUIRE(o.size() == 3);
  CHECK(o.name[0] == "Car");
  CHECK(o.cls[0] == KittiClass::car);
  CHECK(o.cls[1] == KittiClass::other);
  CHECK(o.dontcare[1] == 1);
  CHECK(o.dontcare[0] == 0);
  CHECK(o.cls[2] == KittiClass::person_sitting);  // case-insensitive, tab-separated
  CHECK(o.occluded[2] == 2);
  CHECK(o.truncated[2] == 0.5);
  CHECK(o.bbox[4 * 2 + 3] == 4.5);
  CHECK(o.dimensions[0] == 1.65);  // h w l as written
  CHECK(o.dimensions[2] == 3.64);
  CHECK(o.location[2] == 46.70);
  CHECK(o.rotation_y[0] == -1.59);
  CHECK(o.score[0] == 0.0);  // first line has 15 fields: no score column
  CHECK(o.frame_has_score[0] == 0);
  // a second frame with scores
  parse_kitti_label("Pedestrian -1 -1 0.2 1 2 3 4 1 1 1 1 1 1 0.5 0.875\n", "det.txt", o);
  REQUIRE(o.frames() == 2);
  CHECK(o.frame_begin[1] == 3);
  CHECK(o.frame_begin[2] == 4);
  CHECK(o.score[3] == 0.875);
  CHECK(o.frame_has_score[1] == 1);
  // an empty file is a frame without objects
  parse_kitti_label("", "empty.txt", o);
  CHECK(o.frames() == 3);
  CHECK(o.frame_begin[3] == 4);
}

TEST_CASE("kitti_label: malformed lines raise parse_error naming file and line") {
  const std::string ok = "Car 0 0 0 1 2 3 4 1 1 1 1 1 1 0\n";
  CHECK(error_of(ok + "Car 0 0 0 1 2 3 4 1 1 1 1 1 1\n").find("lbl/000007.txt:2: expected 15 fields") == 0);
  CHECK(error_of(ok + "Car 0 0 0 1 2 3 4 1 1 1 1 1 1 0 0.5\n").find("lbl/000007.txt:2: expected 15 fields like the file's first line, got 16") == 0);
  CHECK(error_of("Car x 0 0 1 2 3 4 1 1 1 1 1 1 0\n").find("lbl/000007.txt:1: truncated: 'x' is not a number") == 0);
  CHECK(error_of("\n\nCar 0 0 0 1 2 3 nan 1 1 1 1 1 1 0\n").find("lbl/000007.txt:3: y2: 'nan' is not finite") == 0);
  CHECK(error_of("Car 0 0 0 1 2 3 4 1 1 1 1 1 1 inf\n").find("rotation_y: 'inf' is not finite") != std::string::npos);
  CHECK(error_of("Car 0 0.5 0 1 2 3 4 1 1 1 1 1 1 0\n").find("occluded: '0.5' is not a 32-bit integer") != std::string::npos);
  CHECK(error_of("Car 0 99999999999 0 1 2 3 4 1 1 1 1 1 1 0\n").find("occluded") != std::string::npos);
  CHECK(error_of("Car 0 0 0 1 2 3 4 1 1 1 1 1 1 0 0.5x\n").find("score: '0.5x' is not a number") != std::string::npos);
}

TEST_CASE("kitti_label: read_kitti_label_files names a missing file; thread count does not matter") {
  const std::string dir = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
  std::vector<std::string> paths;
  for (int f = 0; f < 40; ++f) {
    const std::string p = dir + "/locuskit_kitti_label_" + std::to_string(f) + ".txt";
    std::FILE* fp = std::fopen(p.c_str(), "wb");
    REQUIRE(fp);
    for (int k = 0; k < f % 5; ++k) std::fprintf(fp, "Car 0 0 0 %d 2 3 4 1 1 1 1 1 1 0 0.%d\n", f, k + 1);
    std::fclose(fp);
    paths.push_back(p);
  }
  const KittiObjects one = read_kitti_label_files(paths, Parallel{1});
  const KittiObjects four = read_kitti_label_files(paths, Parallel{4});
  CHECK(one.frames() == 40);
  CHECK(one.frame_begin == four.frame_begin);
  CHECK(one.bbox == four.bbox);
  CHECK(one.score == four.score);
  paths.push_back(dir + "/locuskit_no_such_file.txt");
  try {
    (void)read_kitti_label_files(paths, Parallel{2});
    FAIL("expected parse_error");
  } catch (const parse_error& e) {
    CHECK(std::string(e.what()).find("locuskit_no_such_file.txt: cannot be opened") != std::string::npos);
  }
  for (std::size_t f = 0; f + 1 < paths.size(); ++f) std::remove(paths[f].c_str());
}
