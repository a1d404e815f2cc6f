#pragma once
/// \file pose.hpp
/// Every public header of include/locuskit/pose/ (filled in by its issue).
