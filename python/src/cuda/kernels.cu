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

}  // namespace locuskit::python::cuda_api
