#!/bin/sh
# Install the Debian packages the project needs, when root and missing:
# a CJK font (screen font), Mosquitto (uplink tests), PostgreSQL (fleet store tests).
# Usage: sysdeps.sh [bench]
set -e
pkgs="fonts-wqy-microhei mosquitto mosquitto-clients postgresql"
# the emulated 32-bit board (board/qemu_m7): cross compiler, C library, emulator
pkgs="$pkgs gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm"
[ "${1:-}" = "bench" ] && pkgs="$pkgs libzbar0"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages:$missing" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
  echo "warning: missing Debian packages:$missing (not root; install them by hand)" >&2
fi
