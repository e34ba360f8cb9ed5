# The rules every gateway plugin is built by, in this tree and out of it: this file is installed
# with the CMake package (lib/cmake/visiongw/), so a third party's plugin gets the same.

# visiongw_only_owner_writes(TARGET)
# The gateway opens plugins only from a folder and files that group and others cannot write;
# the linker makes both with the builder's umask (a umask of 002 makes them group-writable), so
# each plugin library and its folder lose those bits after every link.
function(visiongw_only_owner_writes target)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND chmod go-w $<TARGET_FILE:${target}> $<TARGET_FILE_DIR:${target}>
    VERBATIM)
endfunction()

# visiongw_add_plugin(NAME SOURCES ... [LIBS ...])
# Builds one plugin as a shared library `visiongw-NAME.so` (target `visiongw-NAME`) with hidden
# symbols: only the handshake and the factory alias are exported, and every symbol must resolve
# at link time (the gateway provides none). The library lands in VISIONGW_PLUGIN_OUTPUT_DIR when
# that is set (this tree's plugin folder), else in the current binary folder.
function(visiongw_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  set(target visiongw-${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(VISIONGW_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${VISIONGW_PLUGIN_OUTPUT_DIR})
  endif()
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_link_libraries(${target} PRIVATE visiongw::sdk ${ARG_LIBS})
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  visiongw_only_owner_writes(${target})
  if(TARGET visiongw_plugins)
    add_dependencies(visiongw_plugins ${target})
  endif()
endfunction()
