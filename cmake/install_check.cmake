# install_check.cmake - ctest script: install the build into a scratch prefix, then build a
# tiny consumer with find_package(opencredssp) and one with pkg-config, and run them.
# Installs only the opencredssp component (the library, headers, package files).
# Variables: BUILD_DIR, WORK_DIR, SOURCE_DIR.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/consumer)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --component opencredssp --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "install failed: ${rc}")
endif()
file(WRITE ${WORK_DIR}/consumer/main.c [=[
#include <opencredssp/sspi.h>
#include <stdio.h>
int main(void) {
  PSecurityFunctionTableW t = InitSecurityInterfaceW();
  ULONG n = 0;
  PSecPkgInfoW info = NULL;
  if (t == NULL || t->EnumerateSecurityPackagesW(&n, &info) != SEC_E_OK || n != 3) return 1;
  t->FreeContextBuffer(info);
  puts("consumer ok");
  return 0;
}
]=])
file(WRITE ${WORK_DIR}/consumer/CMakeLists.txt [=[
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(opencredssp REQUIRED)
add_executable(consumer main.c)
target_link_libraries(consumer PRIVATE opencredssp::opencredssp)
]=])
execute_process(COMMAND ${CMAKE_COMMAND} -S ${WORK_DIR}/consumer -B ${WORK_DIR}/consumer/build
                        -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "find_package(opencredssp) consumer did not configure")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer/build RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "find_package(opencredssp) consumer did not build")
endif()
execute_process(COMMAND ${WORK_DIR}/consumer/build/consumer RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "find_package(opencredssp) consumer failed: ${rc}")
endif()
# pkg-config
find_program(PKG_CONFIG pkg-config REQUIRED)
file(GLOB pcdir ${WORK_DIR}/prefix/lib*/pkgconfig ${WORK_DIR}/prefix/lib/*/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "${pcdir}")
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs opencredssp OUTPUT_VARIABLE flags
                RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(rc)
  message(FATAL_ERROR "pkg-config opencredssp failed")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
execute_process(COMMAND cc ${WORK_DIR}/consumer/main.c ${flags} -o ${WORK_DIR}/consumer/pc
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "pkg-config consumer did not build")
endif()
string(REGEX REPLACE ".*-L([^ ;]+).*" "\\1" libdir "${flags}")
set(ENV{LD_LIBRARY_PATH} "${libdir}")
execute_process(COMMAND ${WORK_DIR}/consumer/pc RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "pkg-config consumer failed: ${rc}")
endif()
