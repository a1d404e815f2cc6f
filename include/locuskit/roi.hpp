#pragma once
/// \file roi.hpp
/// Every public header of include/locuskit/roi/: RoI feature extraction (RoIAlign, RoIPool, PrRoIPool).
#include "roi/rois.hpp"
#include "roi/roi_align.hpp"
#include "roi/roi_pool.hpp"
#include "roi/prroi_pool.hpp"
