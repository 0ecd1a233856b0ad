#!/usr/bin/env bash
# Strata against llama.cpp on the CPU, same weights, same thread count, interleaved rounds (machine noise hits both
# alike): every goal of the CPU-speed work, measured by `strata bench` and llama.cpp's `llama-bench` in one run.
#
#   bench/cpu-vs-llamacpp.sh LLAMA_BUILD_DIR [--commit SHA] [--rounds 6] [--threads 2] [--work DIR] [--out DIR] [--quick] [--profile]
#
# LLAMA_BUILD_DIR: a CPU build of llama.cpp (cmake -B build -DLLAMA_CURL=OFF; bin/llama-bench built); kept outside this
#   repository. bin/llama-quantize is built there (target llama-quantize, -j1) when missing.
# --commit: the llama.cpp commit the build is of (default: git rev-parse HEAD in its source tree, when that is a git checkout).
# --work: models, GGUF files and stores (default ~/.cache/strata/vs-llamacpp; about 18 GB, made once and reused).
# --out:  results (default bench/results): cpu-vs-llama.cpp.md and .json, and per-round raw files under
#         cpu-vs-llama.cpp/ (strata bench --json, llama-bench -o json, logs).
# --quick: for checking the script end to end on a busy machine: the OLMoE shape cut to 1 layer of 16 experts (same
#         hidden size, expert size and top-8, so the same kernels; under WORK/quick), fewer warm-up rounds, 16-token tests.
# --profile: also says where the time goes, for the report's account of each goal not met: one-thread kernel rates
#         from the cache and from memory beside a plain read (KernelRateMain), and a JFR of each configuration behind
#         a goal with the measured runs' warm-up, summarised by bench/jfr_summary.py (the .jfr files stay in --work);
#         and, where gcc and the CPU's avx512_vnni and avx512_bf16 are there, the same one-token loops in C with fma and
#         with the dot-product instructions (bench/isa/isa_bound.c). About 13 minutes more.
#
# The models: the OLMoE-shaped random model (hidden 2048, 4 layers, 64 experts of 1024, top-8, vocabulary 50304,
# bf16; ../shared/tools/make_hf_moe.py) and the shipped models/tiny-moe. Each is converted to GGUF with
# ../shared/tools/hf_to_gguf.py (bf16), quantized with llama-quantize (Q4_0, Q8_0), and packed into Strata stores
# (bf16, int8, int4; and int8-all, int4-all with the dense weights quantized too, --dense) with `strata pack` from the
# same checkpoint.
#
# Needs: python3 with numpy and the gguf package (PYTHON=..., default /work/venv-golden/bin/python when present;
# or GGUF_PY=<llama.cpp>/gguf-py), Java 25 (the ./strata launcher builds Strata on first use).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -ge 1 ] || { sed -n '2,14p' "$0"; exit 2; }
LLAMA=$(cd "$1" && pwd); shift
ROUNDS=6 THREADS=2 COMMIT= WORK=${HOME}/.cache/strata/vs-llamacpp OUT=$ROOT/bench/results QUICK=0 PROFILE=0
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --commit) COMMIT=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --profile) PROFILE=1; shift ;;
    *) echo "cpu-vs-llamacpp.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
SHARED=${SHARED:-$ROOT/../shared}
PYTHON=${PYTHON:-$([ -x /work/venv-golden/bin/python ] && echo /work/venv-golden/bin/python || echo python3)}
export GGUF_PY=${GGUF_PY:-$(grep -m1 '^CMAKE_HOME_DIRECTORY' "$LLAMA/CMakeCache.txt" 2>/dev/null | cut -d= -f2)/gguf-py}
LB=$LLAMA/bin/llama-bench LQ=$LLAMA/bin/llama-quantize
[ -x "$LB" ] || { echo "cpu-vs-llamacpp.sh: $LB not found: build it (cmake --build $LLAMA --target llama-bench -j1)" >&2; exit 2; }
if [ ! -x "$LQ" ]; then
  echo "== building llama-quantize in $LLAMA (one-time)"
  cmake --build "$LLAMA" --target llama-quantize -j1 > "$WORK.quantize-build.log" 2>&1 || { echo "llama-quantize build failed: $WORK.quantize-build.log" >&2; exit 2; }
