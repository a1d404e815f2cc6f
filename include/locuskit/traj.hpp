#pragma once
/// \file traj.hpp
/// Every public header of include/locuskit/traj/: trajectory files (TUM, KITTI, EuRoC),
/// timestamp association, Umeyama alignment, APE/RPE with evo's definitions and statistics, and
/// the KITTI odometry devkit metric; evaluation.hpp runs a whole APE/RPE in one call.
#include <locuskit/traj/alignment.hpp>
#include <locuskit/traj/association.hpp>
#include <locuskit/traj/evaluation.hpp>
#include <locuskit/traj/kitti_metric.hpp>
#include <locuskit/traj/trajectory_io.hpp>
#include <locuskit/traj/trajectory_metrics.hpp>
