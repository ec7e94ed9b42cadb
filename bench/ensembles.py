"""Sampled ensembles against the usual baselines, at equal training cost: one table of member and ensemble
accuracy, NLL, Brier score, ECE, pairwise disagreement, out-of-distribution AUROC, training wall-clock and target
image passes, and a figure of NLL and AUROC against ensemble size.

    python bench/ensembles.py --dataset digits --seed 0       # trains every row itself (minutes on 2 CPU cores)
    python bench/ensembles.py --dataset mnist --root $HYPERWEIGHTS_DATA --seed 0     # 2,000 steps (35 min on 2 cores)
    python bench/ensembles.py --dataset cifar10 --root $HYPERWEIGHTS_DATA/cifar10-jpeg --seed 0  # LeNet, 4,000 steps (28 min)
    python bench/ensembles.py --dataset digits --summary_only # mean over the stored seeds, and the figure
    python bench/ensembles.py --dataset mnist --root $HYPERWEIGHTS_DATA --seed 0 --only mi_smooth   # one more row
    python bench/ensembles.py --dataset mnist --root $HYPERWEIGHTS_DATA \\
        --checkpoint bench/runs/mnist/step13000.pt --strong bench/runs/mnist_lam1e5/step13000.pt \\
        --no_entropy bench/runs/mnist_no_entropy/step13000.pt --n 4000

Rows: one network and a deep ensemble of 10 (Adam, the authors' init), 10 snapshots of one constant-learning-rate
SGD chain, the hypernetwork of the dataset's preset (`hyperweights.cli.PRESETS`: the papers' configuration) with
and without the entropy term, on digits the same with λ = 1e5, and the hypernetwork of each other recipe of
`hyperweights.cli.RECIPES` (`mi_noise`, `mi_smooth`). Every baseline gets the hypernetwork's image passes (steps × networks
× images per network): each deep-ensemble member a tenth of them, the SGD chain all of them; the one network is
trained like one deep-ensemble member (another seed). `--join D` adds Ha et al.'s static hypernetwork joined
with D-dimensional noise (`hyperweights.static_hypernet`, its default settings for the target), trained with the
preset's objective.
Every row is trained here, for `--steps` hypernetwork steps (default: the dataset's entry in `SETTINGS`), unless
`--checkpoint` is given (MNIST at the papers' length): then the hypernetworks come from checkpoints (train them
with `hyperweights_train --dataset mnist --lam 1e5 --out ...`; the run without the entropy term is
`Trainer(..., objective=Objective(diversity=NoDiversity()))`) and a row whose checkpoint is not given is left out.
Trained rows are cached in `bench/runs/<dataset>_baselines/` (weights and cost), so a rerun only evaluates.
`--only ROW,...` trains and scores only those hypernetwork rows (e.g. a recipe added since) and merges them into the
seed's stored results, noting their command, machine and date under "added"; the other rows stay as stored.
A recipe with fewer image passes a step than the preset runs more steps (`hyperweights.cli.equal_cost_steps`).
Foreign images: the inverted test images on digits and CIFAR-10, Fashion-MNIST's test split on MNIST
(`--ood_root` if it is not in its usual places).
The table is printed as markdown and written with the machine and date to
`bench/results/ensembles_<dataset>_seed<seed>.json`, with the rows of every ensemble size the figure needs
(`SETTINGS`' sizes; the deep ensemble 1, 2, 10); `--summary_only` draws the figure
`bench/figures/ensembles_<dataset>.png` from the stored seeds.
"""
import json, platform, sys, time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable
from pathlib import Path

import torch
from fastcore.script import call_parse

from hyperweights.cli import PRESETS, RECIPES, equal_cost_steps
from hyperweights.data import load_dataset
from hyperweights.hypernet import sample_weights
from hyperweights.entropy import NoDiversity
from hyperweights.train import TrainConfig, Objective, load_checkpoint, load_hypernet
from hyperweights.baselines import Baseline, conventional, sgd_snapshots, sampled_hypernetwork
from hyperweights.static_hypernet import StaticHyperNetwork, default_static_config
from hyperweights.ensembles import compare_methods, foreign_images

HERE = Path(__file__).parent

@dataclass(frozen=True)
class Setting:
    "What one problem's comparison runs with when the command line says nothing else."
    steps: int  # hypernetwork steps: the budget every row gets in image passes
    n: int  # networks sampled from each hypernetwork (evaluating them is the slow part on MNIST)
    foreign: str  # foreign images of the OOD column (a name of `foreign_images`)
    sgd_lr: float  # the SGD chain's constant learning rate
    sizes: tuple  # ensemble sizes of the figure (each divides the next)

