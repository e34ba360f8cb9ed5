# `cpack -G DEB` in the build folder: the Debian packages visiongw (component `gateway`) and
# visiongw-dev (component `dev`) of cmake/VisiongwInstall.cmake, installed under /usr.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME visiongw)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Vision Gateway developers <dev@visiongw.invalid>")
# Installed with DESTDIR and the prefix /usr, so that the absolute destinations of
# cmake/VisiongwSystemFiles.cmake (/etc, /lib/systemd/system) land in the package.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL gateway dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_GATEWAY_PACKAGE_NAME visiongw)
set(CPACK_DEBIAN_GATEWAY_PACKAGE_SECTION net)
set(CPACK_DEBIAN_GATEWAY_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_GATEWAY_PACKAGE_RECOMMENDS "rabbitmq-server, redis-server")
# The first line is the synopsis; CPack marks the empty line.
set(CPACK_COMPONENT_GATEWAY_DESCRIPTION "API gateway for image-analysis jobs
Vision Gateway takes image uploads over HTTP, stores them, records a job and
hands it to vision workers through RabbitMQ; clients follow the job until its
result is there. Storage, queue, job store and analysis types are plugins
chosen in /etc/visiongw/visiongw.ini.

This package holds the gateway, the reference worker, the default plugins
(local storage, RabbitMQ, Redis, the pest, disease and comprehensive analysis
types) and systemd units.")
set(CPACK_DEBIAN_GATEWAY_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME visiongw-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libboost-dev (>= 1.74), libpoco-dev (>= 1.11), librabbitmq-dev, libssl-dev")
set(CPACK_COMPONENT_DEV_DESCRIPTION "Vision Gateway plugin and worker SDKs
Headers of the plugin SDK (storage, queue, job store and analysis type
plugins), the static worker SDK library, the CMake package
(find_package(visiongw), visiongw_add_plugin()) and pkg-config files, for
building gateway plugins and vision workers.")

include(CPack)
