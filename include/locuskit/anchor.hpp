#pragma once
/// \file anchor.hpp
/// Every public header of include/locuskit/anchor/ (filled in by its issue).
