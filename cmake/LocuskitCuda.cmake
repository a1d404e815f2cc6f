# CUDA kernels (include/locuskit/cuda/*.cuh): the Python extension locuskit._cuda and the CUDA
# test program, built when LOCUSKIT_WITH_CUDA is ON, or AUTO (the default) and nvcc is found (on
# PATH, through CUDACXX, or at /usr/local/cuda/bin/nvcc). The main module _core never links CUDA.
#
# Bitwise parity: every CUDA translation unit is compiled with -fmad=false, so the device
# evaluates geometry::iou in the same order and rounding as the host (-ffp-contract=off).
set(LOCUSKIT_CUDA_ENABLED OFF)
string(TOUPPER "${LOCUSKIT_WITH_CUDA}" _locuskit_cuda_mode)
if(_locuskit_cuda_mode MATCHES "^(OFF|FALSE|NO|0)$")
  message(STATUS "locuskit: CUDA off (LOCUSKIT_WITH_CUDA=${LOCUSKIT_WITH_CUDA})")
  return()
endif()
if(NOT (LOCUSKIT_BUILD_PYTHON OR LOCUSKIT_BUILD_TESTS))
  return()  # nothing CUDA to build (the headers install with the rest)
endif()
if(LOCUSKIT_SANITIZE)
  # The sanitizer flags are host-compiler flags; nvcc rejects them. Sanitizer builds test the host code.
  if(_locuskit_cuda_mode STREQUAL "ON")
    message(WARNING "locuskit: LOCUSKIT_WITH_CUDA=ON ignored in a LOCUSKIT_SANITIZE build")
  endif()
  message(STATUS "locuskit: CUDA off in sanitizer builds")
  return()
endif()

if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
  find_program(LOCUSKIT_NVCC nvcc HINTS /usr/local/cuda/bin)
  if(LOCUSKIT_NVCC)
    set(CMAKE_CUDA_COMPILER "${LOCUSKIT_NVCC}")
  endif()
endif()
include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  if(_locuskit_cuda_mode STREQUAL "ON")
    message(FATAL_ERROR "locuskit: LOCUSKIT_WITH_CUDA=ON but no CUDA compiler was found "
                        "(set CMAKE_CUDA_COMPILER, e.g. /usr/local/cuda/bin/nvcc)")
  endif()
  message(STATUS "locuskit: no CUDA compiler found, CUDA kernels skipped")
  return()
endif()

# Ampere and Hopper machine code, plus compute_90 PTX that newer GPUs JIT-compile.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES "80-real;90")
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
set(LOCUSKIT_CUDA_ENABLED ON)
message(STATUS "locuskit: CUDA kernels on (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, archs ${CMAKE_CUDA_ARCHITECTURES})")

# Flags every locuskit CUDA translation unit needs.
add_library(locuskit_cuda_flags INTERFACE)
target_compile_options(locuskit_cuda_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CUDA>:-fmad=false --expt-relaxed-constexpr>
  $<$<COMPILE_LANGUAGE:CXX>:${LOCUSKIT_STRICT_FP_FLAGS}>)
target_link_libraries(locuskit_cuda_flags INTERFACE locuskit::locuskit)

if(LOCUSKIT_BUILD_PYTHON)
  add_subdirectory("${PROJECT_SOURCE_DIR}/python/src/cuda" "${PROJECT_BINARY_DIR}/python-cuda")
endif()

if(LOCUSKIT_BUILD_TESTS)
  # GPU test programs (tests/cuda, run by ctest -L gpu and scripts/gpu-check); each exits 77
  # (skipped) without a GPU.
  function(locuskit_add_cuda_test target test_name source)
    add_executable(${target} "${PROJECT_SOURCE_DIR}/tests/cuda/${source}")
    set_target_properties(${target} PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON
                          CUDA_RUNTIME_LIBRARY Static)
    target_link_libraries(${target} PRIVATE locuskit_cuda_flags)
    add_test(NAME ${test_name} COMMAND ${target})
    set_tests_properties(${test_name} PROPERTIES SKIP_RETURN_CODE 77 LABELS gpu)
  endfunction()
  # Parity of every kernel with the host oracles.
  locuskit_add_cuda_test(locuskit_cuda_tests cuda_kernels test_cuda_kernels.cu)
  # Rotated IoU (cuda/rotated_iou.cuh) against the host geometry, bitwise.
  locuskit_add_cuda_test(locuskit_cuda_rotated_tests cuda_rotated_iou test_rotated_iou.cu)
  # Rotated NMS (cuda/rotated_nms.cuh) against a host greedy NMS over the same RotatedIoU policy.
  locuskit_add_cuda_test(locuskit_cuda_rotated_nms_tests cuda_rotated_nms test_rotated_nms.cu)
endif()
