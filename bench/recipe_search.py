"""Every training recipe tried on digits, MNIST and CIFAR-10 (LeNet) at the equal-cost budget of `bench/ensembles.py`
(2,048,000 target image passes: the default digits run's 2,000 steps × 32 networks × 32 images, MNIST's shortened
budget of the same shape, and the CIFAR run's 4,000 steps × 16 × 32), one seed at a time, one line per recipe and ensemble size. The levers: networks per step against images per network at the same passes, the learning rate
with its warm-up and decay, a λ schedule, and the diversity term (the papers' Ĥ, the mutual information on noise probes, the kernel
repulsion, and Ĥ plus the mutual information as a `WeightedSum`); the probe images of a term on outputs are
counted in the passes and taken from the network's own images.

    python bench/recipe_search.py --seed 0 --recipes default kl_mi300_b24   # about a minute a recipe on 2 CPU cores
    python bench/recipe_search.py --table_only                                   # the stored results as a markdown table
    python bench/recipe_search.py --dataset mnist --summary_only                 # means over seeds, baselines, the rule's choice
    python bench/recipe_search.py --dataset cifar10 --root $HYPERWEIGHTS_DATA/cifar10-jpeg --n 100 --recipes mi_noise_x3
    python bench/recipe_search.py --dataset mnist --root $HYPERWEIGHTS_DATA --n 50 --recipes mi100   # about 10 min a recipe

For each run: the members' mean test accuracy and, for disjoint ensembles of 10, 50 and 200 of `--n` sampled
networks (200), the vote and mean-probability accuracy, NLL, ECE and the AUROC for foreign images by predictive
entropy (the inverted test images; on MNIST Fashion-MNIST's test split, as `bench/ensembles.py`), with the validation split's accuracy and NLL of ensembles of 50 and the vote gain of
ensembles of 10 over their members, and the AUROC for the validation split's own foreign images (its digits rotated
by 90°, never the test's OOD set), for choosing among recipes. Results are appended to
`bench/results/recipe_search_<dataset>.jsonl`.
"""
import json, math, platform, time
from dataclasses import replace
from pathlib import Path

import torch
from fastcore.script import call_parse, Param, store_true

from hyperweights.data import load_dataset
from hyperweights.cli import PRESETS
from hyperweights.entropy import KLEntropy, NoDiversity
from hyperweights.function_diversity import KernelRepulsion, MutualInformation, OutputEntropy, WeightedSum
from hyperweights.train import TrainConfig, Objective, image_passes
from hyperweights.baselines import sampled_hypernetwork
from hyperweights.ensembles import compare_methods, foreign_images

HERE = Path(__file__).parent
PASSES = 2_048_000  # the default digits run's target image passes, and the CIFAR run's
results_file = lambda dataset: HERE / "results" / f"recipe_search_{dataset}.jsonl"

def recipe(name, lam=3e3, term=None, n_nets=32, per_net=32, lam_rate=1.0, **training):
    "A named recipe at the equal-cost budget: its steps follow from the image passes of one step."
    objective = Objective(lam=lam, lam_rate=lam_rate, diversity=term or KLEntropy())
    one_step = TrainConfig(steps=1, n_nets=n_nets, images_per_net=per_net, **training)
    steps = PASSES // image_passes(one_step, objective)
    return name, (replace(one_step, steps=steps, val_every=steps, val_nets=50), objective)

def kl_mi(weight, noise=0, probe=0, kl=KLEntropy()):
    "Ĥ plus `weight` × the mutual information on `noise` noise images and `probe` of the step's own images."
    return WeightedSum((kl, MutualInformation(probe=probe, noise_probe=noise)), (1.0, weight))
DIGITS = dict([
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
    recipe("b16", per_net=16),                          # fewer images per network, more steps (4,000)
    recipe("b8", per_net=8),                            # (8,000 steps)
    recipe("lam_up", lam=3e2, lam_rate=10 ** (1 / 2000)),     # λ annealed from 3e2 up to 3e3 over the 2,000 steps
    recipe("lam_down", lam=3e4, lam_rate=10 ** (-1 / 2000)),  # λ from 3e4 down to 3e3
    recipe("lr1e-3_warmup", lr=1e-3, lr_decay=0.1 ** (1 / 2000), lr_warmup=200),  # 200 steps of warm-up, then down to 1e-4
    recipe("mi_noise_lr1e-3_warmup", n_nets=8, per_net=112, term=kl_mi(1000.0, 16),   # mi_noise with that schedule
           lr=1e-3, lr_decay=0.1 ** (1 / 2000), lr_warmup=200),
])

