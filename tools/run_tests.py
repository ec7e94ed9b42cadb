"""Run every notebook in nbs/ as a test (nbdev's test_nb), skipping the tst_flags cells (slow, cuda), one line
per notebook as it finishes, and end with `N passed, M failed`. Pass flags to run, e.g.
`python tools/run_tests.py slow`; `--workers K` runs K notebooks at a time (default 1), for a machine with
cores to spare.

The notebooks run with two torch threads (OMP_NUM_THREADS, unless it is set): the thread count the stored
outputs were made with. One worker runs them one after another in this process (torch is imported once); more
workers run each notebook in a fresh process. A different count changes the rounding of every reduction, and with it
a training run, so a check on a trained network holds for the numbers these threads give."""
import os, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

def test_one(nb: str, flags: list[str]) -> bool:
    "Run one notebook in this process (the `--one` mode each worker process runs)."
    from nbdev.config import get_config
    from nbdev.test import test_nb
    skip = [f for f in get_config().tst_flags.split() if f not in flags]
    ok, _ = test_nb(Path(nb), skip_flags=skip, force_flags=flags, do_print=False, showerr=True)
    return ok

def run_one(nb: Path, flags: list[str], threads: int) -> tuple[str, bool, float, str]:
    "Test `nb` in a fresh process with `threads` threads: its name, whether it passed, its seconds and its stderr."
    start = time.time()
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    done = subprocess.run([sys.executable, __file__, "--one", str(nb), *flags], env=env, capture_output=True, text=True)
    return nb.name, done.returncode == 0, time.time() - start, done.stderr

def workers_option(args: list[str]) -> tuple[int, list[str]]:
    "The `--workers K` option (default 1) and the other arguments."
    if "--workers" not in args: return 1, args
    i = args.index("--workers")
    try: workers = int(args[i + 1])
    except (IndexError, ValueError): sys.exit("--workers needs a whole number of notebooks at a time, e.g. --workers 2")
    if workers < 1: sys.exit(f"--workers must be at least 1; got {workers}")
    return workers, args[:i] + args[i + 2:]

def in_process(nb: Path, flags: list[str]) -> tuple[str, bool, float, str]:
    "Test `nb` in this process: its name, whether it passed, and its seconds (errors go to stderr as they come)."
    start = time.time()
    return nb.name, test_one(str(nb), flags), time.time() - start, ""

def main(args: list[str]) -> bool:
    from nbdev.config import get_config
    workers, flags = workers_option(args)
    notebooks = sorted(p.resolve() for p in Path(get_config().nbs_path).glob("*.ipynb") if not p.name.startswith("_"))
    threads = int(os.environ.setdefault("OMP_NUM_THREADS", "2"))  # before torch is imported, here or in a worker
    passed, failed = [], []
    def report(name, ok, seconds, errors):
        (passed if ok else failed).append(name)
        if not ok: sys.stderr.write(errors)
        print(f"{'PASS' if ok else 'FAIL'} {name} ({seconds:.1f} s)", flush=True)
    if workers == 1:
        for nb in notebooks: report(*in_process(nb, flags))
    else:
        with ThreadPoolExecutor(workers) as pool:
            for run in as_completed([pool.submit(run_one, nb, flags, threads) for nb in notebooks]): report(*run.result())
    print(f"{len(passed)} passed, {len(failed)} failed")
    return not failed

if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]: sys.exit(0 if test_one(sys.argv[2], sys.argv[3:]) else 1)
    sys.exit(0 if main(sys.argv[1:]) else 1)
