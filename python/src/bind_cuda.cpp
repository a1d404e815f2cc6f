// Python bindings for the cuda area (filled in by its issue).
#include "arrays.hpp"

namespace locuskit::python {
void bind_cuda(py::module_& m) { (void)m; }
}  // namespace locuskit::python
