#!/usr/bin/env bash
# bpfbox — `bpfbox disasm --syntax llvm` against llvm-objdump (LLVM 14).
#
# (a) Generated encodings: every opcode byte with many field values, put in
#     an object with llvm-mc (.byte), disassembled by llvm-objdump -d (with
#     and without --mattr=+alu32) and by bpfbox from the section's bytes.
#     Every instruction bpfbox calls valid and LLVM 14 knows must print
#     identically.  LLVM 14 does not know mod, jset, store-immediate, the
#     ISA v4 rows, and (without alu32) the 32-bit atomics other than add;
#     bpfbox prints those in LLVM 17's syntax, so they are counted apart,
#     and every `<unknown>` of LLVM must be one of them.
# (b) The clang-built examples/*.bpf.c (clang -O2 -g -target bpf -c, also
#     -mcpu=v2 and -mcpu=v3 where they compile): every instruction of every
#     code section must print identically (v3 objects against
#     --mattr=+alu32, the form LLVM needs for their 32-bit atomics), and
#     each section's listing must assemble back to the section's bytes.
# Without clang / llvm-mc / llvm-objdump / llvm-objcopy / python3: SKIP.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
for t in clang llvm-mc llvm-objdump llvm-objcopy python3; do
	if ! command -v "$t" >/dev/null; then
		echo "SKIP disasm_llvm: $t not installed"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi
done
if [ ! -x "$BUILD/bpfbox" ]; then
	echo "FAIL $BUILD/bpfbox is not built"
	echo "0 passed, 1 failed"
	exit 1
fi
bin=$(realpath "$BUILD/bpfbox")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$bin" "$tmp" examples <<'EOF'
import glob, os, random, re, subprocess, sys

BIN, TMP, EXAMPLES = sys.argv[1], sys.argv[2], sys.argv[3]
passed = failed = skipped = 0
compared = 0

def check(ok, msg, detail=()):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + msg)
    else:
        failed += 1
        print("FAIL " + msg)
        for d in list(detail)[:10]:
            print("    " + d)

def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)

OBJ_LINE = re.compile(r'^\s*(\d+):\t([0-9a-f]{2}(?: [0-9a-f]{2})*)\s*\t(.*)$')
SECTION = re.compile(r'^Disassembly of section (.*):$')

def objdump(obj, alu32):
    """{section: {index: text}} as llvm-objdump -d prints it, without the
    symbolizer's ' <target>' suffix."""
    out = run(['llvm-objdump', '-d'] + (['--mattr=+alu32'] if alu32 else []) + [obj])
    secs, cur = {}, None
    for line in out.stdout.splitlines():
        m = SECTION.match(line)
        if m:
            cur = secs.setdefault(m.group(1), {})
            continue
        m = OBJ_LINE.match(line)
        if m and cur is not None:
            cur[int(m.group(1))] = re.sub(r' <[^<>\s]+>$', '', m.group(3))
    return secs

def bpfbox(path, alu32):
    out = run([BIN, 'disasm', path, '--syntax', 'llvm'] + (['--alu32'] if alu32 else []))
    lines = {}
    for line in out.stdout.splitlines():
        m = re.match(r'^\s*(\d+): (.*)$', line)
        if m:
            lines[int(m.group(1))] = m.group(2)
    return lines, out

def section_bytes(obj, sec, name):
    path = os.path.join(TMP, name + '.bin')
    r = run(['llvm-objcopy', '-O', 'binary', '--only-section=' + sec, obj, path])
    return path if r.returncode == 0 else None

# Instructions LLVM 14 does not have (bpfbox prints LLVM 17's syntax).
NEWER = [r's/=', r's%=', r'%=', r'^if \S+ & ', r'= \(s(8|16|32)\)', r'\*\(s(8|16|32) \*\)',
         r'bswap', r'^gotol ', r'^callx ', r'^\*\(u\d+ \*\)\([^)]*\) = -?\d+$']
NEWER_NO_ALU32 = [r'^lock \*\(u32 \*\)\(.*\) [|&^]= ', r'atomic_fetch_\w+\(\(u32',
                  r'xchg32_32', r'cmpxchg32_32']

def newer(text, alu32):
    pats = NEWER + ([] if alu32 else NEWER_NO_ALU32)
    return any(re.search(p, text) for p in pats)

# ---- (a) generated encodings ------------------------------------------------
rnd = random.Random(20240611)
IMMS = [0, 0, 1, 7, 16, 32, 64, -1, -8, 255, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1,
        0xe1, 0xf1, 2**31 - 1, -2**31]
OFFS = [0, 0, 0, 1, 8, 16, 32, -8, -1, 4, 32767, -32768]
slots = []
def pick(zero, special, lo, hi):
    x = rnd.random()
    if x < zero:
        return 0
    if x < zero + 0.6 * (1 - zero):
        return rnd.choice(special)
    return rnd.randrange(lo, hi)

for code in range(1, 256):
    for k in range(96):
        dst = rnd.randrange(11) if rnd.random() < 0.95 else rnd.randrange(16)
        src = pick(0.5, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0, 16)
        off = pick(0.55, OFFS, -32768, 32768)
        imm = pick(0.4, IMMS, -2**31, 2**31)
        slots.append((code, dst, src, off, imm))
        if code == 0x18:
            slots.append((0, 0, 0, 0, pick(0.5, IMMS, -2**31, 2**31)))
