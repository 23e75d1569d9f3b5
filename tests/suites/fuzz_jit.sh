#!/usr/bin/env bash
# bpfbox — a short differential fuzz run, interpreter vs JIT (a few
# seconds of generated programs; `make fuzz` runs the long one).
cd "$(dirname "$0")/../.."
exec tests/fuzz/run-fuzz short
