# Runs at install time (cmake/VisiongwInstall.cmake): writes the ini and the systemd units for
# the prefix being installed to and installs them. The prefix /usr (the Debian packages) puts
# them in /etc/visiongw and /lib/systemd/system; any other prefix P in P/etc/visiongw and
# P/lib/systemd/system, so an install into a private prefix writes nothing outside it.
# In: VISIONGW_SOURCE_DIR, VISIONGW_STAGING_DIR, VISIONGW_INSTALL_PLUGIN_DIR,
# VISIONGW_DEFAULT_PLUGIN_DIR, and CMAKE_INSTALL_PREFIX.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(etc_dir /etc)
  set(unit_dir /lib/systemd/system)
else()
  set(etc_dir ${CMAKE_INSTALL_PREFIX}/etc)
  set(unit_dir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
set(VISIONGW_BINDIR ${CMAKE_INSTALL_PREFIX}/bin)
set(VISIONGW_CONFIG ${etc_dir}/visiongw/visiongw.ini)
set(plugin_dir ${CMAKE_INSTALL_PREFIX}/${VISIONGW_INSTALL_PLUGIN_DIR})
# One staging folder per destination: installs into several prefixes at once (the tests) must
# not write each other's files.
string(MD5 destination "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
set(staging ${VISIONGW_STAGING_DIR}/${destination})

# The ini of the source tree, its plugin folder (relative to a build tree's executable) made the
# installed one.
file(READ ${VISIONGW_SOURCE_DIR}/etc/visiongw.ini ini)
set(build_tree_line "dir = ${VISIONGW_DEFAULT_PLUGIN_DIR}\n")
string(FIND "${ini}" "${build_tree_line}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "etc/visiongw.ini has no line '${build_tree_line}' in [plugins] to make "
                      "the installed plugin folder")
endif()
string(REPLACE "${build_tree_line}" "dir = ${plugin_dir}\n" ini "${ini}")
file(WRITE ${staging}/visiongw.ini "${ini}")

foreach(unit visiongw.service visiongw-worker@.service)
  configure_file(${VISIONGW_SOURCE_DIR}/packaging/systemd/${unit}.in
    ${staging}/${unit} @ONLY)
endforeach()

file(INSTALL DESTINATION ${etc_dir}/visiongw TYPE FILE FILES ${staging}/visiongw.ini)
file(INSTALL DESTINATION ${unit_dir} TYPE FILE FILES ${staging}/visiongw.service
  ${staging}/visiongw-worker@.service)
file(REMOVE_RECURSE ${staging})
