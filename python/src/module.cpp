// The only PYBIND11_MODULE: each area's bindings live in bind_<area>.cpp.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "errors.hpp"

namespace py = pybind11;

namespace locuskit::python {
void bind_core(py::module_& m);
void bind_box(py::module_& m);
void bind_nms(py::module_& m);
void bind_anchor(py::module_& m);
void bind_coder(py::module_& m);
void bind_match(py::module_& m);
void bind_eval(py::module_& m);
void bind_pose(py::module_& m);
void bind_traj(py::module_& m);
void bind_mask(py::module_& m);
void bind_cuda(py::module_& m);
void bind_roi(py::module_& m);
void bind_rotated(py::module_& m);
void bind_box3d(py::module_& m);
void bind_mot(py::module_& m);
void bind_track(py::module_& m);
}  // namespace locuskit::python

PYBIND11_MODULE(_core, m) {
  m.doc() = "locuskit compiled core (use the locuskit package, not this module directly)";
  locuskit::python::register_exception_translators();  // errors.cpp: the one translation unit
  using namespace locuskit::python;
  bind_core(m);
  bind_box(m);
  bind_nms(m);
  bind_anchor(m);
  bind_coder(m);
  bind_match(m);
  bind_eval(m);
  bind_pose(m);
  bind_traj(m);
  bind_mask(m);
  bind_cuda(m);
  bind_roi(m);
  bind_rotated(m);
  bind_box3d(m);
  bind_mot(m);
  bind_track(m);
}
