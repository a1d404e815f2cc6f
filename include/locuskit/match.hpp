#pragma once
/// \file match.hpp
/// Every public header of include/locuskit/match/ (filled in by its issue).
