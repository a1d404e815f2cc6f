// Python bindings for the match area (filled in by its issue).
#include "arrays.hpp"

namespace locuskit::python {
void bind_match(py::module_& m) { (void)m; }
}  // namespace locuskit::python
