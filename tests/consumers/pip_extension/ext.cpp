// A third-party extension module using locuskit's C++ headers from the wheel.
#include <locuskit/box/iou.hpp>
#include <locuskit/config.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace py = pybind11;

PYBIND11_MODULE(consumer_ext, m) {
  m.attr("locuskit_version") = LOCUSKIT_VERSION_STRING;
  m.def("box_iou", [](py::array_t<float, py::array::c_style | py::array::forcecast> a,
                      py::array_t<float, py::array::c_style | py::array::forcecast> b) {
    const auto n = static_cast<std::size_t>(a.shape(0)), k = static_cast<std::size_t>(b.shape(0));
    py::array_t<float> out({a.shape(0), b.shape(0)});
    locuskit::box_iou(a.data(), n, b.data(), k, out.mutable_data());
    return out;
  });
}