SETTINGS = {"digits": Setting(2000, 4000, "inverted", 0.1, (1, 2, 10, 50, 200)),
            "mnist": Setting(2000, 50, "fashion_mnist", 0.1, (1, 2, 10, 50)),  # a shortened budget: 13,000 is the papers'
            "cifar10": Setting(4000, 200, "inverted", 0.02, (1, 2, 10, 50, 200))}  # bench/cifar_lenet.py's budget and chain lr
PAPER = "arXiv:1801.01952 §4.2.2 reports 0.9914 for 20 × 200 majority votes (λ = 1e3) and 0.9928 for MNF-G"

def cached(path: Path, make) -> Baseline:
    "A row trained once and kept in `path` (weights and cost), so that a rerun only evaluates."
    if path.exists():
        d = torch.load(path, weights_only=True)
        return Baseline(d["name"], d["weights"], d["seconds"], d["image_passes"])
    b = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"name": b.name, "weights": b.weights.cpu(), "seconds": b.seconds, "image_passes": b.image_passes}, path)
    return b

def from_checkpoint(path: str, n: int, name: str, seconds: float, seed: int, device) -> Baseline:
    "n networks sampled from a trained hypernetwork; its cost is steps × n_nets × images_per_net passes."
    state = load_checkpoint(path)
    c = state["train_config"]
    thetas = sample_weights(load_hypernet(state, device), n, torch.Generator().manual_seed(seed))
    return Baseline(name, thetas, seconds, state["step"] * c["n_nets"] * c["images_per_net"])

def trained_hypernetworks(dataset, data, spec, args) -> dict[str, Callable[[], Baseline]]:
    "The preset's hypernetwork ('main'), without the entropy term, with λ = 1e5 (digits) and each other recipe: each trains when called."
    preset, folder = PRESETS[dataset], HERE / "runs" / f"{dataset}_baselines"
    def make(key, objective, training=preset.training, name=None, steps=args.steps, **kwargs):
        "The row, trained when it is asked for (and not cached yet)."
        config = TrainConfig(steps=steps, seed=args.seed, val_every=steps, val_nets=50, **training)
        return lambda: cached(folder / f"hyper_{key}_seed{args.seed}_steps{steps}_n{args.n}.pt",
                              lambda: sampled_hypernetwork(spec, data, config, objective, n=args.n, name=name, **kwargs))
    rows = {"no_entropy": make("no_entropy", Objective(lam=preset.lam, diversity=NoDiversity())),
            "main": make("main", Objective(lam=preset.lam, diversity=preset.diversity))}
    if dataset == "digits": rows["strong"] = make("strong", Objective(lam=1e5, diversity=preset.diversity))
    for name in (r for r in RECIPES if r != "paper"):  # the other recipes, at the same image passes
        training, term = RECIPES[name].build(preset, preset.lam)
        rows[name] = make(name, Objective(lam=preset.lam, diversity=term), training, f"hypernetwork, recipe {name}",
                          equal_cost_steps(preset, preset.lam, training, term, args.steps))
    if args.join:  # Ha et al.'s static hypernetwork joined with noise, the papers' objective
        rows["join"] = make(f"join_z{args.join}", Objective(lam=preset.lam, diversity=preset.diversity),
                            name=f"static hypernetwork + noise ({args.join}-d)",
                            generator=lambda s: StaticHyperNetwork(s, default_static_config(s, noise_dim=args.join)))
    return rows

def hypernetworks_from_checkpoints(args, device) -> dict[str, Baseline]:
    "The hypernetworks 'main', 'no_entropy' and 'strong' read from the checkpoints given; a missing one is left out."
    given = {"no_entropy": args.no_entropy, "main": args.checkpoint, "strong": args.strong}
    rows = {}
    for key, path in given.items():
        if path is None: continue
        lam = load_checkpoint(path)["objective"]["lam"]
        name = "hypernetwork without entropy" if key == "no_entropy" else f"hypernetwork λ={lam:g}"
        rows[key] = from_checkpoint(path, args.n, name, args.hyper_seconds, args.seed, device)
    return rows

def baseline_rows(dataset, data, spec, passes: int, args) -> list[Baseline]:
    "One network, a deep ensemble of 10 and 10 SGD snapshots, each with the hypernetwork's image passes (see above)."
    folder, steps = HERE / "runs" / f"{dataset}_baselines", passes // (10 * 32)
    deep = cached(folder / f"deep10_seed{args.seed}_steps{steps}.pt",
                  lambda: conventional(spec, data, n=10, steps=steps, seed=args.seed + 1, progress=True))
    single = cached(folder / f"single_seed{args.seed}_steps{steps}.pt",
                    lambda: conventional(spec, data, n=1, steps=steps, seed=args.seed, progress=True))
    chain = cached(folder / f"sgd10_seed{args.seed}_steps{passes // 32}_lr{args.sgd_lr:g}.pt",
                   lambda: sgd_snapshots(spec, data, snapshots=10, steps=passes // 32, lr=args.sgd_lr, seed=args.seed + 2,
                                         progress=True))
    return [single, deep, chain]

