#pragma once
/// \file nms.hpp
/// Every public header of include/locuskit/nms/: the NMS family.
#include "nms/iou_rule.hpp"
#include "nms/workspace.hpp"
#include "nms/nms.hpp"
#include "nms/batched_nms.hpp"
