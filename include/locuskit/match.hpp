#pragma once
/// \file match.hpp
/// Every public header of include/locuskit/match/: max-IoU matchers (torchvision/detectron2
/// Matcher, SSDMatcher, mmdet MaxIoUAssigner), ATSS, linear assignment (Hungarian), DETR cost.
#include "match/atss.hpp"
#include "match/detr_cost.hpp"
#include "match/linear_assignment.hpp"
#include "match/matcher.hpp"
