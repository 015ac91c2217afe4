#!/usr/bin/env bash
# A real Request Tracker 5 (Debian's request-tracker5, SQLite, rt-server on 127.0.0.1) for
# apiguard's integration test (test/integration/rt.e2e.test.ts). Developers and .ci/run use it.
#
#   scripts/rt-test-server.sh install   apt-get install RT non-interactively (root; skipped when present)
#   scripts/rt-test-server.sh start     set up the queues and custom field, start rt-server, mint a
#                                       token; prints `export RT_URL=... RT_TOKEN=...` for eval.
#                                       Reuses a server this script already started.
#   scripts/rt-test-server.sh stop      stop the server this script started
#   scripts/rt-test-server.sh status    exit 0 and print the URL when the server answers
#   scripts/rt-test-server.sh env       print the exports again (the server must be running)
#
# Environment: RT_TEST_PORT (default 18491), RT_TEST_DIR (pid, log, token; default
# /var/tmp/apiguard-rt-test). Everything is on loopback with RT's test password: never use this
# set-up for anything but tests. Progress goes to stderr; only the exports go to stdout.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
PORT="${RT_TEST_PORT:-18491}"
STATE="${RT_TEST_DIR:-/var/tmp/apiguard-rt-test}"
PIDFILE="$STATE/rt-server.pid"
LOG="$STATE/rt-server.log"
ENVFILE="$STATE/env"
BASE="http://127.0.0.1:$PORT/rt"
PACKAGES=(request-tracker5 rt5-db-sqlite rt5-standalone)
SITE_CONFIG=/etc/request-tracker5/RT_SiteConfig.d/90-apiguard-test.pm
BCRYPT_COST=4

log() { echo "rt-test-server: $*" >&2; }
die() { log "$*"; exit 1; }

installed() {
  local p
  for p in "${PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || return 1
  done
}

# A file of the request-tracker5 package, found by the end of its path (Debian moves them between releases).
package_file() {
  dpkg -L request-tracker5 | grep -E "$1" | head -n 1
}

# HTTP status of GET $1 (with header $2 when given); 000 when nothing answers. Perl's core
# HTTP::Tiny is always there (RT is Perl) and its User-Agent is not a browser's.
http_status() {
  perl -MHTTP::Tiny -e '
    my ($url, $auth) = @ARGV;
    my $r = HTTP::Tiny->new(timeout => 3, agent => "apiguard-rt-test-server")
      ->get($url, { headers => $auth ? { Authorization => $auth } : {} });
    print $r->{status} == 599 ? "000" : $r->{status};' "$1" "${2:-}"
}

running_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# scripts/rt/rt-helper.pl through RT's own libraries; RT's start-up warnings go to a log, not the terminal.
rt_helper() {
  local lib out
  lib="$(dirname "$(package_file '/lib/RT\.pm$')")"
  if ! out="$(perl "$HERE/rt/rt-helper.pl" "$lib" "$1" 2>>"$STATE/rt-helper.log")"; then
    tail -n 5 "$STATE/rt-helper.log" >&2
    die "scripts/rt/rt-helper.pl $1 failed (log: $STATE/rt-helper.log)"
  fi
  echo "$out"
}

cmd_install() {
  if installed; then
    log "request-tracker5 $(dpkg-query -W -f='${Version}' request-tracker5) is installed"
    return 0
  fi
  [ "$(id -u)" = 0 ] || die "installing RT needs root: sudo $0 install"
  command -v apt-get >/dev/null || die "installing RT needs Debian's apt-get (Debian 12 or later has request-tracker5)"
  mkdir -p "$STATE"
  log "installing ${PACKAGES[*]} (about a minute; log: $STATE/install.log)"
  {
    apt-get update -q
    # The answers the package would ask for; SQLite and an initial root password of 'password'.
    debconf-set-selections <<'EOF'
request-tracker5 request-tracker5/rtname string apiguard-test
request-tracker5 request-tracker5/organization string apiguard.test
request-tracker5 request-tracker5/correspondaddress string rt@localhost
request-tracker5 request-tracker5/commentaddress string rt-comment@localhost
request-tracker5 request-tracker5/webbaseurl string http://127.0.0.1:18491
request-tracker5 request-tracker5/handle-siteconfig-permissions boolean true
request-tracker5 request-tracker5/install-cronjobs boolean false
request-tracker5 request-tracker5/initial-root-password password password
request-tracker5 request-tracker5/dbconfig-install boolean true
request-tracker5 request-tracker5/database-type select sqlite3
EOF
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
  } >"$STATE/install.log" 2>&1 || { tail -n 30 "$STATE/install.log" >&2; die "apt-get failed (full log: $STATE/install.log)"; }
  installed || die "the packages are still not installed after apt-get (log: $STATE/install.log)"
  log "installed request-tracker5 $(dpkg-query -W -f='${Version}' request-tracker5)"
}

