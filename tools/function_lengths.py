#!/usr/bin/env python3
"""Lines of every C function definition, longest first.

    tools/function_lengths.py [--over N] [FILES or folders...]   (default: model src ui bench tests)

A definition is a signature starting at column 0 whose body opens with a '{' and closes
with a '}' at column 0 (the project's style). The count runs from the signature's first
line to the closing brace, both included. A function may stay over the limit when one
loop is clearer whole: it then says why in a comment containing "long on purpose" just
above its signature; such functions are marked with '*'. Exit status 1 when a function
is over --over without that comment.
"""
import os
import re
import sys

SIG = re.compile(r'^[A-Za-z_][^;]*\(')


def functions(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        lines = f.read().split('\n')
    i = 0
    while i < len(lines):
        line = lines[i]
        if SIG.match(line) and not line.startswith(('typedef', 'struct', 'enum', '#')) \
                and not line.rstrip().endswith(';'):
            start = i
            j = i
            # the signature may span lines until the opening brace
            while j < len(lines) and '{' not in lines[j] and not lines[j].rstrip().endswith(';'):
                j += 1
            if j < len(lines) and '{' in lines[j] and (lines[j].startswith('{') or lines[j].rstrip().endswith('{')):
                k = j + 1
                while k < len(lines) and not lines[k].startswith('}'):
                    k += 1
                name = re.search(r'([A-Za-z_][A-Za-z0-9_]*)\s*\(', line)
                above = '\n'.join(lines[max(0, start - 6):start])
                yield (name.group(1) if name else '?', start + 1, k - start + 1,
                       'long on purpose' in above)
                i = k + 1
                continue
        i += 1


def main(argv):
    over = 80
    args = []
    it = iter(argv)
    for a in it:
        if a == '--over':
            over = int(next(it))
        else:
            args.append(a)
    roots = args or ['model', 'src', 'ui', 'bench', 'tests']
    files = []
    for r in roots:
        if os.path.isdir(r):
            for d, _, names in os.walk(r):
                files += [os.path.join(d, n) for n in names if n.endswith('.c')]
        else:
            files.append(r)
    rows = []
    for p in sorted(files):
        for name, line, n, excused in functions(p):
            rows.append((n, p, line, name, excused))
    rows.sort(reverse=True)
    bad = 0
    for n, p, line, name, excused in rows:
        if n <= over:
            break
        mark = '*' if excused else ' '
        bad += not excused
        print(f'{n:5d} {mark} {p}:{line} {name}')
    print(f'{len(rows)} functions; {sum(r[0] > over for r in rows)} over {over} lines, '
          f'{bad} of them without a "long on purpose" comment')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
