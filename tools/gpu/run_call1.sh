#!/usr/bin/env bash
# Device call 1: golden fixtures for the four architectures, then training
# of the small MoE model. Results come back through $OUT.
set -x
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee $OUT/log.txt
W=/tmp/w; mkdir -p $W
python3 tools/gpu/make_golden.py $W/golden 2>&1 | tee -a $OUT/log.txt
python3 tools/gpu/train_tiny_moe.py .device/corpus engine-java/src/test/resources/tokenizer/mistral-spm-32k $W/tiny ${TRAIN_SECONDS:-230} 2>&1 | tee -a $OUT/log.txt
cd $W && tar czf $OUT/results.tar.gz golden tiny/report.json tiny/golden-greedy.json tiny/traces tiny/model/config.json tiny/model/generation_config.json
ls -la $W/tiny/model
split -b 15M $W/tiny/model/model.safetensors $OUT/model.safetensors.part-
ls -la $OUT