CIFAR_KL = KLEntropy(coords=5000)  # the CIFAR preset's Ĥ
cifar = lambda name, lr=1e-5, **kw: recipe(name, **{"lam": 1e3, "term": CIFAR_KL, "n_nets": 16, "lr": lr, **kw})
CIFAR = dict([
    cifar("default"),                                          # the CIFAR preset: λ = 1e3, 16 networks × 32 images, Adam 1e-5
    cifar("lr3e-5", lr=3e-5),
    cifar("mi_noise", n_nets=8, per_net=48, term=kl_mi(1e3 / 3, 16, kl=CIFAR_KL)),   # the mi_noise recipe
    cifar("mi_noise_x3", n_nets=8, per_net=48, term=kl_mi(1e3, 16, kl=CIFAR_KL)),    # three times its weight
    cifar("mi_noise_lr3e-5", n_nets=8, per_net=48, term=kl_mi(1e3 / 3, 16, kl=CIFAR_KL), lr=3e-5),
    cifar("kl_mi_probe16", per_net=16, term=kl_mi(1e3 / 3, probe=16, kl=CIFAR_KL)),  # disagreement on training images
])
NO_KL = NoDiversity()
mnist = lambda name, **kw: recipe(name, **{"lam": 1e3, **kw})
MNIST = dict([
    mnist("default"),                                          # the papers' MNIST configuration: λ = 1e3, 32 networks × 32 images
    mnist("no_entropy", term=NO_KL),                           # the same without Ĥ
    mnist("mi_noise", n_nets=8, per_net=112, term=kl_mi(1e3 / 3, 16)),  # the mi_noise recipe of the CLI
    mnist("mi30", per_net=24, term=MutualInformation(noise_probe=8), lam=30),    # λ·CE − MI on 8 noise images, no Ĥ
    mnist("mi100", per_net=24, term=MutualInformation(noise_probe=8), lam=100),
    mnist("mi300", per_net=24, term=MutualInformation(noise_probe=8), lam=300),
    mnist("k100", per_net=24, term=KernelRepulsion(probe=0, noise_probe=8), lam=100),  # the kernel repulsion on noise, no Ĥ
    mnist("out1e4", per_net=24, term=OutputEntropy(probe=8), lam=1e4),  # Ĥ of the predictions on 8 shared training images
    mnist("out1e5", per_net=24, term=OutputEntropy(probe=8), lam=1e5),
    mnist("n8_no_entropy", n_nets=8, term=NO_KL),              # a quarter of the networks a step, four times the steps
    mnist("n8_mi100", n_nets=8, per_net=24, term=MutualInformation(noise_probe=8), lam=100),
    mnist("mi100_g4", per_net=24, term=MutualInformation(noise_probe=8, noise_grid=4), lam=100),  # smooth noise: 4 × 4 grids
    mnist("mi300_g4", per_net=24, term=MutualInformation(noise_probe=8, noise_grid=4), lam=300),
    mnist("mi1000_g4", per_net=24, term=MutualInformation(noise_probe=8, noise_grid=4), lam=1000),
    mnist("n8_mi300_g4", n_nets=8, per_net=24, term=MutualInformation(noise_probe=8, noise_grid=4), lam=300),
    mnist("n8_mi100_g4", n_nets=8, per_net=24, term=MutualInformation(noise_probe=8, noise_grid=4), lam=100),
    mnist("n8_mi100_g4_p4", n_nets=8, per_net=28, term=MutualInformation(noise_probe=4, noise_grid=4), lam=100),  # 4 probes
])
RECIPES = {"digits": DIGITS, "cifar10": CIFAR, "mnist": MNIST}
FOREIGN = {"digits": "inverted", "cifar10": "inverted", "mnist": "fashion_mnist"}  # the OOD column of bench/ensembles.py

VAL_FOREIGN = "rotated"  # the validation split's foreign images: seen by the selection rule, unlike the test's OOD set
number = lambda v: "–" if math.isnan(v) else f"{v:.4f}"  # a missing value (runs stored before a column existed) as a dash
auroc = lambda row: next((v for k, v in row.items() if k.startswith("AUROC")), float("nan"))  # the one OOD column of a row
of_50 = lambda run: next(row for row in run["rows"] if row["ensembles"].endswith("× 50"))  # a run's ensembles of 50

