#pragma once
/// \file mask.hpp
/// Every public header of include/locuskit/mask/ (COCO run-length encoded masks).
#include "mask/mask_iou.hpp"
#include "mask/polygon.hpp"
#include "mask/rle.hpp"
#include "mask/rle_string.hpp"
#include "mask/confusion_matrix.hpp"
#include "mask/distance_transform.hpp"
#include "mask/surface_distance.hpp"
