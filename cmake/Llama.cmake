# Imports the llama.cpp build that scripts/bootstrap made in the cache:
#   ${DAULAT_LLAMA_DIR}/src    the pinned source (headers, vocab files)
#   ${DAULAT_LLAMA_DIR}/build  libllama, ggml, llama-common (shared), llama-bench
# We never build llama.cpp from here: it is built once per version and reused.
set(DAULAT_LLAMA_DIR "${CMAKE_SOURCE_DIR}/.cache/llama.cpp/current"
    CACHE PATH "llama.cpp source+build made by scripts/bootstrap")
get_filename_component(DAULAT_LLAMA_DIR "${DAULAT_LLAMA_DIR}" REALPATH)
set(_llama_src "${DAULAT_LLAMA_DIR}/src")
set(_llama_bin "${DAULAT_LLAMA_DIR}/build/bin")
if(NOT EXISTS "${DAULAT_LLAMA_DIR}/.complete")
  message(FATAL_ERROR "llama.cpp build not found in ${DAULAT_LLAMA_DIR}: run scripts/bootstrap first")
endif()

function(_daulat_import name file)
  if(NOT EXISTS "${_llama_bin}/${file}")
    message(FATAL_ERROR "llama.cpp build in ${DAULAT_LLAMA_DIR} lacks ${file}: re-run scripts/bootstrap")
  endif()
  add_library(${name} SHARED IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES IMPORTED_LOCATION "${_llama_bin}/${file}")
endfunction()

_daulat_import(llama::ggml-base libggml-base.so)
_daulat_import(llama::ggml libggml.so)
_daulat_import(llama::llama libllama.so)
_daulat_import(llama::common libllama-common.so)
set_target_properties(llama::ggml-base PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_llama_src}/ggml/include")
set_target_properties(llama::ggml PROPERTIES INTERFACE_LINK_LIBRARIES llama::ggml-base)
set_target_properties(llama::llama PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_llama_src}/include"
  INTERFACE_LINK_LIBRARIES "llama::ggml;llama::ggml-base")
set_target_properties(llama::common PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_llama_src}/common"
  INTERFACE_LINK_LIBRARIES llama::llama)

set(DAULAT_LLAMA_SRC "${_llama_src}" CACHE INTERNAL "")
set(DAULAT_LLAMA_BIN "${_llama_bin}" CACHE INTERNAL "")
file(READ "${_llama_src}/.git/HEAD" _head)
string(STRIP "${_head}" DAULAT_LLAMA_COMMIT)
set(DAULAT_LLAMA_COMMIT "${DAULAT_LLAMA_COMMIT}" CACHE INTERNAL "")
# Binaries find the cached libraries through their RUNPATH.
set(CMAKE_BUILD_RPATH "${_llama_bin}")
set(CMAKE_INSTALL_RPATH "${_llama_bin}")
