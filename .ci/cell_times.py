"""Where a notebook's test time goes: each notebook as `nbdev_test` runs it, with the seconds of every cell.

    python .ci/cell_times.py [--flags FLAGS] [--json FILE] NB ...

Prints one line per notebook (its wall and CPU seconds), then its slowest cells (index, seconds, first line).
Run it from the repository root; `--flags demo` also runs the demonstrations, as a reader does.
"""
import argparse, json, resource, sys, time
from pathlib import Path
from execnb.shell import CaptureShell
import nbdev.test as nt

def cpu() -> float:
    "CPU seconds of this process and of its children that have ended (CLI calls, servers)."
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

def timed(path:Path, flags:str) -> tuple[bool, float, list]:
    "Run one notebook with nbdev's own `test_nb`; the seconds of each cell it ran."
    times, cell = [], CaptureShell.cell
    def cell_timed(self, c, *a, **k):
        t0, c0 = time.time(), cpu()
        try: return cell(self, c, *a, **k)
        finally: times.append((c.idx_, round(time.time() - t0, 2), round(cpu() - c0, 2), c.source.splitlines()[:1]))
    CaptureShell.cell = cell_timed
    try: ok, total = nt.test_nb(path, skip_flags=nt.get_config().tst_flags.split(), force_flags=flags.split())
    finally: CaptureShell.cell = cell
    return ok, total, times

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('nbs', nargs='+'); p.add_argument('--flags', default='')
    p.add_argument('--json'); p.add_argument('--top', type=int, default=8)
    a = p.parse_args()
    out = {}
    for nb in a.nbs:
        c0 = cpu()
        ok, total, times = timed(Path(nb).resolve(), a.flags)
        out[nb] = dict(ok=ok, total=round(total, 1), cpu=round(cpu() - c0, 1), cells=times)
        print(f"{'PASS' if ok else 'FAIL'} {nb} {total:.0f}s wall, {out[nb]['cpu']:.0f}s CPU", flush=True)
        for i, s, c, first in sorted(times, key=lambda t: -t[1])[:a.top]:
            print(f'    [{i}] {s:7.1f}s wall {c:7.1f}s CPU  {first}', flush=True)
    if a.json: Path(a.json).write_text(json.dumps(out, indent=1))
    sys.exit(0 if all(v['ok'] for v in out.values()) else 1)
