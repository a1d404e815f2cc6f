#pragma once
// Shared validation and conversion for the bindings: every area checks arrays the same way, and
// every message names the argument and the problem. Float32 and float64 are registered explicitly
// (no silent casts); arrays must be C-contiguous (no hidden copies of large inputs).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>  // in every binding TU (mixing with and without it breaks the ODR)

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <locuskit/box/geometry.hpp>
#include <locuskit/error.hpp>

namespace locuskit::python {
namespace py = pybind11;

/// Threads the module's heavy functions may use (set_num_threads / get_num_threads).
int num_threads() noexcept;

/// The product of non-negative sizes (an output's row count from user-given grid sizes),
/// ValueError naming `what` when it overflows py::ssize_t instead of wrapping.
inline py::ssize_t checked_product(std::initializer_list<py::ssize_t> factors, const char* what) {
  py::ssize_t total = 1;
  for (py::ssize_t f : factors)
    if (f < 0 || __builtin_mul_overflow(total, f, &total))
      throw std::invalid_argument(std::string(what) + ": size overflows (a factor is negative or the product exceeds 2^63)");
  return total;
}

/// Hands a vector's buffer to NumPy without copying (a capsule owns it).
template <class T>
py::array_t<T> move_to_numpy(std::vector<T>&& v, std::vector<py::ssize_t> shape) {
  auto* owner = new std::vector<T>(std::move(v));
  py::capsule free_when_done(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(std::move(shape), owner->data(), free_when_done);
}

inline std::string dtype_str(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

inline std::string shape_str(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t d = 0; d < a.ndim(); ++d) {
    if (d) s += ", ";
    s += std::to_string(a.shape(d));
  }
  if (a.ndim() == 1) s += ",";
  return s + ")";
}

template <class T>
constexpr const char* dtype_name() {
  if constexpr (std::is_same_v<T, float>) return "float32";
  else if constexpr (std::is_same_v<T, double>) return "float64";
  else if constexpr (std::is_same_v<T, std::int64_t>) return "int64";
  else if constexpr (std::is_same_v<T, std::int32_t>) return "int32";
  else if constexpr (std::is_same_v<T, std::uint8_t>) return "uint8";
  else if constexpr (std::is_same_v<T, bool>) return "bool";
  else return "?";
}

inline bool is_float32(const py::array& a) { return a.dtype().is(py::dtype::of<float>()); }
inline bool is_float64(const py::array& a) { return a.dtype().is(py::dtype::of<double>()); }

/// Calls `f(T{})` with T = float or double according to `a`'s dtype; TypeError otherwise.
template <class F>
decltype(auto) with_float_dtype(const py::array& a, const char* name, F&& f) {
  if (is_float32(a)) return f(float{});
  if (is_float64(a)) return f(double{});
  throw locuskit::type_error(std::string(name) + ": dtype " + dtype_str(a) +
                             " is not supported; use float32 or float64");
}

/// Requires dtype T exactly (TypeError naming both dtypes).
template <class T>
void require_dtype(const py::array& a, const char* name, const char* relative_to = nullptr) {
  if (!a.dtype().is(py::dtype::of<T>())) {
    std::string msg = std::string(name) + ": dtype " + dtype_str(a) + " is not supported; expected " +
                      dtype_name<T>();
    if (relative_to) msg += std::string(" (the dtype of ") + relative_to + ")";
    throw locuskit::type_error(msg);
  }
}

/// Requires C-contiguity and alignment (ValueError): locuskit never copies behind the caller's
/// back, and the kernels read elements in place (a view at an odd byte offset, e.g. from
/// np.frombuffer(..., offset=1), would be misaligned loads: undefined behaviour, UBSan reports it).
inline void require_contiguous(const py::array& a, const char* name) {
  if (!(a.flags() & py::array::c_style))
    throw std::invalid_argument(std::string(name) +
                                ": array is not C-contiguous; pass np.ascontiguousarray(...) "
                                "(locuskit does not copy inputs implicitly)");
  if (!(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
    throw std::invalid_argument(std::string(name) +
                                ": array is not aligned to its dtype (a view at an odd byte offset); pass "
                                "a.copy() (locuskit does not copy inputs implicitly)");
}

/// Requires a shape: -1 in `dims` matches any size (ValueError naming expected and actual).
inline void require_shape(const py::array& a, const char* name, std::initializer_list<py::ssize_t> dims,
                          const char* expected_text) {
  bool ok = a.ndim() == static_cast<py::ssize_t>(dims.size());
  py::ssize_t d = 0;
  for (auto it = dims.begin(); ok && it != dims.end(); ++it, ++d)
    if (*it >= 0 && a.shape(d) != *it) ok = false;
  if (!ok)
    throw std::invalid_argument(std::string(name) + ": expected shape " + expected_text + ", got " +
                                shape_str(a));
}

/// (N, 4) array of dtype T, C-contiguous; returns its data pointer and sets n.
template <class T>
const T* boxes_data(const py::array& a, const char* name, std::size_t& n) {
  require_dtype<T>(a, name);
  require_shape(a, name, {-1, 4}, "(N, 4)");
  require_contiguous(a, name);
  n = static_cast<std::size_t>(a.shape(0));
  return static_cast<const T*>(a.data());
}

/// 1-D array of dtype T with `expected_len` elements (or any length if -1).
template <class T>
const T* vector_data(const py::array& a, const char* name, py::ssize_t expected_len,
                     const char* relative_to = nullptr) {
  require_dtype<T>(a, name, relative_to);
  if (a.ndim() != 1 || (expected_len >= 0 && a.shape(0) != expected_len))
    throw std::invalid_argument(std::string(name) + ": expected shape (" +
                                (expected_len >= 0 ? std::to_string(expected_len) : std::string("N")) +
                                ",), got " + shape_str(a));
  require_contiguous(a, name);
  return static_cast<const T*>(a.data());
}

/// "zero" | "nan" | "one" -> Degenerate (ValueError otherwise). Defined in bind_box.cpp.
Degenerate parse_degenerate(const std::string& s);

/// Physical memory of this machine in bytes (0 if unknown). Defined in module.cpp.
std::uint64_t physical_memory_bytes() noexcept;

/// Refuses, before allocating, an output that cannot fit in physical memory (docs/python.md,
/// "Resource limits"): MemoryError naming the shape and the sizes. Without it a pairwise result
/// such as box_iou of 200k x 200k boxes (160 GB) may be lazily overcommitted and the process then
/// killed by the OOM killer while the kernel writes it. The byte count is overflow-safe.
inline void check_output_size(const std::vector<py::ssize_t>& shape, std::size_t itemsize) {
  std::uint64_t bytes = itemsize;
  bool overflow = false;
  for (const py::ssize_t d : shape) {
    const auto u = static_cast<std::uint64_t>(d < 0 ? 0 : d);
    if (u != 0 && bytes > UINT64_MAX / u) overflow = true;
    else bytes *= u;
    if (u == 0) return;
  }
  const std::uint64_t limit = physical_memory_bytes();
  if (!overflow && (limit == 0 || bytes <= limit)) return;
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  char sizes[96];
  std::snprintf(sizes, sizeof sizes, "%.1f GB, more than this machine's %.1f GB", static_cast<double>(bytes) / 1e9,
                static_cast<double>(limit) / 1e9);
  const std::string msg = "output array of shape " + s + ") needs " +
                          (overflow ? std::string("more than 2^64 bytes, more than this machine's physical memory")
                                    : std::string(sizes) + " of physical memory") +
                          " (locuskit refuses outputs that cannot fit in memory; split the input)";
  PyErr_SetString(PyExc_MemoryError, msg.c_str());
  throw py::error_already_set();
}

/// A new C-contiguous output array (MemoryError, before allocating, if it cannot fit in memory).
template <class T>
py::array_t<T> new_array(std::vector<py::ssize_t> shape) {
  check_output_size(shape, sizeof(T));
  return py::array_t<T>(std::move(shape));
}

}  // namespace locuskit::python
