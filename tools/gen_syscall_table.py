#!/usr/bin/env python3
"""bpfbox — tools/gen_syscall_table.py: generate src/hooks/syscalls_x86_64.def.

The syscall tracepoints' records (events/syscalls/sys_enter_NAME and
sys_exit_NAME) are what programs attached to them read, byte for byte.  The
kernel describes each in a tracefs `format` file; bpfbox keeps a generated
copy of that description for x86-64 so `bpfbox trace` works where tracefs is
not mounted (or the kernel has no tracepoints at all).

Inputs:
  - TRACEFS/events/syscalls/sys_enter_*/format: the argument names and C
    types, in order (each argument is an 8-byte slot at 16 + 8 * i);
  - the uapi header asm/unistd_64.h: the numbers.  An event is named after
    the kernel's entry point (SYSCALL_DEFINE name), which differs from the
    __NR_ name for a few calls (ALIASES); calls newer than the installed
    header are listed in NEWER with their numbers from the kernel's
    arch/x86/entry/syscalls/syscall_64.tbl.

The generator refuses to write a table when an event has no number, when the
record does not have the layout every syscall record has (common fields,
__syscall_nr at 8, 8-byte arguments from 16; sys_exit: long ret at 16), or
when two events claim one number — so a kernel that changes the layout
shows up here instead of as programs reading wrong bytes.

usage: tools/gen_syscall_table.py [--tracefs DIR] [--unistd FILE] > src/hooks/syscalls_x86_64.def
"""
import argparse
import os
import re
import sys

# event name (entry point without sys_) -> __NR_ name
ALIASES = {
    "newstat": "stat",
    "newlstat": "lstat",
    "newfstat": "fstat",
    "newuname": "uname",
    "sendfile64": "sendfile",
    "umount": "umount2",
}

# __NR_ names missing from older uapi headers: number from syscall_64.tbl
NEWER = {
    "uretprobe": 335, "uprobe": 336,
    "cachestat": 451, "fchmodat2": 452, "map_shadow_stack": 453,
    "futex_wake": 454, "futex_wait": 455, "futex_requeue": 456,
    "statmount": 457, "listmount": 458, "lsm_get_self_attr": 459,
    "lsm_set_self_attr": 460, "lsm_list_modules": 461, "mseal": 462,
    "setxattrat": 463, "getxattrat": 464, "listxattrat": 465,
    "removexattrat": 466, "open_tree_attr": 467, "file_getattr": 468,
    "file_setattr": 469, "listns": 470,
}

FIELD = re.compile(r"^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d);")


def split_decl(decl):
    """'const char * filename' -> ('const char *', 'filename')"""
    m = re.match(r"^(.*?)([A-Za-z_][A-Za-z0-9_]*)(\[\d*\])?$", decl.strip())
    if not m:
        raise ValueError("cannot parse field declaration %r" % decl)
    return m.group(1).strip(), m.group(2)


def parse_format(path):
    fields = []
    with open(path) as f:
        for line in f:
            m = FIELD.match(line)
            if m:
                t, n = split_decl(m.group(1))
                fields.append((t, n, int(m.group(2)), int(m.group(3)), int(m.group(4))))
    return fields


COMMON = [("unsigned short", "common_type", 0, 2, 0),
          ("unsigned char", "common_flags", 2, 1, 0),
          ("unsigned char", "common_preempt_count", 3, 1, 0),
          ("int", "common_pid", 4, 4, 1)]


def check_common(ev, fields):
    if fields[:4] != COMMON:
        sys.exit("gen_syscall_table: %s: unexpected common fields %r" % (ev, fields[:4]))
    if fields[4][1:] != ("__syscall_nr", 8, 4, 1) or fields[4][0] != "int":
        sys.exit("gen_syscall_table: %s: no int __syscall_nr at offset 8" % ev)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracefs", default="/sys/kernel/tracing")
    ap.add_argument("--unistd", default="/usr/include/x86_64-linux-gnu/asm/unistd_64.h")
    a = ap.parse_args()
    nrs = dict(NEWER)
    with open(a.unistd) as f:
        for line in f:
            m = re.match(r"#define __NR_(\w+)\s+(\d+)", line)
            if m:
                nrs[m.group(1)] = int(m.group(2))
    evdir = os.path.join(a.tracefs, "events", "syscalls")
    if not os.path.isdir(evdir):
        sys.exit("gen_syscall_table: %s: no syscall events (mount -t tracefs nodev %s)"
                 % (evdir, a.tracefs))
    rows = {}
    for ent in sorted(os.listdir(evdir)):
        if not ent.startswith("sys_enter_"):
            continue
        name = ent[len("sys_enter_"):]
        enter = parse_format(os.path.join(evdir, ent, "format"))
        check_common(ent, enter)
        args = []
        for i, (t, n, off, size, sg) in enumerate(enter[5:]):
            if off != 16 + 8 * i or size != 8:
                sys.exit("gen_syscall_table: %s: argument %s at %d size %d" % (ent, n, off, size))
            args.append((t, n))
        if len(args) > 6:
            sys.exit("gen_syscall_table: %s: %d arguments" % (ent, len(args)))
        exitf = os.path.join(evdir, "sys_exit_" + name, "format")
        if not os.path.exists(exitf):
            sys.exit("gen_syscall_table: sys_exit_%s is missing" % name)
        ex = parse_format(exitf)
        check_common("sys_exit_" + name, ex)
        if ex[5:] != [("long", "ret", 16, 8, 1)]:
            sys.exit("gen_syscall_table: sys_exit_%s: unexpected fields %r" % (name, ex[5:]))
        nrname = ALIASES.get(name, name)
        if nrname not in nrs:
            sys.exit("gen_syscall_table: no number for %s (__NR_%s): add it to NEWER"
                     % (ent, nrname))
        nr = nrs[nrname]
        if nr in rows:
            sys.exit("gen_syscall_table: %s and %s both have number %d" % (rows[nr][0], name, nr))
        rows[nr] = (name, args)
    out = sys.stdout
    out.write("/* bpfbox — src/hooks/syscalls_x86_64.def: the x86-64 syscall tracepoints.\n"
              " *\n"
              " * GENERATED by tools/gen_syscall_table.py from the tracefs format files of\n"
              " * Linux %s and asm/unistd_64.h; do not edit.  One row per syscall that has\n"
              " * sys_enter_NAME / sys_exit_NAME events:\n"
              " *\n"
              " *   SYSCALL(NR, NAME, NARGS, TYPE0, ARG0, ..., TYPE5, ARG5)\n"
              " *\n"
              " * NAME is the event's (the kernel's entry point, e.g. newstat for __NR_stat);\n"
              " * argument i is an 8-byte slot at offset 16 + 8 * i of the sys_enter record.\n"
              " * Syscalls without a row have no syscall tracepoint (raw_syscalls sees them).\n"
              " */\n" % os.uname().release)
    for nr in sorted(rows):
        name, args = rows[nr]
        cells = []
        for i in range(6):
            t, n = args[i] if i < len(args) else ("", "")
            cells.append('"%s", "%s"' % (t, n))
        out.write("SYSCALL(%d, %s, %d, %s)\n" % (nr, name, len(args), ", ".join(cells)))


if __name__ == "__main__":
    main()
