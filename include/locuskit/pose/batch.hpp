#pragma once
/// \file batch.hpp
/// Batched Lie-group operations on plain arrays (row-major, contiguous): the kernels behind the
/// Python API. Each takes n elements and writes a caller-provided output; float and double.
/// Inputs are not validated here (see check_rotations); thread-safe, deterministic for any
/// thread count.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <atomic>
#include <string>

#include <locuskit/parallel.hpp>
#include <locuskit/pose/se3.hpp>
#include <locuskit/pose/sim3.hpp>
#include <locuskit/pose/so3.hpp>

namespace locuskit {

namespace detail {
template <class T>
using RowMat4 = Eigen::Matrix<T, 4, 4, Eigen::RowMajor>;
template <class T>
using RowMat3 = Eigen::Matrix<T, 3, 3, Eigen::RowMajor>;
constexpr std::size_t batch_grain = 2048;

template <class T>
SE3<T> se3_from_rowmajor(const T* m) noexcept {
  const Eigen::Map<const RowMat4<T>> M(m);
  return SE3<T>(SO3<T>::from_matrix_unchecked(M.template block<3, 3>(0, 0)), M.template block<3, 1>(0, 3));
}
template <class T>
void se3_to_rowmajor(const SE3<T>& g, T* m) noexcept {
  Eigen::Map<RowMat4<T>> m_map(m);
  m_map = g.matrix();
}
}  // namespace detail

/// Validates n row-major rotation blocks (3×3 with `stride` elements between matrices and
/// `row_stride` between rows): finite, ‖RᵀR − I‖_F ≤ tolerance, det > 0. Throws
/// std::invalid_argument naming `what` and the first bad index (the same for any thread count).
template <class T>
void check_rotations(const T* data, std::size_t n, std::size_t stride, std::size_t row_stride, T tolerance,
                     const char* what, Parallel par = {}) {
  auto load = [&](std::size_t i) {
    const T* p = data + i * stride;
    Matrix3<T> R;
    R << p[0], p[1], p[2], p[row_stride], p[row_stride + 1], p[row_stride + 2], p[2 * row_stride],
        p[2 * row_stride + 1], p[2 * row_stride + 2];
    return R;
  };
  auto ok = [&](const Matrix3<T>& R) {
    return R.allFinite() && (R.transpose() * R - Matrix3<T>::Identity()).norm() <= tolerance && R.determinant() > T(0);
  };
  // Each chunk finds its first bad index; the smallest over all chunks is reported.
  std::atomic<std::size_t> first_bad{n};
  parallel_for(n, 8192, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i)
      if (!ok(load(i))) {
        std::size_t cur = first_bad.load();
        while (i < cur && !first_bad.compare_exchange_weak(cur, i)) {
        }
        return;
      }
  });
  const std::size_t bad = first_bad.load();
  if (bad == n) return;
  const Matrix3<T> R = load(bad);
  LOCUSKIT_CHECK(R.allFinite(), std::invalid_argument, what, "[", bad, "]: rotation is not finite");
  const T dev = (R.transpose() * R - Matrix3<T>::Identity()).norm();
  throw std::invalid_argument(detail::concat(what, "[", bad, "]: not a rotation (|R^T R - I|_F = ", dev,
                                             ", det = ", R.determinant(), "; tolerance ", tolerance, ")"));
}

/// so(3) exp: n rotation vectors (n×3) → n rotation matrices (n×3×3).
template <class T>
void so3_exp_batch(const T* w, std::size_t n, T* R, Parallel par = {}) noexcept {
  parallel_for(n, detail::batch_grain, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i)
      Eigen::Map<detail::RowMat3<T>>(R + 9 * i) = SO3<T>::exp(Eigen::Map<const Vector3<T>>(w + 3 * i)).matrix();
  });
}
/// SO(3) log: n rotation matrices (n×3×3, projected through their quaternion) → n×3.
template <class T>
void so3_log_batch(const T* R, std::size_t n, T* w, Parallel par = {}) noexcept {
  parallel_for(n, detail::batch_grain, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i)
      Eigen::Map<Vector3<T>>(w + 3 * i) =
          SO3<T>::from_matrix_unchecked(Eigen::Map<const detail::RowMat3<T>>(R + 9 * i)).log();
  });
}
/// SO(3) log of n quaternions (x, y, z, w), normalized first → n×3.
template <class T>
void so3_log_quaternion_batch(const T* q, std::size_t n, T* w, Parallel par = {}) noexcept {
  parallel_for(n, detail::batch_grain, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      const T* p = q + 4 * i;
      const T nn = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2] + p[3] * p[3]);
      Eigen::Map<Vector3<T>>(w + 3 * i) = detail::quaternion_log(p[0] / nn, p[1] / nn, p[2] / nn, p[3] / nn);
    }
  });
}
/// Quaternions (x, y, z, w; normalized first) → rotation matrices.
template <class T>
void quaternion_to_matrix_batch(const T* q, std::size_t n, T* R, Parallel par = {}) noexcept {
  parallel_for(n, detail::batch_grain, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      const T* p = q + 4 * i;
      Eigen::Map<detail::RowMat3<T>>(R + 9 * i) =
          Eigen::Quaternion<T>(p[3], p[0], p[1], p[2]).normalized().toRotationMatrix();
    }
  });
}
/// Rotation matrices (projected) → unit quaternions (x, y, z, w) with w ≥ 0.
template <class T>
void matrix_to_quaternion_batch(const T* R, std::size_t n, T* q, Parallel par = {}) noexcept {
  parallel_for(n, detail::batch_grain, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      Eigen::Matrix<T, 4, 1> c =
          SO3<T>::from_matrix_unchecked(Eigen::Map<const detail::RowMat3<T>>(R + 9 * i)).quaternion_xyzw();
      if (c[3] < T(0)) c = -c;
      Eigen::Map<Eigen::Matrix<T, 4, 1>>(q + 4 * i) = c;
    }
  });
}

