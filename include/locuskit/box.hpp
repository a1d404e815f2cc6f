#pragma once
/// \file box.hpp
/// Box geometry: every public header of include/locuskit/box/.
#include "box/aligned.hpp"
#include "box/area.hpp"
#include "box/clip.hpp"
#include "box/convert.hpp"
#include "box/filter.hpp"
#include "box/geometry.hpp"
#include "box/iou.hpp"
#include "box/iou_family.hpp"
#include "box/iou_reduce.hpp"
#include "box/loss.hpp"
#include "box/validate.hpp"
