# Dependencies are looked up only when the including project has not provided the targets already,
# so add_subdirectory(locuskit) inside a bigger build reuses its Eigen/xsimd.
find_package(Threads REQUIRED)
if(NOT TARGET Eigen3::Eigen)
  find_package(Eigen3 3.4 REQUIRED NO_MODULE)
endif()
if(NOT TARGET xsimd)
  # Debian's xsimd 8.1 config refers to xtl's target without finding it.
  find_package(xtl QUIET)
  find_package(xsimd REQUIRED)
endif()
