# bpfbox — sourced by the suites that use the eBPF conformance suite.
#
# The suite's data lives outside the repository: $BPFBOX_CONFORMANCE, else
# ../shared/conformance (next to the checkout) or /work/shared/conformance.
# Sets $suite and $bin (the absolute path of bpfbox), or prints a SKIP line
# and the summary and exits when the suite or python3 is missing, and a
# failure when bpfbox is not built.  $name names the suite in messages.
suite=${BPFBOX_CONFORMANCE:-}
if [ -z "$suite" ]; then
	for d in ../shared/conformance /work/shared/conformance; do
		[ -f "$d/run.py" ] && { suite=$d; break; }
	done
fi
suite=${suite:-../shared/conformance}
if [ ! -f "$suite/run.py" ] || [ ! -d "$suite/tests" ]; then
	echo "SKIP $name: conformance suite not found at $suite (set BPFBOX_CONFORMANCE)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "SKIP $name: python3 not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
if [ ! -x "${BUILD:-build}/bpfbox" ]; then
	echo "FAIL $name: ${BUILD:-build}/bpfbox is not built"
	echo "0 passed, 1 failed"
	exit 1
fi
bin=$(realpath "${BUILD:-build}/bpfbox")
