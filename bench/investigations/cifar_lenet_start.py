"""Where the CIFAR LeNet hypernetwork starts, and its learning rate: the papers' initialisation against
`start_spread` (see `nbs/04_hypernet.ipynb`) at several Adam learning rates, each trained the same number of
steps on CIFAR-10 (a JPEG copy) with the entropy term, λ = 1e3, 16 networks × 32 images per step and Ĥ over
5,000 random coordinates. Prints, per run, the mean training cross-entropy of the last 100 steps and the
validation accuracy of 20 sampled networks (members' mean and majority vote), and writes
`bench/results/cifar_lenet_start.json`.

    python bench/investigations/cifar_lenet_start.py --steps 1000   # --root names the data folder
"""
import json, math, platform, sys, time
from dataclasses import replace
from pathlib import Path

import torch
from fastcore.script import call_parse

from hyperweights.data import cifar10
from hyperweights.targets import lenet_cifar
from hyperweights.hypernet import HyperNetwork, lenet_config
from hyperweights.entropy import KLEntropy
from hyperweights.train import Trainer, TrainConfig, Objective, validation_metrics
sys.path.insert(0, str(Path(__file__).parents[1]))  # bench/, for cifar_lenet.py
from cifar_lenet import cifar_root

HERE = Path(__file__).parents[1]  # bench/
RUNS = [(None, 1e-4), (None, 1e-5), (0.1, 1e-4), (0.1, 3e-5), (0.1, 1e-5)]  # (start_spread, lr)

def run(data, spread, lr, steps, seed):
    "Train one LeNet hypernetwork; its last-100-step training CE and its validation metrics."
    torch.manual_seed(seed)
    hnet = HyperNetwork(lenet_cifar(), replace(lenet_config(), start_spread=spread))
    config = TrainConfig(steps=steps, lr=lr, n_nets=16, images_per_net=32,
                         val_every=10**9, val_nets=20, log_every=1, checkpoint_every=10**9, seed=seed)
    objective = Objective(lam=1e3, diversity=KLEntropy(coords=5000))
    trainer, start = Trainer(hnet, data, config, objective), time.time()
    trainer.fit(None, progress=False)
    ce = [r["ce"] for r in trainer.history["train"][-100:]]
    val = validation_metrics(hnet, trainer.val_z, data, config, objective.diversity)
    return {"start_spread": spread, "lr": lr, "steps": steps, "train ce (last 100)": sum(ce) / len(ce),
            "val members acc": val["acc_mean"], "val vote acc": val["acc_majority"], "train s": time.time() - start}

@call_parse
def main(root: str = None, # CIFAR-10 as torchvision's archive or an ImageFolder tree; None: $HYPERWEIGHTS_DATA/cifar10-jpeg if there, else $HYPERWEIGHTS_DATA
         steps: int = 1000, # training steps of each run
         seed: int = 0, # seeds every run the same way
        ):
    "Train the LeNet hypernetwork from both starts at several learning rates and print the table."
    data = cifar10(cifar_root(root))
    rows = [run(data, spread, lr, steps, seed) for spread, lr in RUNS]
    meta = {"command": f"python bench/investigations/cifar_lenet_start.py --steps {steps} --seed {seed}",
            "machine": f"{platform.machine()} / cpu / torch {torch.__version__}", "threads": torch.get_num_threads(),
            "date": time.strftime("%Y-%m-%d")}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "cifar_lenet_start.json").write_text(json.dumps({"rows": rows, "meta": meta}, indent=1))
    print(f"| start | Adam lr | train CE, last 100 of {steps} steps | val members | val vote | train s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        start = "papers' init" if r["start_spread"] is None else f"start_spread={r['start_spread']}"
        print(f"| {start} | {r['lr']:g} | {r['train ce (last 100)']:.3f} (ln 10 = {math.log(10):.3f}) | "
              f"{100 * r['val members acc']:.2f} | {100 * r['val vote acc']:.2f} | {r['train s']:.0f} |")
