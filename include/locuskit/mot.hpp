#pragma once
/// \file mot.hpp
/// Every public header of include/locuskit/mot/: MOTChallenge files and TrackEval-exact MOT metrics
/// (preprocessing, HOTA, CLEAR, Identity, Count, multi-sequence evaluation).
#include <locuskit/mot/clear.hpp>
#include <locuskit/mot/evaluate.hpp>
#include <locuskit/mot/format.hpp>
#include <locuskit/mot/hota.hpp>
#include <locuskit/mot/identity.hpp>
#include <locuskit/mot/motmetrics.hpp>
#include <locuskit/mot/preprocess.hpp>
