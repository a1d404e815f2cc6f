#pragma once
/// \file mot.hpp
/// Every public header of include/locuskit/mot/: MOTChallenge files and TrackEval-exact MOT metrics.
#include <locuskit/mot/format.hpp>
