#pragma once
// The C++ surface of locuskit._cuda: plain host functions on raw device addresses, implemented in
// kernels.cu (nvcc) and bound in module.cpp (host compiler, no CUDA headers). Every function
// returns a cudaError_t code (0 = success); error_string turns it into text.
#include <cstddef>
#include <cstdint>
#include <string>

namespace locuskit::python::cuda_api {

using addr = std::uintptr_t;

std::string error_string(int code);
int device_count();                       // 0 when there is no driver or no device
int pointer_device(addr ptr, int* device);  // device of a device/managed pointer, else an error code
int runtime_version();

// Workspace sizes on `device` (written to *bytes).
int nms_workspace(int device, std::size_t n, bool f64, std::size_t* bytes);
int batched_nms_workspace(int device, std::size_t n, bool f64, std::size_t* bytes);
int multiclass_nms_workspace(int device, std::size_t batch, std::size_t boxes, std::size_t classes, bool per_class,
                             long long max_per_class, long long max_total, bool agnostic, bool f64,
                             std::size_t* bytes);

// Rotated NMS (nms/rotated_nms.hpp semantics; gpu::nms_rotated / gpu::batched_nms_rotated).
// `batched`: class-aware (classes given). rule: IouRule, convention: rotated::AngleConvention,
// mode: RotatedIouMode, as ints.
int nms_rotated_workspace(int device, std::size_t n, bool batched, bool f64, std::size_t* bytes);
int nms_rotated(bool f64, addr boxes, addr scores, addr classes, std::size_t n, double iou_threshold, int rule,
                int convention, int mode, std::size_t max_output, addr keep, addr count, addr ws, std::size_t ws_bytes,
                addr stream);

int box_iou(bool f64, addr a, std::size_t n, addr b, std::size_t m, addr out, int degenerate, addr stream);
int nms(bool f64, addr boxes, addr scores, std::size_t n, double iou_threshold, addr keep, addr count, addr ws,
        std::size_t ws_bytes, addr stream);
int batched_nms(bool f64, addr boxes, addr scores, addr classes, std::size_t n, double iou_threshold, addr keep,
                addr count, addr ws, std::size_t ws_bytes, addr stream);
int multiclass_nms(bool f64, addr boxes, addr scores, std::size_t batch, std::size_t boxes_n, std::size_t classes,
                   bool per_class, long long max_per_class, long long max_total, bool agnostic,
                   double score_threshold, double iou_threshold, addr out_boxes, addr out_scores, addr out_classes,
                   addr out_indices, addr out_counts, addr ws, std::size_t ws_bytes, addr stream);
// *first (device uint64) = first invalid row (boxes: non-finite or inverted; scores: NaN) or ~0.
int first_invalid(bool f64, addr values, std::size_t rows, int cols, bool boxes, addr first, addr stream);

// RoI operators on NCHW float maps (roi/roi_align.hpp, roi/prroi_pool.hpp semantics); rois (k, 5)
// already validated on the host (check_rois). Backward outputs are overwritten.
int roi_align_forward(bool f64, addr features, std::size_t n, std::size_t c, std::size_t h, std::size_t w, addr rois,
                      std::size_t k, std::size_t pooled_h, std::size_t pooled_w, double spatial_scale,
                      int sampling_ratio, bool aligned, addr out, addr stream);
int roi_align_backward(bool f64, addr grad_out, std::size_t n, std::size_t c, std::size_t h, std::size_t w, addr rois,
                       std::size_t k, std::size_t pooled_h, std::size_t pooled_w, double spatial_scale,
                       int sampling_ratio, bool aligned, addr grad_features, addr stream);
int prroi_pool_forward(bool f64, addr features, std::size_t n, std::size_t c, std::size_t h, std::size_t w, addr rois,
                       std::size_t k, std::size_t pooled_h, std::size_t pooled_w, double spatial_scale, addr out,
                       addr stream);
std::size_t prroi_pool_backward_workspace(std::size_t k);
// grad_features / grad_rois may be 0 (not wanted).
int prroi_pool_backward(bool f64, addr features, addr grad_out, std::size_t n, std::size_t c, std::size_t h,
                        std::size_t w, addr rois, std::size_t k, std::size_t pooled_h, std::size_t pooled_w,
                        double spatial_scale, addr grad_features, addr grad_rois, addr ws, std::size_t ws_bytes,
                        addr stream);

}  // namespace locuskit::python::cuda_api
