#!/usr/bin/env bash
# Installs what aicall needs on a fresh Debian machine: system packages, then a virtualenv.
#   scripts/setup.sh         the service (espeak-ng, sox for speech; Kamailio as the SIP edge;
#                            SIPp for SIP tests)
#   scripts/setup.sh --dev   plus the test tools (Chromium for browser tests, pytest, ruff, mypy)
# Both raise net.core.rmem_max to the SIP edge's socket buffers when it is lower (and they may).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
command -v espeak-ng >/dev/null || packages+=(espeak-ng)
command -v sox >/dev/null || packages+=(sox)
# MP3 uploads (campaign audio) are converted by sox, which reads MP3 only with this plugin.
sox -h 2>/dev/null | grep -qw mp3 || packages+=(libsox-fmt-mp3)
command -v sipp >/dev/null || packages+=(sip-tester)
# The SIP edge in front of the media workers (docs/sip.md); SIP tests run it too.
[ -x /usr/sbin/kamailio ] || packages+=(kamailio)
if [ "${1:-}" = "--dev" ]; then
  [ -x /usr/bin/chromium ] || packages+=(chromium)
  # makemessages (the translation catalogue test extracts every text with xgettext).
  command -v xgettext >/dev/null || packages+=(gettext)
fi
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing Debian packages: ${packages[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
  if [[ " ${packages[*]} " == *" kamailio "* ]] && command -v systemctl >/dev/null; then
    # aicall runs its own Kamailio on its own cfg; the distribution's service would hold 5060.
    $sudo systemctl disable --now kamailio >/dev/null 2>&1 || true
  fi
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "${1:-}" = "--dev" ]; then
  .venv/bin/python -m pip install -q -e ".[dev]"
else
  .venv/bin/python -m pip install -q -e .
fi

# The SIP edge asks for UDP receive buffers of this size (EdgeSettings.udp_buffer_bytes,
# Kamailio's maxbuffer) so that a burst of SIP waits while it is starved of CPU; the kernel
# caps them at net.core.rmem_max (208 KB on a stock Debian). Raised when lower and we may
# (root, or sudo without a password), and kept across reboots; else one line says how.
want=$(.venv/bin/python -c \
  'from aicall.telephony.edge.config import EdgeSettings; print(EdgeSettings.udp_buffer_bytes)')
have=$(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo "$want")
if [ "$have" -lt "$want" ]; then
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo -n"
  if { [ -z "$as_root" ] || sudo -n true 2>/dev/null; } &&
    $as_root sysctl -q -w "net.core.rmem_max=$want" >/dev/null 2>&1; then
    echo "net.core.rmem_max = $want" |
      $as_root tee /etc/sysctl.d/60-aicall-sip-edge.conf >/dev/null 2>&1 || true
  else
    echo "net.core.rmem_max is $have, the SIP edge asks $want:" \
      "run 'sudo sysctl -w net.core.rmem_max=$want' (and keep it in /etc/sysctl.d/)"
  fi
fi
