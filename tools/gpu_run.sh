#!/usr/bin/env bash
# One call on a GPU machine without network (docs/cuda.md): the open CUDA items' probes,
# the eager suite on CUDA at `ci` and the inductor path at `smoke`, side by side, each
# stopped by SIGINT at LIMIT seconds so a cut run still reports. Wheels the machine lacks
# (jsonschema and its needs, this Hypothesis) go in WHEELS; results go to OUT, at most
# four files (a logs-and-reports archive beside the three logs).
#
#   OUT=/some/dir LIMIT=420 WORKERS=10 EXTRA='--switch default,cudnn-off,tf32' tools/gpu_run.sh
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to the directory the results go to}
LIMIT=${LIMIT:-420}
WORKERS=${WORKERS:-10}
WHEELS=${WHEELS:-.whl}
EXTRA=${EXTRA:-}  # further options of the eager run, word-split (e.g. --switch all)
if compgen -G "$WHEELS/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site \
        "$WHEELS"/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}. PYTHONUNBUFFERED=1
rm -rf /tmp/gpu-reports && mkdir -p "$OUT" /tmp/gpu-reports
(timeout 150 python3 tools/cuda_probes.py > "$OUT/probes.log" 2>&1) &
(timeout -s INT "$LIMIT" python3 -m pytest tests -n "$WORKERS" -p no:cacheprovider \
    --device cuda --hypothesis-profile=ci --hypothesis-seed=1 -rfE --durations=15 \
    --report-dir /tmp/gpu-reports/eager $EXTRA > "$OUT/eager.log" 2>&1) &
(timeout -s INT "$LIMIT" python3 -m pytest tests -n 5 -p no:cacheprovider \
    --device cuda --path compile:inductor --hypothesis-profile=smoke --hypothesis-seed=1 \
    -rfE --report-dir /tmp/gpu-reports/inductor > "$OUT/inductor.log" 2>&1) &
wait
tar czf "$OUT/reports.tgz" -C /tmp/gpu-reports .
