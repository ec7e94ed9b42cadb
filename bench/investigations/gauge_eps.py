"""Does the ε of the authors' gauge change training? Train the same run twice, once with the exact paper gauge
(`gauge_fix(..., 'paper')`, ε = 0) and once with the authors' ε = 1e-8 in the rescaling (`eps=1e-8`, mean logit
shift as before), and compare the validation accuracy and entropy along the way.

    python bench/investigations/gauge_eps.py --dataset digits --steps 2000
    python bench/investigations/gauge_eps.py --dataset mnist --root $HYPERWEIGHTS_DATA --steps 1000 --val_every 250
    python bench/investigations/gauge_eps.py --summary   # the last validation of every recorded run, per dataset and seed
    python bench/investigations/gauge_eps.py --checkpoint bench/runs/mnist/step13000.pt --root $HYPERWEIGHTS_DATA --n_eval 100

The last form checks that evaluating a trained checkpoint does not depend on the ε: it gauges the same sampled
networks both ways and compares their test-set predictions (the gauge never changes a network's function, so
they may differ only where float rounding flips an argmax).

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
from hyperweights.cli import PRESETS
from hyperweights.evaluate import predict, majority_vote
from hyperweights.train import load_checkpoint, load_hypernet

def run(data, dataset: str, steps: int, val_every: int, seed: int, eps: float | None) -> list[dict]:
    "Validation history of one run whose gauge uses `eps` (None: the exact paper gauge)."
    train_module.gauge_fix = gauge_fix if eps is None else partial(gauge_fix, eps=eps)  # the loss and validation use it
    try:
        torch.manual_seed(seed)
        config = train_module.TrainConfig(steps=steps, seed=seed, val_every=val_every)
        trainer = train_module.Trainer(HyperNetwork(PRESETS[dataset].target()), data, config)
        start = time.time()
        history = trainer.fit(progress=False)["val"]
        print(f"eps={eps}: {steps} steps in {time.time() - start:.0f} s", flush=True)
        return history
    finally:
        train_module.gauge_fix = gauge_fix

def compare_predictions(checkpoint: str, root, n: int):
    "Test-set labels of n networks of `checkpoint`, gauged exactly and with ε = 1e-8: how many differ, and the accuracies."
    state = load_checkpoint(checkpoint)
    hnet, data = load_hypernet(state), load_dataset(state["dataset"], root=root)
    with torch.no_grad(): raw = hnet(hnet.sample_noise(n, torch.Generator().manual_seed(8734)))
    (x, y), spec = data.test, hnet.spec
    exact, eps = (predict(spec, gauge_fix(spec, raw, eps=e), x)["labels"] for e in (None, 1e-8))
    for name, labels in (("exact", exact), ("eps=1e-8", eps)):
        vote = (majority_vote(labels, spec.num_classes) == y).float().mean().item()
        print(f"{name}: members {(labels == y).float().mean().item():.5f}, majority vote of {n} {vote:.5f}")
    print(f"{(exact != eps).sum().item()} of {exact.numel()} test labels differ between the two gauges")

def print_summary(folder: Path):
    "Print the last validation of both gauges for every recorded run, and the mean difference per dataset."
    for dataset in ("digits", "mnist"):
        runs = [json.loads(p.read_text()) for p in sorted(folder.glob(f"gauge_eps_{dataset}_seed*.json"))]
        if not runs: continue
        print(f"{dataset}, step {runs[0]['steps']}: members / majority vote / Ĥ, exact gauge against ε = 1e-8")
        diffs = []
        for r in runs:
            a, b = r["exact"][-1], r["eps=1e-8"][-1]
            diffs.append([a["acc_mean"] - b["acc_mean"], a["acc_majority"] - b["acc_majority"]])
            print(f"  seed {r['seed']}: {a['acc_mean']:.4f} / {b['acc_mean']:.4f}   {a['acc_majority']:.4f} / "
                  f"{b['acc_majority']:.4f}   {a['entropy']:.1f} / {b['entropy']:.1f}")
        d = torch.tensor(diffs)
        std = d.std(0) if len(d) > 1 else torch.zeros(2)
        print(f"  exact − ε over {len(d)} seeds: members {d[:, 0].mean():+.4f} ± {std[0]:.4f}, "
              f"majority {d[:, 1].mean():+.4f} ± {std[1]:.4f}")

@call_parse
def main(dataset: str = "digits",    # 'digits' or 'mnist'
         root: str = None,           # data folder for mnist
         steps: int = 2000,          # training steps of each run
         val_every: int = 500,       # validation interval (200 networks on the validation split)
         seed: int = 0,              # seed shared by both runs
         out: str = "bench/results", # folder for gauge_eps_<dataset>_seed<seed>.json
         summary: bool = False,      # only print the table of the runs recorded in OUT
         checkpoint: str = None,     # only compare a trained checkpoint's predictions under both gauges
         n_eval: int = 100):         # networks for --checkpoint
    if summary: return print_summary(Path(out))
    if checkpoint: return compare_predictions(checkpoint, root, n_eval)
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