fi
# The experts-only files below need llama-quantize's --tensor-type, which builds before about March 2025 (such as the
# February 2025 snapshots) lack: without it those files are not made, and the report leaves their context rows out.
LQHELP=$("$LQ" --help 2>&1 || true)
case $LQHELP in *--tensor-type*) XBF16=1 ;; *) XBF16=0 ;; esac
[ -f "$SHARED/tools/make_hf_moe.py" ] && [ -f "$SHARED/tools/hf_to_gguf.py" ] || { echo "cpu-vs-llamacpp.sh: $SHARED/tools/{make_hf_moe,hf_to_gguf}.py not found (set SHARED)" >&2; exit 2; }
SRC=$(grep -m1 '^CMAKE_HOME_DIRECTORY' "$LLAMA/CMakeCache.txt" | cut -d= -f2)
[ -n "$COMMIT" ] || COMMIT=$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo "unknown (not a git checkout: give --commit)")
RAW=$OUT/cpu-vs-llama.cpp
mkdir -p "$WORK" "$RAW"
rm -f "$RAW"/round-* "$RAW"/kernel-*.json "$RAW"/isa-*.json "$RAW"/profile-* "$RAW"/strata-*-hot-methods.txt
export LD_LIBRARY_PATH=$LLAMA/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
S() { env -u LD_PRELOAD STRATA_NO_BUILD=${STRATA_BUILT:-0} "$ROOT/strata" "$@"; } # the llama.cpp shim never touches Strata
T0=$(date +%s)
stamp() { printf '[%4ds] %s\n' $(( $(date +%s) - T0 )) "$*"; }

# ---- 1. the weights, once -------------------------------------------------------------------------------------------
LAYERS=4 EXPERTS=64 QB=0.25
# quick: half the experts in the host budget (a quarter of 16 is below one token's top-8)
if [ $QUICK = 1 ]; then WORK=$WORK/quick LAYERS=1 EXPERTS=16 QB=0.5; mkdir -p "$WORK"; fi
O=$WORK/olmoe-hf
if [ ! -f "$O/config.json" ]; then
  stamp "making the OLMoE-shaped model ($LAYERS layers, $EXPERTS experts)"
  "$PYTHON" "$SHARED/tools/make_hf_moe.py" olmoe "$O.tmp" --hidden 2048 --layers $LAYERS --experts $EXPERTS --topk 8 --ff 1024 \
    --heads 16 --kv 16 --vocab 50304 --seed 0 && mv "$O.tmp" "$O"
fi
TINY=$ROOT/models/tiny-moe
for m in olmoe tiny; do
  src=$O; [ $m = tiny ] && src=$TINY
  if [ ! -f "$WORK/$m-bf16.gguf" ]; then
    stamp "converting $m to GGUF bf16"
    "$PYTHON" "$SHARED/tools/hf_to_gguf.py" "$src" "$WORK/$m-bf16.gguf.tmp" --type bf16 > "$WORK/$m-convert.log" 2>&1 \
      || { tail -5 "$WORK/$m-convert.log"; exit 1; }
    mv "$WORK/$m-bf16.gguf.tmp" "$WORK/$m-bf16.gguf"
  fi
done
for q in Q4_0 Q8_0; do
  if [ ! -f "$WORK/olmoe-$q.gguf" ]; then
    stamp "llama-quantize olmoe $q"
    "$LQ" "$WORK/olmoe-bf16.gguf" "$WORK/olmoe-$q.gguf.tmp" $q 2 > "$WORK/olmoe-$q.log" 2>&1 || { tail -5 "$WORK/olmoe-$q.log"; exit 1; }
    mv "$WORK/olmoe-$q.gguf.tmp" "$WORK/olmoe-$q.gguf"
  fi
