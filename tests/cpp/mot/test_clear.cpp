// CLEAR MOT on hand-checked sequences: IDSW, Frag, MT/PT/ML, continuity across frames without rows.
#include <locuskit/mot/clear.hpp>
#include <locuskit/mot/identity.hpp>

#include <limits>
#include <stdexcept>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE("mot clear: an id switch, a fragment and a gap frame") {
  // One GT object over 5 frames; tracker id 1 in frames 1-2, nothing in 3, id 2 in 4-5.
  const MotRows gt = parse_mot("1,1,0,0,10,10,1,1,1\n2,1,0,0,10,10,1,1,1\n3,1,0,0,10,10,1,1,1\n"
                               "4,1,0,0,10,10,1,1,1\n5,1,0,0,10,10,1,1,1\n",
                               MotFileKind::ground_truth, "gt");
  const MotRows trk = parse_mot("1,1,0,0,10,10,1\n2,1,0,0,10,10,1\n4,2,0,0,10,10,1\n5,2,0,0,10,10,1\n",
                                MotFileKind::tracker, "t");
  const ClearResult r = clear_sequence(preprocess_mot_sequence(gt, trk, 5));
  CHECK(r.CLR_TP == 4);
  CHECK(r.CLR_FN == 1);
  CHECK(r.CLR_FP == 0);
  CHECK(r.IDSW == 1);
  // Frame 3 has no tracker rows: TrackEval skips it without resetting the previous-step match, so
  // the object is one fragment-continuing track: frag_count 1 -> Frag 0.
  CHECK(r.Frag == 0.0);
  CHECK(r.MT == 0);  // 4/5 = 0.8 is not > 0.8
  CHECK(r.PT == 1);
  CHECK(r.MOTA == (4.0 - 0 - 1) / 5.0);
  CHECK(r.MOTAL == (4.0 - 0.0) / 5.0);  // log10(1) = 0
  CHECK(r.CLR_Frames == 5);
}

TEST_CASE("mot clear: continuity beats a higher IoU") {
  // Frame 1: tracker 1 on the GT. Frame 2: tracker 1 at IoU 0.6, tracker 2 at IoU 1.
  const MotRows gt = parse_mot("1,1,0,0,10,10,1,1,1\n2,1,0,0,10,10,1,1,1\n", MotFileKind::ground_truth, "gt");
  const MotRows trk = parse_mot("1,1,0,0,10,10,1\n2,1,0,0,6,10,1\n2,2,0,0,10,10,1\n", MotFileKind::tracker, "t");
  const ClearResult r = clear_sequence(preprocess_mot_sequence(gt, trk, 2));
  CHECK(r.IDSW == 0);
  CHECK(r.CLR_TP == 2);
  CHECK(r.CLR_FP == 1);
  CHECK(r.MOTP_sum == 1.0 + 0.6);
}

TEST_CASE("mot clear: empty tracker gives TrackEval's early-return values") {
  const MotRows gt = parse_mot("1,1,0,0,10,10,1,1,1\n", MotFileKind::ground_truth, "gt");
  const ClearResult r = clear_sequence(preprocess_mot_sequence(gt, parse_mot("", MotFileKind::tracker, "t"), 3));
  CHECK(r.CLR_FN == 1);
  CHECK(r.ML == 1);
  CHECK(r.MLR == 1.0);
  CHECK(r.MOTA == 0.0);
  CHECK(r.CLR_Frames == 0);
}

TEST_CASE("mot clear/identity: a threshold that would admit zero IoUs is refused (only overlaps are listed)") {
  const MotRows gt = parse_mot("1,1,0,0,10,10,1,1,1\n", MotFileKind::ground_truth, "gt");
  const MotRows trk = parse_mot("1,5,50,50,10,10,1\n", MotFileKind::tracker, "t");
  const MotSequenceData d = preprocess_mot_sequence(gt, trk, 1);
  CHECK_THROWS_AS(clear_sequence(d, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(clear_sequence(d, std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  CHECK_THROWS_AS(identity_sequence(d, 0.0), std::invalid_argument);
  CHECK(clear_sequence(d, 0.3).CLR_FP == 1);
  CHECK(identity_sequence(d, 0.3).IDFP == 1);
}
