#!/usr/bin/env bash
# End-to-end checks that CI runs after the unit tests, with a release build of sweep.
# Usage: tools/e2e.sh [PATH-TO-SWEEP]   (default .build/release/sweep)
# The real data is read from ../shared/data/phone_price.csv beside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
sweep="${1:-.build/release/sweep}"
csv="../shared/data/phone_price.csv"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "E2E FAILED: $*" >&2; exit 1; }

# Reads column $2 of the leaderboard CSV's rank-1 row. Columns are located from the end of the
# row, because parameter cells before them may hold quoted commas.
leaderboard_value() {
  local file="$1" column="$2"
  awk -F, -v column="$column" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == column) from_end = NF - i; next }
    $1 == 1 { print (column == "trial" ? $2 : $(NF - from_end)); exit }' "$file"
}

at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

echo "-- sweep train on the built-in data (no file needed)"
"$sweep" train sweeps/configs/tanh32.json --epochs 20 --quiet | tee "$work/train-builtin.txt"
grep -q "^test: loss" "$work/train-builtin.txt" || fail "sweep train printed no test metric"

echo "-- issue 3 accuracy checks on $csv (5 seeds each)"
"$sweep" train sweeps/configs/price-network.json --data "$csv" --seeds 5 --quiet | tee "$work/price.txt"
price_mean=$(awk '/over 5 of 5 seeds/ { print $9 }' "$work/price.txt")
# PyTorch's mean over 5 seeds on the same split is 0.8850 (tools/reference_train.py); within 2 points.
awk -v m="$price_mean" 'BEGIN { d = m - 0.8850; if (d < 0) d = -d; exit !(d <= 0.02) }' \
  || fail "price network mean test accuracy $price_mean is not within 0.02 of PyTorch's 0.8850"
"$sweep" train sweeps/configs/tanh32.json --data "$csv" --seeds 5 --quiet | tee "$work/tanh.txt"
tanh_mean=$(awk '/over 5 of 5 seeds/ { print $9 }' "$work/tanh.txt")
at_least "$tanh_mean" 0.95 || fail "tanh32 mean test accuracy $tanh_mean is below 0.95"

echo "-- binary and regression CSVs"
awk 'BEGIN { srand(3); print "x1,x2,x3,label"; for (i = 0; i < 300; i++) { a = rand() * 2 - 1; b = rand() * 2 - 1; c = rand(); printf "%.4f,%.4f,%.4f,%d\n", a, b, c, (a + b > 0) } }' > "$work/binary.csv"
awk 'BEGIN { srand(5); print "x1,x2,y"; for (i = 0; i < 300; i++) { a = rand() * 2 - 1; b = rand() * 2 - 1; printf "%.4f,%.4f,%.4f\n", a, b, 2 * a - b + (rand() - 0.5) * 0.1 } }' > "$work/regression.csv"
"$sweep" train --data "$work/binary.csv" --hidden 16 --epochs 30 --quiet | tee "$work/binary.txt"
grep -q "^test: .*accuracy" "$work/binary.txt" || fail "binary task reported no accuracy"
"$sweep" train --data "$work/regression.csv" --hidden 16 --epochs 30 --lr 0.01 --quiet | tee "$work/regression.txt"
grep -q "^test: .*rmse" "$work/regression.txt" || fail "regression task reported no RMSE"

