#pragma once
/// \file track.hpp
/// Every public header of include/locuskit/track/: Kalman filters in ByteTrack's and SORT's state
/// conventions, association costs and thresholded assignment, the ByteTrack and SORT trackers.
#include "track/association.hpp"
#include "track/byte_tracker.hpp"
#include "track/kalman_xyah.hpp"
#include "track/kalman_xysr.hpp"
#include "track/mot_sequence.hpp"
#include "track/run_sequence.hpp"
#include "track/sort_tracker.hpp"
#include "track/tracked_box.hpp"