done
# The same split as Strata's stores (experts quantized; attention, embeddings and output head kept bf16): a comparison of
# the expert kernels on the same bytes per token, beside the all-quantized files above.
XB=()
[ $XBF16 = 1 ] || stamp "llama-quantize has no --tensor-type: the experts-only Q4_0 and Q8_0 files (context rows) are left out"
for q in Q4_0 Q8_0; do
  [ $XBF16 = 1 ] || continue
  XB+=("$WORK/olmoe-$q-xbf16.gguf")
  if [ ! -f "$WORK/olmoe-$q-xbf16.gguf" ]; then
    stamp "llama-quantize olmoe $q, experts only"
    "$LQ" --token-embedding-type bf16 --output-tensor-type bf16 --tensor-type attn_q=bf16 --tensor-type attn_k=bf16 \
      --tensor-type attn_v=bf16 --tensor-type attn_output=bf16 "$WORK/olmoe-bf16.gguf" "$WORK/olmoe-$q-xbf16.gguf.tmp" $q 2 \
      > "$WORK/olmoe-$q-xbf16.log" 2>&1 || { tail -5 "$WORK/olmoe-$q-xbf16.log"; exit 1; }
    mv "$WORK/olmoe-$q-xbf16.gguf.tmp" "$WORK/olmoe-$q-xbf16.gguf"
  fi
done
for c in bf16 int8 int4; do
  if [ ! -f "$WORK/olmoe-$c/manifest.json" ]; then
    stamp "strata pack olmoe --codec $c"
    S pack --model "$O" --out "$WORK/olmoe-$c" --codec $c > "$WORK/olmoe-$c-pack.log" 2>&1 || { tail -5 "$WORK/olmoe-$c-pack.log"; exit 1; }
  fi
done
# The split of llama.cpp's Q4_0 and Q8_0 files: attention and the embedding quantized too (--dense), the output head at
# int8 under int4 (llama.cpp: Q6_K) and at int8 under int8 (llama.cpp: Q8_0).
for c in int8 int4; do
  if [ ! -f "$WORK/olmoe-$c-all/manifest.json" ]; then
    stamp "strata pack olmoe --codec $c --dense $c"
    S pack --model "$O" --out "$WORK/olmoe-$c-all" --codec $c --dense $c > "$WORK/olmoe-$c-all-pack.log" 2>&1 \
      || { tail -5 "$WORK/olmoe-$c-all-pack.log"; exit 1; }
  fi
done
STRATA_BUILT=1
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java

