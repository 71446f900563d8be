"""The notebooks' committed outputs: `make outputs` writes them, `make test` checks that none is stale.

    python .ci/outputs.py [--force] [--into DIR] [--jobs N] [NB ...]   run each stale notebook (all by
                                              default), N at a time with a core each, and write it
    python .ci/outputs.py --check [NB ...]    fail when a notebook's outputs came from other code

`make outputs` runs it in a fresh copy of the working tree with its own environment, away from ../shared, and
writes the notebooks back into this checkout's nbs/ (`--into`), each only if it did not change meanwhile.

Each notebook runs in a fresh kernel of this environment, in nbs/, as a reader would run it: the `demo` cells
that `make test` skips are run here, cells flagged slow or gpu and `eval: false` are not and keep no output,
and there is no reference data (the official release in ../shared must never be copied into the repository, outputs included), so the
cells that need it step aside with one line, as on Colab. It refuses to run below a shared/ folder. Progress bars
are off, API keys are removed from the environment, and outputs are scrubbed of this machine's paths (checked
afterwards, with any secret from the environment). The notebook then carries a stamp in its metadata: a hash
of its code cells and of every package module and data file it reads (its imports, followed through the
package), so that `--check` can tell when its outputs were made by code that has since changed.
"""
import configparser, hashlib, json, os, re, subprocess, sys, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NBS, PKG = REPO/'nbs', REPO/'survival_pressure'
KEY = 'survival_pressure'  # the notebook metadata key (settings.ini: allowed_metadata_keys)
FLAGS = configparser.ConfigParser(); FLAGS.read(REPO/'settings.ini')
SKIP = set(FLAGS['DEFAULT']['tst_flags'].split()) - {'demo'}  # the demonstrations are what outputs are for
SECRET_NAME = re.compile(r'KEY|TOKEN|SECRET|PASSWORD', re.I)
USES = re.compile(r'survival_pressure\.(\w+)|from survival_pressure import ([\w, ]+)|from \.(\w+) import')

def notebooks(args:list[str]) -> list[Path]:
    "The notebooks named, or every chapter, the home page and the teacher's page (the CLI chapter last)."
    if args: return [Path(a).resolve() for a in args]
    return sorted(NBS.glob('*.ipynb'), key=lambda p: (p.name.startswith('99'), p.name))

