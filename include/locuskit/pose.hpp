#pragma once
/// \file pose.hpp
/// Every public header of include/locuskit/pose/: SO(3), SE(3), Sim(3), batched operations,
/// trajectory files, association, alignment, APE/RPE and the KITTI odometry metric.
#include <locuskit/pose/alignment.hpp>
#include <locuskit/pose/association.hpp>
#include <locuskit/pose/batch.hpp>
#include <locuskit/pose/kitti_metric.hpp>
#include <locuskit/pose/se3.hpp>
#include <locuskit/pose/sim3.hpp>
#include <locuskit/pose/so3.hpp>
#include <locuskit/pose/trajectory_io.hpp>
#include <locuskit/pose/trajectory_metrics.hpp>
