# Shared by conformance/bench/scim and conformance/bench/saml (sourced, not run).
# Expects: set -euo pipefail, $here (this folder) and $root (the repository).

# Servers started here stop at once on SIGTERM (no load balancer to drain for).
export GATEHOUSE_DRAIN_SECONDS="${GATEHOUSE_DRAIN_SECONDS:-0}"

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/gatehouse/release-target}
# Only this machine is ever contacted.
export PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres PGOPTIONS='-c client_min_messages=warning'

log() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }
now_ns() { date +%s%N; }
since_s() { awk -v a="$1" -v b="$(now_ns)" -v f="${2:-%.1f}" 'BEGIN {printf f, (b-a)/1e9}'; }
# 1234567 -> 1,234,567 (integers only)
commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
# median of the numbers given as arguments
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# need_tools CMD:PACKAGE...: installs the Debian packages of missing commands (as root).
need_tools() {
  local spec missing=()
  for spec in "$@"; do
    command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
  done
  ((${#missing[@]})) || return 0
  [[ $(id -u) -eq 0 ]] || die "missing tools; run: sudo apt-get install -y ${missing[*]}"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
}

wait_for_postgres() {
  local _
  for _ in $(seq 1 20); do
    psql -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "no PostgreSQL answers on 127.0.0.1:5432 as user postgres (scripts/test starts a local cluster)"
}

# build_release: cargo build --release; sets $bin and $build_s.
build_release() {
  log "building the release binary (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
  local t
  t=$(now_ns)
  if [[ "${BENCH_SKIP_BUILD:-0}" == 1 ]]; then
    log "BENCH_SKIP_BUILD=1: using the binary as it is"
  else
    (cd "$root" && cargo build --release --locked) >&2
  fi
  build_s=$(since_s "$t" %.0f)
  bin="$CARGO_TARGET_DIR/release/gatehouse"
  [[ -x "$bin" ]] || die "no binary at $bin"
}

# Another benchmark (wrk, hey, oha) skews every figure: wait for it, up to 10 minutes, polling
# every 30 s. Records the load average seen in $loads (one entry per measurement).
loads=()
busy_waits=0
wait_idle() {
  local what=$1 waited=0 others
  while others=$(pgrep -f 'wrk|hey|oha' | grep -vx "$$" || true); [[ -n "$others" ]]; do
    if ((waited >= 600)); then
      log "another benchmark is still running after 10 min ($(tr '\n' ' ' <<<"$others")); measuring $what anyway"
      busy_waits=$((busy_waits + 1))
      break
    fi
    log "another benchmark is running (pids $(tr '\n' ' ' <<<"$others")); waiting 30 s before $what"
    sleep 30
    waited=$((waited + 30))
  done
  loads+=("$(loadavg | cut -d' ' -f1)")
  busy+=("$(cpu_busy)")
  log "$what: load average $(loadavg), CPU busy ${busy[-1]}% over the last 2 s"
}
# cpu_busy: percent of the machine's CPU time spent busy over 2 s (this script being idle, it
# is what everything else on the machine uses: the load average lags behind, and counts the
# previous measurement's own threads).
busy=()
cpu_busy() {
  local a b
  a=$(awk '$1 == "cpu" {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat)
  sleep 2
  b=$(awk '$1 == "cpu" {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2])}'
}
# load_summary: "load average 1-min before each measurement: min … max … (n)".
load_summary() {
  local b
  b=$(printf '%s\n' "${busy[@]}" | sort -g | awk '{v[NR]=$1} END {printf "%s%% .. %s%%", v[1], v[NR]}')
  printf '%s\n' "${loads[@]}" | sort -g |
    awk -v busy="$busy_waits" -v b="$b" -v cores="$(nproc)" '{v[NR]=$1} END {
      printf "before each of %d measurements: CPU busy (others) %s, 1-min load average %s .. %s (%d cores)", NR, b, v[1], v[NR], cores;
      if (busy > 0) printf "; %d measured while another benchmark ran", busy}'
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# v NAME LINE: the value of NAME=value in a "BENCH ..." line.
v() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

# wrk_bench NAME URL SCRIPT CONNECTIONS DURATION RUNS WARMUP [ENV=VALUE...]:
# a warm-up, then RUNS runs; sets rps/p50/p99 (medians; latencies in ms) and rps_runs.
# The environment assignments are passed to wrk (its Lua script reads them).
wrk_bench() {
  local name=$1 url=$2 script=$3 conns=$4 duration=$5 runs=$6 warmup=$7
  shift 7
  local out line i r
  local -a rps_l=() p50_l=() p99_l=()
  wait_idle "$name"
  if ((warmup > 0)); then
    out=$(env "$@" BENCH_RUN=warm timeout $((warmup + 60)) wrk -t 2 -c "$conns" -d "${warmup}s" \
      --timeout 5s -s "$script" "$url" 2>&1) || die "wrk failed ($name warm-up): $out"
  fi
  for i in $(seq 1 "$runs"); do
    out=$(env "$@" BENCH_RUN="$i" timeout $((duration + 60)) wrk -t 2 -c "$conns" -d "${duration}s" \
      --timeout 5s -s "$script" "$url" 2>&1) || die "wrk failed ($name): $out"
    line=$(grep '^BENCH ' <<<"$out") || die "wrk printed no result ($name): $out"
    (($(v errors_status "$line") == 0 && $(v errors_other "$line") == 0)) && ! grep -q '^REFUSED' <<<"$out" ||
      die "$name: $(v errors_status "$line") non-2xx answers and $(v errors_other "$line") socket errors in run $i $(grep '^REFUSED' <<<"$out" | head -n 3 || true)"
    r=$(awk -v n="$(v requests "$line")" -v d="$(v duration_us "$line")" 'BEGIN {printf "%.0f", n / (d / 1e6)}')
    rps_l+=("$r")
    p50_l+=("$(awk -v x="$(v p50_us "$line")" 'BEGIN {printf "%.2f", x / 1000}')")
    p99_l+=("$(awk -v x="$(v p99_us "$line")" 'BEGIN {printf "%.2f", x / 1000}')")
    log "$name run $i: $r req/s, p50 ${p50_l[-1]} ms, p99 ${p99_l[-1]} ms (load $(loadavg | cut -d' ' -f1))"
  done
  rps=$(median "${rps_l[@]}")
  p50=$(median "${p50_l[@]}")
  p99=$(median "${p99_l[@]}")
  rps_runs="${rps_l[*]}"
}

# met VALUE OP TARGET: "met" or "MISSED" (OP: ge or le).
met() {
  awk -v x="$1" -v t="$3" -v op="$2" 'BEGIN {ok = (op == "ge") ? (x >= t) : (x <= t); print ok ? "met" : "MISSED"}'
}

# sample_waits DB SECONDS FILE: every 0.5 s for SECONDS, appends what each active backend of DB
# is doing ("Lock:transactionid", "IO:WalSync", "CPU" for running, …) to FILE. Run it in the
# background during a measurement; waits_summary FILE tells where the database's time went.
sample_waits() {
  local db=$1 end=$(($(date +%s) + $2)) file=$3
  : >"$file"
  while (($(date +%s) < end)); do
    psql -d "$db" -Atqc "SELECT COALESCE(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity
      WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()" >>"$file" 2>/dev/null || true
    sleep 0.5
  done
}
# waits_summary FILE: "n samples; Lock:transactionid 61%, CPU 20%, …" (top 4).
waits_summary() {
  sort "$1" | uniq -c | sort -rn | awk -v total="$(wc -l <"$1")" '
    NR <= 4 {s = s (s ? ", " : "") $2 " " int(100 * $1 / total + 0.5) "%"}
    END {if (total == 0) print "no active backend seen"; else printf "%d backend samples: %s\n", total, s}'
}

# cpu_ticks PID...: CPU ticks (user + system, all threads) the processes have used so far.
cpu_ticks() {
  local p
  for p in "$@"; do
    [[ -r /proc/$p/stat ]] && sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}'
  done | awk '{s += $1} END {print s + 0}'
}
# cores TICKS_BEFORE TICKS_AFTER NS_BEFORE: average cores used between the two readings.
cores() {
  awk -v a="$1" -v b="$2" -v t="$3" -v now="$(now_ns)" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%.2f", (b - a) / hz / ((now - t) / 1e9)}'
}
