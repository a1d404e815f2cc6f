# simdjson for the compiled parts (the Python module's COCO JSON loader): target locuskit_simdjson.
#
# A wheel must not depend on a shared library the target machine may not have, so wheel builds
# (pyproject.toml sets LOCUSKIT_SIMDJSON_STATIC=ON) compile simdjson into _core from a pinned
# source; so does any build where the system has no simdjson. Other builds link the system's
# (Debian: libsimdjson-dev, which ships only the shared library).
#
# The pinned source is simdjson 3.0.1, the version Debian 12 ships, as Debian's .orig tarball: its
# SHA-256 is the one in Debian's signed simdjson_3.0.1-1.dsc, and deb.debian.org is reachable from
# any machine that can install Debian packages (this project's CI), while the GitHub release
# tarball (same name, same top directory) serves machines that reach GitHub (PyPI builders); the
# hash is checked whichever URL answers, and a mismatch stops the build. Air-gapped builds point
# FETCHCONTENT_SOURCE_DIR_LOCUSKIT_SIMDJSON at an unpacked copy (e.g. from `apt-get source simdjson`).
# Only the amalgamated singleheader/simdjson.cpp is compiled (one translation unit).
option(LOCUSKIT_SIMDJSON_STATIC "Compile simdjson into the binaries from a pinned source" OFF)

if(TARGET locuskit_simdjson)
  return()
endif()
if(NOT LOCUSKIT_SIMDJSON_STATIC AND TARGET simdjson::simdjson)
  add_library(locuskit_simdjson INTERFACE)
  target_link_libraries(locuskit_simdjson INTERFACE simdjson::simdjson)
  return()
endif()
if(NOT LOCUSKIT_SIMDJSON_STATIC)
  message(STATUS "locuskit: no system simdjson, compiling the pinned simdjson 3.0.1 instead")
endif()

include(FetchContent)
FetchContent_Declare(locuskit_simdjson
  URL http://deb.debian.org/debian/pool/main/s/simdjson/simdjson_3.0.1.orig.tar.gz
      https://github.com/simdjson/simdjson/archive/refs/tags/v3.0.1.tar.gz
  URL_HASH SHA256=156b1bc5eb0561b2bd166b46d191fd3d95a3e709cc63761477d3b7aec2b6e9ed)
FetchContent_GetProperties(locuskit_simdjson)
if(NOT locuskit_simdjson_POPULATED)
  FetchContent_Populate(locuskit_simdjson)
endif()
add_library(locuskit_simdjson STATIC "${locuskit_simdjson_SOURCE_DIR}/singleheader/simdjson.cpp")
target_include_directories(locuskit_simdjson SYSTEM PUBLIC "${locuskit_simdjson_SOURCE_DIR}/singleheader")
target_compile_features(locuskit_simdjson PUBLIC cxx_std_17)
# Inside a shared module: position-independent, and no simdjson symbol exported from it.
set_target_properties(locuskit_simdjson PROPERTIES POSITION_INDEPENDENT_CODE ON
                      CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
message(STATUS "locuskit: simdjson 3.0.1 compiled statically from ${locuskit_simdjson_SOURCE_DIR}")
