#pragma once
/// \file nms.hpp
/// Every public header of include/locuskit/nms/: the NMS family.
#include "nms/iou_rule.hpp"
#include "nms/overlap.hpp"
#include "nms/workspace.hpp"
#include "nms/io.hpp"
#include "nms/nms.hpp"
#include "nms/batched_nms.hpp"
#include "nms/soft_nms.hpp"
#include "nms/diou_nms.hpp"
#include "nms/fast_nms.hpp"
#include "nms/matrix_nms.hpp"
#include "nms/weighted_nms.hpp"
#include "nms/weighted_boxes_fusion.hpp"
#include "nms/multiclass_nms.hpp"
#include "nms/iou_guided_nms.hpp"
#include "nms/rotated_nms.hpp"
