# Dependencies are looked up only when the including project has not provided the targets already,
# so add_subdirectory(locuskit) inside a bigger build reuses its Eigen/xsimd.
#
# When a dependency is not installed (e.g. `pip install .` on a machine without Debian's -dev
# packages), it is fetched at the version Debian 12 ships, so every build compiles against the
# same APIs (xsimd 8.1: `xsimd::hadd`, not `reduce_add`). LOCUSKIT_FETCH_DEPENDENCIES=OFF forbids it.
option(LOCUSKIT_FETCH_DEPENDENCIES "Fetch Eigen/xsimd when they are not installed" ON)
find_package(Threads REQUIRED)
include(FetchContent)

if(NOT TARGET Eigen3::Eigen)
  find_package(Eigen3 3.4 QUIET NO_MODULE)
  if(NOT Eigen3_FOUND)
    if(NOT LOCUSKIT_FETCH_DEPENDENCIES)
      message(FATAL_ERROR "locuskit: Eigen 3.4 not found (Debian: libeigen3-dev)")
    endif()
    message(STATUS "locuskit: Eigen 3.4 not found, fetching 3.4.0")
    FetchContent_Declare(locuskit_eigen
      URL https://gitlab.com/libeigen/eigen/-/archive/3.4.0/eigen-3.4.0.tar.gz)
    FetchContent_GetProperties(locuskit_eigen)
    if(NOT locuskit_eigen_POPULATED)
      FetchContent_Populate(locuskit_eigen)
    endif()
    add_library(locuskit_eigen INTERFACE)
    target_include_directories(locuskit_eigen SYSTEM INTERFACE $<BUILD_INTERFACE:${locuskit_eigen_SOURCE_DIR}>)
    add_library(Eigen3::Eigen ALIAS locuskit_eigen)
  endif()
endif()

if(NOT TARGET xsimd)
  # Debian's xsimd 8.1 config refers to xtl's target without finding it.
  find_package(xtl QUIET)
  find_package(xsimd QUIET)
  if(NOT xsimd_FOUND)
    if(NOT LOCUSKIT_FETCH_DEPENDENCIES)
      message(FATAL_ERROR "locuskit: xsimd not found (Debian: libxsimd-dev xtl-dev)")
    endif()
    message(STATUS "locuskit: xsimd not found, fetching 8.1.0")
    FetchContent_Declare(locuskit_xsimd
      URL https://github.com/xtensor-stack/xsimd/archive/refs/tags/8.1.0.tar.gz)
    FetchContent_GetProperties(locuskit_xsimd)
    if(NOT locuskit_xsimd_POPULATED)
      FetchContent_Populate(locuskit_xsimd)
    endif()
    add_library(xsimd INTERFACE)
    target_include_directories(xsimd SYSTEM INTERFACE $<BUILD_INTERFACE:${locuskit_xsimd_SOURCE_DIR}/include>)
  endif()
endif()

# simdjson is needed only by the COCO JSON loader (target locuskit::coco_json) and the compiled
# parts that use it (cmake/LocuskitSimdjson.cmake). Debian: libsimdjson-dev.
if(NOT TARGET simdjson::simdjson)
  find_package(simdjson QUIET)
endif()
