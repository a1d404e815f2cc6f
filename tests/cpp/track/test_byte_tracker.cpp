#include <locuskit/track/byte_tracker.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "test_support.hpp"

using namespace locuskit::track;

namespace {
// One detection row: a 40x100 box whose left edge is at x, top at y.
void add(std::vector<double>& d, double x, double y, double score) {
  d.insert(d.end(), {x, y, x + 40, y + 100, score});
}
std::vector<std::int64_t> ids(const std::vector<TrackedBox>& t) {
  std::vector<std::int64_t> r;
  for (const auto& b : t) r.push_back(b.id);
  return r;
}
using Ids = std::vector<std::int64_t>;
}  // namespace

// Expected ids follow ByteTrack's rules (notes §9), worked out by hand for this scene.
TEST_CASE("ByteTracker: confirmation, loss, re-identification, low-score rescue, removal") {
  ByteTrackConfig cfg;  // track_thresh 0.5, buffer 30, match 0.8
  ByteTracker bt(cfg);
  std::vector<double> d;
  // Frame 1: two objects; tracks started on frame 1 are confirmed at once.
  add(d, 100, 100, 0.9);
  add(d, 400, 100, 0.9);
  CHECK(ids(bt.update(d.data(), 2)) == Ids{1, 2});
  // Frames 2-5: both move 2 px per frame.
  for (int f = 2; f <= 5; ++f) {
    d.clear();
    add(d, 100 + 2 * (f - 1), 100, 0.9);
    add(d, 400 + 2 * (f - 1), 100, 0.9);
    const auto out = bt.update(d.data(), 2);
    REQUIRE(ids(out) == Ids{1, 2});
    CHECK(out[0].x1 == doctest::Approx(100 + 2 * (f - 1)).epsilon(0.01));
  }
  // Frame 6: object 2 missed -> lost; object 1 only seen with a low score -> kept by the second stage.
  d.clear();
  add(d, 110, 100, 0.3);
  CHECK(ids(bt.update(d.data(), 1)) == Ids{1});
  CHECK(bt.lost_ids() == Ids{2});
  // Frame 7: object 2 is back where its track predicts it: same id. A new object (score 0.9) starts
  // an unconfirmed track (id 3, not reported); a 0.55 detection (< track_thresh + 0.1) starts none.
  d.clear();
  add(d, 112, 100, 0.9);
  add(d, 412, 100, 0.9);
  add(d, 800, 300, 0.9);
  add(d, 1200, 300, 0.55);
  CHECK(ids(bt.update(d.data(), 4)) == Ids{1, 2});
  CHECK(bt.lost_ids().empty());
  // Frame 8: the new object's second hit confirms it (listed where it was born, before the
  // re-found id 2); the 0.55 object still has no track.
  d.clear();
  add(d, 114, 100, 0.9);
  add(d, 414, 100, 0.9);
  add(d, 800, 300, 0.9);
  add(d, 1200, 300, 0.55);
  CHECK(ids(bt.update(d.data(), 4)) == Ids{1, 3, 2});
  // Object 3 disappears for 31 frames (> track_buffer 30): its track is removed, a new id follows.
  for (int f = 9; f <= 39; ++f) {
    d.clear();
    add(d, 114, 100, 0.9);
    add(d, 414, 100, 0.9);
    bt.update(d.data(), 2);
  }
  CHECK(bt.lost_ids() == Ids{3});  // removed at frame 39, listed until the next frame (as ByteTrack)
  d.clear();
  add(d, 114, 100, 0.9);
  add(d, 414, 100, 0.9);
  CHECK(ids(bt.update(d.data(), 2)) == Ids{1, 2});
  CHECK(bt.lost_ids().empty());
  d.clear();
  add(d, 114, 100, 0.9);
  add(d, 414, 100, 0.9);
  add(d, 800, 300, 0.9);
  CHECK(ids(bt.update(d.data(), 3)) == Ids{1, 2});
  CHECK(bt.frame_id() == 41);
  CHECK(ids(bt.update(d.data(), 3)) == Ids{1, 2, 4});
}

TEST_CASE("ByteTracker: empty frames and invalid detections") {
  ByteTracker bt;
  CHECK(bt.update(static_cast<const double*>(nullptr), 0).empty());
  const double negative[5] = {10, 10, 5, 20, 0.9};
  CHECK_THROWS_AS(bt.update(negative, 1), std::invalid_argument);
  const double nan_score[5] = {0, 0, 10, 10, std::numeric_limits<double>::quiet_NaN()};
  CHECK_THROWS_AS(bt.update(nan_score, 1), std::invalid_argument);
  const float inf_box[5] = {0, 0, std::numeric_limits<float>::infinity(), 10, 0.9f};
  CHECK_THROWS_AS(bt.update(inf_box, 1), std::invalid_argument);
  ByteTrackConfig bad;
  bad.frame_rate = 0;
  CHECK_THROWS_AS(ByteTracker{bad}, std::invalid_argument);
}

TEST_CASE("ByteTracker: reset restarts ids") {
  ByteTracker bt;
  std::vector<double> d;
  add(d, 0, 0, 0.9);
  bt.update(d.data(), 1);
  bt.reset();
  CHECK(ids(bt.update(d.data(), 1)) == Ids{1});
}
