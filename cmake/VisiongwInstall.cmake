# What `cmake --install` puts where, in two components: `gateway` (the visiongw package: the
# executables, the default plugins, the ini, the systemd units, the documentation) and `dev`
# (the visiongw-dev package: SDK headers, the worker library, the CMake package, pkg-config).
# cmake/VisiongwPackage.cmake turns the components into Debian packages.
include(CMakePackageConfigHelpers)

set(VISIONGW_INSTALL_CMAKE_DIR lib/cmake/visiongw)
set(VISIONGW_INSTALL_DOC_DIR share/doc/visiongw)
# The gateway refuses a plugin folder that group or others can write, whatever the umask of the
# one who installs.
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# --- gateway -----------------------------------------------------------------------------------
install(TARGETS visiongw visiongw-worker RUNTIME DESTINATION bin COMPONENT gateway)
get_target_property(visiongw_default_plugins visiongw_plugins MANUALLY_ADDED_DEPENDENCIES)
install(TARGETS ${visiongw_default_plugins}
  LIBRARY DESTINATION ${VISIONGW_INSTALL_PLUGIN_DIR} COMPONENT gateway)

install(FILES ${VISIONGW_CONSOLE_FILES} DESTINATION ${VISIONGW_INSTALL_CONSOLE_DIR}
  COMPONENT gateway)

# Man pages from each program's --help (help2man), gzipped as Debian wants them.
find_program(VISIONGW_HELP2MAN help2man REQUIRED)
set(visiongw_man_name_visiongw "API gateway for image-analysis jobs")
set(visiongw_man_name_visiongw-worker "reference worker of the Vision Gateway")
set(visiongw_man_pages)
foreach(program visiongw visiongw-worker)
  set(page ${CMAKE_BINARY_DIR}/man/${program}.1.gz)
  add_custom_command(OUTPUT ${page}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    # A sanitized build's program must not fail the page on a leak report at exit.
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
            sh -c "\"$0\" --no-info --no-discard-stderr --version-string=\"$1\" --name=\"$2\" --output=\"$4\" \"$3\" && gzip -9nf \"$4\""
            ${VISIONGW_HELP2MAN} ${PROJECT_VERSION} "${visiongw_man_name_${program}}"
            $<TARGET_FILE:${program}> ${CMAKE_BINARY_DIR}/man/${program}.1
    DEPENDS ${program}
    VERBATIM)
  list(APPEND visiongw_man_pages ${page})
endforeach()
add_custom_target(visiongw_man_pages ALL DEPENDS ${visiongw_man_pages})
install(FILES ${visiongw_man_pages} DESTINATION share/man/man1 COMPONENT gateway)

# Debian's changelog, gzipped, once per package's documentation folder.
set(visiongw_changelog ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
add_custom_command(OUTPUT ${visiongw_changelog}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
  COMMAND sh -c "gzip -9n < \"$0\" > \"$1\""
          ${PROJECT_SOURCE_DIR}/packaging/debian/changelog ${visiongw_changelog}
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/debian/changelog
  VERBATIM)
add_custom_target(visiongw_changelog ALL DEPENDS ${visiongw_changelog})

install(FILES README.md sdk/PROTOCOL.md ${visiongw_changelog}
  packaging/debian/copyright DESTINATION ${VISIONGW_INSTALL_DOC_DIR} COMPONENT gateway)
install(FILES sdk/README.md DESTINATION ${VISIONGW_INSTALL_DOC_DIR} RENAME SDK.md
  COMPONENT gateway)
install(FILES sdk/worker/README.md DESTINATION ${VISIONGW_INSTALL_DOC_DIR} RENAME WORKER-SDK.md
  COMPONENT gateway)

# The ini and the systemd units name installed paths, so they are written at install time, when
# the prefix is known (`cmake --install --prefix P` may differ from the configured one). With
# the prefix /usr they go to /etc and /lib/systemd/system, else under the prefix.
install(CODE "
  set(VISIONGW_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
  set(VISIONGW_STAGING_DIR \"${CMAKE_BINARY_DIR}/packaging/installed\")
  set(VISIONGW_INSTALL_PLUGIN_DIR \"${VISIONGW_INSTALL_PLUGIN_DIR}\")
  set(VISIONGW_DEFAULT_PLUGIN_DIR \"${VISIONGW_DEFAULT_PLUGIN_DIR}\")
  include(\"${PROJECT_SOURCE_DIR}/cmake/VisiongwSystemFiles.cmake\")"
  COMPONENT gateway)

# --- dev ---------------------------------------------------------------------------------------
install(DIRECTORY sdk/include/visiongw sdk/worker/include/visiongw sdk/amqp/include/visiongw
  DESTINATION include COMPONENT dev)

# The worker library is static: its API is C++ classes (std::function, Poco::JSON, option
# structs) whose layout changes with every added option, which a shared library would have to
# answer with a new SONAME and package each time; a worker is one program that links the version
# it was built against. Its protocol and AMQP parts are archives of their own in a private
# folder, linked through the exported targets.
set_target_properties(visiongw_sdk PROPERTIES EXPORT_NAME sdk)
set_target_properties(visiongw_worker PROPERTIES EXPORT_NAME worker OUTPUT_NAME visiongw-worker)
set_target_properties(visiongw_amqp PROPERTIES EXPORT_NAME amqp OUTPUT_NAME visiongw-amqp)
set_target_properties(visiongw_protocol PROPERTIES EXPORT_NAME protocol
  OUTPUT_NAME visiongw-protocol)
if(VISIONGW_SANITIZE)
  # Objects built with the sanitizers need them at link time, in this tree and out of it.
  target_link_options(visiongw_worker INTERFACE -fsanitize=address,undefined)
endif()
install(TARGETS visiongw_sdk visiongw_worker EXPORT visiongwTargets
  ARCHIVE DESTINATION lib COMPONENT dev)
install(TARGETS visiongw_amqp visiongw_protocol EXPORT visiongwTargets
  ARCHIVE DESTINATION lib/visiongw COMPONENT dev)
install(EXPORT visiongwTargets NAMESPACE visiongw:: DESTINATION ${VISIONGW_INSTALL_CMAKE_DIR}
  COMPONENT dev)

configure_package_config_file(cmake/visiongwConfig.cmake.in
  ${CMAKE_BINARY_DIR}/packaging/visiongwConfig.cmake
  INSTALL_DESTINATION ${VISIONGW_INSTALL_CMAKE_DIR}
  PATH_VARS VISIONGW_INSTALL_PLUGIN_DIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/packaging/visiongwConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/packaging/visiongwConfig.cmake
  ${CMAKE_BINARY_DIR}/packaging/visiongwConfigVersion.cmake cmake/VisiongwPlugin.cmake
  DESTINATION ${VISIONGW_INSTALL_CMAKE_DIR} COMPONENT dev)

foreach(pc visiongw visiongw-worker)
  configure_file(packaging/${pc}.pc.in ${CMAKE_BINARY_DIR}/packaging/${pc}.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/packaging/${pc}.pc DESTINATION lib/pkgconfig COMPONENT dev)
endforeach()
install(FILES ${visiongw_changelog} packaging/debian/copyright
  DESTINATION share/doc/visiongw-dev COMPONENT dev)

include(cmake/VisiongwPackage.cmake)
