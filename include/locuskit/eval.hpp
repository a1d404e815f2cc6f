#pragma once
/// \file eval.hpp
/// Every public header of include/locuskit/eval/ that needs nothing beyond the core
/// dependencies. The JSON loaders (eval/coco_json.hpp, eval/lvis_json.hpp) need simdjson and are
/// included separately.
#include "eval/coco_eval.hpp"
#include "eval/coco_params.hpp"
#include "eval/confusion_matrix.hpp"
#include "eval/lrp.hpp"
#include "eval/lvis_eval.hpp"
#include "eval/numpy_sum.hpp"
#include "eval/openimages.hpp"
#include "eval/rle.hpp"
#include "eval/score_curves.hpp"
#include "eval/tide.hpp"
#include "eval/voc.hpp"
