"""Does the ε of the authors' gauge change training? Train the same run twice, once with the exact paper gauge
(`gauge_fix(..., 'paper')`, ε = 0) and once with the authors' ε = 1e-8 in the rescaling (`eps=1e-8`, mean logit
shift as before), and compare the validation accuracy and entropy along the way.

    python bench/gauge_eps.py --dataset digits --steps 2000
    python bench/gauge_eps.py --dataset mnist --root ../shared/data --steps 1000 --val_every 250

Both runs share the seed, hence the initial weights, the noise and the data order: they differ only by the gauge.
The numbers go to `bench/results/gauge_eps_<dataset>_seed<seed>.json`.
"""
import json, platform, time
from functools import partial
from pathlib import Path

import torch
from fastcore.script import call_parse

import hyperweights.train as train_module
from hyperweights.data import load_dataset
from hyperweights.gauge import gauge_fix
from hyperweights.hypernet import HyperNetwork
from hyperweights.cli import TARGETS

def run(data, dataset: str, steps: int, val_every: int, seed: int, eps: float | None) -> list[dict]:
    "Validation history of one run whose gauge uses `eps` (None: the exact paper gauge)."
    train_module.gauge_fix = gauge_fix if eps is None else partial(gauge_fix, eps=eps)  # the loss and validation use it
    try:
        torch.manual_seed(seed)
        config = train_module.TrainConfig(steps=steps, seed=seed, val_every=val_every)
        trainer = train_module.Trainer(HyperNetwork(TARGETS[dataset]()), data, config)
        start = time.time()
        history = trainer.fit(progress=False)["val"]
        print(f"eps={eps}: {steps} steps in {time.time() - start:.0f} s", flush=True)
        return history
    finally:
        train_module.gauge_fix = gauge_fix

@call_parse
def main(dataset: str = "digits",    # 'digits' or 'mnist'
         root: str = None,           # data folder for mnist
         steps: int = 2000,          # training steps of each run
         val_every: int = 500,       # validation interval (200 networks on the validation split)
         seed: int = 0,              # seed shared by both runs
         out: str = "bench/results"): # folder for gauge_eps_<dataset>_seed<seed>.json
    data = load_dataset(dataset, root=root)
    runs = {name: run(data, dataset, steps, val_every, seed, eps) for name, eps in (("exact", None), ("eps=1e-8", 1e-8))}
    print(f"{'step':>6} | {'members exact':>13} {'members ε':>10} | {'majority exact':>14} {'majority ε':>10} | {'Ĥ exact':>9} {'Ĥ ε':>9}")
    for a, b in zip(runs["exact"], runs["eps=1e-8"]):
        print(f"{a['step']:>6} | {a['acc_mean']:>13.4f} {b['acc_mean']:>10.4f} | {a['acc_majority']:>14.4f} "
              f"{b['acc_majority']:>10.4f} | {a['entropy']:>9.1f} {b['entropy']:>9.1f}")
    machine = f"{platform.machine()} CPU, {torch.get_num_threads()} threads, torch {torch.__version__}"
    result = {"dataset": dataset, "steps": steps, "seed": seed, "machine": machine, "date": time.strftime("%Y-%m-%d"), **runs}
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / f"gauge_eps_{dataset}_seed{seed}.json").write_text(json.dumps(result, indent=1))
