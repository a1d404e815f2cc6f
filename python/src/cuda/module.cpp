// locuskit._cuda: the CUDA kernels on raw device addresses. Built only with LOCUSKIT_WITH_CUDA;
// the public interface is locuskit.cuda (python/locuskit/cuda.py), which validates the arrays,
// allocates outputs and the workspace with the caller's framework, and picks the stream.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>

#include <locuskit/roi/rois.hpp>

#include "api.hpp"

namespace py = pybind11;
namespace api = locuskit::python::cuda_api;

namespace {

void check(int code, const char* what) {
  if (code != 0) throw std::runtime_error(std::string("locuskit.cuda.") + what + ": CUDA error: " + api::error_string(code));
}

}  // namespace

PYBIND11_MODULE(_cuda, m) {
  m.doc() = "locuskit CUDA kernels (use locuskit.cuda, not this module directly)";
  m.def("device_count", &api::device_count);
  m.def("runtime_version", &api::runtime_version);
  m.def("pointer_device", [](api::addr p) {
    int dev = -1;
    return api::pointer_device(p, &dev) == 0 ? dev : -1;
  });
  m.def("nms_workspace", [](int device, std::size_t n, bool f64) {
    std::size_t bytes = 0;
    check(api::nms_workspace(device, n, f64, &bytes), "nms");
    return bytes;
  });
  m.def("batched_nms_workspace", [](int device, std::size_t n, bool f64) {
    std::size_t bytes = 0;
    check(api::batched_nms_workspace(device, n, f64, &bytes), "batched_nms");
    return bytes;
  });
  m.def("multiclass_nms_workspace", [](int device, std::size_t batch, std::size_t n, std::size_t classes,
                                       bool per_class, long long max_per_class, long long max_total, bool agnostic,
                                       bool f64) {
    std::size_t bytes = 0;
    check(api::multiclass_nms_workspace(device, batch, n, classes, per_class, max_per_class, max_total, agnostic,
                                        f64, &bytes),
          "multiclass_nms");
    return bytes;
  });
  m.def("box_iou", [](bool f64, api::addr a, std::size_t n, api::addr b, std::size_t mm, api::addr out, int deg,
                      api::addr stream) {
    int rc;
    {
      py::gil_scoped_release release;
      rc = api::box_iou(f64, a, n, b, mm, out, deg, stream);
    }
    check(rc, "box_iou");
  });
  m.def("nms", [](bool f64, api::addr boxes, api::addr scores, std::size_t n, double thr, api::addr keep,
                  api::addr count, api::addr ws, std::size_t ws_bytes, api::addr stream) {
    int rc;
    {
      py::gil_scoped_release release;
      rc = api::nms(f64, boxes, scores, n, thr, keep, count, ws, ws_bytes, stream);
    }
    check(rc, "nms");
  });
  m.def("batched_nms", [](bool f64, api::addr boxes, api::addr scores, api::addr classes, std::size_t n, double thr,
                          api::addr keep, api::addr count, api::addr ws, std::size_t ws_bytes, api::addr stream) {
    int rc;
    {
      py::gil_scoped_release release;
      rc = api::batched_nms(f64, boxes, scores, classes, n, thr, keep, count, ws, ws_bytes, stream);
    }
    check(rc, "batched_nms");
  });
  m.def("nms_rotated_workspace", [](int device, std::size_t n, bool batched, bool f64) {
    std::size_t bytes = 0;
    check(api::nms_rotated_workspace(device, n, batched, f64, &bytes), "nms_rotated");
    return bytes;
  });
  m.def("nms_rotated", [](bool f64, api::addr boxes, api::addr scores, api::addr classes, std::size_t n, double thr,
                          int rule, int convention, int mode, std::size_t max_output, api::addr keep,
                          api::addr count, api::addr ws, std::size_t ws_bytes, api::addr stream) {
    int rc;
    {
      py::gil_scoped_release release;
      rc = api::nms_rotated(f64, boxes, scores, classes, n, thr, rule, convention, mode, max_output, keep, count, ws,
                            ws_bytes, stream);
    }
    check(rc, "nms_rotated");
  });
  m.def("multiclass_nms", [](bool f64, api::addr boxes, api::addr scores, std::size_t batch, std::size_t n,
                             std::size_t classes, bool per_class, long long max_per_class, long long max_total,
                             bool agnostic, double score_thr, double iou_thr, api::addr ob, api::addr os,
                             api::addr oc, api::addr oi, api::addr on, api::addr ws, std::size_t ws_bytes,
                             api::addr stream) {
    int rc;
    {
      py::gil_scoped_release release;
      rc = api::multiclass_nms(f64, boxes, scores, batch, n, classes, per_class, max_per_class, max_total, agnostic,
                               score_thr, iou_thr, ob, os, oc, oi, on, ws, ws_bytes, stream);
    }
    check(rc, "multiclass_nms");
  });
  m.def("first_invalid", [](bool f64, api::addr values, std::size_t rows, int cols, bool boxes, api::addr first,
                            api::addr stream) {
    check(api::first_invalid(f64, values, rows, cols, boxes, first, stream), "validate");
  });
  // Host-side validation of a host copy of the rois (k x 5), as the CPU operators do.
  m.def("check_rois", [](py::array_t<double, py::array::c_style | py::array::forcecast> rois, std::size_t batch,
                         double spatial_scale) {
    locuskit::check_rois(rois.data(), static_cast<std::size_t>(rois.size() / 5), batch, spatial_scale, "boxes");
  });
  m.def("roi_align_forward", [](bool f64, api::addr f, std::size_t n, std::size_t c, std::size_t h, std::size_t w,
                                api::addr rois, std::size_t k, std::size_t ph, std::size_t pw, double scale,
                                int sampling_ratio, bool aligned, api::addr out, api::addr stream) {
    int rc;
    {
      py::gil_scoped_release release;
      rc = api::roi_align_forward(f64, f, n, c, h, w, rois, k, ph, pw, scale, sampling_ratio, aligned, out, stream);
    }
    check(rc, "roi_align");
  });
  m.def("roi_align_backward", [](bool f64, api::addr g, std::size_t n, std::size_t c, std::size_t h, std::size_t w,
                                 api::addr rois, std::size_t k, std::size_t ph, std::size_t pw, double scale,
                                 int sampling_ratio, bool aligned, api::addr grad, api::addr stream) {
    int rc;
    {
      py::gil_scoped_release release;
      rc = api::roi_align_backward(f64, g, n, c, h, w, rois, k, ph, pw, scale, sampling_ratio, aligned, grad, stream);
    }
    check(rc, "roi_align_backward");
  });
  m.def("prroi_pool_forward", [](bool f64, api::addr f, std::size_t n, std::size_t c, std::size_t h, std::size_t w,
                                 api::addr rois, std::size_t k, std::size_t ph, std::size_t pw, double scale,
                                 api::addr out, api::addr stream) {
    int rc;
    {
      py::gil_scoped_release release;
      rc = api::prroi_pool_forward(f64, f, n, c, h, w, rois, k, ph, pw, scale, out, stream);
    }
    check(rc, "prroi_pool");
  });
  m.def("prroi_pool_backward_workspace", &api::prroi_pool_backward_workspace);
  m.def("prroi_pool_backward", [](bool f64, api::addr f, api::addr g, std::size_t n, std::size_t c, std::size_t h,
                                  std::size_t w, api::addr rois, std::size_t k, std::size_t ph, std::size_t pw,
                                  double scale, api::addr grad_f, api::addr grad_rois, api::addr ws,
                                  std::size_t ws_bytes, api::addr stream) {
    int rc;
    {
      py::gil_scoped_release release;
      rc = api::prroi_pool_backward(f64, f, g, n, c, h, w, rois, k, ph, pw, scale, grad_f, grad_rois, ws, ws_bytes,
                                    stream);
    }
    check(rc, "prroi_pool_backward");
  });
}
