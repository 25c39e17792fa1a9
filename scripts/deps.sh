#!/usr/bin/env bash
# Installs the Debian packages Tempest's tests and demo need, when missing:
# a MariaDB server (the logical backend's real target in tests) and mydumper
# (real dumps and the myloader benchmark peer).
set -euo pipefail

need=()
command -v mariadbd >/dev/null 2>&1 || command -v mysqld >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v mydumper >/dev/null 2>&1 || need+=(mydumper)
[ ${#need[@]} -eq 0 ] && exit 0

echo "installing ${need[*]} ..." >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# policy-rc.d keeps the package from starting a system-wide server: tests
# and the demo start their own on private ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