def code_cells(nb:dict) -> list[str]:
    return [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code']

def modules_used(text:str, seen:set|None=None) -> set[str]:
    "The package modules that `text` imports, followed through their own imports."
    seen = set() if seen is None else seen
    for m in USES.finditer(text):
        names = [n.strip() for g in m.groups() if g for n in g.split(',')]
        for n in names:
            if n not in seen and (PKG/f'{n}.py').exists():
                seen.add(n)
                modules_used((PKG/f'{n}.py').read_text(encoding='utf-8'), seen)
    return seen

CHAPTERS = '### Exercise'  # in code: it reads the chapters' exercises (the teacher's page)

def exercises_text() -> bytes:
    "Every chapter's exercise statements, what a page that lists the exercises is made from."
    cells = [''.join(c['source']) for p in sorted((REPO/'nbs').glob('[0-9][0-9]*_*.ipynb'))
             for c in json.loads(p.read_text(encoding='utf-8'))['cells'] if c['cell_type'] == 'markdown']
    return '\0'.join(t for t in cells if t.startswith('### Exercise')).encode()

def stamp(nb:dict) -> str:
    "A hash of what the outputs came from: the code cells, the modules they use, the package's data (the exercises)."
    code = '\n\0'.join(code_cells(nb))
    m = re.search(r'#\| default_exp (\w+)', code)
    mods = modules_used(code + (f'\nsurvival_pressure.{m.group(1)}' if m else ''))
    files = sorted([PKG/f'{n}.py' for n in mods] + [p for p in (PKG/'data').rglob('*') if p.is_file()])
    h = hashlib.sha256(code.encode())
    for f in files: h.update(f'\0{f.relative_to(REPO)}\0'.encode() + f.read_bytes())
    if CHAPTERS in code: h.update(b'\0exercises\0' + exercises_text())
    return h.hexdigest()[:16]

def skipped(src:str) -> bool:
    "Cells this run leaves out: flagged slow/gpu, or `eval: false` (the `demo` cells are run)."
    lines = src.splitlines()
    if lines and lines[0].startswith('%%needs'): lines = lines[1:]
    flags = set()
    for l in lines:
        if not l.startswith('#|'): break
        flags.update(l[2:].replace(':', ' ').split())
    return bool(flags & SKIP) or {'eval', 'false'} <= flags

def scrub_text(text:str) -> str:
    "This machine's paths out of an output: the repository, the environment, home, temporary folders."
    for path, name in [(sys.prefix, '<venv>'), (str(NBS), '.'), (str(REPO), '..'), (str(Path.home()), '~')]:
        text = text.replace(path, name)
    return re.sub(r'(/tmp|/var/tmp|/var/folders)/[\w.+-]+', '<tmp>', text)

PROGRESS = re.compile(r'\d+%\|.*\| *[\d.]+[kMG]?/[\d.]+[kMG]? \[')  # a progress bar's text: ` 0%|   | 0/272 [00:00<?`

def progress_bar(o:dict) -> bool:
    "A progress bar drawn as a widget: its text is a snapshot (often 0%) that would mislead on GitHub."
    return o.get('output_type') == 'display_data' and bool(PROGRESS.search(''.join(o['data'].get('text/plain', ''))))

def clean_outputs(cell:dict):
    "Scrub one cell's outputs; progress bars go, other widgets keep only their text (GitHub cannot draw them)."
    cell['outputs'] = [o for o in cell.get('outputs', []) if not progress_bar(o)]
    for o in cell.get('outputs', []):
        if 'text' in o: o['text'] = scrub_text(''.join(o['text']))
        data = o.get('data', {})
        data.pop('application/vnd.jupyter.widget-view+json', None)
        for k, v in list(data.items()):
            if k.startswith('text/') or k.endswith(('json', 'javascript', 'svg+xml')):
                data[k] = scrub_text(v if isinstance(v, str) else ''.join(v)) if not isinstance(v, dict) else v
        if o.get('output_type') == 'error': o['traceback'] = [scrub_text(t) for t in o['traceback']]
    cell['outputs'] = [o for o in cell.get('outputs', []) if o.get('data', True)]

def leaks(nb:dict) -> list[str]:
    "Paths of this machine or secrets of its environment still in the outputs."
    secrets = [v for k, v in os.environ.items() if SECRET_NAME.search(k) and len(v) >= 8]
    marks = [str(REPO), str(Path.home()), sys.prefix, *secrets]
    found = []
    for i, c in enumerate(nb['cells']):
        text = json.dumps(c.get('outputs', []))
        found += [f'cell {i}: {"a secret" if m in secrets else m}' for m in marks if m in text]
    return found

def execute(path:Path) -> dict:
    "Run one notebook in a fresh kernel as `make test` does; return it with its outputs."
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=2400, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}})
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != 'code': continue
            if skipped(cell.source): cell.outputs = []; continue
            client.execute_cell(cell, i)
    return json.loads(nbformat.writes(nb))

def clean_environment():
    "What every kernel inherits: no progress bars, no API keys, a fixed hash seed; not strict (see `reference_data`)."
    for k in [k for k in os.environ if SECRET_NAME.search(k) or k.startswith('SURVIVAL_PRESSURE_')]: os.environ.pop(k)
    os.environ.update(TQDM_DISABLE='1', HF_HUB_DISABLE_PROGRESS_BARS='1', PYTHONHASHSEED='0', PYTHONNOUSERSITE='1')

def reference_data() -> Path|None:
    "The reference data (../shared) where the notebooks would find it: its text must never reach the repository."
    return next((p/'shared' for p in [NBS, *NBS.parents] if (p/'shared'/'survivalbench').is_dir()), None)

