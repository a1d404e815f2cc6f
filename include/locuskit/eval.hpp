#pragma once
/// \file eval.hpp
/// Every public header of include/locuskit/eval/ (filled in by its issue).
