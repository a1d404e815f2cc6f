// Python bindings for the nms area (filled in by its issue).
#include "arrays.hpp"

namespace locuskit::python {
void bind_nms(py::module_& m) { (void)m; }
}  // namespace locuskit::python
