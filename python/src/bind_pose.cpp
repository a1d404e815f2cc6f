// Python bindings for the pose area (filled in by its issue).
#include "arrays.hpp"

namespace locuskit::python {
void bind_pose(py::module_& m) { (void)m; }
}  // namespace locuskit::python
