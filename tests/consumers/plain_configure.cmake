# A plain top-level configure (no options, no preset) must build nothing: no tests, benchmarks,
# examples, Python module or CUDA, even with nvcc installed (issue 15). Run by ctest:
#   cmake -DSRC=<source> -DBIN=<scratch build dir> -DGENERATOR=<generator> -P plain_configure.cmake
file(REMOVE_RECURSE "${BIN}")
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SRC}" -B "${BIN}" -G "${GENERATOR}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "plain configure failed:\n${out}\n${err}")
endif()
file(STRINGS "${BIN}/CMakeCache.txt" cache REGEX "^(LOCUSKIT_[A-Z_]+|CMAKE_CUDA_COMPILER):")
foreach(opt LOCUSKIT_BUILD_TESTS LOCUSKIT_BUILD_BENCH LOCUSKIT_BUILD_PYTHON LOCUSKIT_BUILD_EXAMPLES LOCUSKIT_WITH_CUDA)
  if(NOT cache MATCHES "${opt}:[A-Z]+=OFF")
    message(FATAL_ERROR "${opt} is not OFF by default: ${cache}")
  endif()
endforeach()
if(cache MATCHES "CMAKE_CUDA_COMPILER:")
  message(FATAL_ERROR "a plain configure looked for CUDA: ${cache}")
endif()
# Nothing to compile: the build step must be a no-op.
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BIN}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR out MATCHES "Building|Linking")
  message(FATAL_ERROR "a plain build compiled something:\n${out}\n${err}")
endif()
file(REMOVE_RECURSE "${BIN}")
message(STATUS "plain configure: header-only, nothing compiled")
