#!/usr/bin/env bash
# End-to-end checks of one sweep shared through PostgreSQL, on a server of its own that it starts
# (tools/postgres-server.sh) and stops at the end:
#   - 3 `sweep run` processes on one sweep, one killed (SIGKILL) while it trains: every trial
#     finished exactly once, the leaderboard equal to one process's run into SQLite;
#   - the server stopped for 5 s while 2 processes run a sweep, then started again: they retry,
#     and the sweep completes with the same leaderboard;
#   - sweep copy from SQLite to PostgreSQL and back: the same database, row for row.
# Usage: tools/postgres-e2e.sh [path/to/sweep]   (default .build/release/sweep)
set -euo pipefail
cd "$(dirname "$0")/.."
sweep=$(realpath "${1:-.build/release/sweep}")
work=$(mktemp -d /tmp/sweep-postgres-e2e.XXXXXX)
chmod 755 "$work"
finish() {
  tools/postgres-server.sh stop "$work/server" 2>/dev/null || true
  rm -rf "$work"
}
trap finish EXIT
url=$(tools/postgres-server.sh start "$work/server")
fail() { echo "postgres-e2e: $*" >&2; exit 1; }

# 24 TPE trials (lag 2: trial n learns from trials 1 … n − 3, wherever they ran) of batch-one
# epochs, long enough (a quarter of a second each in a release build) to be caught mid-trial.
spec() {
  cat >"$work/$1.json" <<SPEC
{"name": "$1", "data": "builtin:phone-price?rows=400", "method": "tpe", "trials": 24, "seed": 21,
 "sampler": {"lag": 2, "startup_trials": 4},
 "fixed": {"hidden_layers": [16], "epochs": 200, "batch_size": 1},
 "parameters": {"optimizer": {"values": ["sgd", "adam"]},
                "lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.05}}}
SPEC
  echo "$work/$1.json"
}
# The leaderboard without its timing column.
board() { "$sweep" leaderboard "$1" --db "$2" --format csv | cut -d, -f1-7; }
# The trial numbers a run's log says it finished, one per line.
finished() { grep -h '^\[' "$@" | awk '{print $3}' | sort -n; }

echo "-- 3 workers, one killed mid-trial"
killed=$(spec killed)
"$sweep" run "$killed" --db "$work/reference.sqlite" --jobs 1 --quiet >/dev/null
# The worker to kill starts first and dies once it has finished a trial, while it trains its
# next; the other two start just before.
"$sweep" run "$killed" --db "$url" --jobs 1 --heartbeat 0.5 >"$work/killed-2.log" 2>&1 &
victim=$!
until grep -q '^\[' "$work/killed-2.log" 2>/dev/null; do sleep 0.05; done
pids=()
for worker in 1 3; do
  "$sweep" run "$killed" --db "$url" --jobs 1 --heartbeat 0.5 >"$work/killed-$worker.log" 2>&1 &
  pids+=($!)
done
kill -9 "$victim" || fail "the worker to kill ended before it was killed: make the trials longer"
wait "${pids[0]}" || fail "worker 1 failed: $(cat "$work/killed-1.log")"
wait "${pids[1]}" || fail "worker 3 failed: $(cat "$work/killed-3.log")"
wait "$victim" 2>/dev/null && fail "the killed worker was not killed"
[ "$(finished "$work"/killed-*.log | tr '\n' ' ')" = "$(seq 1 24 | tr '\n' ' ')" ] \
  || fail "trials finished: $(finished "$work"/killed-*.log | tr '\n' ' ')"
diff <(board killed "$work/reference.sqlite") <(board killed "$url") || fail "the shared sweep differs from one process's"
echo "every trial once, leaderboard as one process's ($(finished "$work/killed-2.log" | wc -l) by the killed worker before it died)"

echo "-- the server stopped for 5 s mid-sweep"
outage=$(spec outage)
"$sweep" run "$outage" --db "$work/reference.sqlite" --jobs 1 --quiet >/dev/null
pids=()
for worker in 1 2; do
  "$sweep" run "$outage" --db "$url" --jobs 1 --heartbeat 0.5 >"$work/outage-$worker.log" 2>&1 &
  pids+=($!)
done
until grep -q '^\[' "$work/outage-1.log" "$work/outage-2.log" 2>/dev/null; do sleep 0.05; done
tools/postgres-server.sh pause "$work/server"
running=0
for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && running=$((running + 1)); done
[ "$running" -gt 0 ] || fail "the sweep ended before the server stopped: make its trials longer"
sleep 5
tools/postgres-server.sh resume "$work/server"
for pid in "${pids[@]}"; do wait "$pid" || fail "a worker failed: $(cat "$work"/outage-*.log)"; done
[ "$(finished "$work"/outage-*.log | tr '\n' ' ')" = "$(seq 1 24 | tr '\n' ' ')" ] \
  || fail "trials finished: $(finished "$work"/outage-*.log | tr '\n' ' ')"
diff <(board outage "$work/reference.sqlite") <(board outage "$url") || fail "the sweep after the outage differs"
echo "completed, every trial once, leaderboard as one process's"

echo "-- sweep copy, SQLite to PostgreSQL and back"
"$sweep" copy --from "$work/reference.sqlite" --to "$url" --sweep killed >/dev/null 2>&1 \
  && fail "copying into a database that holds the sweep was not refused"
port=$(cat "$work/server/port")
PGPASSWORD=sweep /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p "$port" -U sweep -d sweep -qc "CREATE DATABASE copied"
"$sweep" copy --from "$work/reference.sqlite" --to "postgresql://sweep:sweep@127.0.0.1:$port/copied" >/dev/null
"$sweep" copy --from "postgresql://sweep:sweep@127.0.0.1:$port/copied" --to "$work/back.sqlite" >/dev/null
python3 - "$work/reference.sqlite" "$work/back.sqlite" <<'PY' || fail "the copy differs from its original"
import sqlite3, sys
def rows(path):
    db = sqlite3.connect(path)
    names = {i: n for i, n in db.execute("SELECT id, name FROM sweeps")}
    trial = {i: (names[s], n) for i, s, n in db.execute("SELECT id, sweep_id, number FROM trials")}
    out = {"sweeps": sorted(r[1:] for r in db.execute("SELECT * FROM sweeps"))}
    out["trials"] = sorted((names[r[1]],) + r[2:] for r in db.execute("SELECT * FROM trials"))
    for table in ["trial_metrics", "fold_metrics", "trial_epochs", "models"]:
        out[table] = sorted((trial[r[0]],) + r[1:] for r in db.execute(f"SELECT * FROM {table}"))
    return out
a, b = rows(sys.argv[1]), rows(sys.argv[2])
for table in a:
    if a[table] != b[table]:
        sys.exit(f"{table} differs")
print("copied back: every sweep, trial, metric, epoch history and model row equal")
PY
