// Python bindings for the eval area (filled in by its issue).
#include "arrays.hpp"

namespace locuskit::python {
void bind_eval(py::module_& m) { (void)m; }
}  // namespace locuskit::python
