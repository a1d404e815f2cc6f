#pragma once
/// \file locuskit.hpp
/// Umbrella header: includes every public header (one umbrella per area). Convenient, never required.
#include "config.hpp"
#include "error.hpp"
#include "parallel.hpp"
#include "simd/dispatch.hpp"
#include "box.hpp"
#include "nms.hpp"
#include "anchor.hpp"
#include "coder.hpp"
#include "match.hpp"
#include "eval.hpp"
#include "pose.hpp"
#include "mask.hpp"
#include "roi.hpp"
#include "nms/iou_guided_nms.hpp"
#include "rotated.hpp"