def write(path:Path, nb:dict):
    "Write the notebook, then let nbdev_clean normalise it (the form the clean check expects)."
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    subprocess.run([Path(sys.executable).parent/'nbdev_clean', '--fname', str(path)], cwd=REPO, check=True)

def sources(nb:dict) -> list[tuple[str, str]]:
    return [(c['cell_type'], ''.join(c['source'])) for c in nb['cells']]

def code_sources(nb:dict) -> list[tuple[str, str]]:
    "The cells' kinds, and the code of code cells: what the outputs depend on."
    return [(t, s if t == 'code' else '') for t, s in sources(nb)]

def make(paths:list[Path], force:bool, into:Path|None=None, jobs:int=1) -> int:
    "Run each stale notebook and write it, outputs and stamp, in place or into the folder `into`."
    if found := reference_data():
        sys.exit(f'{found} is above this checkout: outputs would show reference data that must stay out of the '
                 'repository: use `make outputs`, which runs them in a copy under /tmp.')
    clean_environment()
    if jobs > 1: os.environ.setdefault('OMP_NUM_THREADS', str(max(1, (os.cpu_count() or 1) // jobs)))
    with ProcessPoolExecutor(jobs) as pool:
        return sum(pool.map(make_one, paths, [force] * len(paths), [into] * len(paths)))

def make_one(path:Path, force:bool, into:Path|None) -> int:
    "Run one notebook if its outputs are stale (or `force`) and write it; 1 if that failed."
    nb = json.loads(path.read_text(encoding='utf-8'))
    if not force and nb['metadata'].get(KEY, {}).get('outputs') == stamp(nb):
        print(f'current {path.name}', flush=True); return 0
    t0 = time.time()
    print(f'run     {path.name} ...', flush=True)
    try: out = execute(path)
    except Exception as e:
        print(f'FAIL    {path.name} ({time.time() - t0:.0f}s): {str(e)[-3000:]}', flush=True); return 1
    for c in out['cells']: clean_outputs(c)
    if found := leaks(out):  # written unstamped, to see what leaked; the check fails on it
        write(path, out)
        print(f'FAIL    {path.name}: outputs hold ' + '; '.join(found[:10]), flush=True); return 1
    target = into/path.name if into else path
    if target.exists() and (now := json.loads(target.read_text(encoding='utf-8'))) and sources(now) != sources(nb):
        if code_sources(now) != code_sources(nb):
            print(f'FAIL    {path.name}: {target} changed while it ran; not written', flush=True); return 1
        for c, mine in zip(out['cells'], now['cells']): c['source'] = mine['source']  # its prose was edited
    out['metadata'][KEY] = {'outputs': stamp(out)}
    write(target, out)
    print(f'wrote   {path.name} ({time.time() - t0:.0f}s)', flush=True)
    return 0

def check(paths:list[Path]) -> int:
    "Every notebook has outputs made by its present code (and the package's), and none that leak."
    bad = 0
    for path in paths:
        nb = json.loads(path.read_text(encoding='utf-8'))
        have, want = nb['metadata'].get(KEY, {}).get('outputs'), stamp(nb)
        problem = ('has no outputs' if have is None else 'outputs are stale: its code or the modules it uses '
                   'changed since they were made' if have != want else None)
        if not problem and (found := leaks(nb)): problem = 'outputs hold ' + '; '.join(found[:10])
        if problem: bad += 1; print(f'nbs/{path.name}: {problem} (make outputs)')
    print(f'{len(paths) - bad} of {len(paths)} notebooks have current outputs')
    return bad

if __name__ == '__main__':
    args = sys.argv[1:]
    into = Path(args.pop(args.index('--into') + 1)).resolve() if '--into' in args else None
    jobs = int(args.pop(args.index('--jobs') + 1)) if '--jobs' in args else 1
    flags = {a for a in args if a.startswith('--')}
    paths = notebooks([a for a in args if not a.startswith('--')])
    sys.exit(1 if (check(paths) if '--check' in flags else make(paths, '--force' in flags, into, jobs)) else 0)
