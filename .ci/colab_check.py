"""Run every chapter as a fresh Colab runtime would, after its setup cell: `make colab-check`.

Set-up (done by the Makefile target): a fresh virtual environment with torch (Colab has it), then exactly
what the chapters' setup cells install, with the GitHub URL replaced by this checkout. This script runs in
that environment: each notebook is executed whole (hidden cells included) with nbclient, in a working
folder outside the repository, with no ../shared, no llama.cpp server, no vocabulary files, a fresh model
cache and strict mode off. Prints one line per notebook and 'N passed, N failed' last.
"""
import argparse, json, os, re, sys, tempfile, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO_URL = re.compile(r'survival-pressure(\[[\w,-]+\])? @ git\+https://github.com/survival-pressure/survival_pressure')

def installs(paths:list[str], repo:str) -> list[str]:
    "The arguments of every `%pip install` in the notebooks' setup cells, this checkout in place of the URL."
    lines = {l.strip() for p in paths for c in json.load(open(p))['cells'] if c['cell_type'] == 'code'
             for l in ''.join(c['source']).splitlines() if l.strip().startswith('%pip install')}
    local = lambda m: repo + (m[1] or '')  # extras kept: /path/to/checkout[harmony]
    return sorted(REPO_URL.sub(local, l.removeprefix('%pip install')).replace('"', '').strip() for l in lines)

def run(nb_path:Path, work:Path) -> str|None:
    "Execute one notebook in `work`; None when it ran to the end, else the error."
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(nb_path, as_version=4)
    try: NotebookClient(nb, timeout=1200, kernel_name='python3', resources={'metadata': {'path': str(work)}}).execute()
    except Exception as e: return f'{type(e).__name__}: {str(e)[-1500:]}'
    finally: nbformat.write(nb, work/nb_path.name)  # the executed notebook, outputs and all, to read later
    stepped = sum('it steps aside' in o.get('text', '') for c in nb.cells for o in c.get('outputs', []))
    print(f'    {stepped} cell(s) stepped aside; executed copy: {work/nb_path.name}')
    return None

def main(paths:list[str], jobs:int=1) -> int:
    for k in ('SURVIVAL_PRESSURE_SHARED', 'SURVIVAL_PRESSURE_STRICT', 'SURVIVAL_PRESSURE_VOCAB'): os.environ.pop(k, None)
    os.environ['SURVIVAL_PRESSURE_CACHE'] = tempfile.mkdtemp(prefix='colab-cache-')
    if jobs > 1: os.environ.setdefault('OMP_NUM_THREADS', str(max(1, (os.cpu_count() or 1) // jobs)))
    with ProcessPoolExecutor(jobs) as pool: ok = list(pool.map(check_one, map(Path, paths)))
    print(f'{sum(ok)} passed, {len(ok) - sum(ok)} failed')
    return 0 if all(ok) else 1

def check_one(p:Path) -> bool:
    "Run one notebook in a working folder of its own; print its verdict and time."
    work, t0 = Path(tempfile.mkdtemp(prefix='colab-work-')), time.time()
    print(f'{p.name} ...', flush=True)
    err = run(p.resolve(), work)
    print(f"{'PASS' if err is None else 'FAIL'} {p.name} ({time.time() - t0:.0f}s)" + (f'\n    {err}' if err else ''), flush=True)
    return err is None

if __name__ == '__main__':
    if sys.argv[1] == '--installs': print('\n'.join(installs(sys.argv[3:], sys.argv[2])))
    else:
        ap = argparse.ArgumentParser(description='each notebook whole, as a fresh Colab runtime runs it')
        ap.add_argument('--jobs', type=int, default=1); ap.add_argument('paths', nargs='+')
        a = ap.parse_args()
        sys.exit(main(a.paths, a.jobs))
