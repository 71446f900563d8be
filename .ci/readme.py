"""README.md is generated from the home page, nbs/index.ipynb: `make readme` writes it, `--check` compares.

The markdown cells are copied as they are, with links to notebooks and images made relative to the repository
root. Code cells are left out, except their figures: each image output is written to nbs/images/ and shown in
the README where its cell stood, under the cell's first comment (`# Figure: ...`) as its alt text.
"""
import base64, json, re, sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INDEX, IMAGES = REPO/'nbs'/'index.ipynb', REPO/'nbs'/'images'
HEADER = '<!-- Generated from nbs/index.ipynb by `make readme`: edit the notebook, not this file. -->\n\n'

def relink(md:str) -> str:
    "Links relative to nbs/ made relative to the repository root."
    return re.sub(r'\]\((?!https?:|#|/)([^)]+)\)', r'](nbs/\1)', md)

def render() -> tuple[str, dict[str, bytes]]:
    "The README text and the figures it shows (file name: PNG bytes)."
    parts, figures = [HEADER], {}
    for cell in json.loads(INDEX.read_text(encoding='utf-8'))['cells']:
        src = ''.join(cell['source'])
        if cell['cell_type'] == 'markdown': parts.append(relink(src) + '\n\n')
        if cell['cell_type'] != 'code': continue
        alt = next((l[2:].removeprefix('Figure: ') for l in src.splitlines() if l.startswith('# ')), 'figure')
        for o in cell.get('outputs', []):
            if png := o.get('data', {}).get('image/png'):
                name = f'index-{len(figures) + 1}.png'
                figures[name] = base64.b64decode(''.join(png))
                parts.append(f'![{alt}](nbs/images/{name})\n\n')
    return ''.join(parts).rstrip('\n') + '\n', figures

def main(check:bool) -> int:
    text, figures = render()
    if not check:
        IMAGES.mkdir(exist_ok=True)
        for old in IMAGES.glob('index-*.png'): old.unlink()
        for name, data in figures.items(): (IMAGES/name).write_bytes(data)
        (REPO/'README.md').write_text(text, encoding='utf-8')
        return 0
    stale = [n for n, d in figures.items() if not (IMAGES/n).exists() or (IMAGES/n).read_bytes() != d]
    stale += [p.name for p in IMAGES.glob('index-*.png') if p.name not in figures]
    if (REPO/'README.md').read_text(encoding='utf-8') != text: stale.insert(0, 'README.md')
    print(f'out of step with nbs/index.ipynb (make readme): {", ".join(stale)}' if stale else
          f'README.md and {len(figures)} figure(s) match nbs/index.ipynb')
    return 1 if stale else 0

if __name__ == '__main__': sys.exit(main('--check' in sys.argv))
