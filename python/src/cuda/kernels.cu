// locuskit._cuda: the kernels instantiated for float and double behind plain host functions.
#include <locuskit/cuda/all.cuh>

#include "api.hpp"

namespace locuskit::python::cuda_api {
namespace {

cudaStream_t as_stream(addr s) { return reinterpret_cast<cudaStream_t>(s); }
template <class T>
T* ptr(addr a) {
  return reinterpret_cast<T*>(a);
}

// Makes the device that owns `p` current for the call (the caller's current device may differ).
class DeviceGuard {
 public:
  explicit DeviceGuard(addr p) {
    int dev = -1;
    if (pointer_device(p, &dev) == 0 && cudaGetDevice(&prev_) == cudaSuccess && dev != prev_) {
      if (cudaSetDevice(dev) == cudaSuccess) switched_ = true;
    }
  }
  ~DeviceGuard() {
    if (switched_) cudaSetDevice(prev_);
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = 0;
  bool switched_ = false;
};

// Makes device `index` current for the call.
class DeviceIndexGuard {
 public:
  explicit DeviceIndexGuard(int index) {
    if (cudaGetDevice(&prev_) == cudaSuccess && index != prev_ && cudaSetDevice(index) == cudaSuccess)
      switched_ = true;
  }
  ~DeviceIndexGuard() {
    if (switched_) cudaSetDevice(prev_);
  }
  DeviceIndexGuard(const DeviceIndexGuard&) = delete;
  DeviceIndexGuard& operator=(const DeviceIndexGuard&) = delete;

 private:
  int prev_ = 0;
  bool switched_ = false;
};

}  // namespace

std::string error_string(int code) { return cudaGetErrorString(static_cast<cudaError_t>(code)); }

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls report their own
    return 0;
  }
  return n;
}

int pointer_device(addr p, int* device) {
  cudaPointerAttributes attr{};
  const cudaError_t e = cudaPointerGetAttributes(&attr, reinterpret_cast<const void*>(p));
  if (e != cudaSuccess) {
    cudaGetLastError();
    return static_cast<int>(e);
  }
  if (attr.type != cudaMemoryTypeDevice && attr.type != cudaMemoryTypeManaged)
    return static_cast<int>(cudaErrorInvalidDevicePointer);
  *device = attr.device;
  return 0;
}

int runtime_version() {
  int v = 0;
  cudaRuntimeGetVersion(&v);
  return v;
}

int nms_workspace(int device, std::size_t n, bool f64, std::size_t* bytes) {
  DeviceIndexGuard g(device);
  return f64 ? gpu::nms_workspace_bytes<double>(n, bytes) : gpu::nms_workspace_bytes<float>(n, bytes);
}
int batched_nms_workspace(int device, std::size_t n, bool f64, std::size_t* bytes) {
  DeviceIndexGuard g(device);
  return f64 ? gpu::batched_nms_workspace_bytes<double>(n, bytes) : gpu::batched_nms_workspace_bytes<float>(n, bytes);
}

static gpu::MulticlassShape shape_of(std::size_t batch, std::size_t boxes, std::size_t classes, bool per_class,
                                      long long max_per_class, long long max_total, bool agnostic) {
  gpu::MulticlassShape s;
  s.batch = batch;
  s.boxes = boxes;
  s.classes = classes;
  s.boxes_per_class = per_class;
  s.max_output_per_class = max_per_class;
  s.max_total = max_total;
  s.class_agnostic = agnostic;
  return s;
}

int multiclass_nms_workspace(int device, std::size_t batch, std::size_t boxes, std::size_t classes, bool per_class,
                             long long max_per_class, long long max_total, bool agnostic, bool f64,
                             std::size_t* bytes) {
  DeviceIndexGuard g(device);
  const auto s = shape_of(batch, boxes, classes, per_class, max_per_class, max_total, agnostic);
  return f64 ? gpu::multiclass_nms_workspace_bytes<double>(s, bytes)
             : gpu::multiclass_nms_workspace_bytes<float>(s, bytes);
}

int box_iou(bool f64, addr a, std::size_t n, addr b, std::size_t m, addr out, int degenerate, addr stream) {
  DeviceGuard g(a);
  const auto deg = static_cast<Degenerate>(degenerate);
  return f64 ? gpu::box_iou<double>(ptr<const double>(a), n, ptr<const double>(b), m, ptr<double>(out),
                                     degenerate_value<double>(deg), as_stream(stream))
             : gpu::box_iou<float>(ptr<const float>(a), n, ptr<const float>(b), m, ptr<float>(out),
                                    degenerate_value<float>(deg), as_stream(stream));
}

int nms(bool f64, addr boxes, addr scores, std::size_t n, double thr, addr keep, addr count, addr ws,
        std::size_t ws_bytes, addr stream) {
  DeviceGuard g(keep);
  if (f64)
    return gpu::nms<double>(ptr<const double>(boxes), ptr<const double>(scores), n, thr, ptr<std::int64_t>(keep),
                             ptr<std::int64_t>(count), ptr<void>(ws), ws_bytes, as_stream(stream));
  return gpu::nms<float>(ptr<const float>(boxes), ptr<const float>(scores), n, thr, ptr<std::int64_t>(keep),
                          ptr<std::int64_t>(count), ptr<void>(ws), ws_bytes, as_stream(stream));
}

