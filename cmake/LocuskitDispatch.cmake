# Runtime SIMD dispatch for the compiled parts (Python module, tests, benchmarks).
#
# Every file in src/dispatch/ explicitly instantiates the kernels of one area for one architecture
# (LOCUSKIT_DISPATCH_ARCH). It is compiled once per architecture with that architecture's -m flags,
# and all objects go into one static library. Consumers compile with LOCUSKIT_RUNTIME_DISPATCH=1,
# which turns the kernel headers' instantiation lists into `extern template` declarations, so the
# only code built with AVX2/AVX-512 flags is the Arch-templated kernels in those objects.
include(CheckCXXCompilerFlag)

# Bitwise parity with the peers needs the exact operation order: no a*b+c contraction into FMA.
set(LOCUSKIT_STRICT_FP_FLAGS "")
check_cxx_compiler_flag(-ffp-contract=off LOCUSKIT_HAS_FP_CONTRACT_OFF)
if(LOCUSKIT_HAS_FP_CONTRACT_OFF)
  set(LOCUSKIT_STRICT_FP_FLAGS -ffp-contract=off)
endif()

set(LOCUSKIT_DISPATCH_ARCHS "")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  list(APPEND LOCUSKIT_DISPATCH_ARCHS "sse2|xsimd::sse2|")
  check_cxx_compiler_flag("-mavx2 -mfma" LOCUSKIT_HAS_AVX2)
  if(LOCUSKIT_HAS_AVX2)
    list(APPEND LOCUSKIT_DISPATCH_ARCHS "avx2|xsimd::fma3<xsimd::avx2>|-mavx2,-mfma")
  endif()
  check_cxx_compiler_flag("-mavx512f -mavx512cd -mavx512dq -mavx512bw -mavx512vl" LOCUSKIT_HAS_AVX512)
  if(LOCUSKIT_HAS_AVX512)
    list(APPEND LOCUSKIT_DISPATCH_ARCHS
         "avx512|xsimd::avx512bw|-mavx512f,-mavx512cd,-mavx512dq,-mavx512bw,-mavx512vl,-mavx2,-mfma")
  endif()
endif()

# Interface target carrying the flags every compiled locuskit consumer needs.
add_library(locuskit_compiled_flags INTERFACE)
target_compile_options(locuskit_compiled_flags INTERFACE ${LOCUSKIT_STRICT_FP_FLAGS})

function(locuskit_add_dispatch_library name)
  file(GLOB _sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/src/dispatch/*.cpp")
  add_library(${name} STATIC)
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON LINKER_LANGUAGE CXX)
  target_link_libraries(${name} PUBLIC locuskit::locuskit locuskit_compiled_flags)
  if(NOT LOCUSKIT_DISPATCH_ARCHS OR NOT _sources)
    return()  # not x86-64: header-only kernels with the compiler's own arch
  endif()
  set(_defs LOCUSKIT_RUNTIME_DISPATCH=1)
  foreach(_entry IN LISTS LOCUSKIT_DISPATCH_ARCHS)
    string(REPLACE "|" ";" _parts "${_entry}")
    list(GET _parts 0 _tag)
    string(TOUPPER "${_tag}" _up)
    list(APPEND _defs LOCUSKIT_DISPATCH_HAS_${_up}=1)
  endforeach()
  foreach(_entry IN LISTS LOCUSKIT_DISPATCH_ARCHS)
    string(REPLACE "|" ";" _parts "${_entry}")
    list(GET _parts 0 _tag)
    list(GET _parts 1 _arch)
    list(LENGTH _parts _len)
    set(_flags "")
    if(_len GREATER 2)
      list(GET _parts 2 _flags_str)
      string(REPLACE "," ";" _flags "${_flags_str}")
    endif()
    add_library(${name}_${_tag} OBJECT ${_sources})
    set_target_properties(${name}_${_tag} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    target_link_libraries(${name}_${_tag} PRIVATE locuskit::locuskit locuskit_compiled_flags)
    target_compile_definitions(${name}_${_tag} PRIVATE "LOCUSKIT_DISPATCH_ARCH=${_arch}" ${_defs})
    target_compile_options(${name}_${_tag} PRIVATE ${_flags})
    target_sources(${name} PRIVATE $<TARGET_OBJECTS:${name}_${_tag}>)
  endforeach()
  target_compile_definitions(${name} PUBLIC ${_defs})
endfunction()