def run(name: str, seed: int, data, spec, foreign, recipes: dict, n: int) -> dict:
    config, objective = recipes[name]
    config = replace(config, seed=seed)
    method = sampled_hypernetwork(spec, data, config, objective, n=n, name=name)
    rows = compare_methods(spec, data, [method], ensemble=[m for m in (10, 50, 200) if m <= n], foreign=foreign)
    val = compare_methods(spec, replace(data, test=data.val), [method], ensemble=[10, 50],
                          foreign={VAL_FOREIGN: foreign_images(VAL_FOREIGN, data.val[0])})
    for r in rows:
        print(f"{name:>20} seed {seed} {r['ensembles']:>9}: members {r['members acc']:.4f} vote {r['vote acc']:.4f} "
              f"mean-prob {r['mean-prob acc']:.4f} NLL {r['NLL']:.4f} ECE {r['ECE']:.4f} AUROC {auroc(r):.4f} "
              f"({method.seconds:.0f} s)", flush=True)
    return {"name": name, "seed": seed, "rows": rows, "val": val[1:], "val10": val[0], "seconds": method.seconds,
            "steps": config.steps, "machine": f"{platform.machine()} CPU, {torch.get_num_threads()} threads, torch {torch.__version__}",
            "date": time.strftime("%Y-%m-%d")}

def table(dataset: str) -> str:
    "Every stored run: one line per recipe and seed, ensembles of 50 (and on CIFAR the vote gain of ensembles of 10)."
    runs = stored_runs(dataset)
    recipes, gain = RECIPES[dataset], dataset == "cifar10"
    def per_step(name):
        config, objective = recipes[name]
        term = objective.diversity
        probes = term.uses_outputs and (term.probe, term.noise_probe)
        extra = (f" + {probes[0]} shared" if probes and probes[0] else "") + (f" + {probes[1]} noise" if probes and probes[1] else "") \
                + (f" ({term.noise_grid}×{term.noise_grid} grid)" if probes and probes[1] and term.noise_grid else "")
        return f"{config.n_nets} × ({config.images_per_net}{extra})"
    ood = f"AUROC {FOREIGN[dataset].replace('fashion_mnist', 'Fashion-MNIST')} (50)"
    head = "| recipe | seed | networks × images a step | members acc | vote acc (50) | mean-prob acc (50) | NLL (50) | ECE (50) | " \
           f"{ood} | val NLL (50) | val acc (50) | val AUROC {VAL_FOREIGN} (50) |" + (" val vote gain (10) |" if gain else "")
    lines = [head, "|---" * head.count(" | ") + "|---|"]
    for name in recipes:
        for r in sorted((r for r in runs if r["name"] == name), key=lambda r: r["seed"]):
            e = of_50(r)
            line = (f"| {name} | {r['seed']} | {per_step(name)} | {e['members acc']:.4f} | {e['vote acc']:.4f} | "
                    f"{e['mean-prob acc']:.4f} | {e['NLL']:.4f} | {e['ECE']:.4f} | {auroc(e):.4f} | "
                    f"{r['val'][0]['NLL']:.4f} | {r['val'][0]['mean-prob acc']:.4f} | {number(auroc(r['val'][0]))} |")
            if gain: line += f" {100 * (r['val10']['vote acc'] - r['val10']['members acc']):+.2f} |"
            lines.append(line)
    return "\n".join(lines)

def stored_runs(dataset: str) -> list[dict]:
    "The stored runs, the newest line of each recipe and seed."
    runs = [json.loads(line) for line in results_file(dataset).read_text().splitlines()]
    return list({(r["name"], r["seed"]): r for r in runs}.values())

def seed_means(dataset: str, seeds: int = 3) -> list[dict]:
    "Each recipe run on at least `seeds` seeds: ensembles of 50, averaged (and their spread) over its seeds."
    keys = {"acc": ("test", "mean-prob acc"), "NLL": ("test", "NLL"), "AUROC": ("test", None),
            "val acc": ("val", "mean-prob acc"), "val NLL": ("val", "NLL"), "val AUROC": ("val", None)}
    means, stored = [], stored_runs(dataset)
    for name in RECIPES[dataset]:
        runs = [r for r in stored if r["name"] == name]
        if len(runs) < seeds: continue
        rows = [{"test": of_50(r), "val": r["val"][0]} for r in runs]
        values = {k: torch.tensor([auroc(row[split]) if col is None else row[split][col] for row in rows], dtype=torch.float64)
                  for k, (split, col) in keys.items()}
        means.append({"name": name, "seeds": len(runs), "seconds": sum(r["seconds"] for r in runs) / len(runs),
                      **{k: v.mean().item() for k, v in values.items()}, **{k + " sd": v.std().item() for k, v in values.items()}})
    return means

