"""Which λ should the default digits run use? Train the default digits run (2,000 steps) for several λ and seeds,
then score 200 sampled networks of each on the 360 test images: the members' mean accuracy, the majority vote and
the mean-probability ensemble, their NLL and the entropy estimate at the end of training.

    python bench/investigations/digits_lambda.py                       # λ in 1e3 3e3 1e4 3e4 1e5, seeds 0-3
    python bench/investigations/digits_lambda.py --lams "1e4" --seeds "4 5"
    python bench/investigations/digits_lambda.py --summary             # the table of bench/RESULTS.md from the stored runs

Each run is written to `bench/results/digits_lambda/lam<λ>_seed<s>.json` as soon as it ends, so an interrupted
sweep continues where it stopped. The digits test split has 360 images: one image is 0.28 points, so compare
means over seeds, not single runs.
"""
import json, platform, time
from pathlib import Path

import torch
from fastcore.script import call_parse

from hyperweights.data import digits
from hyperweights.targets import digits_net
from hyperweights.hypernet import HyperNetwork, sample_weights
from hyperweights.evaluate import predict
from hyperweights.ensembles import member_metrics, group_metrics
from hyperweights.train import Trainer, TrainConfig, Objective

FOLDER = Path(__file__).parents[1] / "results" / "digits_lambda"


def run(lam: float, seed: int, steps: int, n_eval: int) -> dict:
    "Train one digits run as `hyperweights_train --lam LAM --seed SEED` does, and score `n_eval` sampled networks."
    data = digits()
    torch.manual_seed(seed)
    config = TrainConfig(steps=steps, seed=seed, val_every=steps // 4, checkpoint_every=steps // 4)
    trainer = Trainer(HyperNetwork(digits_net()), data, config, Objective(lam=lam))
    start = time.time()
    history = trainer.fit(progress=False)
    seconds = time.time() - start
    thetas = sample_weights(trainer.generator, n_eval, torch.Generator().manual_seed(seed))
    pred = predict(trainer.generator.spec, thetas, data.test[0], y=data.test[1])
    members, ensemble = member_metrics(pred), group_metrics(pred, data.test[1])
    return {"lam": lam, "seed": seed, "steps": steps, "n_eval": n_eval, "train_seconds": seconds,
            "entropy": history["val"][-1]["entropy"], "acc_mean": members["acc"].mean().item(),
            "acc_std": members["acc"].std().item(), "nll_members": members["nll"].mean().item(),
            **{k: ensemble[k].item() for k in ("acc_majority", "acc_mean_prob", "nll", "ece")},
            "machine": f"{platform.machine()} CPU, {torch.get_num_threads()} threads, torch {torch.__version__}",
            "date": time.strftime("%Y-%m-%d")}

def print_summary():
    "Mean ± std over seeds of every stored λ."
    runs = [json.loads(p.read_text()) for p in sorted(FOLDER.glob("*.json"))]
    print("| λ | seeds | members | majority vote | mean probability | NLL (mean prob.) | Ĥ | train s |")
    print("|---|---|---|---|---|---|---|---|")
    for lam in sorted({r["lam"] for r in runs}):
        rs = [r for r in runs if r["lam"] == lam]
        cell = lambda k, f=".4f": (f"{torch.tensor([r[k] for r in rs]).mean():{f}} ± "
                                   f"{torch.tensor([r[k] for r in rs]).std():{f}}" if len(rs) > 1 else f"{rs[0][k]:{f}}")
        print(f"| {lam:g} | {len(rs)} | {cell('acc_mean')} | {cell('acc_majority')} | {cell('acc_mean_prob')} | "
              f"{cell('nll')} | {cell('entropy', '.0f')} | {cell('train_seconds', '.0f')} |")

@call_parse
def main(lams: str = "1e3 3e3 1e4 3e4 1e5", # the λ values, space-separated
         seeds: str = "0 1 2 3", # the seeds, space-separated
         steps: int = 2000, # training steps of each run
         n_eval: int = 200, # sampled networks scored per run
         threads: int = 0, # torch threads (0: torch's default)
         summary: bool = False, # only print the table of the stored runs
        ):
    if threads: torch.set_num_threads(threads)
    if not summary:
        FOLDER.mkdir(parents=True, exist_ok=True)
        for seed in map(int, seeds.split()):
            for lam in map(float, lams.split()):
                path = FOLDER / f"lam{lam:g}_seed{seed}.json"
                if path.exists(): continue
                result = run(lam, seed, steps, n_eval)
                path.write_text(json.dumps(result, indent=1))
                print(f"λ={lam:g} seed {seed}: members {result['acc_mean']:.4f}, vote {result['acc_majority']:.4f} "
                      f"({result['train_seconds']:.0f} s)", flush=True)
    print_summary()
