"""Run every notebook in nbs/ as a test (nbdev's test_nb), skipping the tst_flags cells (slow, cuda), one line
per notebook, and end with `N passed, M failed`. Pass flags to run, e.g. `python tools/run_tests.py slow`."""
import sys, time
from pathlib import Path
from nbdev.config import get_config
from nbdev.test import test_nb

def main(force_flags: list[str]):
    cfg = get_config()
    skip = [f for f in cfg.tst_flags.split() if f not in force_flags]
    notebooks = sorted(p for p in Path(cfg.nbs_path).glob("*.ipynb") if not p.name.startswith("_"))
    passed, failed = [], []
    for nb in notebooks:
        start = time.time()
        ok, _ = test_nb(nb.resolve(), skip_flags=skip, force_flags=force_flags, do_print=False, showerr=True)
        (passed if ok else failed).append(nb.name)
        print(f"{'PASS' if ok else 'FAIL'} {nb.name} ({time.time() - start:.1f} s)", flush=True)
    print(f"{len(passed)} passed, {len(failed)} failed")
    return not failed

if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1:]) else 1)