run_default_sweep() {
  local label="$1" db="$2"; shift 2   # label is also the data source predict reads
  echo "-- default sweep on $label"
  "$sweep" run sweeps/phone-price.json --db "$db" --jobs 2 --quiet "$@"
  "$sweep" leaderboard --db "$db" --top 5
  "$sweep" leaderboard --db "$db" --format csv > "$work/board.csv"
  "$sweep" export --db "$db" -o "$work/best.safetensors"
  best_trial=$(leaderboard_value "$work/board.csv" trial)
  # The CSV holds the figure in full; predict prints it to 4 decimals.
  board_test=$(printf '%.4f' "$(leaderboard_value "$work/board.csv" test_accuracy)")
  predicted=$("$sweep" predict "$work/best.safetensors" "$label" --part test -o "$work/predictions.csv" 2>&1 | awk '/^accuracy/ { print $4 }')
  [ "$predicted" = "$board_test" ] || fail "$label: predict --part test gives $predicted, leaderboard says $board_test (trial $best_trial)"
  echo "best trial $best_trial: test accuracy $board_test (leaderboard) = $predicted (sweep predict on the exported file)"
  "$sweep" report --db "$db" -o "$work/report.html"
  report_test=$(python3 -c 'import json, re, sys
page = open(sys.argv[1]).read()
data = json.loads(re.search(r"id=\"report-data\">(.*?)</script>", page, re.S).group(1))
print("%.4f" % data["best_model"]["classification"]["accuracy"])' "$work/report.html") || fail "$label: the report holds no best model"
  [ "$report_test" = "$board_test" ] || fail "$label: the report's confusion matrix gives test accuracy $report_test, the leaderboard $board_test"
}

run_default_sweep builtin:phone-price "$work/builtin.sqlite"
"$sweep" list --db "$work/builtin.sqlite"

run_default_sweep "$csv" "$work/real.sqlite" --data "$csv"
at_least "$board_test" 0.96 || fail "the default sweep on $csv found test accuracy $board_test, below 0.96"

echo "-- ensembles of the real data's sweep: the best 5 trials, and the best trial's fold models"
"$sweep" export --db "$work/real.sqlite" --ensemble 5 -o "$work/top5.safetensors" | tee "$work/top5.txt"
top5_test=$(grep -o 'averaged test_accuracy [0-9.]*' "$work/top5.txt" | awk '{ print $3 }')
predicted=$("$sweep" predict "$work/top5.safetensors" "$csv" --part test -o "$work/top5.csv" 2>&1 | awk '/^accuracy/ { print $4 }')
[ -n "$top5_test" ] && [ "$predicted" = "$top5_test" ] || fail "the ensemble of 5 says test accuracy '$top5_test', sweep predict gives $predicted"
"$sweep" export --db "$work/real.sqlite" --folds -o "$work/folds.safetensors" | tee "$work/folds.txt"
grep -q "an ensemble of the 4 fold models of trial" "$work/folds.txt" || fail "the fold ensemble does not have the sweep's 4 folds"

echo "-- sweep auto on $csv (20 s)"
"$sweep" auto "$csv" --budget 20s --db "$work/auto.sqlite" --spec "$work/auto.json" -o "$work/auto.safetensors" --quiet | tee "$work/auto.txt"
grep -q "1600 rows, 20 features, target 'price_range': multiclass" "$work/auto.txt" || fail "sweep auto did not infer the phone data's task"
"$sweep" validate "$work/auto.json" > /dev/null || fail "the spec sweep auto wrote does not validate"
auto_accuracy=$("$sweep" predict "$work/auto.safetensors" "$csv" -o "$work/auto.csv" 2>&1 | awk '/^accuracy/ { print $4 }')
# Trained on every row: its accuracy on them is at least the default sweep's on its test rows.
at_least "$auto_accuracy" 0.95 || fail "sweep auto's model scores $auto_accuracy on the rows it trained on"

echo "-- random search example"
"$sweep" validate sweeps/phone-price-random.json
"$sweep" run sweeps/phone-price-random.json --db "$work/random.sqlite" --quiet --keep-weights 3
"$sweep" leaderboard --db "$work/random.sqlite" --top 3

echo "-- TPE example (conditional parameter, depth and width, an enqueued trial), reproducible across --jobs"
"$sweep" validate sweeps/phone-price-tpe.json
"$sweep" run sweeps/phone-price-tpe.json --db "$work/tpe.sqlite" --jobs 2 --quiet
"$sweep" leaderboard --db "$work/tpe.sqlite" --top 5
"$sweep" leaderboard --db "$work/tpe.sqlite" --effects | tee "$work/importance.txt"
grep -q "fANOVA over a random forest (estimate)" "$work/importance.txt" || fail "the TPE sweep's effects are not an importance estimate"
"$sweep" run sweeps/phone-price-tpe.json --db "$work/tpe1.sqlite" --jobs 1 --quiet > /dev/null
"$sweep" leaderboard --db "$work/tpe.sqlite" --format csv | cut -d, -f1-11 > "$work/tpe2.csv"
"$sweep" leaderboard --db "$work/tpe1.sqlite" --format csv | cut -d, -f1-11 > "$work/tpe1.csv"
cmp -s "$work/tpe1.csv" "$work/tpe2.csv" || fail "the TPE sweep differs between --jobs 1 and --jobs 2"

echo "-- the default grid's main effects"
"$sweep" leaderboard --db "$work/builtin.sqlite" --effects | tee "$work/effects.txt"
grep -q "^optimizer: effect" "$work/effects.txt" || fail "the grid's main effects do not name the optimizer"

echo "-- pruned example"
"$sweep" run sweeps/phone-price-pruned.json --db "$work/pruned.sqlite" --jobs 2 --quiet | tee "$work/pruned.txt"
grep -q "^pruning: .* epochs trained of .* unpruned" "$work/pruned.txt" || fail "the pruned sweep does not say what pruning saved"
"$sweep" list --db "$work/pruned.sqlite" | grep -q "pruned" || fail "sweep list does not show the pruned trials"

echo "-- sweep dashboard serves the real data's sweep read-only on a free port, and stops on Ctrl-C"
"$sweep" dashboard --db "$work/real.sqlite" --port 0 > "$work/dashboard.txt" 2>&1 &
dashboard=$!
for _ in $(seq 100); do grep -q "http://127.0.0.1:" "$work/dashboard.txt" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/dashboard.txt") || { kill "$dashboard"; fail "the dashboard printed no address"; }
python3 -c "import json, sys, urllib.request; d = json.load(urllib.request.urlopen(sys.argv[1] + 'api/sweeps')); sys.exit(d['state'] != 'ok' or d['sweeps'][0]['trials'] != 180)" "$url" \
  || { kill "$dashboard"; fail "the dashboard does not list the sweep's 180 trials"; }
kill -INT "$dashboard"
wait "$dashboard" || fail "the dashboard did not stop cleanly on Ctrl-C"

echo "-- bad input is refused with a message and a non-zero status"
echo '{"name": "bad", "data": "builtin:phone-price", "parameters": {"lr": {"values": [0.1, -1]}}}' > "$work/bad.json"
if "$sweep" validate "$work/bad.json" 2> "$work/bad.txt"; then fail "a bad spec validated"; fi
grep -q 'parameters.lr.values\[1\]' "$work/bad.txt" || fail "the bad-spec message does not name the JSON path"

if "$sweep" bench --help >/dev/null 2>&1; then
  echo "-- sweep bench --quick"
  "$sweep" bench --quick --output "$work/BENCHMARKS.md"
  grep -q '^| 2, results in memory |' "$work/BENCHMARKS.md" || fail "the bench report has no sweep with its results in memory"
  echo "-- sweep bench --search --quick and --pruning --quick"
  "$sweep" bench --search --quick --output "$work/BENCHMARKS.md" > /dev/null
  "$sweep" bench --pruning --quick --output "$work/BENCHMARKS.md" > /dev/null
  grep -q '^## Search: TPE against random search' "$work/BENCHMARKS.md" || fail "no search section in the bench report"
  grep -q '^## Pruning' "$work/BENCHMARKS.md" || fail "no pruning section in the bench report"
  grep -q '^| 2, results in memory |' "$work/BENCHMARKS.md" || fail "the search and pruning sections replaced the speed report"
fi
echo "E2E OK"
