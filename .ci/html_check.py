"""Every notebook as a static HTML page, looked at in a real browser: `make html-check`.

Renders each notebook with nbconvert (as `make html` does) into _docs/html/, opens each page in headless Chromium
(Debian's `chromium` through Playwright; never a downloaded browser), and checks that every figure the notebook
holds is drawn on the page (an <img> that decoded, with a width) and that the notebook holds no error output. Writes a
screenshot of the top of each page to _docs/html/screens/. Prints one line per page and 'N passed, N failed' last.
"""
import json, subprocess, sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO/'_docs'/'html'

def outputs(nb:Path) -> tuple[int, int]:
    "How many image outputs and error outputs the notebook holds."
    outs = [o for c in json.loads(nb.read_text(encoding='utf-8'))['cells'] for o in c.get('outputs', [])]
    return sum(any(k.startswith('image/') for k in o.get('data', {})) for o in outs), \
           sum(o['output_type'] == 'error' for o in outs)

def render(nbs:list[Path]):
    subprocess.run([Path(sys.executable).parent/'jupyter', 'nbconvert', '--to', 'html', '--output-dir', str(OUT),
                    *map(str, nbs)], check=True, capture_output=True)

def look(page, html:Path) -> dict:
    "What the browser drew: the figures that decoded, and the page's height."
    page.goto(html.as_uri())
    page.wait_for_load_state('load')
    return page.evaluate("""() => ({
        drawn: [...document.querySelectorAll('.jp-OutputArea-output img')]
                   .filter(i => i.complete && i.naturalWidth > 0).length,
        height: document.body.scrollHeight})""")

def main(args:list[str]) -> int:
    from playwright.sync_api import sync_playwright
    sys.path.insert(0, str(REPO))
    from survival_pressure.testing import chromium_path
    nbs = [Path(a) for a in args] or sorted((REPO/'nbs').glob('*.ipynb'))
    render(nbs)
    (OUT/'screens').mkdir(parents=True, exist_ok=True)
    passed = failed = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=['--no-sandbox'])
        page = browser.new_page(viewport={'width': 1280, 'height': 1600})
        for nb in nbs:
            seen, (want, errors) = look(page, OUT/f'{nb.stem}.html'), outputs(nb)
            page.screenshot(path=str(OUT/'screens'/f'{nb.stem}.png'))
            ok = seen['drawn'] >= want and not errors
            passed, failed = passed + ok, failed + (not ok)
            print(f"{'PASS' if ok else 'FAIL'} {nb.name}: {seen['drawn']} of {want} figures drawn, "
                  f"{errors} error outputs, page {seen['height']} px tall")
        browser.close()
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