int batched_nms(bool f64, addr boxes, addr scores, addr classes, std::size_t n, double thr, addr keep, addr count,
                addr ws, std::size_t ws_bytes, addr stream) {
  DeviceGuard g(keep);
  if (f64)
    return gpu::batched_nms<double>(ptr<const double>(boxes), ptr<const double>(scores),
                                     ptr<const std::int64_t>(classes), n, thr, ptr<std::int64_t>(keep),
                                     ptr<std::int64_t>(count), ptr<void>(ws), ws_bytes, as_stream(stream));
  return gpu::batched_nms<float>(ptr<const float>(boxes), ptr<const float>(scores), ptr<const std::int64_t>(classes),
                                  n, thr, ptr<std::int64_t>(keep), ptr<std::int64_t>(count), ptr<void>(ws), ws_bytes,
                                  as_stream(stream));
}

int nms_rotated_workspace(int device, std::size_t n, bool batched, bool f64, std::size_t* bytes) {
  DeviceIndexGuard g(device);
  if (batched)
    return f64 ? gpu::batched_nms_rotated_workspace_bytes<double>(n, bytes)
               : gpu::batched_nms_rotated_workspace_bytes<float>(n, bytes);
  return f64 ? gpu::nms_rotated_workspace_bytes<double>(n, bytes) : gpu::nms_rotated_workspace_bytes<float>(n, bytes);
}

namespace {
template <class T>
int nms_rotated_as(addr boxes, addr scores, addr classes, std::size_t n, double thr, IouRule rule,
                   const RotatedIoU& overlap, std::size_t max_output, addr keep, addr count, addr ws,
                   std::size_t ws_bytes, addr stream) {
  if (classes)
    return gpu::batched_nms_rotated<T>(ptr<const T>(boxes), ptr<const T>(scores), ptr<const std::int64_t>(classes), n,
                                       thr, rule, overlap, max_output, ptr<std::int64_t>(keep),
                                       ptr<std::int64_t>(count), ptr<void>(ws), ws_bytes, as_stream(stream));
  return gpu::nms_rotated<T>(ptr<const T>(boxes), ptr<const T>(scores), n, thr, rule, overlap, max_output,
                             ptr<std::int64_t>(keep), ptr<std::int64_t>(count), ptr<void>(ws), ws_bytes,
                             as_stream(stream));
}
}  // namespace

int nms_rotated(bool f64, addr boxes, addr scores, addr classes, std::size_t n, double thr, int rule, int convention,
                int mode, std::size_t max_output, addr keep, addr count, addr ws, std::size_t ws_bytes, addr stream) {
  DeviceGuard g(keep);
  RotatedIoU overlap;
  overlap.convention = static_cast<rotated::AngleConvention>(convention);
  overlap.mode = static_cast<RotatedIouMode>(mode);
  const auto r = static_cast<IouRule>(rule);
  return f64 ? nms_rotated_as<double>(boxes, scores, classes, n, thr, r, overlap, max_output, keep, count, ws,
                                      ws_bytes, stream)
             : nms_rotated_as<float>(boxes, scores, classes, n, thr, r, overlap, max_output, keep, count, ws,
                                     ws_bytes, stream);
}

int multiclass_nms(bool f64, addr boxes, addr scores, std::size_t batch, std::size_t boxes_n, std::size_t classes,
                   bool per_class, long long max_per_class, long long max_total, bool agnostic,
                   double score_threshold, double iou_threshold, addr out_boxes, addr out_scores, addr out_classes,
                   addr out_indices, addr out_counts, addr ws, std::size_t ws_bytes, addr stream) {
  DeviceGuard g(out_counts);
  const auto s = shape_of(batch, boxes_n, classes, per_class, max_per_class, max_total, agnostic);
  if (f64)
    return gpu::multiclass_nms<double>(ptr<const double>(boxes), ptr<const double>(scores), s, score_threshold,
                                        iou_threshold, ptr<double>(out_boxes), ptr<double>(out_scores),
                                        ptr<std::int64_t>(out_classes), ptr<std::int64_t>(out_indices),
                                        ptr<std::int64_t>(out_counts), ptr<void>(ws), ws_bytes, as_stream(stream));
  return gpu::multiclass_nms<float>(ptr<const float>(boxes), ptr<const float>(scores), s, score_threshold,
                                     iou_threshold, ptr<float>(out_boxes), ptr<float>(out_scores),
                                     ptr<std::int64_t>(out_classes), ptr<std::int64_t>(out_indices),
                                     ptr<std::int64_t>(out_counts), ptr<void>(ws), ws_bytes, as_stream(stream));
}

