#!/usr/bin/env bash
# bpfbox — a short run of the verifier's soundness fuzzer (accepted programs
# must never fault in checked mode nor under ASan when run unchecked);
# `make fuzz` runs the long one.
cd "$(dirname "$0")/../.."
exec tests/fuzz/run-fuzz verify-short
