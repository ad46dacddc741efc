#!/usr/bin/env bash
# Starts the local PostgreSQL and MariaDB used by the integration tests,
# installing them from Debian's packages first on a fresh machine.
set -u
export DEBIAN_FRONTEND=noninteractive
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v mariadbd >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq postgresql mariadb-server >/dev/null
fi
if ! pg_isready -h 127.0.0.1 -q 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! mariadb-admin ping -h 127.0.0.1 --silent 2>/dev/null; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
for _ in $(seq 1 50); do
  pg_isready -h 127.0.0.1 -q 2>/dev/null && mariadb-admin ping -h 127.0.0.1 --silent 2>/dev/null && exit 0
  sleep 0.2
done
pg_isready -h 127.0.0.1 || echo "PostgreSQL is not answering on 127.0.0.1:5432"
mariadb-admin ping -h 127.0.0.1 || echo "MariaDB is not answering on 127.0.0.1:3306"
exit 1
