# shellcheck shell=bash
# Sourced by the install tests: a scratch folder, this build installed into a prefix inside it,
# and examples/ built against that prefix alone.

# work_dir: a fresh scratch folder (mode 0700), removed by the caller's cleanup.
work_dir() {
  mktemp -d "${TMPDIR:-/tmp}/visiongw-install-test.XXXXXX"
}

# install_build BUILD_DIR PREFIX: `cmake --install` of the build into PREFIX, with the umask a
# careful operator has; the gateway refuses a plugin folder that group or others can write.
install_build() {
  (umask 022 && cmake --install "$1" --prefix "$2" >/dev/null)
}

# build_examples SOURCE_DIR PREFIX BUILD_DIR CXX_FLAGS [PROJECT]: configures and builds the
# examples (or one of them) from a copy outside the source tree, finding visiongw only in
# PREFIX, then checks that no compile or link line names this source tree.
build_examples() {
  local source="$1" prefix="$2" build="$3" flags="$4" project="${5:-}"
  local copy="$build-src"
  cp -r "$source" "$copy"
  cmake -S "$copy/$project" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    -DCMAKE_CXX_FLAGS="$flags" >"$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; return 1; }
  cmake --build "$build" -j "$(nproc)" >"$build.build.log" 2>&1 || { cat "$build.build.log"; return 1; }
  local leaks
  leaks="$(find "$build" \( -name compile_commands.json -o -name link.txt \) \
    -exec grep -l -- "$VISIONGW_SOURCE_DIR" {} + || true)"
  if [ -n "$leaks" ]; then
    echo "the examples' build names the source tree $VISIONGW_SOURCE_DIR in: $leaks" >&2
    return 1
  fi
}
