#pragma once
/// \file coder.hpp
/// Every public header of include/locuskit/coder/ (filled in by its issue).
