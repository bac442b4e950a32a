# Installs what Reverify needs on a fresh Debian machine. Sourced by scripts/serve and scripts/test.
# Only missing packages are installed, so a warm machine pays nothing.

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Libraries the Swift package links against.
install_build_deps() {
  apt_install libargon2-dev libsqlite3-dev pkg-config
}

# The end-to-end suite: a real browser, the Python relying-party libraries, and Apache httpd with
# mod_auth_openidc as a third-party relying party (apache2-bin is the server without Debian's service setup).
install_test_deps() {
  # prometheus scrapes /metrics in the e2e suite (issue 15.1).
  # libcairo2: cairosvg renders the enrolment QR code's SVG for zxing-cpp to decode (issue 18).
  apt_install chromium chromium-driver apache2-bin libapache2-mod-auth-openidc prometheus libcairo2
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  if ! python3 -c "import authlib, jwt, joserfc, selenium, argon2, requests, pytest, aiosmtpd, standardwebhooks, cryptography, flask, pyotp, cairosvg, zxingcpp, PIL, cbor2, webauthn" >/dev/null 2>&1; then
    echo "==> installing Python test packages"
    python3 -m pip install -q --disable-pip-version-check -r "$root/Tests/e2e/requirements.txt"
  fi
}
