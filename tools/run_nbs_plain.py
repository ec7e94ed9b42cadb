"""Run notebooks without nbdev or execnb: execute each notebook's code cells in order in one namespace, run the
`cuda` cells, skip the `slow` cells and the `nbdev_export()` cell, and end with `N passed, M failed`. For machines
whose image lacks the nbdev toolchain (the lent GPU machine); everywhere else use `tools/run_tests.py cuda`.

    PYTHONPATH=. python tools/run_nbs_plain.py 00_data.ipynb 01_targets.ipynb ...   # names relative to nbs/
"""
import __future__, json, os, sys, time, traceback
import matplotlib; matplotlib.use("Agg")

def runnable_cells(notebook: str):
    "The source of each code cell this run executes."
    for cell in json.load(open(notebook))["cells"]:
        src = "".join(cell["source"])
        directives = {l.replace("#|", "").replace(" ", "") for l in src.splitlines() if l.startswith("#|")}
        if cell["cell_type"] != "code" or "nbdev_export()" in src: continue
        if any(d.startswith("slow") or d == "eval:false" for d in directives): continue
        yield src

def run_notebook(notebook: str) -> bool:
    "Execute the notebook's cells as one module would (`from __future__ import annotations` holds in every cell)."
    namespace, flags = {"__name__": "__main__"}, __future__.annotations.compiler_flag
    try:
        for src in runnable_cells(notebook):
            exec(compile(src, f"{notebook}[cell]", "exec", flags=flags, dont_inherit=True), namespace)
        return True
    except Exception:
        traceback.print_exc()
        return False

if __name__ == "__main__":
    os.chdir("nbs")
    passed = 0
    for notebook in sys.argv[1:]:
        start, ok = time.time(), run_notebook(notebook)
        passed += ok
        print(f"{'PASS' if ok else 'FAIL'} {notebook} ({time.time() - start:.1f} s)", flush=True)
    print(f"{passed} passed, {len(sys.argv) - 1 - passed} failed")
    sys.exit(passed != len(sys.argv) - 1)
