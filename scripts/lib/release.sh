# The release build (issue 13), shared by scripts/build-release, scripts/bench and scripts/code-layout. Sourced.
#
# Every module, the dependencies' too, is compiled with one section per function: SwiftPM puts all of a Swift
# file's functions in one section, so the linker could only move whole files, and the code layout
# (Sources/reverify/Layout, written by scripts/code-layout) would pull most of the binary to the front. It also
# lets `--gc-sections` drop unused functions (.text 23.1 -> 21.8 MB).
RELEASE_FLAGS=(-c release --product reverify -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections)

# build_release SCRATCH_PATH [EXTRA SWIFT BUILD ARGUMENTS…]: builds and sets RELEASE_BIN.
build_release() {
  local scratch="$1"
  shift
  # SwiftPM does not see the layout files as inputs of the link; without the binary it links again.
  rm -f "$scratch/release/reverify"
  echo "==> swift build ${RELEASE_FLAGS[*]} --scratch-path $scratch $*"
  swift build "${RELEASE_FLAGS[@]}" --scratch-path "$scratch" "$@"
  RELEASE_BIN="$(swift build "${RELEASE_FLAGS[@]}" --scratch-path "$scratch" "$@" --show-bin-path)/reverify"
}
