#!/usr/bin/env python3
"""bpfbox — tests/verify/extract-bpf-objects.py: pull the BPF ELF objects out
of programs that embed them (libbpf skeletons, as in Debian's libbpf-tools).

    extract-bpf-objects.py OUTDIR BINARY...

A skeleton keeps its object as a byte array: an ELF header with e_machine
EM_BPF (247).  The object ends with its section header table, so its size is
e_shoff + e_shnum * e_shentsize.  Writes OUTDIR/<binary>[.N].bpf.o and prints
one path per object.
"""
import os
import struct
import sys

EM_BPF = 247


def objects(data):
    i = data.find(b"\x7fELF")
    while i >= 0:
        hdr = data[i:i + 64]
        if len(hdr) == 64 and hdr[4] == 2 and hdr[5] == 1:
            machine = struct.unpack_from("<H", hdr, 18)[0]
            shoff = struct.unpack_from("<Q", hdr, 40)[0]
            shentsize, shnum = struct.unpack_from("<HH", hdr, 58)
            size = shoff + shentsize * shnum
            if machine == EM_BPF and shentsize == 64 and 64 <= size <= len(data) - i:
                yield data[i:i + size]
                i = data.find(b"\x7fELF", i + size)
                continue
        i = data.find(b"\x7fELF", i + 4)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for path in sys.argv[2:]:
        try:
            data = open(path, "rb").read()
        except OSError:
            continue
        base = os.path.basename(path)
        for n, obj in enumerate(objects(data)):
            name = f"{base}.bpf.o" if n == 0 else f"{base}.{n}.bpf.o"
            dst = os.path.join(out, name)
            with open(dst, "wb") as f:
                f.write(obj)
            print(dst)


if __name__ == "__main__":
    main()
