#!/usr/bin/env bash
# Device call: golden fixtures for the four architectures (tools/gpu/make_golden.py).
python3 tools/gpu/make_golden.py /tmp/golden 2>&1 | tee $OUT/log.txt
cd /tmp && tar czf $OUT/golden.tar.gz golden
