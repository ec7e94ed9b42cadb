"""Wall-clock of the README's main job (`hyperweights_train` on the embedded digits) with one and with two
torch threads, on an idle machine and on a machine where other processes keep cores busy. Each load is
that many pure-Python busy loops, started before the job and killed after it. Every number printed is
measured in this one run.

    python bench/threads.py [--threads 1 2] [--loads 0 1] [--steps 2000]
"""
import os, platform, shutil, subprocess, sys, tempfile, time

import torch
from fastcore.script import call_parse, Param

BUSY = "while True: pass"

def main_job(threads: int, steps: int | None, out: str) -> float:
    "Seconds of one `hyperweights_train` run in a fresh process with `threads` torch threads."
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    command = [shutil.which("hyperweights_train") or "hyperweights_train", "--out", out, "--overwrite"]
    if steps: command += ["--steps", str(steps)]
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start

def timed_under_load(threads: int, load: int, steps: int | None, out: str) -> float:
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(load)]
    try: return main_job(threads, steps, out)
    finally:
        for p in busy: p.kill(); p.wait()

@call_parse
def run(threads: Param("torch thread counts to time", int, nargs="+") = [1, 2],
        loads: Param("busy processes beside the job, one run per count", int, nargs="+") = [0, 1],
        steps: Param("training steps (default: the main job's)", int) = None):
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"main job {'default steps' if steps is None else f'{steps} steps'}")
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        for load in loads:
            for t in threads:
                seconds[load, t] = timed_under_load(t, load, steps, os.path.join(tmp, "run"))
                print(f"busy processes {load}, threads {t}: {seconds[load, t]:7.1f} s", flush=True)
    for load in loads:
        base = seconds[load, threads[0]]
        print(f"busy processes {load}: " + ", ".join(f"{t} threads / {threads[0]} thread: {seconds[load, t] / base:.2f}"
                                                   for t in threads[1:]))
