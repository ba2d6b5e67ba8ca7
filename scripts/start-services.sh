#!/usr/bin/env bash
# Starts MariaDB and Redis for the tests if they are not answering.
set -euo pipefail

if ! mariadb -uroot -h127.0.0.1 -e 'select 1' >/dev/null 2>&1; then
  echo "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 60); do mariadb -uroot -h127.0.0.1 -e 'select 1' >/dev/null 2>&1 && break; sleep 1; done
fi
mariadb -uroot -h127.0.0.1 -e 'select 1' >/dev/null || { echo "MariaDB did not start" >&2; exit 1; }

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
redis-cli -h 127.0.0.1 ping >/dev/null || { echo "Redis did not start" >&2; exit 1; }
echo "MariaDB and Redis are up"
