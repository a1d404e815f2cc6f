#pragma once
/// \file cuda/all.cuh
/// Every CUDA header of locuskit (include from a .cu file compiled by nvcc with -fmad=false).
#include "box_iou.cuh"
#include "multiclass_nms.cuh"
#include "multiclass_steps.cuh"
#include "nms.cuh"
#include "nms_common.cuh"
#include "nms_steps.cuh"
#include "prroi_pool.cuh"
#include "roi_align.cuh"
#include "segment_loop.cuh"
#include "segment_nms.cuh"
#include "validate.cuh"
#include "workspace.cuh"
#include "rotated_iou.cuh"
#include "rotated_nms.cuh"
