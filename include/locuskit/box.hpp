#pragma once
/// \file box.hpp
/// Box geometry: every public header of include/locuskit/box/.
#include "box/geometry.hpp"
#include "box/iou.hpp"
#include "box/iou_reduce.hpp"
#include "box/validate.hpp"
