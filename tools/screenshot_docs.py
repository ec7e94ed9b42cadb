"""Screenshots of built documentation pages with headless Chromium (Debian's `chromium` package).

    python tools/build_docs.py && python tools/screenshot_docs.py index 05_train 06_ensembles

writes `_site/screenshots/<page>.png` (one tall image per page), to look at the rendered math, tables and
figures without a browser. `--height` sets how much of each page is captured.
"""
import argparse, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HTML, SHOTS = ROOT / "_site" / "html", ROOT / "_site" / "screenshots"

def screenshot(page: str, height: int, width: int = 1280) -> Path:
    src, out = HTML / f"{page}.html", SHOTS / f"{page}.png"
    if not src.exists(): raise SystemExit(f"error: {src} does not exist; build the docs first (python tools/build_docs.py)")
    cmd = [shutil.which("chromium") or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--window-size={width},{height}", "--virtual-time-budget=10000", f"--screenshot={out}", src.as_uri()]
    subprocess.run(cmd, check=True, capture_output=True)
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pages", nargs="+", help="page names without .html, e.g. index 05_train")
    ap.add_argument("--height", type=int, default=30000, help="pixels of each page to capture (pages are cut there)")
    args = ap.parse_args()
    if not shutil.which("chromium"): sys.exit("error: chromium not found; install it with `apt-get install chromium`")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for page in args.pages: print(screenshot(page, args.height))

if __name__ == "__main__":
    main()
