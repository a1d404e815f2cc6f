#pragma once
/// \file pose.hpp
/// Every public header of include/locuskit/pose/: SO(3), SE(3), Sim(3) and their batched
/// operations. Trajectory files, association, alignment, APE/RPE and the KITTI odometry metric
/// live in the `traj` area (locuskit/traj.hpp).
#include <locuskit/pose/batch.hpp>
#include <locuskit/pose/se3.hpp>
#include <locuskit/pose/sim3.hpp>
#include <locuskit/pose/so3.hpp>
