# visiongw_add_plugin(NAME SOURCES ... [LIBS ...])
# Builds one plugin as a shared library `visiongw-NAME.so` in the plugin folder, with hidden
# symbols: only the handshake and the factory alias are exported.
function(visiongw_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  set(target visiongw-${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${VISIONGW_PLUGIN_OUTPUT_DIR})
  target_link_libraries(${target} PRIVATE visiongw::sdk ${ARG_LIBS})
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  add_dependencies(visiongw_plugins ${target})
endfunction()
