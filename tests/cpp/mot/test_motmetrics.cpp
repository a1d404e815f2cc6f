// py-motmetrics conventions on hand-checked sequences: forced continuation from any earlier frame,
// fragmentations, MT at >= 0.8, loadtxt's confidence filters, MOTP as a distance, NaN on 0/0.
// (Parity with py-motmetrics' own outputs on every reference case: tests/python/test_mot_motmetrics.py.)
#include <cmath>

#include <locuskit/mot/clear.hpp>
#include <locuskit/mot/motmetrics.hpp>

#include "test_support.hpp"

using namespace locuskit;

TEST_CASE("mot motmetrics: the last match from any earlier frame is forced, unlike TrackEval") {
  // GT 1 in frames 1-3. Tracker 1 on it in frame 1; frame 2 only a far-away box (GT missed, the
  // frame is processed by TrackEval, so its previous-step match is reset); frame 3 tracker 1 at
  // IoU 0.6 and tracker 2 at IoU 1.
  const MotRows gt = parse_mot("1,1,0,0,10,10,1,1,1\n2,1,0,0,10,10,1,1,1\n3,1,0,0,10,10,1,1,1\n",
                               MotFileKind::ground_truth, "gt");
  const MotRows trk = parse_mot("1,1,0,0,10,10,1\n2,3,50,50,10,10,1\n3,1,0,0,6,10,1\n3,2,0,0,10,10,1\n",
                                MotFileKind::tracker, "t");
  const MotmetricsResult m = motmetrics_sequence(gt, trk, 3);
  CHECK(m.num_detections == 2);
  CHECK(m.num_switches == 0);  // tracker 1 is re-matched first
  CHECK(m.num_false_positives == 2);
  CHECK(m.num_misses == 1);
  CHECK(m.num_fragmentations == 1);  // tracked, missed, tracked
  CHECK(m.partially_tracked == 1);   // 2/3
  CHECK(m.motp == (0.0 + (1 - 0.6)) / 2);
  CHECK(m.mota == 1. - (1.0 + 0 + 2) / 3);
  CHECK(m.idtp == 2);  // GT 1 co-occurs with tracker 1 in frames 1 and 3
  const ClearResult c = clear_sequence(preprocess_mot_sequence(gt, trk, 3, {"MOT15", false}));
  CHECK(c.IDSW == 1);  // TrackEval takes tracker 2 (IoU 1) in frame 3
}

TEST_CASE("mot motmetrics: MT at ratio 0.8, confidence filters, empty sequence") {
  // GT 1 present in 5 frames, tracked in 4: mostly tracked (>= 0.8; TrackEval: > 0.8). A GT row
  // with flag 0.5 and a tracker row with confidence -2 are dropped by loadtxt.
  const MotRows gt = parse_mot("1,1,0,0,10,10,1,1,1\n2,1,0,0,10,10,1,1,1\n3,1,0,0,10,10,1,1,1\n"
                               "4,1,0,0,10,10,1,1,1\n5,1,0,0,10,10,1,1,1\n6,2,0,0,10,10,0.5,1,1\n",
                               MotFileKind::ground_truth, "gt");
  const MotRows trk = parse_mot("1,1,0,0,10,10,1\n2,1,0,0,10,10,1\n3,1,0,0,10,10,-2\n4,1,0,0,10,10,1\n5,1,0,0,10,10,1\n",
                                MotFileKind::tracker, "t");
  const MotmetricsResult m = motmetrics_sequence(gt, trk, 6);
  CHECK(m.num_objects == 5);
  CHECK(m.num_predictions == 4);
  CHECK(m.mostly_tracked == 1);
  CHECK(m.num_unique_objects == 1);
  CHECK(m.num_frames == 5);  // frame 6 has no kept row
  CHECK(m.num_fragmentations == 1);
  CHECK(m.num_switches == 0);
  CHECK(m.idf1 == 2. * 4 / (5 + 4));
  const MotRows none = parse_mot("", MotFileKind::tracker, "t");
  const MotmetricsResult e = motmetrics_sequence(none, none, 3);
  CHECK(std::isnan(e.mota));  // 1 - 0/0
  CHECK(std::isnan(e.motp));
  CHECK(e.num_frames == 0);
}
