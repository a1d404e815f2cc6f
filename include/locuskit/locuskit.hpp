#pragma once
/// \file locuskit.hpp
/// Umbrella header: includes every public header. Convenient, never required.
#include "config.hpp"
#include "error.hpp"
#include "parallel.hpp"
#include "simd/dispatch.hpp"
#include "box/geometry.hpp"
#include "box/iou.hpp"
#include "box/iou_reduce.hpp"
#include "box/validate.hpp"
