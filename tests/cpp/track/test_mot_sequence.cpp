#include <locuskit/track/byte_tracker.hpp>
#include <locuskit/track/mot_sequence.hpp>
#include <locuskit/track/sort_tracker.hpp>

#include <string>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE("track_mot_rows: det rows in, tlwh result rows out, every frame passed") {
  // Two objects; frame 2 has no detections (SORT with max_age 1 keeps both, unreported there).
  const std::string text =
      "1,-1,10,20,40,100,0.9,-1,-1,-1\n"
      "1,-1,300,20,40,100,0.8,-1,-1,-1\n"
      "3,-1,12,20,40,100,0.9,-1,-1,-1\n"
      "3,-1,302,20,40,100,0.8,-1,-1,-1\n";
  const MotRows dets = parse_mot(text, MotFileKind::detections, "d.txt");
  track::SortConfig cfg;
  cfg.min_hits = 1;
  track::SortTracker st(cfg);
  const MotRows out = track::track_mot_rows(st, dets, "d.txt");
  REQUIRE(out.size() == 4);  // frame 1: both (new); frame 3: both (matched again)
  CHECK(out.frame[0] == 1);
  CHECK(out.id[0] == 2);  // newest first, as sort.py
  CHECK(out.boxes[0] == doctest::Approx(300));
  CHECK(out.boxes[2] == doctest::Approx(40));  // width, not x2
  CHECK(out.boxes[3] == doctest::Approx(100));
  CHECK(out.confidence[0] == doctest::Approx(0.8));
  CHECK(out.frame[2] == 3);
  CHECK(st.frame_count() == 3);
  const std::string written = format_mot(out, MotFileKind::tracker);
  CHECK(written.rfind("1,2,300,20,40,100,0.8,-1,-1,-1\n", 0) == 0);
}

TEST_CASE("track_mot_rows: frames out of order and beyond the sequence name file and line") {
  const std::string text =
      "\n"
      "2,-1,10,20,40,100,0.9,-1,-1,-1\n"
      "1,-1,10,20,40,100,0.9,-1,-1,-1\n";
  const MotRows dets = parse_mot(text, MotFileKind::detections, "dets.txt");
  track::ByteTracker bt;
  try {
    track::track_mot_rows(bt, dets, "dets.txt");
    FAIL("expected a parse_error");
  } catch (const parse_error& e) {
    CHECK(std::string(e.what()) ==
          "dets.txt:3: frame 1 after frame 2 (frames out of order; rows must be grouped by increasing frame)");
  }
  const MotRows ok = parse_mot("5,-1,1,1,4,4,0.9\n", MotFileKind::detections, "d.txt");
  CHECK_THROWS_WITH_AS(track::track_mot_rows(bt, ok, "d.txt", 3), "d.txt:1: frame 5 is beyond the sequence length 3",
                       parse_error);
  CHECK_THROWS_AS(parse_mot("1,-1,1,1,-4,4,0.9\n", MotFileKind::detections, "d.txt"), parse_error);
  CHECK_THROWS_AS(parse_mot("1,-1,1,1,4,4,nan\n", MotFileKind::detections, "d.txt"), parse_error);
}
