#pragma once
/// \file nms.hpp
/// Every public header of include/locuskit/nms/ (filled in by its issue).