/// se(3) exp: n×6 tangents [υ; ω] → n×4×4.
template <class T>
void se3_exp_batch(const T* xi, std::size_t n, T* M, Parallel par = {}) noexcept {
  parallel_for(n, detail::batch_grain, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i)
      detail::se3_to_rowmajor(SE3<T>::exp(Eigen::Map<const Vector6<T>>(xi + 6 * i)), M + 16 * i);
  });
}
/// SE(3) log: n×4×4 (rotation projected) → n×6.
template <class T>
void se3_log_batch(const T* M, std::size_t n, T* xi, Parallel par = {}) noexcept {
  parallel_for(n, detail::batch_grain, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) Eigen::Map<Vector6<T>>(xi + 6 * i) = detail::se3_from_rowmajor(M + 16 * i).log();
  });
}
/// SE(3) log from n×7 [t, q(x, y, z, w)] → n×6.
template <class T>
void se3_log_tq_batch(const T* tq, std::size_t n, T* xi, Parallel par = {}) noexcept {
  parallel_for(n, detail::batch_grain, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      const T* p = tq + 7 * i;
      const Eigen::Quaternion<T> q(p[6], p[3], p[4], p[5]);
      const SE3<T> g(SO3<T>::from_unit_quaternion_unchecked(q.normalized()), Vector3<T>(p[0], p[1], p[2]));
      Eigen::Map<Vector6<T>>(xi + 6 * i) = g.log();
    }
  });
}
/// n×6 → n×7 [t, q(x, y, z, w)] with w ≥ 0.
template <class T>
void se3_exp_tq_batch(const T* xi, std::size_t n, T* tq, Parallel par = {}) noexcept {
  parallel_for(n, detail::batch_grain, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      const SE3<T> g = SE3<T>::exp(Eigen::Map<const Vector6<T>>(xi + 6 * i));
      T* p = tq + 7 * i;
      Eigen::Matrix<T, 4, 1> c = g.so3().quaternion_xyzw();
      if (c[3] < T(0)) c = -c;
      for (int k = 0; k < 3; ++k) p[k] = g.translation()[k];
      for (int k = 0; k < 4; ++k) p[3 + k] = c[k];
    }
  });
}
/// Products a[i]·b[i] of n×4×4 rigid transforms (plain matrix products of the [R|t] blocks;
/// `broadcast_a`/`broadcast_b` reuse element 0).
template <class T>
void se3_compose_batch(const T* a, const T* b, std::size_t n, T* out, bool broadcast_a = false,
                       bool broadcast_b = false, Parallel par = {}) noexcept {
  parallel_for(n, detail::batch_grain, par, [&](std::size_t s, std::size_t e) {
    for (std::size_t i = s; i < e; ++i) {
      const T* A = a + (broadcast_a ? 0 : 16 * i);
      const T* B = b + (broadcast_b ? 0 : 16 * i);
      T* O = out + 16 * i;
      for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 4; ++c) {
          T v = A[4 * r] * B[c] + A[4 * r + 1] * B[4 + c] + A[4 * r + 2] * B[8 + c];
          O[4 * r + c] = c == 3 ? v + A[4 * r + 3] : v;
        }
      }
      O[12] = 0; O[13] = 0; O[14] = 0; O[15] = 1;
    }
  });
}
/// Inverses of n×4×4 rigid transforms: [Rᵀ, −Rᵀt].
template <class T>
void se3_inverse_batch(const T* a, std::size_t n, T* out, Parallel par = {}) noexcept {
  parallel_for(n, detail::batch_grain, par, [&](std::size_t s, std::size_t e) {
    for (std::size_t i = s; i < e; ++i) {
      const T* A = a + 16 * i;
      T* O = out + 16 * i;
      for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 3; ++c) O[4 * r + c] = A[4 * c + r];
        O[4 * r + 3] = -(A[r] * A[3] + A[4 + r] * A[7] + A[8 + r] * A[11]);
      }
      O[12] = 0; O[13] = 0; O[14] = 0; O[15] = 1;
    }
  });
}
/// sim(3) exp: n×7 [υ; ω; σ] → n×4×4 [[sR, t], [0, 1]].
template <class T>
void sim3_exp_batch(const T* z, std::size_t n, T* M, Parallel par = {}) noexcept {
  parallel_for(n, detail::batch_grain, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i)
      Eigen::Map<detail::RowMat4<T>>(M + 16 * i) = Sim3<T>::exp(Eigen::Map<const Vector7<T>>(z + 7 * i)).matrix();
  });
}
/// Sim(3) log: n×4×4 → n×7 (s = cbrt(det), rotation projected; caller validates det > 0).
template <class T>
void sim3_log_batch(const T* M, std::size_t n, T* z, Parallel par = {}) noexcept {
  parallel_for(n, detail::batch_grain, par, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      const Eigen::Map<const detail::RowMat4<T>> m(M + 16 * i);
      const Matrix3<T> sR = m.template block<3, 3>(0, 0);
      const T s = std::cbrt(sR.determinant());
      const Sim3<T> g(s, SO3<T>::from_matrix_unchecked(sR / s), m.template block<3, 1>(0, 3));
      Eigen::Map<Vector7<T>>(z + 7 * i) = g.log();
    }
  });
}

}  // namespace locuskit
