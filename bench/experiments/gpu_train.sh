#!/bin/sh
# Issue 15's GPU check: pcz training where JAX has a GPU (docs/HCLT.md, "Training on a GPU").
#   bench/experiments/gpu_train.sh TRAIN_IDX OUT_DIR [BUDGET]
# from the repository root, with pcz importable (or run from a copy of the tree: the
# script lays the package out under $PCZ_SITE itself when PCZ_SITE is set).  Writes to
# OUT_DIR: env.txt (versions, JAX's devices), fixed64.log (M = 64, one mini-batch epoch and
# three full-batch epochs, timed), auto.log and auto.pczm (the one command within BUDGET).
set -u
mkdir -p "$2"
data=$(realpath "$1"); out=$(realpath "$2"); budget=${3:-4m}
if [ -n "${PCZ_SITE:-}" ]; then            # the source tree as the installed package lays it out
    mkdir -p "$PCZ_SITE" && cp -r pcz "$PCZ_SITE/" && cp -r coders "$PCZ_SITE/pcz/coders" \
        && cp -r learn "$PCZ_SITE/pcz/learn" && cp -r bench "$PCZ_SITE/pcz/bench"
    export PYTHONPATH="$PCZ_SITE${PYTHONPATH:+:$PYTHONPATH}"
    cd "$PCZ_SITE"                         # not the tree, whose pcz/ lacks coders/, learn/, bench/
fi
python3 - > "$out/env.txt" 2>&1 <<'PY'
import os, platform, jax, numba, numpy
print("python", platform.python_version(), "jax", jax.__version__, "numba", numba.__version__, "numpy", numpy.__version__)
print("devices", jax.devices(), "backend", jax.default_backend(), "cpus", os.cpu_count())
import pcz
print("pcz", pcz.__file__)
PY
cat "$out/env.txt"
start=$(date +%s)
timeout 150 python3 -m pcz train "$data" -o "$out/fixed64.pczm" -M 64 --epochs 1 --full-epochs 3 \
    > "$out/fixed64.log" 2>&1
echo "fixed64: exit $?, $(( $(date +%s) - start )) s wall" | tee -a "$out/fixed64.log"
start=$(date +%s)
timeout 330 python3 -m pcz train "$data" -o "$out/auto.pczm" --time-budget "$budget" > "$out/auto.log" 2>&1
echo "auto: exit $?, $(( $(date +%s) - start )) s wall" | tee -a "$out/auto.log"
