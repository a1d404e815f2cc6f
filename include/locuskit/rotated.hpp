#pragma once
/// \file rotated.hpp
/// Rotated (oriented 2D) boxes: every public header of include/locuskit/rotated/.
#include "rotated/geometry.hpp"
#include "rotated/iou.hpp"