write_site_config() {
  local want
  # WebBaseURL must match where rt-server listens; mail goes to a file instead of the local MTA.
  # RT checks the token's bcrypt hash on every request: at the default cost (12) that is ~0.3 s of
  # CPU a request, which would make the test slow; cost 4 is for this throwaway RT only.
  want="$(printf '%s\n' \
    '# Written by apiguard scripts/rt-test-server.sh: a loopback RT for integration tests.' \
    "Set(\$WebBaseURL, 'http://127.0.0.1:$PORT');" \
    "Set(\$WebPath, '/rt');" \
    "Set(\$MailCommand, 'testfile');" \
    "Set(\$BcryptCost, $BCRYPT_COST);" \
    '1;')"
  if [ ! -f "$SITE_CONFIG" ] || [ "$(cat "$SITE_CONFIG")" != "$want" ]; then
    printf '%s\n' "$want" >"$SITE_CONFIG"
  fi
}

# Queues 'API Security' (with the 'apiguard Finding ID' ticket custom field) and 'apiguard no CF'.
ensure_initialdata() {
  local setup state
  state="$(rt_helper is-set-up)"
  case "$state" in
    yes) return 0 ;;
    no) ;;
    *) die "RT is partly set up ($state): add the rest from scripts/rt/initialdata by hand, or reinstall RT" ;;
  esac
  setup="$(command -v rt-setup-database-5 || package_file '/rt-setup-database(-5)?$')"
  [ -n "$setup" ] || die "cannot find rt-setup-database in the request-tracker5 package"
  log "loading scripts/rt/initialdata"
  "$setup" --action insert --datafile "$HERE/rt/initialdata" --skip-create >"$STATE/initialdata.log" 2>&1 \
    || { cat "$STATE/initialdata.log" >&2; die "rt-setup-database failed"; }
  state="$(rt_helper is-set-up)"
  [ "$state" = yes ] || die "after loading scripts/rt/initialdata RT is still not set up: $state"
}

# A token that still authenticates (and was hashed at the cost above) is reused; otherwise a new one is minted for root.
ensure_token() {
  local token=""
  if [ -f "$ENVFILE" ] && grep -qx "RT_TEST_BCRYPT_COST=$BCRYPT_COST" "$ENVFILE"; then
    token="$(sed -n 's/^RT_TOKEN=//p' "$ENVFILE")"
    [ -n "$token" ] && [ "$(http_status "$BASE/REST/2.0/rt" "token $token")" = 200 ] || token=""
  fi
  if [ -z "$token" ]; then
    token="$(rt_helper mint-token)"
    [ "$(http_status "$BASE/REST/2.0/rt" "token $token")" = 200 ] || die "the new token does not authenticate against $BASE/REST/2.0/rt"
    (umask 077 && printf 'RT_URL=%s\nRT_TOKEN=%s\nRT_TEST_BCRYPT_COST=%s\n' "$BASE" "$token" "$BCRYPT_COST" >"$ENVFILE")
  fi
}

print_env() {
  [ -f "$ENVFILE" ] || die "no $ENVFILE: run $0 start"
  sed -n 's/^\(RT_URL\|RT_TOKEN\)=\(.*\)$/export \1=\2/p' "$ENVFILE"
}

cmd_start() {
  installed || die "RT is not installed: run $0 install (as root)"
  mkdir -p "$STATE"
  chmod 700 "$STATE"
  if running_pid >/dev/null && [ "$(http_status "$BASE/REST/2.0/rt")" = 401 ]; then
    log "RT is already running at $BASE (pid $(cat "$PIDFILE"))"
    ensure_token
    print_env
    return 0
  fi
  [ "$(http_status "http://127.0.0.1:$PORT/")" = 000 ] \
    || die "something else answers on 127.0.0.1:$PORT: stop it, or pick another port with RT_TEST_PORT"
  write_site_config
  ensure_initialdata
  local server pid i
  server="$(package_file '/libexec/rt-server$')"
  [ -n "$server" ] || die "cannot find rt-server in the request-tracker5 package"
  log "starting rt-server on 127.0.0.1:$PORT (log: $LOG)"
  # setsid: the server outlives the shell (and the test run) that started it; stop it with `stop`.
  setsid "$server" --host 127.0.0.1 --port "$PORT" --webpath /rt >>"$LOG" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PIDFILE"
  for i in $(seq 1 120); do
    # REST2 is up when it refuses an unauthenticated request with 401.
    [ "$(http_status "$BASE/REST/2.0/rt")" = 401 ] && break
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$LOG" >&2; die "rt-server exited while starting (log: $LOG)"; }
    sleep 0.5
  done
  [ "$(http_status "$BASE/REST/2.0/rt")" = 401 ] || { tail -n 30 "$LOG" >&2; die "RT did not answer at $BASE/REST/2.0/ within 60 s (log: $LOG)"; }
  ensure_token
  log "RT is running at $BASE (pid $pid)"
  print_env
}

cmd_stop() {
  local pid i
  if ! pid="$(running_pid)"; then
    log "not running"
    rm -f "$PIDFILE"
    return 0
  fi
  kill "$pid"
  for i in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -0 "$pid" 2>/dev/null && die "rt-server (pid $pid) did not stop"
  rm -f "$PIDFILE"
  log "stopped rt-server (pid $pid)"
}

cmd_status() {
  if running_pid >/dev/null && [ "$(http_status "$BASE/REST/2.0/rt")" = 401 ]; then
    echo "$BASE"
    return 0
  fi
  log "not running"
  return 1
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_status >/dev/null && print_env ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
