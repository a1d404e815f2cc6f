# -DLOCUSKIT_BUILD_PYTHON=ON with an interpreter that has no numpy must skip the module with a
# message, not build it for that interpreter (issue 15). The interpreter is a bare venv (no site
# packages, so no numpy). Run by ctest:
#   cmake -DSRC=<source> -DBIN=<scratch dir> -DGENERATOR=<generator> -DPYTHON=<python3 with venv> -P python_without_numpy.cmake
file(REMOVE_RECURSE "${BIN}")
execute_process(COMMAND "${PYTHON}" -m venv --without-pip "${BIN}/bare-venv" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "could not create a bare venv with ${PYTHON}")
endif()
set(bare "${BIN}/bare-venv/bin/python")
execute_process(COMMAND "${bare}" -c "import numpy" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(rc EQUAL 0)
  message(FATAL_ERROR "the bare venv imports numpy: test premise broken")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SRC}" -B "${BIN}/build" -G "${GENERATOR}"
                        -DLOCUSKIT_BUILD_PYTHON=ON "-DPython_EXECUTABLE=${bare}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure failed:\n${out}\n${err}")
endif()
if(NOT err MATCHES "Python module skipped")
  message(FATAL_ERROR "no 'Python module skipped' message:\n${out}\n${err}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BIN}/build" -t help OUTPUT_VARIABLE targets)
if(targets MATCHES "_core")
  message(FATAL_ERROR "the module _core is still a target")
endif()
file(REMOVE_RECURSE "${BIN}")
message(STATUS "python without numpy: module skipped with a message")
