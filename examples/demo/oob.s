# A buggy program: reads 8 bytes past the end of its input.
        r0 = *(u64 *)(r1 + 64)
        exit