# Both sides map these files, and a pass over weights runs faster in 2 MiB pages, which a mapping gets where the page
# cache holds the file in large folios (recent Linux reads a file read in order into them; small writes or scattered
# first reads leave 4 KiB ones). Each is read through once, in order, before anything else maps it, so a cold file
# comes into the cache alike for both sides; page-cache.txt says what each got (bench/results/cpu-speed/huge-pages/).
stamp "page cache of the mapped weight files"
"$JAVA" -cp "$ROOT/cli/target/lib/*" io.strata.bench.kernels.PageCacheState "$O"/*.safetensors "$TINY"/*.safetensors \
  "$WORK/olmoe-bf16.gguf" "$WORK/olmoe-Q8_0.gguf" "$WORK/olmoe-Q4_0.gguf" "${XB[@]}" \
  "$WORK/tiny-bf16.gguf" --json "$RAW/page-cache.json" > "$RAW/page-cache.txt" 2>&1 || { cat "$RAW/page-cache.txt"; exit 1; }

# llama.cpp built with -march=native on a VM that lists AMX but faults on tile instructions dies with SIGILL on its
# first quantized matmul; bench/llamacpp/no_amx.c makes it take its AVX-512 path instead (said in the report).
LLAMA_NOTE="llama.cpp as built"
# a prompt batch: single-token steps do not reach the AMX matmul
probe() { "$LB" -m "$WORK/olmoe-Q8_0.gguf" -p 32 -n 1 -r 1 -t "$THREADS" > "$WORK/probe.log" 2>&1; }
rc=0; probe || rc=$?
if [ $rc != 0 ]; then
  if [ $rc = 132 ]; then
    cc -shared -fPIC -O2 -o "$WORK/no_amx.so" "$ROOT/bench/llamacpp/no_amx.c" -ldl
    export LD_PRELOAD=$WORK/no_amx.so
    probe || { echo "llama-bench fails on Q8_0 even without AMX: $WORK/probe.log" >&2; exit 1; }
    LLAMA_NOTE="llama.cpp with AMX refused (LD_PRELOAD bench/llamacpp/no_amx.c): the build's AMX kernels raise SIGILL on this VM, so it ran its AVX-512 kernels"
    stamp "$LLAMA_NOTE"
  else
    echo "llama-bench probe failed (exit $rc): $WORK/probe.log" >&2; exit 1
  fi
fi

# ---- 2. interleaved rounds ------------------------------------------------------------------------------------------
P=32 N=32 WARM=10
[ $QUICK = 1 ] && P=16 N=16 WARM=3
SB=(bench -p $P -n $N -r 1 -t "$THREADS" --warmup-max $WARM -o md)
strata_round() { # round
  local r=$1
  S "${SB[@]}" -m "$O,$WORK/olmoe-bf16,$WORK/olmoe-int8,$WORK/olmoe-int4,$WORK/olmoe-int8-all,$WORK/olmoe-int4-all,$TINY" --json "$RAW/round-$r-strata.json" \
    > "$RAW/round-$r-strata.md" 2> "$RAW/round-$r-strata.log"
  # SSD-bound: the bf16 store with a quarter of its experts in the host budget, judged against the SSD bound
  S bench -n $N -p $P -r 1 -t "$THREADS" --warmup-max $WARM -m "$WORK/olmoe-bf16" --host-budget $QB --policy lru \
    --json "$RAW/round-$r-strata-ssd.json" > "$RAW/round-$r-strata-ssd.md" 2> "$RAW/round-$r-strata-ssd.log"
  # the same with the gate look-ahead predictor queueing the next layer's reads during this one
  S bench -n $N -p $P -r 1 -t "$THREADS" --warmup-max $WARM -m "$WORK/olmoe-bf16" --host-budget $QB --policy lru --prefetch lookahead \
    --json "$RAW/round-$r-strata-ssdpf.json" > "$RAW/round-$r-strata-ssdpf.md" 2> "$RAW/round-$r-strata-ssdpf.log"
  # start-up: a cold `strata run` of the shipped model (a fresh JVM: load, tokenize, prefill, one token), wall clock
  local t0 t1; t0=$(date +%s%N)
  S run --model "$TINY" --prompt "And the LORD said" --max-tokens 1 --threads "$THREADS" --json "$RAW/round-$r-startup-run.json" \
    > "$RAW/round-$r-startup.log" 2>&1
  t1=$(date +%s%N)
  echo "{\"startup_ms\": $(( (t1 - t0) / 1000000 ))}" > "$RAW/round-$r-startup.json"
}
LBM=()
for f in "$WORK/olmoe-bf16.gguf" "$WORK/olmoe-Q8_0.gguf" "$WORK/olmoe-Q4_0.gguf" "${XB[@]}" "$WORK/tiny-bf16.gguf"; do LBM+=(-m "$f"); done
llama_round() { # round
  local r=$1
  "$LB" "${LBM[@]}" -p $P -n $N -r 1 -t "$THREADS" -o json > "$RAW/round-$r-llama.json" 2> "$RAW/round-$r-llama.log"
}
cat > "$RAW/commands.txt" <<CMDS
strata bench -p $P -n $N -r 1 -t $THREADS --warmup-max $WARM -o md -m $O,$WORK/olmoe-bf16,$WORK/olmoe-int8,$WORK/olmoe-int4,$WORK/olmoe-int8-all,$WORK/olmoe-int4-all,$TINY --json round-R-strata.json
strata bench -p $P -n $N -r 1 -t $THREADS --warmup-max $WARM -m $WORK/olmoe-bf16 --host-budget $QB --policy lru --json round-R-strata-ssd.json
strata bench -p $P -n $N -r 1 -t $THREADS --warmup-max $WARM -m $WORK/olmoe-bf16 --host-budget $QB --policy lru --prefetch lookahead --json round-R-strata-ssdpf.json
strata run --model $TINY --prompt "And the LORD said" --max-tokens 1 --threads $THREADS   (wall clock from launch to exit)
$LB ${LBM[*]} -p $P -n $N -r 1 -t $THREADS -o json
CMDS
# The memory's read bandwidth (two threads, 600 MB, in the weights' pages) right before and after each side's run: a VM's
# memory can change state between runs (on one, 35 or 63 GB/s), which moves a decode ratio whatever the code; the
# report says which rounds had both sides in one state.
membw() { # round side when
  "$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$ROOT/cli/target/lib/*" io.strata.bench.kernels.KernelRateMain \
    --layout read --rows 150000 --rounds 3 --split --json "$RAW/round-$1-membw-$2-$3.json" >> "$RAW/membw.log" 2>&1 || true
}
side() { # round name
  membw $1 $2 before; if [ $2 = strata ]; then strata_round $1; else llama_round $1; fi; membw $1 $2 after
}
echo "java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp \"cli/target/lib/*\" io.strata.bench.kernels.KernelRateMain --layout read --rows 150000 --rounds 3 --split --json round-R-membw-SIDE-before|after.json   (before and after each side's run)" >> "$RAW/commands.txt"
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then
    stamp "round $r/$ROUNDS: strata"; side $r strata; stamp "round $r/$ROUNDS: llama-bench"; side $r llama
  else
    stamp "round $r/$ROUNDS: llama-bench"; side $r llama; stamp "round $r/$ROUNDS: strata"; side $r strata
  fi
done

# ---- 3. where the time goes (optional) -------------------------------------------------------------------------------
if [ $PROFILE = 1 ]; then
  # One thread, GB/s of weights: each kernel from the cache (its compute rate) and from memory, and a plain read, the
  # matrices in the pages the engine's weights get (2 MiB where granted).

  # Two passes over the set: the report takes each kernel's fastest round of both (the host's drift only slows rounds).
  for pass in 1 2; do
    for spec in "read 2048" "read 150000" "bf16 256" "bf16 150000" "int8 4096" "int8 300000" "int4 4096" "int4 600000"; do
      set -- $spec
      stamp "kernel rate: $1, [$2, 2048], one thread, pass $pass"
      "$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$ROOT/cli/target/lib/*" io.strata.bench.kernels.KernelRateMain \
        --layout "$1" --rows "$2" --rounds 7 --json "$RAW/kernel-$1-$2-$pass.json" >> "$RAW/profile.log" 2>&1
    done
  done
  echo "java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp \"cli/target/lib/*\" io.strata.bench.kernels.KernelRateMain --layout L --rows R --rounds 7, two passes   (L R: read 2048, read 150000, bf16 256, bf16 150000, int8 4096, int8 300000, int4 4096, int4 600000)" >> "$RAW/commands.txt"
  # The same one-token loops written in C two ways, converted codes times x with fma (what the Vector API can express,
  # and what Strata's kernels do) and the dot-product instructions vpdpbusd and vdpbf16ps (llama.cpp's way), where gcc
  # and the CPU have them: what the instruction alone is worth on this core, from L3 and from memory, one thread.
  if command -v gcc > /dev/null && grep -qw avx512_vnni /proc/cpuinfo && grep -qw avx512_bf16 /proc/cpuinfo; then
    ISA_FLAGS="-O2 -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni -mavx512bf16 -mfma"
    gcc $ISA_FLAGS "$ROOT/bench/isa/isa_bound.c" -o "$WORK/isa_bound" -lm -lpthread
    for pass in 1 2; do
      for rows in 4096 131072; do
        stamp "dot-product loops in C: [$rows, 2048], one thread, pass $pass"
        "$WORK/isa_bound" $rows 1 > "$RAW/isa-$rows-$pass.json" 2>> "$RAW/profile.log"
      done
    done
    echo "gcc $ISA_FLAGS bench/isa/isa_bound.c -o isa_bound -lm -lpthread; isa_bound ROWS 1 > isa-ROWS-PASS.json, two passes   (ROWS: 4096, 131072)" >> "$RAW/commands.txt"
  else
    echo "no gcc, or no avx512_vnni and avx512_bf16 on this CPU: the dot-product loops in C were not run" >> "$RAW/profile.log"
  fi
  # A JFR of each configuration behind a goal, summarised by bench/jfr_summary.py (the .jfr files stay in --work).
  prof() { # name model bench-args...
    local name=$1 model=$2; shift 2
    stamp "JFR of strata $name"
    STRATA_JAVA_OPTS="-XX:StartFlightRecording=filename=$WORK/$name.jfr,settings=profile" \
      S bench -m "$model" -t "$THREADS" --warmup-max $WARM "$@" > /dev/null 2>> "$RAW/profile.log"
    "$PYTHON" "$ROOT/bench/jfr_summary.py" "$WORK/$name.jfr" --json "$RAW/profile-$name.json" > "$RAW/profile-$name.md" 2>> "$RAW/profile.log" || true
    echo "STRATA_JAVA_OPTS=-XX:StartFlightRecording=filename=$name.jfr,settings=profile strata bench -m $model -t $THREADS --warmup-max $WARM $*; bench/jfr_summary.py $name.jfr" >> "$RAW/commands.txt"
  }
  for m in olmoe-hf olmoe-int4-all olmoe-int8-all olmoe-bf16; do
    src=$WORK/$m; [ $m = olmoe-hf ] && src=$O
    prof "$m-decode" "$src" -p 1 -n $N -r 3
    [ $m = olmoe-bf16 ] || prof "$m-prefill" "$src" -p $P -n 1 -r 20
  done
  prof olmoe-bf16-ssd-decode "$WORK/olmoe-bf16" -p 1 -n $N -r 2 --host-budget $QB --policy lru
  prof olmoe-bf16-ssdpf-decode "$WORK/olmoe-bf16" -p 1 -n $N -r 2 --host-budget $QB --policy lru --prefetch lookahead
fi

# ---- 4. the report ----------------------------------------------------------------------------------------------------
stamp "report"
"$PYTHON" "$ROOT/bench/cpu_vs_llamacpp_report.py" --raw "$RAW" --rounds "$ROUNDS" --out "$OUT" --commit "$COMMIT" \
  --llama "$LLAMA" --threads "$THREADS" --p $P --n $N --work "$WORK" --command "bench/cpu-vs-llamacpp.sh $LLAMA --commit $COMMIT --rounds $ROUNDS --threads $THREADS$([ $QUICK = 1 ] && echo ' --quick')" \
  --host-share $QB --shape "OLMoE-shaped: hidden 2048, $LAYERS layers, $EXPERTS experts of 1024, top-8, vocabulary 50304, bf16" \
  --seconds $(( $(date +%s) - T0 )) --llama-note "$LLAMA_NOTE"
stamp "done: $OUT/cpu-vs-llama.cpp.md"
