#!/usr/bin/env bash
# Compares daulat's engine with llama.cpp's llama-bench, built from the same
# cached llama.cpp source, on the same model, threads and sizes. Runs the two
# alternately (ROUNDS times) so machine noise hits both, and prints the median
# tokens/s of each and their ratio (daulat / llama-bench).
#
#   bench/engine/compare.sh [--model PATH.gguf] [--threads N] [--rounds N]
#
# Needs scripts/bootstrap and a build (cmake --build build) first.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=${DAULAT_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/daulat}
MODEL="$DATA/models/gemma3-270m/gemma3-270m.gguf"
THREADS=2 ROUNDS=3 PP=512 TG=128 REPS=3
while (($#)); do
  case $1 in
    --model) MODEL=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
BENCH=${DAULAT_BUILD_DIR:-$REPO/build}/bench/engine/engine_bench
LLAMA_BENCH=$REPO/.cache/llama.cpp/current/build/bin/llama-bench
for f in "$MODEL" "$BENCH" "$LLAMA_BENCH"; do
  [[ -e $f ]] || { echo "compare.sh: missing $f (run scripts/bootstrap and build first)" >&2; exit 1; }
done

out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r/$ROUNDS ..." >&2
  "$BENCH" -m "$MODEL" -t "$THREADS" -p "$PP" -n "$TG" -r "$REPS" >"$out/daulat.$r.json"
  "$LLAMA_BENCH" -m "$MODEL" -t "$THREADS" -p "$PP" -n "$TG" -r "$REPS" -o json 2>/dev/null >"$out/llama.$r.json"
done

python3 - "$out" "$ROUNDS" <<'PY'
import json, statistics, sys, pathlib
out, rounds = pathlib.Path(sys.argv[1]), int(sys.argv[2])
d_pp, d_tg, l_pp, l_tg = [], [], [], []
for r in range(1, rounds + 1):
    d = json.loads((out / f"daulat.{r}.json").read_text())
    d_pp.append(d["pp_tokens_per_second"]); d_tg.append(d["tg_tokens_per_second"])
    for t in json.loads((out / f"llama.{r}.json").read_text()):
        (l_pp if t["n_prompt"] > 0 else l_tg).append(t["avg_ts"])
m = statistics.median
print(f"{'test':<8}{'daulat t/s':>12}{'llama-bench t/s':>17}{'ratio':>8}")
for name, a, b in (("pp512", d_pp, l_pp), ("tg128", d_tg, l_tg)):
    print(f"{name:<8}{m(a):>12.1f}{m(b):>17.1f}{m(a) / m(b):>8.3f}")
PY
echo "reproduce: bench/engine/compare.sh --model $MODEL --threads $THREADS --rounds $ROUNDS"
