#!/usr/bin/env bash
# bpfbox — the assembler against the conformance suite's own assembler.
#
# For each of the suite's test files: the `-- asm` section is assembled by
# run.py's assembler (imported, not copied) and by `bpfbox asm`, with
# --syntax conformance and with the default per-line detection; the bytes
# must be identical.  Then the other direction: `bpfbox disasm --syntax
# conformance` of those bytes must be accepted by run.py's assembler and
# give the same bytes back.  The suite lives outside the repository
# (../shared/conformance, or $BPFBOX_CONFORMANCE); without it, or without
# python3, this prints a SKIP line.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
name=asm_conformance
. tests/suites/lib/conformance.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$bin" "$tmp" "$suite" <<'EOF'
import glob, os, subprocess, sys

BIN, TMP, SUITE = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, SUITE)
import run as suite  # the suite's runner: its assemble() is the reference

passed = failed = 0

def check(ok, msg, detail=''):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print('FAIL ' + msg + (('\n    ' + detail) if detail else ''))

def asm_section(path):
    """The lines of the `-- asm` section, comments ('#') removed (README
    section 1: the first of asm/result/mem/raw on a `--` line names it)."""
    lines, section = [], None
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f.read().split('\n'):
            line = line.rstrip('\r').split('#', 1)[0]
            if '--' in line:
                section = next((k for k in ('asm', 'result', 'mem', 'raw') if k in line), None)
                continue
            if section == 'asm' and line.strip():
                lines.append(line)
    return lines

files = sorted(glob.glob(os.path.join(SUITE, 'tests', '*.data')))
check(len(files) >= 300, 'found %d test files' % len(files))
insns = 0
for path in files:
    name = os.path.basename(path)
    lines = asm_section(path)
    if not lines:
        check(False, '%s: no -- asm section' % name)
        continue
    want = suite.assemble(lines)
    insns += len(want) // 8
    src = os.path.join(TMP, name + '.s')
    with open(src, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    for syntax in ('conformance', 'auto'):
        out = os.path.join(TMP, name + '.' + syntax + '.bin')
        r = subprocess.run([BIN, 'asm', '--syntax', syntax, src, '-o', out],
                           capture_output=True, text=True)
        got = open(out, 'rb').read() if r.returncode == 0 else None
        check(got == want, '%s: bpfbox asm --syntax %s differs from run.py' % (name, syntax),
              r.stderr.strip() or 'bytes differ')
    # the other way: bpfbox's conformance listing through run.py's assembler
    binf = os.path.join(TMP, name + '.bin')
    with open(binf, 'wb') as f:
        f.write(want)
    r = subprocess.run([BIN, 'disasm', '--syntax', 'conformance', '--no-index', binf],
                       capture_output=True, text=True)
    try:
        back = suite.assemble(r.stdout.splitlines()) if r.returncode == 0 else None
        why = r.stderr.strip()
    except Exception as e:  # run.py's TestFileError
        back, why = None, str(e)
    check(back == want, '%s: run.py does not assemble bpfbox disasm --syntax conformance '
          'back to the same bytes' % name, why)
print('# %d files, %d instruction slots: bpfbox asm == run.py assembler (conformance and auto '
      'syntax), and run.py assembles bpfbox\'s listings back' % (len(files), insns))
print('%d passed, %d failed' % (passed, failed))
EOF
