// Python bindings for the anchor area (filled in by its issue).
#include "arrays.hpp"

namespace locuskit::python {
void bind_anchor(py::module_& m) { (void)m; }
}  // namespace locuskit::python
