"""Every assertion of the notebooks, and where it runs: proof that moving tests lost none.

    python .ci/assertions.py                 the inventory: per notebook, assertions by tier
    python .ci/assertions.py --since REV     every assertion of REV's notebooks still runs, or was replaced

An assertion is an `assert` statement or a call of fastcore's `test_*` or our `test_check`. Its tier is that
of its cell: `test` (run by `make test`), `slow` (`make test-all`), `gpu` (a GPU check) or `demo` (run only by
`make outputs`). No `demo` cell may hold one. With `--since`, each assertion of REV must be found, by its text,
in a cell that `make test` or `make test-all` runs, or be named in .ci/assertions_replaced.tsv (notebook, old
assertion, new assertion, why), whose new assertion must itself be found so. Exits 1 when any is missing.
"""
import ast, json, re, subprocess, sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPLACED = REPO/'.ci'/'assertions_replaced.tsv'
TESTS = re.compile(r'^test_\w+$|^test_check$')
RUN = {'test', 'slow'}  # tiers that make test / make test-all run

def flags(src:str) -> set[str]:
    out = set()
    for l in src.splitlines():
        if l.startswith('%%'): continue
        if not l.startswith('#|'): break
        out.update(l[2:].replace(':', ' ').split())
    return out

def tier(src:str) -> str:
    f = flags(src)
    if {'eval', 'false'} <= f: return 'off'
    return next((t for t in ('demo', 'gpu', 'slow') if t in f), 'test')

def norm(s:str) -> str: return re.sub(r'\s+', ' ', s).strip()

def assertions(src:str) -> list[str]:
    "The assertions in one cell's code, as normalised source text."
    py = '\n'.join('' if l.lstrip().startswith(('%', '!')) else l for l in src.splitlines())
    try: tree = ast.parse(py)
    except SyntaxError:
        return [norm(l) for l in py.splitlines() if re.match(r'\s*(assert\b|test_\w+\()', l)]
    found = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Assert): found.append(n)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and TESTS.match(n.func.id): found.append(n)
    return [norm(ast.unparse(n)) for n in found]

def inventory(nbs:dict[str, dict]) -> list[tuple[str, str, str]]:
    "(notebook, tier, assertion) for every assertion of every code cell."
    cells = [(name, ''.join(c['source'])) for name, nb in sorted(nbs.items()) for c in nb['cells']
             if c['cell_type'] == 'code']
    return [(name, tier(src), a) for name, src in cells for a in assertions(src)]

def notebooks_at(rev:str|None) -> dict[str, dict]:
    if rev is None: return {p.name: json.loads(p.read_text(encoding='utf-8')) for p in (REPO/'nbs').glob('*.ipynb')}
    names = subprocess.run(['git', 'ls-tree', '--name-only', rev, 'nbs/'], capture_output=True, text=True,
                           cwd=REPO, check=True).stdout.split()
    return {Path(n).name: json.loads(subprocess.run(['git', 'show', f'{rev}:{n}'], capture_output=True, text=True,
            cwd=REPO, check=True).stdout) for n in names if n.endswith('.ipynb')}

def replaced() -> dict[tuple[str, str], tuple[str, str]]:
    files = [f for f in [REPLACED, *sorted((REPO/'.ci'/'replaced').glob('*.tsv'))] if f.exists()]
    rows = [l.split('\t') for f in files for l in f.read_text(encoding='utf-8').splitlines()
            if l.strip() and not l.startswith('#')]
    return {(nb, norm(old)): (norm(new), why) for nb, old, new, why in rows}

def main(args:list[str]) -> int:
    now = inventory(notebooks_at(None))
    by_tier = Counter((nb, t) for nb, t, _ in now)
    for nb in sorted({nb for nb, _, _ in now}):
        print(f"{nb:24} " + '  '.join(f'{t} {by_tier[nb, t]}' for t in ('test', 'slow', 'gpu', 'demo') if by_tier[nb, t]))
    bad = [f'{nb}: a demo cell asserts {a}' for nb, t, a in now if t == 'demo']
    print(f"{len(now)} assertions: " + ', '.join(f'{t} {n}' for t, n in Counter(t for _, t, _ in now).most_common()))
    if '--since' in args:
        runs = Counter(a for _, t, a in now if t in RUN)
        old, swaps = inventory(notebooks_at(args[args.index('--since') + 1])), replaced()
        kept = moved = 0
        for nb, t, a in old:
            if t not in RUN: continue
            if runs[a]: kept += 1; runs[a] -= 1; continue
            if (nb, a) in swaps:
                new, why = swaps[nb, a]
                if any(x == new and tt in RUN for _, tt, x in now): moved += 1; continue
                bad.append(f'{nb}: the replacement of `{a}` is not run: `{new}`')
            else: bad.append(f'{nb}: no longer run: `{a}`')
        print(f"since {args[args.index('--since') + 1]}: {kept} kept as they were, {moved} replaced "
              f"(.ci/assertions_replaced.tsv), {len(bad)} problem(s)")
    for b in bad: print('  ' + b)
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
