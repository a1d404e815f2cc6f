// Python bindings for the coder area (filled in by its issue).
#include "arrays.hpp"

namespace locuskit::python {
void bind_coder(py::module_& m) { (void)m; }
}  // namespace locuskit::python
