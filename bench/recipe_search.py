"""Every training recipe tried on digits at the equal-cost budget of `bench/ensembles.py` (2,048,000 target image
passes: the default run's 2,000 steps × 32 networks × 32 images), one seed at a time, one line per recipe and
ensemble size. The levers: networks per step against images per network at the same passes, the learning rate
and its decay, and the diversity term (the papers' Ĥ, the mutual information on noise probes, the kernel
repulsion, and Ĥ plus the mutual information as a `WeightedSum`); the probe images of a term on outputs are
counted in the passes and taken from the network's own images.

    python bench/recipe_search.py --seed 0 --recipes default kl_mi300_b24   # about a minute a recipe on 2 CPU cores
    python bench/recipe_search.py --table_only                                   # the stored results as a markdown table

For each run: the members' mean test accuracy and, for disjoint ensembles of 10, 50 and 200 of 200 sampled
networks, the vote and mean-probability accuracy, NLL, ECE and the AUROC for inverted test digits (by predictive
entropy), with the validation split's accuracy and NLL of ensembles of 50 (for choosing among recipes). Results
are appended to `bench/results/recipe_search_digits.jsonl`.
"""
import json, platform, time
from dataclasses import replace
from pathlib import Path

import torch
from fastcore.script import call_parse, Param, store_true

from hyperweights.data import digits
from hyperweights.targets import digits_net
from hyperweights.entropy import KLEntropy
from hyperweights.function_diversity import KernelRepulsion, MutualInformation, WeightedSum
from hyperweights.train import TrainConfig, Objective, image_passes
from hyperweights.baselines import sampled_hypernetwork
from hyperweights.ensembles import compare_methods, foreign_images

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "recipe_search_digits.jsonl"
PASSES = 2_048_000  # the default digits run's target image passes

def recipe(name, lam=3e3, term=None, n_nets=32, per_net=32, **training):
    "A named recipe at the equal-cost budget: its steps follow from the image passes of one step."
    objective = Objective(lam=lam, diversity=term or KLEntropy())
    one_step = TrainConfig(steps=1, n_nets=n_nets, images_per_net=per_net, **training)
    steps = PASSES // image_passes(one_step, objective)
    return name, (replace(one_step, steps=steps, val_every=steps, val_nets=50), objective)

kl_mi = lambda weight, noise: WeightedSum((KLEntropy(), MutualInformation(noise_probe=noise)), (1.0, weight))
RECIPES = dict([
    recipe("default"),                                  # the default digits run: λ = 3e3, 32 networks × 32 images
    recipe("n8_b128", n_nets=8, per_net=128),           # fewer networks per step, more images each
    recipe("n16_b64", n_nets=16, per_net=64),
    recipe("mi10", per_net=16, term=MutualInformation(noise_probe=16), lam=10),  # the mutual information on noise alone
    recipe("n16_mi10", n_nets=16, per_net=48, term=MutualInformation(noise_probe=16), lam=10),
    recipe("n16_mi30", n_nets=16, per_net=48, term=MutualInformation(noise_probe=16), lam=30),
    recipe("n8_mi10", n_nets=8, per_net=112, term=MutualInformation(noise_probe=16), lam=10),
    recipe("n16_k30", n_nets=16, per_net=48, term=KernelRepulsion(probe=0, noise_probe=16), lam=30),  # repulsion on noise
    recipe("kl_mi300", per_net=16, term=kl_mi(300.0, 16)),  # Ĥ plus 300 × the mutual information: λ/10 at λ = 3e3
    recipe("kl_mi300_b24", per_net=24, term=kl_mi(300.0, 8)),
    recipe("n8_kl_mi300", n_nets=8, per_net=112, term=kl_mi(300.0, 16)),
    recipe("n8_kl_mi100", n_nets=8, per_net=112, term=kl_mi(100.0, 16)),
    recipe("n8_kl_mi1000", n_nets=8, per_net=112, term=kl_mi(1000.0, 16)),
    recipe("n8_kl_mi300_lr1e-3", n_nets=8, per_net=112, lr=1e-3, lr_decay=0.99885, term=kl_mi(300.0, 16)),
])

def run(name: str, seed: int, data, spec, foreign) -> dict:
    config, objective = RECIPES[name]
    config = replace(config, seed=seed)
    method = sampled_hypernetwork(spec, data, config, objective, n=200, name=name)
    rows = compare_methods(spec, data, [method], ensemble=[10, 50, 200], foreign=foreign)
    val = compare_methods(spec, replace(data, test=data.val), [method], ensemble=[50])[0]
    for r in rows:
        print(f"{name:>20} seed {seed} {r['ensembles']:>9}: members {r['members acc']:.4f} vote {r['vote acc']:.4f} "
              f"mean-prob {r['mean-prob acc']:.4f} NLL {r['NLL']:.4f} ECE {r['ECE']:.4f} AUROC {r['AUROC inverted']:.4f} "
              f"({method.seconds:.0f} s)", flush=True)
    return {"name": name, "seed": seed, "rows": rows, "val": [val], "seconds": method.seconds, "steps": config.steps,
            "machine": f"{platform.machine()} CPU, {torch.get_num_threads()} threads, torch {torch.__version__}",
            "date": time.strftime("%Y-%m-%d")}

def table() -> str:
    "Every stored run: one line per recipe and seed, ensembles of 50; then the mean over seeds."
    runs = [json.loads(line) for line in RESULTS.read_text().splitlines()]
    def per_step(name):
        config, objective = RECIPES[name]
        term = objective.diversity
        noise = f" + {term.noise_probe} noise" if term.uses_outputs and term.noise_probe else ""
        return f"{config.n_nets} × ({config.images_per_net}{noise})"
    lines = ["| recipe | seed | networks × images a step | members acc | vote acc (50) | mean-prob acc (50) | NLL (50) | ECE (50) | AUROC inverted (50) | val NLL (50) | val acc (50) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in RECIPES:
        mine = sorted((r for r in runs if r["name"] == name), key=lambda r: r["seed"])
        for r in mine:
            e = next(row for row in r["rows"] if row["ensembles"].endswith("× 50"))
            lines.append(f"| {name} | {r['seed']} | {per_step(name)} | {e['members acc']:.4f} | {e['vote acc']:.4f} | "
                         f"{e['mean-prob acc']:.4f} | {e['NLL']:.4f} | {e['ECE']:.4f} | {e['AUROC inverted']:.4f} | "
                         f"{r['val'][0]['NLL']:.4f} | {r['val'][0]['mean-prob acc']:.4f} |")
    return "\n".join(lines)

@call_parse
def main(seed: int = 0, # seed of the run
         recipes: Param("recipes to run (default: all of RECIPES)", str, nargs="+") = None,
         table_only: Param("print the stored results as a markdown table", store_true) = False,
        ):
    if table_only: return print(table())
    names = list(recipes or RECIPES)
    unknown = [n for n in names if n not in RECIPES]
    if unknown: raise SystemExit(f"Unknown recipes {unknown}; choose from {', '.join(RECIPES)}.")
    data, spec = digits(), digits_net()
    foreign = {"inverted": foreign_images("inverted", data.test[0])}
    for name in names:
        record = run(name, seed, data, spec, foreign)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a") as f: f.write(json.dumps(record) + "\n")  # after every run: an interrupted search keeps what it did