int first_invalid(bool f64, addr values, std::size_t rows, int cols, bool boxes, addr first, addr stream) {
  DeviceGuard g(first);
  return f64 ? gpu::first_invalid<double>(ptr<const double>(values), rows, cols, boxes,
                                           ptr<unsigned long long>(first), as_stream(stream))
             : gpu::first_invalid<float>(ptr<const float>(values), rows, cols, boxes, ptr<unsigned long long>(first),
                                          as_stream(stream));
}

namespace {
FeatureShape feature_shape(std::size_t n, std::size_t c, std::size_t h, std::size_t w) {
  FeatureShape s;
  s.n = n, s.c = c, s.h = h, s.w = w;
  return s;
}
RoiAlignParams roi_align_params(std::size_t ph, std::size_t pw, double scale, int sampling_ratio, bool aligned) {
  RoiAlignParams p;
  p.pooled_h = ph, p.pooled_w = pw, p.spatial_scale = scale, p.sampling_ratio = sampling_ratio, p.aligned = aligned;
  return p;
}
PrRoiPoolParams prroi_params(std::size_t ph, std::size_t pw, double scale) {
  PrRoiPoolParams p;
  p.pooled_h = ph, p.pooled_w = pw, p.spatial_scale = scale;
  return p;
}
}  // namespace

int roi_align_forward(bool f64, addr features, std::size_t n, std::size_t c, std::size_t h, std::size_t w, addr rois,
                      std::size_t k, std::size_t pooled_h, std::size_t pooled_w, double spatial_scale,
                      int sampling_ratio, bool aligned, addr out, addr stream) {
  DeviceGuard g(out);
  const auto s = feature_shape(n, c, h, w);
  const auto p = roi_align_params(pooled_h, pooled_w, spatial_scale, sampling_ratio, aligned);
  return f64 ? gpu::roi_align_forward<double>(ptr<const double>(features), s, ptr<const double>(rois), k, p,
                                              ptr<double>(out), as_stream(stream))
             : gpu::roi_align_forward<float>(ptr<const float>(features), s, ptr<const float>(rois), k, p,
                                             ptr<float>(out), as_stream(stream));
}

int roi_align_backward(bool f64, addr grad_out, std::size_t n, std::size_t c, std::size_t h, std::size_t w, addr rois,
                       std::size_t k, std::size_t pooled_h, std::size_t pooled_w, double spatial_scale,
                       int sampling_ratio, bool aligned, addr grad_features, addr stream) {
  DeviceGuard g(grad_features);
  const auto s = feature_shape(n, c, h, w);
  const auto p = roi_align_params(pooled_h, pooled_w, spatial_scale, sampling_ratio, aligned);
  return f64 ? gpu::roi_align_backward<double>(ptr<const double>(grad_out), s, ptr<const double>(rois), k, p,
                                               ptr<double>(grad_features), as_stream(stream))
             : gpu::roi_align_backward<float>(ptr<const float>(grad_out), s, ptr<const float>(rois), k, p,
                                              ptr<float>(grad_features), as_stream(stream));
}

int prroi_pool_forward(bool f64, addr features, std::size_t n, std::size_t c, std::size_t h, std::size_t w, addr rois,
                       std::size_t k, std::size_t pooled_h, std::size_t pooled_w, double spatial_scale, addr out,
                       addr stream) {
  DeviceGuard g(out);
  const auto s = feature_shape(n, c, h, w);
  const auto p = prroi_params(pooled_h, pooled_w, spatial_scale);
  return f64 ? gpu::prroi_pool_forward<double>(ptr<const double>(features), s, ptr<const double>(rois), k, p,
                                               ptr<double>(out), as_stream(stream))
             : gpu::prroi_pool_forward<float>(ptr<const float>(features), s, ptr<const float>(rois), k, p,
                                              ptr<float>(out), as_stream(stream));
}

std::size_t prroi_pool_backward_workspace(std::size_t k) { return gpu::prroi_pool_backward_workspace_bytes(k); }

int prroi_pool_backward(bool f64, addr features, addr grad_out, std::size_t n, std::size_t c, std::size_t h,
                        std::size_t w, addr rois, std::size_t k, std::size_t pooled_h, std::size_t pooled_w,
                        double spatial_scale, addr grad_features, addr grad_rois, addr ws, std::size_t ws_bytes,
                        addr stream) {
  DeviceGuard g(grad_out);
  const auto s = feature_shape(n, c, h, w);
  const auto p = prroi_params(pooled_h, pooled_w, spatial_scale);
  return f64 ? gpu::prroi_pool_backward<double>(ptr<const double>(features), ptr<const double>(grad_out), s,
                                                ptr<const double>(rois), k, p, ptr<double>(grad_features),
                                                ptr<double>(grad_rois), ptr<void>(ws), ws_bytes, as_stream(stream))
             : gpu::prroi_pool_backward<float>(ptr<const float>(features), ptr<const float>(grad_out), s,
                                               ptr<const float>(rois), k, p, ptr<float>(grad_features),
                                               ptr<float>(grad_rois), ptr<void>(ws), ws_bytes, as_stream(stream));
}

}  // namespace locuskit::python::cuda_api
