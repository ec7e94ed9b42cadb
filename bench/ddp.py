"""Training-step time on 1 and W processes under torchrun, at the same global batch (strong scaling), and the bytes
each process sends and receives per step.

    python bench/ddp.py --dataset digits --processes 1 2     # CPU: gloo, the cores split evenly between processes
    python bench/ddp.py --dataset mnist --root $HYPERWEIGHTS_DATA --processes 1 2
    python bench/ddp.py --dataset mnist --root $HYPERWEIGHTS_DATA --device cuda --processes 1 2 4 8   # one GPU each

Each process count runs in its own `torchrun --standalone` launch of this script (`--worker`), which trains the
dataset's preset hypernetwork (`hyperweights.cli.PRESETS`) for `--warmup` steps and then times `--steps` steps,
each between two barriers, and reports the median. Scaling efficiency is t(1) / (W · t(W)): 1.0 when W processes
make a step W times faster. On CPU every launch gets all the cores (`--cores`, split evenly as torch threads), so
the ratio says what sharding a step over processes costs or gains on one machine. Communication per step and
process, for a ring all-reduce and all-gather over W processes (N networks a step, P target weights, G generator
parameters, 4-byte floats): the all-gather of the gauge-fixed weights receives (W−1)/W · N·P·4 bytes; its
backward all-reduces the N × P gradient, 2(W−1)/W · N·P·4; DDP all-reduces the generator's gradient,
2(W−1)/W · G·4; BatchNorm's statistics and the logged metrics add a few kilobytes. The table is printed as
markdown and written with the machine and date to `bench/results/ddp_<dataset>_<device>.json`.
"""
import json, os, platform, statistics, subprocess, sys, time
from pathlib import Path

import torch
import torch.distributed as dist
from fastcore.script import call_parse, Param

HERE = Path(__file__).parent

def communication_mb(n_nets: int, weights: int, generator: int, world: int) -> dict[str, float]:
    "Megabytes sent or received per process per step by each collective (ring algorithms), for `world` processes."
    ring = (world - 1) / world
    return {"gather weights": ring * n_nets * weights * 4 / 1e6, "gather backward": 2 * ring * n_nets * weights * 4 / 1e6,
            "DDP gradients": 2 * ring * generator * 4 / 1e6}

def run_worker(dataset: str, root, device: str, steps: int, warmup: int):
    "In each process of a launch: train the preset's generator and print, from process 0, the median step time."
    from hyperweights.cli import PRESETS
    from hyperweights.data import load_dataset
    from hyperweights.hypernet import HyperNetwork
    from hyperweights.train import Trainer, TrainConfig, Objective
    from hyperweights.distributed import launched_by_torchrun, check_launch, start_process_group, DistributedTrainer
    preset = PRESETS[dataset]
    config, objective = TrainConfig(steps=10**6, seed=0, **preset.training), Objective(preset.lam, diversity=preset.diversity)
    rank, world = check_launch(config.n_nets)
    here = start_process_group(device) if world > 1 else torch.device(device)
    data = load_dataset(dataset, root=root, device=here)
    torch.manual_seed(0)
    trainer = (DistributedTrainer if world > 1 else Trainer)(HyperNetwork(preset.target()), data, config, objective)
    sync = (lambda: torch.cuda.synchronize(here)) if here.type == "cuda" else (lambda: None)
    barrier = (lambda: (sync(), dist.barrier())) if world > 1 else sync
    for _ in range(warmup): trainer.train_step()
    times = []
    for _ in range(steps):
        barrier(); start = time.perf_counter()
        trainer.train_step()
        barrier(); times.append(time.perf_counter() - start)
    if rank == 0:
        print(json.dumps({"world": world, "step_s": statistics.median(times), "threads": torch.get_num_threads(),
                          "n_nets": config.n_nets, "weights": trainer.generator.spec.num_params,
                          "generator": sum(p.numel() for p in trainer.generator.parameters())}))
    if world > 1: dist.destroy_process_group()

def launch(world: int, args) -> dict:
    "One torchrun launch of this script's worker on `world` processes; what process 0 printed."
    threads = max(1, args.cores // world) if args.device == "cpu" else 1
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(world), __file__,
               "--worker", "--dataset", args.dataset, "--device", args.device, "--steps", str(args.steps),
               "--warmup", str(args.warmup)] + (["--root", args.root] if args.root else [])
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": str(threads)})
    if done.returncode: raise SystemExit(f"bench/ddp.py: the launch on {world} processes failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])

@call_parse
def main(dataset: str = "digits", # digits, mnist or cifar10
         root: str = None, # data folder of mnist or cifar10
         device: str = "cpu", # 'cpu' (gloo) or 'cuda' (NCCL, one GPU per process)
         processes: Param("numbers of processes to time, each in its own launch", int, nargs="+") = (1, 2),
         steps: int = 20, # timed steps
         warmup: int = 3, # untimed steps first
         cores: int = os.cpu_count(), # CPU: cores shared out as torch threads among a launch's processes
         worker: bool = False, # run as one process of a launch (set by the launcher)
        ):
    if worker: return run_worker(dataset, root, device, steps, warmup)
    args = type("Args", (), dict(dataset=dataset, root=root, device=device, steps=steps, warmup=warmup, cores=cores))
    rows = [launch(w, args) for w in processes]
    base = next(r["step_s"] for r in rows if r["world"] == 1) if any(r["world"] == 1 for r in rows) else None
    print(f"| processes | threads each | step | speed-up | scaling efficiency | MB per process per step (gather, its backward, DDP) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        mb = communication_mb(r["n_nets"], r["weights"], r["generator"], r["world"])
        speed = base / r["step_s"] if base else float("nan")
        print(f"| {r['world']} | {r['threads']} | {1000 * r['step_s']:.1f} ms | {speed:.2f}× | {speed / r['world']:.2f} | "
              + ", ".join(f"{v:.2f}" for v in mb.values()) + " |")
    record = {"dataset": dataset, "device": device, "rows": rows, "command": " ".join(sys.argv),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"
                         + (f", {torch.cuda.get_device_name()}" if device == "cuda" else ""),
              "date": time.strftime("%Y-%m-%d")}
    out = HERE / "results" / f"ddp_{dataset}_{device}.json"
    out.write_text(json.dumps(record, indent=1))
    print(f"wrote {out}")
