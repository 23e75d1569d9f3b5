/* bpfbox — tests/fuzz/fuzz_object.c: libFuzzer target for the ELF loader
 * (clang -fsanitize=fuzzer,address,undefined; tests/fuzz/run-fuzz builds
 * it).  Seeds: the compiled examples (the .o files in $BUILD/examples). */
#include "fuzz_object.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_object_one(data, size);
}