asm = os.path.join(TMP, 'gen.s')
with open(asm, 'w') as f:
    f.write('.text\n')
    for code, dst, src, off, imm in slots:
        b = bytes([code, (src << 4) | dst]) + (off & 0xffff).to_bytes(2, 'little') + \
            (imm & 0xffffffff).to_bytes(4, 'little')
        f.write('  .byte ' + ','.join(str(x) for x in b) + '\n')
obj = os.path.join(TMP, 'gen.o')
r = run(['llvm-mc', '-triple', 'bpfel', '-filetype=obj', asm, '-o', obj])
check(r.returncode == 0, 'llvm-mc builds the generated object (%d slots)' % len(slots),
      r.stderr.splitlines())
binf = section_bytes(obj, '.text', 'gen')
forms = set()
for alu32 in (False, True):
    mode = 'alu32' if alu32 else 'default'
    ref = objdump(obj, alu32).get('.text', {})
    ours, out = bpfbox(binf, alu32)
    same = skipped_newer = invalid = 0
    bad = []
    for i, text in sorted(ours.items()):
        if text == '<unknown>':
            invalid += 1
            continue
        theirs = ref.get(i)
        if newer(text, alu32):
            skipped_newer += 1
            continue
        if theirs == text:
            same += 1
            forms.add(re.sub(r'-?\d+', 'N', text))
        else:
            bad.append('%d: llvm-objdump %r, bpfbox %r' % (i, theirs, text))
    # every <unknown> of LLVM must be an instruction it does not have
    unexplained = ['%d: llvm-objdump <unknown>, bpfbox %r' % (i, ours[i])
                   for i, t in ref.items() if t == '<unknown>' and i in ours
                   and ours[i] != '<unknown>' and not newer(ours[i], alu32)]
    compared += same
    check(out.returncode == 0 and not bad and same > 2000,
          'generated encodings (%s): %d identical, %d newer than LLVM 14 (not comparable), '
          '%d invalid slots skipped' % (mode, same, skipped_newer, invalid), bad)
    check(not unexplained, 'generated encodings (%s): every LLVM <unknown> is an instruction '
          'LLVM 14 lacks' % mode, unexplained)
print('# generated encodings: %d distinct instruction forms compared' % len(forms))

# ---- (b) clang-built examples --------------------------------------------------
machine = run(['gcc', '-dumpmachine']).stdout.strip() or 'x86_64-linux-gnu'
sources = sorted(glob.glob(os.path.join(EXAMPLES, '*.bpf.c')))
check(len(sources) >= 3, 'examples: %d .bpf.c programs found' % len(sources))
for src in sources:
    base = os.path.basename(src)[:-len('.bpf.c')]
    for cpu in ('v1', 'v2', 'v3'):
        obj = os.path.join(TMP, '%s.%s.o' % (base, cpu))
        cmd = ['clang', '-O2', '-g', '-target', 'bpf', '-I/usr/include/' + machine]
        if cpu != 'v1':
            cmd += ['-mcpu=' + cpu]
        if cpu == 'v3':
            cmd += ['-DBPFBOX_CPU_V3']
        cmd += ['-c', src, '-o', obj]
        r = run(cmd)
        if r.returncode and cpu != 'v1':
            # an example may need a newer CPU than it is compiled for here;
            # the plain compile (v1, the documented one) must work
            skipped += 1
            print('SKIP clang %s (%s) failed: %s' % (base, cpu, (r.stderr.splitlines() or [''])[0]))
            continue
        check(r.returncode == 0, 'clang %s (%s)' % (base, cpu), r.stderr.splitlines())
        if r.returncode:
            continue
        for alu32 in ((False, True) if cpu != 'v3' else (True,)):
            mode = 'alu32' if alu32 else 'default'
            for sec, ref in objdump(obj, alu32).items():
                if not ref:
                    continue
                tag = '%s.%s.%s' % (base, cpu, re.sub(r'\W', '_', sec))
                binf = section_bytes(obj, sec, tag)
                ours, out = bpfbox(binf, alu32)
                bad = ['%d: llvm-objdump %r, bpfbox %r' % (i, ref.get(i), ours.get(i))
                       for i in sorted(set(ref) | set(ours)) if ref.get(i) != ours.get(i)]
                bad += ['%d: %r' % (i, t) for i, t in ref.items() if t == '<unknown>']
                compared += len(ref) if not bad else 0
                check(out.returncode == 0 and not bad,
                      '%s %s section %s (%s): %d instructions identical' %
                      (base, cpu, sec, mode, len(ref)), bad)
                if alu32 == (cpu == 'v3'):
                    # the listing assembles back to the section's bytes
                    lst = os.path.join(TMP, tag + '.s')
                    back = os.path.join(TMP, tag + '.back')
                    with open(lst, 'w') as f:
                        f.write(out.stdout)
                    r2 = run([BIN, 'asm', lst, '-o', back])
                    ok = r2.returncode == 0 and open(back, 'rb').read() == open(binf, 'rb').read()
                    check(ok, '%s %s section %s: llvm listing assembles back to the same bytes' %
                          (base, cpu, sec), r2.stderr.splitlines())

print('# %d instructions compared with llvm-objdump: all identical' % compared
      if not failed else '# %d instructions compared identical; see FAIL lines' % compared)
print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
EOF
