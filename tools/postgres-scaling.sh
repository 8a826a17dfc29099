#!/usr/bin/env bash
# How far one sweep scales over worker processes sharing a PostgreSQL database: tiny trials
# (20 → 8 → 4, 2 epochs on 200 rows, no folds) so that claiming and storing dominate, run by 1,
# 4, 16 and 32 `sweep run` processes (--jobs 1 each) against one throwaway server on this
# machine. Prints, per worker count: the wall time, trials claimed per second, the mean time a
# claim took in the server (pg_stat_statements: the statements of a claim, lock waits included)
# and the CPU seconds the server used.
# Usage: tools/postgres-scaling.sh [path/to/sweep] [trials]   (defaults: .build/release/sweep, 640)
set -euo pipefail
cd "$(dirname "$0")/.."
sweep=$(realpath "${1:-.build/release/sweep}")
trials=${2:-640}
work=$(mktemp -d /tmp/sweep-postgres-scaling.XXXXXX)
chmod 755 "$work"
trap 'tools/postgres-server.sh stop "$work/server" 2>/dev/null || true; rm -rf "$work"' EXIT
export POSTGRES_OPTIONS="-c shared_preload_libraries=pg_stat_statements"
url=$(tools/postgres-server.sh start "$work/server")
port=$(cat "$work/server/port")
psql() { PGPASSWORD=sweep /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p "$port" -U sweep -d sweep -qAt "$@"; }
superuser() { PGPASSWORD=postgres /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p "$port" -U postgres -d sweep -qAt "$@"; }
superuser -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
server_cpu() {  # the server's CPU in clock ticks: the postmaster's own and its ended children's
  local fields
  read -r -a fields <"/proc/$(head -1 "$work/server/data/postmaster.pid")/stat"
  echo $((fields[13] + fields[14] + fields[15] + fields[16]))
}
printf "| workers | wall (s) | trials/s | claim in the server (ms) | server CPU (s) |\n| ---: | ---: | ---: | ---: | ---: |\n"
for workers in 1 4 16 32; do
  name="scale-$workers"
  cat >"$work/$name.json" <<SPEC
{"name": "$name", "data": "builtin:phone-price?rows=200", "method": "random", "trials": $trials, "seed": 1,
 "fixed": {"hidden_layers": [8, 4], "epochs": 2, "batch_size": 32},
 "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1}}}
SPEC
  # The sweep exists before the clock starts, so that every worker joins it rather than racing to create it.
  "$sweep" run "$work/$name.json" --db "$url" --trials 1 --quiet >/dev/null
  superuser -c "SELECT pg_stat_statements_reset()" >/dev/null
  cpu_before=$(server_cpu)
  start=$(date +%s.%N)
  for _ in $(seq "$workers"); do "$sweep" run "$work/$name.json" --db "$url" --jobs 1 --quiet >/dev/null & done
  wait
  end=$(date +%s.%N)
  cpu_after=$(server_cpu)
  claim_ms=$(superuser -c "SELECT round((SUM(total_exec_time) / NULLIF(MAX(calls), 0))::numeric, 2) FROM pg_stat_statements
    WHERE query LIKE '%FOR NO KEY UPDATE%' OR query LIKE '%revision > \$2%' OR query LIKE '%workers.beat_at < now()%'
       OR query LIKE '%worker_id IS DISTINCT FROM%'")
  done_trials=$(psql -c "SELECT COUNT(*) FROM trials JOIN sweeps ON sweeps.id = sweep_id WHERE sweeps.name = '$name' AND trials.status = 'complete'")
  awk -v w="$workers" -v s="$start" -v e="$end" -v t="$((done_trials - 1))" -v c="$claim_ms" -v b="$cpu_before" -v a="$cpu_after" \
    'BEGIN { printf "| %d | %.1f | %.0f | %s | %.1f |\n", w, e - s, t / (e - s), c, (a - b) / 100 }'
done
