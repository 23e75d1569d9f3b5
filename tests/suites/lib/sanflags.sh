# bpfbox — sourced by the scripts that link programs of their own against
# $BUILD's library (tests/suites, tests/fuzz/run-fuzz, bench/run-bench).
#
# A sanitizer build of the library (make asan / make ubsan) needs the same
# runtime in the program that links it.  Sets $SANFLAGS: $SAN when make
# passed it down, else the sanitizers the library references, else empty.
SANFLAGS=${SAN:-}
if [ -z "$SANFLAGS" ]; then
	if nm "$BUILD/libbpfbox.a" 2>/dev/null | grep -q ' U __asan_'; then
		SANFLAGS="-fsanitize=address,undefined"
	elif nm "$BUILD/libbpfbox.a" 2>/dev/null | grep -q ' U __ubsan_'; then
		SANFLAGS="-fsanitize=undefined"
	fi
fi
