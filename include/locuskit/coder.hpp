#pragma once
/// \file coder.hpp
/// Every public header of include/locuskit/coder/: Faster R-CNN / mmdet / SSD deltas, distance
/// (ltrb) coding, YOLO v3/v5/v8 decoding, CenterNet decoding.
#include "coder/centernet.hpp"
#include "coder/delta_xywh.hpp"
#include "coder/distance.hpp"
#include "coder/yolo.hpp"
