// Exception translation for all of locuskit._core (see errors.hpp).
#include "errors.hpp"

#include <pybind11/pybind11.h>

#include <locuskit/error.hpp>
#include <locuskit/eval/coco_json.hpp>

namespace py = pybind11;

namespace locuskit::python {

void register_exception_translators() {
  // Derived types first: all three derive from std::invalid_argument (pybind11's ValueError).
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const locuskit::type_error& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const coco_missing_field& e) {
      PyErr_SetString(PyExc_KeyError, e.what());
    } catch (const coco_results_mismatch& e) {
      PyErr_SetString(PyExc_AssertionError, e.what());
    }
  });
}

}  // namespace locuskit::python
