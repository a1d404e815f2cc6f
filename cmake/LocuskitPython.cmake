# Picks the Python interpreter for the extension module. The module is tested by importing it with
# numpy, so a developer build uses an interpreter that has numpy: Python_EXECUTABLE when given,
# else the first of `python3` on PATH and /usr/bin/python3 that imports numpy. Without one, the
# module is skipped with a message (LOCUSKIT_BUILD_PYTHON turns OFF for this build).
# pip/scikit-build-core builds (SKBUILD) use the interpreter pip runs for, as they must.
if(SKBUILD)
  return()
endif()

function(_locuskit_python_has_numpy exe out)
  execute_process(COMMAND "${exe}" -c "import numpy" RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
  if(_rc EQUAL 0)
    set(${out} ON PARENT_SCOPE)
  else()
    set(${out} OFF PARENT_SCOPE)
  endif()
endfunction()

if(Python_EXECUTABLE)
  _locuskit_python_has_numpy("${Python_EXECUTABLE}" _locuskit_numpy)
  if(NOT _locuskit_numpy)
    message(WARNING "locuskit: Python module skipped: Python_EXECUTABLE=${Python_EXECUTABLE} "
                    "cannot import numpy (install numpy there, or pass an interpreter that has it)")
    set(LOCUSKIT_BUILD_PYTHON OFF)
  endif()
  return()
endif()

set(_locuskit_candidates "")
find_program(_locuskit_path_python3 NAMES python3 NO_CACHE)
foreach(_exe IN ITEMS "${_locuskit_path_python3}" /usr/bin/python3 /usr/local/bin/python3)
  if(_exe AND EXISTS "${_exe}")
    list(APPEND _locuskit_candidates "${_exe}")
  endif()
endforeach()
list(REMOVE_DUPLICATES _locuskit_candidates)
foreach(_exe IN LISTS _locuskit_candidates)
  _locuskit_python_has_numpy("${_exe}" _locuskit_numpy)
  if(_locuskit_numpy)
    set(Python_EXECUTABLE "${_exe}" CACHE FILEPATH "Python interpreter for the locuskit module (has numpy)")
    message(STATUS "locuskit: Python module for ${_exe} (the first interpreter with numpy)")
    return()
  endif()
  message(STATUS "locuskit: ${_exe} has no numpy, not used for the Python module")
endforeach()
message(WARNING "locuskit: Python module skipped: no interpreter with numpy among "
                "[${_locuskit_candidates}] (pass -DPython_EXECUTABLE=/path/to/python3)")
set(LOCUSKIT_BUILD_PYTHON OFF)