def selected(means: list[dict], tolerance: float = 0.001) -> str:
    """The selection rule, fixed before the test split is read: among the recipes whose mean validation accuracy is
    within `tolerance` of the best, the one with the highest mean validation AUROC (rotated validation images)."""
    eligible = [m for m in means if m["val AUROC"] == m["val AUROC"]]
    if not eligible: return "none (no recipe has a validation AUROC on every seed yet)"
    best = max(m["val acc"] for m in eligible)
    return max((m for m in eligible if m["val acc"] >= best - tolerance), key=lambda m: m["val AUROC"])["name"]

def reference_rows(dataset: str) -> list[dict]:
    "The deep ensemble of 10, the SGD snapshots and one network from `bench/ensembles.py`'s stored seeds."
    rows = [row for path in sorted((HERE / "results").glob(f"ensembles_{dataset}_seed*.json"))
            for row in json.loads(path.read_text())["rows"]]
    out = []
    for method, size in (("one network", "1 × 1"), ("deep ensemble of 10", "1 × 10"), ("10 SGD snapshots", "1 × 10")):
        picked = [r for r in rows if r["method"] == method and r["ensembles"] == size]
        if not picked: continue
        mean = lambda f: sum(map(f, picked)) / len(picked)
        out.append({"name": f"{method} (bench/ensembles.py)", "seeds": len(picked), "seconds": mean(lambda r: r["train s"]),
                    "acc": mean(lambda r: r["mean-prob acc"]), "NLL": mean(lambda r: r["NLL"]), "AUROC": mean(auroc)})
    return out

def summary(dataset: str) -> str:
    "Recipes with three seeds or more beside the baselines of `bench/ensembles.py`, and the recipe the selection rule picks."
    means = seed_means(dataset)
    head = "| recipe | seeds | mean-prob acc (50) | NLL (50) | AUROC (50) | val acc (50) | val NLL (50) | val AUROC (50) | train s |"
    def cell(m, k):
        value, sd = m.get(k, float("nan")), m.get(k + " sd", float("nan"))
        return number(value) + ("" if math.isnan(sd) else f" ± {sd:.4f}")
    lines = [head, "|---" * head.count(" | ") + "|---|"]
    for m in means + reference_rows(dataset):
        lines.append(f"| {m['name']} | {m['seeds']} | " + " | ".join(cell(m, k) for k in ("acc", "NLL", "AUROC", "val acc", "val NLL", "val AUROC"))
                     + f" | {m['seconds']:.0f} |")
    return "\n".join(lines) + f"\n\nSelected on the validation split: {selected(means)}"

@call_parse
def main(dataset: str = "digits", # digits, mnist or cifar10
         root: str = None, # data folder of mnist or cifar10
         seed: int = 0, # seed of the run
         n: int = 200, # networks sampled from each trained generator
         recipes: Param("recipes to run (default: all of the dataset's)", str, nargs="+") = None,
         table_only: Param("print the stored results as a markdown table", store_true) = False,
         summary_only: Param("print the means over seeds beside the baselines, and the recipe the validation split selects", store_true) = False,
        ):
    if dataset not in RECIPES: raise SystemExit(f"bench/recipe_search.py: --dataset must be one of {', '.join(RECIPES)}")
    if table_only: return print(table(dataset))
    if summary_only: return print(summary(dataset))
    names = list(recipes or RECIPES[dataset])
    unknown = [n for n in names if n not in RECIPES[dataset]]
    if unknown: raise SystemExit(f"Unknown recipes {unknown}; choose from {', '.join(RECIPES[dataset])}.")
    data, spec = load_dataset(dataset, root=root), PRESETS[dataset].target()
    foreign = {FOREIGN[dataset]: foreign_images(FOREIGN[dataset], data.test[0])}
    for name in names:
        record = run(name, seed, data, spec, foreign, RECIPES[dataset], n)
        results_file(dataset).parent.mkdir(parents=True, exist_ok=True)
        with results_file(dataset).open("a") as f: f.write(json.dumps(record) + "\n")  # after every run: an interrupted search keeps what it did
