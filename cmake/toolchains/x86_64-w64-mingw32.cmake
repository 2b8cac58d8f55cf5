# Cross-compiling toolchain for 64-bit Windows with Debian's mingw-w64, posix thread model
# (g++-mingw-w64-x86-64-posix: std::thread and std::mutex need it).  Used by the "mingw" preset
# and by tools/test.d/50-windows.sh; docs/windows.md explains the whole pipeline.
#
# Target dependencies that Debian has no mingw binaries for are built once into a cache directory
# outside the build tree (default /var/cache/opencredssp, env OCS_OPENSSL_MINGW_CACHE):
#   OpenSSL     tools/windows/build-openssl-mingw.sh  -> openssl-mingw-<version>/
#   GoogleTest  tools/windows/build-gtest-mingw.sh    -> googletest-mingw-<version>/
# This file picks the newest complete one unless OPENSSL_ROOT_DIR / GTest_DIR are given.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(OCS_MINGW_TRIPLE x86_64-w64-mingw32)
find_program(CMAKE_C_COMPILER NAMES ${OCS_MINGW_TRIPLE}-gcc-posix ${OCS_MINGW_TRIPLE}-gcc REQUIRED)
find_program(CMAKE_CXX_COMPILER NAMES ${OCS_MINGW_TRIPLE}-g++-posix ${OCS_MINGW_TRIPLE}-g++ REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${OCS_MINGW_TRIPLE}-windres)
find_program(CMAKE_OBJDUMP NAMES ${OCS_MINGW_TRIPLE}-objdump)

# Dependency caches.
if(DEFINED ENV{OCS_OPENSSL_MINGW_CACHE})
  set(OCS_MINGW_CACHE "$ENV{OCS_OPENSSL_MINGW_CACHE}")
else()
  set(OCS_MINGW_CACHE /var/cache/opencredssp)
endif()
function(ocs_newest_cache out pattern)
  file(GLOB stamps LIST_DIRECTORIES false "${OCS_MINGW_CACHE}/${pattern}/.ocs-complete")
  set(${out} "" PARENT_SCOPE)
  if(stamps)
    list(SORT stamps COMPARE NATURAL ORDER DESCENDING)
    list(GET stamps 0 newest)
    get_filename_component(dir "${newest}" DIRECTORY)
    set(${out} "${dir}" PARENT_SCOPE)
  endif()
endfunction()
if(NOT OPENSSL_ROOT_DIR AND DEFINED ENV{OCS_OPENSSL_MINGW_PREFIX})
  set(OPENSSL_ROOT_DIR "$ENV{OCS_OPENSSL_MINGW_PREFIX}")
endif()
if(NOT OPENSSL_ROOT_DIR)
  ocs_newest_cache(OPENSSL_ROOT_DIR "openssl-mingw-*")
endif()
if(NOT OCS_GTEST_MINGW_PREFIX AND DEFINED ENV{OCS_GTEST_MINGW_PREFIX})
  set(OCS_GTEST_MINGW_PREFIX "$ENV{OCS_GTEST_MINGW_PREFIX}")
endif()
if(NOT OCS_GTEST_MINGW_PREFIX)
  ocs_newest_cache(OCS_GTEST_MINGW_PREFIX "googletest-mingw-*")
endif()
set(OPENSSL_USE_STATIC_LIBS TRUE)

# Search only the mingw sysroot and the caches, never the host's /usr/include or /usr/lib: a
# Linux header or libcrypto.a in a Windows link would be a silent disaster.
set(CMAKE_FIND_ROOT_PATH /usr/${OCS_MINGW_TRIPLE})
foreach(p IN ITEMS ${OPENSSL_ROOT_DIR} ${OCS_GTEST_MINGW_PREFIX})
  list(APPEND CMAKE_FIND_ROOT_PATH "${p}")
endforeach()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# GSL is header-only and architecture-independent: use the host's copy (libmsgsl-dev), but
# through a directory that holds nothing else, so /usr/include never reaches the include path.
get_property(ocs_in_try_compile GLOBAL PROPERTY IN_TRY_COMPILE)
if(NOT ocs_in_try_compile AND NOT GSL_INCLUDE_DIR AND EXISTS /usr/include/gsl/span)
  set(ocs_gsl_dir "${CMAKE_BINARY_DIR}/ocs-host-headers")
  file(MAKE_DIRECTORY "${ocs_gsl_dir}")
  if(NOT EXISTS "${ocs_gsl_dir}/gsl")
    file(CREATE_LINK /usr/include/gsl "${ocs_gsl_dir}/gsl" SYMBOLIC)
  endif()
  set(GSL_INCLUDE_DIR "${ocs_gsl_dir}" CACHE PATH "GSL headers (host copy, header-only)")
endif()
# On Linux <gsl/...> is found in /usr/include even by targets that do not link GSL; give every
# target the same view here.
if(GSL_INCLUDE_DIR)
  set(CMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES "${GSL_INCLUDE_DIR}")
endif()

# Test programs run under Wine (ctest uses this; tools/test.d/50-windows.sh runs them directly).
# Discover gtest cases when ctest runs, not at build time, so building needs no Wine.
find_program(OCS_WINE NAMES wine wine64)
if(OCS_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${OCS_WINE})
endif()
set(CMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE PRE_TEST)

# The DLL and the test programs carry their C/C++ runtimes (libgcc, libstdc++, winpthread) and
# OpenSSL statically, so that they depend on Windows system DLLs only; tests/windows checks
# the DLL's import list.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
