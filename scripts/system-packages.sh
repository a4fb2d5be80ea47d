#!/usr/bin/env bash
# Debian packages the platform needs beside Python: CJK fonts and Pango for PDF output, and
# (with --test) Chromium and PostgreSQL for the mandatory browser and database tests, Redis and
# nginx for the shared-cache and two-node tests.
set -euo pipefail
need=()
# Process substitution, not a pipe: with pipefail, grep -q closing the pipe would fail the check.
grep -q "Noto Sans CJK" <(fc-list 2>/dev/null) || need+=(fonts-noto-cjk)
grep -q "libpangoft2-1.0.so.0" <(ldconfig -p 2>/dev/null) || need+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ "${1:-}" = "--test" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql-15)
  # The shared cache and the two-node test (issue 21 §1, §6): started by the tests themselves.
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  [ -x /usr/sbin/nginx ] || need+=(nginx-light)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "缺少系统软件包：${need[*]}。请以 root 运行：apt-get install ${need[*]}（PDF 输出需要它们）" >&2
  exit 0
fi
echo "安装系统软件包：${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
