// Validation shared by the pose and traj bindings: batches of fixed-shape rows and finiteness.
#pragma once
#include <cmath>
#include <string>

#include "arrays.hpp"

namespace locuskit::python {

/// Array of dtype T with trailing shape `tail` (leading dimension N), C-contiguous.
template <class T>
inline const T* batch_data(const py::array& a, const char* name, std::initializer_list<py::ssize_t> tail,
                           const char* expected, std::size_t& n, const char* relative_to = nullptr) {
  require_dtype<T>(a, name, relative_to);
  bool ok = a.ndim() == static_cast<py::ssize_t>(tail.size() + 1);
  py::ssize_t d = 1;
  for (auto it = tail.begin(); ok && it != tail.end(); ++it, ++d)
    if (a.shape(d) != *it) ok = false;
  if (!ok) throw std::invalid_argument(std::string(name) + ": expected shape " + expected + ", got " + shape_str(a));
  require_contiguous(a, name);
  n = static_cast<std::size_t>(a.shape(0));
  return static_cast<const T*>(a.data());
}

template <class T>
inline void check_finite(const T* p, std::size_t count, const char* name, std::size_t per) {
  for (std::size_t i = 0; i < count; ++i)
    if (!std::isfinite(p[i]))
      throw std::invalid_argument(std::string(name) + "[" + std::to_string(i / per) + "]: contains NaN or Inf");
}

}  // namespace locuskit::python