def markdown(rows: list[dict]) -> str:
    "The table of bench/RESULTS.md."
    ood = next(k for k in rows[0] if k.startswith("AUROC"))
    lines = [f"| method | ensembles | members: acc mean ± std | vote acc | mean-prob acc | NLL | Brier | ECE | disagreement | {ood} | training wall-clock | image passes |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        seconds = "—" if r["train s"] != r["train s"] else f"{r['train s']:.0f} s"  # NaN: trained elsewhere
        lines.append(f"| {r['method']} | {r['ensembles']} | {r['members acc']:.4f} ± {r['members std']:.4f} | {r['vote acc']:.4f} | "
                     f"{r['mean-prob acc']:.4f} | {r['NLL']:.4f} | {r['Brier']:.4f} | {r['ECE']:.4f} | {'—' if r['disagreement'] != r['disagreement'] else format(r['disagreement'], '.4f')} | "
                     f"{r[ood]:.4f} | {seconds} | {int(r['image passes']):,} |")
    return "\n".join(lines)

size_of = lambda row: int(row["ensembles"].split(" × ")[1])

def plot_sizes(rows: list[dict], title: str, path: Path):
    "NLL and OOD AUROC against ensemble size: a line per sampled method, the baselines' ensembles as points."
    import matplotlib.pyplot as plt
    ood = next(k for k in rows[0] if k.startswith("AUROC"))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    for i, method in enumerate(methods):
        mine = sorted((r for r in rows if r["method"] == method), key=size_of)
        sampled = method.startswith("hypernetwork")
        for ax, key in zip(axes, ("NLL", ood)):
            ax.plot([size_of(r) for r in mine], [r[key] for r in mine], marker="o" if sampled else "s",
                    ls="-" if sampled else ":", ms=5 if sampled else 8, color=f"C{i}", label=method)
    for ax, label in zip(axes, ("NLL of the mean-probability ensemble (test)", f"{ood} (predictive entropy)")):
        ax.set(xscale="log", xlabel="networks per ensemble", ylabel=label)
        ax.set_xticks([1, 2, 5, 10, 20, 50, 100, 200], labels=["1", "2", "5", "10", "20", "50", "100", "200"])
    axes[1].legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")

def summary(dataset: str):
    "Every row's mean over the stored seeds (the members' column: mean of the seeds' member means ± their std), and the figure."
    records = [json.loads(p.read_text()) for p in sorted((HERE / "results").glob(f"ensembles_{dataset}_seed*.json"))]
    if not records: raise SystemExit(f"no stored results for {dataset}")
    keys = [(r["method"], r["ensembles"]) for r in records[0]["rows"]]
    mean_rows = []
    for key in keys:
        rs = [r for rec in records for r in rec["rows"] if (r["method"], r["ensembles"]) == key]
        if len(rs) != len(records): continue  # a row that not every seed has
        row = {k: (sum(r[k] for r in rs) / len(rs) if isinstance(rs[0][k], (int, float)) else rs[0][k]) for k in rs[0]}
        row["members std"] = torch.tensor([r["members acc"] for r in rs], dtype=torch.float64).std().item() if len(rs) > 1 else 0.0
        mean_rows.append(row)
    print(f"{len(records)} seeds: {', '.join(str(r['seed']) for r in records)}; {records[0]['machine']}, {records[0]['date']}")
    for added in (a for r in records for a in r.get("added", [])):
        print(f"  {', '.join(added['methods'])}: added by {added['command']} ({added['machine']}, {added['date']})")
    print(markdown([r for r in mean_rows if r.get("shown", True)]).replace("members: acc mean ± std", "members: acc (mean ± std over seeds)"))
    sized = [r for r in mean_rows if r["method"] != "one network"]
    plot_sizes(sized, f"{dataset}: ensembles at equal image passes (mean of {len(records)} seeds)",
               HERE / "figures" / f"ensembles_{dataset}.png")

@call_parse
def main(dataset: str = "digits", # digits, mnist or cifar10
         root: str = None, # data folder of mnist or cifar10
         ood_root: str = None, # folder of Fashion-MNIST (default: its usual places)
         checkpoint: str = None, # mnist at the papers' length: the λ = 1e3 hypernetwork (else every row is trained here)
         strong: str = None, # with --checkpoint: the λ = 1e5 hypernetwork
         no_entropy: str = None, # with --checkpoint: the hypernetwork trained without the entropy term
         hyper_seconds: float = float("nan"), # with --checkpoint: training wall-clock of the checkpoints (NaN: not shown)
         steps: int = None, # hypernetwork steps of the rows trained here (default: the dataset's in SETTINGS)
         n: int = None, # networks sampled from each hypernetwork (default: the dataset's in SETTINGS)
         sgd_lr: float = None, # learning rate of the SGD chain (default: the dataset's in SETTINGS)
         seed: int = 0, # seed of the trained rows and of the noise
         device: str = "cpu", # 'cpu' or 'cuda'
         summary_only: bool = False, # only print the mean table over the stored seeds of --dataset
         join: int = 0, # above 0: also Ha et al.'s static hypernetwork joined with noise of this dimension (the rows trained here)
         only: str = None, # comma-separated rows trained here (e.g. mi_smooth): trained and scored alone, merged into the stored seed
        ):
    if dataset not in SETTINGS: raise SystemExit(f"bench/ensembles.py: --dataset must be one of {', '.join(SETTINGS)}")
    if summary_only: return summary(dataset)
    setting = SETTINGS[dataset]
    steps, n, sgd_lr = steps or setting.steps, n or setting.n, sgd_lr or setting.sgd_lr
    only = [key for key in (only or "").split(",") if key]
    rows_here = ["no_entropy", "main"] + (["strong"] if dataset == "digits" else []) + [r for r in RECIPES if r != "paper"] + (["join"] if join else [])
    if set(only) - set(rows_here):
        raise SystemExit(f"bench/ensembles.py: --only takes rows of {', '.join(rows_here)}; got {','.join(only)}")
    out = HERE / "results" / f"ensembles_{dataset}_seed{seed}.json"
    if only and (checkpoint or not out.exists()):
        raise SystemExit(f"bench/ensembles.py: --only adds rows to the stored {out.name}, trained here; "
                         f"{'drop --checkpoint' if checkpoint else 'run without --only first'}")
    stored = json.loads(out.read_text()) if only else None
    held = stored and (stored.get("steps", setting.steps), stored["n"])  # records without "steps" ran at the default
    if only and held != (steps, n):
        raise SystemExit(f"bench/ensembles.py: {out.name} holds --steps {held[0]} --n {held[1]}; --only uses the same")
    args = SimpleNamespace(**locals())
    data = load_dataset(dataset, root=root, device=device)
    spec = PRESETS[dataset].target()
    foreign = {setting.foreign: foreign_images(setting.foreign, data.test[0], ood_root)}  # a missing one stops here
    if checkpoint: hypers = hypernetworks_from_checkpoints(args, device)
    else: hypers = {key: make() for key, make in trained_hypernetworks(dataset, data, spec, args).items() if not only or key in only}
    def scored(method, shown: list[int]) -> list[dict]:
        "The method's rows at the shown sizes and at the figure's sizes it can fill, each marked shown or not."
        k = len(method.weights)
        shown = [m for m in shown if m <= k] or [k]
        sizes = sorted(set(shown) | {m for m in setting.sizes if m <= k and k % m == 0})
        return [{**r, "shown": size_of(r) in shown} for r in compare_methods(spec, data, [method], ensemble=sizes, foreign=foreign)]
    shown = {"no_entropy": [10], "main": [10, 50, 200], "strong": [200]}
    rows = [r for key, method in hypers.items() for r in scored(method, shown.get(key, [10, 50, 200]))]
    run = {"command": " ".join(sys.argv), "date": time.strftime("%Y-%m-%d"),
           "machine": f"{platform.machine()} CPU, {torch.get_num_threads()} threads, torch {torch.__version__}"
                      + (f", {torch.cuda.get_device_name()}" if device.startswith("cuda") else "")}
    if only:  # the new rows replace their namesakes among the stored ones and are appended after the others
        record, new = {**stored, "steps": steps}, {r["method"] for r in rows}
        rows = [r for r in stored["rows"] if r["method"] not in new] + rows
        record["added"] = [a for a in record.get("added", []) if not set(a["methods"]) <= new] + [{**run, "methods": sorted(new)}]
    else:
        baselines = baseline_rows(dataset, data, spec, hypers["main"].image_passes, args)
        rows = [r for b in baselines for r in scored(b, [len(b.weights)])] + rows
        record = {"dataset": dataset, "seed": seed, "n": n, "steps": steps, **run}
    record.update(rows=rows, table=markdown([r for r in rows if r["shown"]]))
    print(record["table"])
    if dataset == "mnist": print(PAPER)
    out.write_text(json.dumps(record, indent=1, default=float))
    print(f"wrote {out}")
