#include <locuskit/track/sort_tracker.hpp>

#include <stdexcept>
#include <vector>

#include "test_support.hpp"

using namespace locuskit::track;

namespace {
void add(std::vector<double>& d, double x, double y) { d.insert(d.end(), {x, y, x + 40, y + 100, 1.0}); }
std::vector<std::int64_t> ids(const std::vector<TrackedBox>& t) {
  std::vector<std::int64_t> r;
  for (const auto& b : t) r.push_back(b.id);
  return r;
}
using Ids = std::vector<std::int64_t>;
}  // namespace

// Expected ids follow sort.py's rules (notes §10), worked out by hand.
TEST_CASE("SortTracker: min_hits, max_age, newest first") {
  SortTracker st;  // max_age 1, min_hits 3, IoU 0.3
  std::vector<double> d;
  add(d, 100, 100);
  add(d, 400, 100);
  CHECK(ids(st.update(d.data(), 2)) == Ids{2, 1});  // first min_hits frames: reported at once
  for (int f = 2; f <= 4; ++f) {
    d.clear();
    add(d, 100 + f, 100);
    add(d, 400 + f, 100);
    if (f == 4) add(d, 800, 300);  // a new object: id 3, reported after 3 consecutive hits
    CHECK(ids(st.update(d.data(), d.size() / 5)) == Ids{2, 1});
  }
  for (int f = 5; f <= 7; ++f) {
    d.clear();
    add(d, 100 + f, 100);
    add(d, 400 + f, 100);
    add(d, 800, 300);
    CHECK(ids(st.update(d.data(), 3)) == (f < 7 ? Ids{2, 1} : Ids{3, 2, 1}));
  }
  // Object 1 missed once (max_age 1 keeps the track, unreported); back next frame, it needs
  // min_hits hits again.
  d.clear();
  add(d, 408, 100);
  add(d, 800, 300);
  CHECK(ids(st.update(d.data(), 2)) == Ids{3, 2});
  d.clear();
  add(d, 109, 100);
  add(d, 409, 100);
  add(d, 800, 300);
  CHECK(ids(st.update(d.data(), 3)) == Ids{3, 2});
  // Object 3 missed twice: its track dies, it comes back as id 4.
  for (int f = 0; f < 2; ++f) {
    d.clear();
    add(d, 110, 100);
    add(d, 410, 100);
    st.update(d.data(), 2);
  }
  d.clear();
  add(d, 110, 100);
  add(d, 410, 100);
  add(d, 800, 300);
  CHECK(ids(st.update(d.data(), 3)) == Ids{2, 1});
  SortConfig one;
  one.min_hits = 1;
  SortTracker quick(one);
  CHECK(ids(quick.update(d.data(), 3)) == Ids{3, 2, 1});
  CHECK(quick.update(static_cast<const double*>(nullptr), 0).empty());
}

TEST_CASE("SortTracker: ambiguous overlaps go through the assignment") {
  SortConfig cfg;
  cfg.min_hits = 0;
  SortTracker st(cfg);
  std::vector<double> d;
  add(d, 100, 100);
  add(d, 110, 100);  // two overlapping objects: IoU > 0.3 both ways next frame
  st.update(d.data(), 2);
  d.clear();
  add(d, 111, 100);
  add(d, 101, 100);
  const auto out = st.update(d.data(), 2);
  REQUIRE(out.size() == 2);
  // Each detection goes to the track it overlaps most (det 0 at 111 -> track 2 at 110).
  CHECK(out[0].id == 2);
  CHECK(out[0].x1 == doctest::Approx(111).epsilon(0.01));
  CHECK(out[1].id == 1);
  const double bad[5] = {0, 10, 5, 5, 1};
  CHECK_THROWS_AS(st.update(bad, 1), std::invalid_argument);
}
