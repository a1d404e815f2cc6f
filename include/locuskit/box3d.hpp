#pragma once
/// \file box3d.hpp
/// Every public header of include/locuskit/box3d/: 3D boxes with a yaw (LiDAR and KITTI camera
/// conventions), BEV and 3D IoU, and the KITTI 3D object evaluation with its label-file parser.
#include "box3d/boxes3d.hpp"
#include "box3d/iou3d.hpp"
#include "box3d/kitti_eval.hpp"
#include "box3d/kitti_label.hpp"
#include "box3d/nms3d.hpp"
