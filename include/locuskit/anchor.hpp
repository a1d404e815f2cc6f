#pragma once
/// \file anchor.hpp
/// Every public header of include/locuskit/anchor/: grid anchors (torchvision, detectron2, mmdet,
/// RetinaNet octaves, YOLO shapes), SSD priors, anchor-free points, inside flags, k-means anchors.
#include "anchor/grid_anchors.hpp"
#include "anchor/kmeans.hpp"
#include "anchor/ssd_priors.hpp"
