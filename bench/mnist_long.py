"""Sampled ensembles against the baselines on MNIST at the papers' length (13,000 hypernetwork steps), run in
resumable pieces: the rows of `bench/RESULTS.md` "MNIST at the papers' length".

Rows (each a name of `ROWS`): the papers' λ = 10³ (the step-13,000 checkpoint of `bench/reproduce_mnist.py`),
λ = 10⁵ and the papers' loss without the entropy term, both trained with `hyperweights_train` from the same seed
(8734) and configuration, the `mi_smooth` recipe at the same image passes (52,000 steps of 8 networks × (24 + 8
smooth noise) images), and the baselines at the hypernetwork's
13,312,000 target image passes (13,000 steps × 32 networks × 32 images): a deep ensemble of 10 (41,600 Adam steps
of 32 images each, trained side by side as one `[10, P]` tensor), one network trained like one of its members
(another seed), and 10 snapshots of one constant-learning-rate SGD chain (416,000 steps of 32 images, lr 0.1).

    hyperweights_train --dataset mnist --root $HYPERWEIGHTS_DATA --lam 1e5 --seed 8734 --baseline 0 --out bench/runs/mnist_lam1e5
    hyperweights_train --dataset mnist --root $HYPERWEIGHTS_DATA --diversity none --seed 8734 --baseline 0 --out bench/runs/mnist_no_entropy
    hyperweights_train --dataset mnist --root $HYPERWEIGHTS_DATA --recipe mi_smooth --seed 8734 --baseline 0 --out bench/runs/mnist_mi_smooth
        # each resumes with --resume after an interruption (bitwise the uninterrupted run)
    python bench/mnist_long.py baselines --root $HYPERWEIGHTS_DATA     # deep ensemble, one network, SGD chain (cached)
    python bench/mnist_long.py eval --row lam1e3 --root $HYPERWEIGHTS_DATA   # and lam1e5, no_entropy, mi_smooth, deep10, ...
    python bench/mnist_long.py table                                   # the table and figures, in seconds

`eval` samples 4,000 networks from a hypernetwork (noise seed 8734, as `bench/reproduce_mnist.py`) and evaluates
each once on the 10,000 test images and on Fashion-MNIST's 10,000 test images, 200 networks at a time. After each
chunk it saves, under `bench/runs/mnist_long/<row>/`, the chunk's test labels and its results: every network's
accuracy, NLL, Brier score, ECE and mean entropy, and for every ensemble size of `SIZES` each disjoint ensemble's
vote and mean-probability accuracy, NLL, Brier score, ECE, disagreement and AUROC for Fashion-MNIST (predictive
entropy). Run it again after an interruption and it continues from the chunks it finds. When every chunk is there it
writes them together to `bench/results/mnist_long/<row>.pt` (a few hundred kB), from which `table` recomputes
everything.
"""
import json, time
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from fastcore.script import call_parse

from hyperweights.cli import PRESETS
from hyperweights.data import load_dataset
from hyperweights.hypernet import sample_weights
from hyperweights.train import (load_checkpoint, load_hypernet, save_checkpoint, CheckpointError, TrainConfig, Objective,
                                image_passes)
from hyperweights.baselines import Baseline, conventional, sgd_snapshots
from hyperweights.evaluate import predict
from hyperweights.ensembles import (disjoint_groups, member_metrics, merge_groups, group_metrics, uncertainty_scores,
                                    ood_metrics, foreign_images, plot_member_accuracy)
from ensembles import cached  # bench/ensembles.py: a baseline trained once, then read back
from wrn_cifar import machine  # the machine string of the results files

HERE = Path(__file__).parent
RUNS, RESULTS, FIGURES = HERE / "runs" / "mnist_long", HERE / "results" / "mnist_long", HERE / "figures"
SIZES = (1, 2, 10, 50, 200)  # ensemble sizes; each divides the next and the chunk
CHUNK = 200                  # networks evaluated and saved together
NOISE_SEED = 8734            # the noise of the sampled networks, as bench/reproduce_mnist.py
PASSES = 13_000 * 32 * 32    # the hypernetworks' target image passes, given to every baseline
PAPER = ("arXiv:1801.01952 §4.2.2: 0.9914 for 20 × 200 majority votes at λ = 10³; "
         "MNF-G (Louizos and Welling 2017), the papers' comparison: 0.9928")

@dataclass(frozen=True)
class Row:
    "One method of the table: where its networks come from."
    label: str       # as the table shows it
    checkpoint: str  # a hypernetwork checkpoint (relative to bench/), or '' for a baseline trained by `baselines`

ROWS = {"single": Row("one network", ""), "deep10": Row("deep ensemble of 10", ""),
        "sgd10": Row("10 SGD snapshots", ""),
        "lam1e3": Row("hypernetwork λ=1000 (papers')", "runs/mnist/step13000.pt"),
        "lam1e5": Row("hypernetwork λ=100000", "runs/mnist_lam1e5/last.pt"),  # the runs' final checkpoints
        "no_entropy": Row("hypernetwork without entropy", "runs/mnist_no_entropy/last.pt"),
        "mi_smooth": Row("hypernetwork, recipe mi_smooth", "runs/mnist_mi_smooth/last.pt")}

def baselines(data, spec, seed: int = 0) -> dict[str, Baseline]:
    "The deep ensemble, one network and the SGD chain at `PASSES`, trained once and kept in `RUNS` (`ensembles.cached`)."
    steps = PASSES // (10 * 32)  # each deep-ensemble member gets a tenth of the passes
    make = {"deep10": lambda: conventional(spec, data, n=10, steps=steps, seed=seed + 1, progress=True),
            "single": lambda: conventional(spec, data, n=1, steps=steps, seed=seed, progress=True),
            "sgd10": lambda: sgd_snapshots(spec, data, snapshots=10, steps=PASSES // 32, lr=0.1, seed=seed + 2, progress=True)}
    return {key: cached(RUNS / f"{key}.pt", train) for key, train in make.items()}

def networks(row: str, n: int) -> tuple[torch.Tensor, dict]:
    "The row's gauge-fixed networks `[K, P]` and what its training cost."
    if not ROWS[row].checkpoint:
        d = torch.load(RUNS / f"{row}.pt", weights_only=True)
        return d["weights"], {"seconds": d["seconds"], "image_passes": d["image_passes"]}
    state = load_checkpoint(HERE / ROWS[row].checkpoint)
    config, objective = TrainConfig(**state["train_config"]), Objective.from_dict(state["objective"])
    per_step = image_passes(replace(config, steps=1), objective)
    if state["step"] * per_step != PASSES:
        raise SystemExit(f"bench/mnist_long.py eval: {ROWS[row].checkpoint} is at step {state['step']:,}, not "
                         f"{PASSES // per_step:,} ({PASSES:,} image passes); finish its run with hyperweights_train ... "
                         f"--resume --steps {PASSES // per_step} first.")
    thetas = sample_weights(load_hypernet(state, "cpu"), n, torch.Generator().manual_seed(NOISE_SEED))
    return thetas, {"seconds": float("nan"), "step": state["step"], "lam": objective.lam,
                    "image_passes": state["step"] * per_step}  # probes included

def chunk_results(spec, thetas: torch.Tensor, x, y, x_foreign) -> dict:
    "Per-network metrics and, per ensemble size, per-ensemble metrics of K networks (disjoint consecutive ensembles)."
    k = len(thetas)
    pred = predict(spec, thetas, x, y=y, groups=disjoint_groups(k, 1))
    out = predict(spec, thetas, x_foreign, groups=disjoint_groups(k, 1))
    result = {"labels": pred["labels"].to(torch.uint8), "members": member_metrics(pred), "sizes": {}}
    for size in (s for s in SIZES if s <= k and k % s == 0):
        merged = merge_groups(pred, size)
        ensembles = {key: value for key, value in group_metrics(merged, y).items()
                     if key in ("acc_majority", "acc_mean_prob", "nll", "brier", "ece", "disagreement")}
        scores_out = uncertainty_scores(merge_groups(out, size))
        ensembles["auroc"] = ood_metrics(uncertainty_scores(merged), scores_out)["auroc_predictive_entropy"]
        result["sizes"][size] = ensembles
    return result

def evaluate(row: str, root, ood_root, n: int):
    "Evaluate the row's networks chunk by chunk (resuming from saved chunks) and gather the results."
    data, spec = load_dataset("mnist", root=root), PRESETS["mnist"].target()
    x, y = data.test
    x_foreign = foreign_images("fashion_mnist", x, ood_root)
    thetas, cost = networks(row, n)
    folder, chunk, parts, t0, done = RUNS / row, min(CHUNK, len(thetas)), [], time.time(), 0
    for i in range(0, len(thetas), chunk):
        path = folder / f"chunk_{i:05d}.pt"
        try: part = load_checkpoint(path)
        except (FileNotFoundError, CheckpointError): part = None  # not yet evaluated, or damaged: evaluate it
        ident = (row, cost.get("step"), cost["image_passes"], i, len(thetas))  # a chunk of another run is never reused
        if part is None or tuple(part.get("ident", ())) != ident:
            part = {**chunk_results(spec, thetas[i:i + chunk], x, y, x_foreign), "ident": ident}
            save_checkpoint(part, path)
            done += 1
        parts.append(part)
        pace = (time.time() - t0) / done if done else float("nan")
        print(f"{row}: networks {i + chunk}/{len(thetas)}, members so far {torch.cat([p['members']['acc'] for p in parts]).mean():.4f}"
              + (f", {pace / 60:.1f} min a chunk" if done else ", loaded"), flush=True)
    members = {key: torch.cat([p["members"][key] for p in parts]) for key in parts[0]["members"]}
    sizes = {s: {key: torch.cat([p["sizes"][s][key] for p in parts]) for key in parts[0]["sizes"][s]}
             for s in parts[0]["sizes"]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    torch.save({"row": row, "label": ROWS[row].label, "cost": cost, "members": members, "sizes": sizes,
                "machine": machine("cpu"), "date": time.strftime("%Y-%m-%d")}, RESULTS / f"{row}.pt")
    print(f"wrote {RESULTS / f'{row}.pt'}")

def stored() -> dict[str, dict]:
    "The results of every row evaluated so far, in the order of `ROWS`."
    return {row: torch.load(RESULTS / f"{row}.pt", weights_only=True) for row in ROWS if (RESULTS / f"{row}.pt").exists()}

def table(results: dict[str, dict], shown=(10, 50, 200)) -> str:
    "The markdown table: a line per row and shown ensemble size (the baselines at their one ensemble of 10 or 1)."
    lines = ["| method | ensembles | members: acc mean ± std | vote acc | mean-prob acc | NLL | Brier | ECE | disagreement "
             "| AUROC Fashion-MNIST | training wall-clock | image passes |", "|" + "---|" * 12]
    for row, r in results.items():
        acc = r["members"]["acc"]
        std = acc.std().item() if len(acc) > 1 else 0.0
        for size in [s for s in r["sizes"] if s in shown or s == max(r["sizes"])]:
            e = {k: v.double() for k, v in r["sizes"][size].items()}
            dis = "—" if size == 1 else f"{e['disagreement'].mean():.4f}"
            seconds = r["cost"]["seconds"]
            lines.append(f"| {r['label']} | {len(e['nll'])} × {size} | {acc.mean():.4f} ± {std:.4f} | "
                         f"{e['acc_majority'].mean():.4f} | {e['acc_mean_prob'].mean():.4f} | {e['nll'].mean():.4f} | "
                         f"{e['brier'].mean():.4f} | {e['ece'].mean():.4f} | {dis} | {e['auroc'].mean():.4f} | "
                         f"{'—' if seconds != seconds else f'{seconds / 3600:.2f} h'} | {r['cost']['image_passes']:,} |")
    return "\n".join(lines)

def plot_sizes(results: dict[str, dict], path: Path):
    "NLL, ECE and Fashion-MNIST AUROC against ensemble size: a line per hypernetwork, the baselines' points."
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for i, (row, r) in enumerate(results.items()):
        if row == "single": continue
        sizes = sorted(r["sizes"])
        sampled = bool(ROWS[row].checkpoint)
        for ax, key in zip(axes, ("nll", "ece", "auroc")):
            ax.plot(sizes, [r["sizes"][s][key].double().mean() for s in sizes], marker="o" if sampled else "s",
                    ls="-" if sampled else ":", ms=5 if sampled else 8, color=f"C{i}", label=r["label"])
    for ax, label in zip(axes, ("NLL (test)", "ECE (test)", "AUROC Fashion-MNIST (predictive entropy)")):
        ax.set(xscale="log", xlabel="networks per ensemble", ylabel=label)
        ax.set_xticks(list(SIZES), labels=[str(s) for s in SIZES])
    axes[2].legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.suptitle("MNIST at the papers' length: mean-probability ensembles at equal image passes")
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")

def figures(results: dict[str, dict]):
    "The member-accuracy histograms of λ = 10³ and 10⁵ side by side (arXiv:1801.01952 Fig. 2) and the sizes figure."
    FIGURES.mkdir(parents=True, exist_ok=True)
    pair = {results[r]["label"]: results[r]["members"]["acc"] for r in ("lam1e3", "lam1e5") if r in results}
    if pair:
        fig = plot_member_accuracy(pair, "MNIST, 4,000 sampled networks each (step 13,000)", binwidth=1e-4 * 2)
        fig.savefig(FIGURES / "mnist_long_members.png", dpi=110, bbox_inches="tight")
    plot_sizes(results, FIGURES / "mnist_long_sizes.png")

@call_parse
def main(phase: str,              # 'baselines', 'eval' or 'table'
         row: str = None,         # with eval: one of ROWS
         root: str = None,        # folder holding MNIST/raw (default $HYPERWEIGHTS_DATA or ~/.cache/hyperweights)
         ood_root: str = None,    # folder of Fashion-MNIST (default: its usual places)
         n: int = 4000,           # networks sampled from a hypernetwork
        ):
    if phase == "baselines":
        data = load_dataset("mnist", root=root)
        for key, b in baselines(data, PRESETS["mnist"].target()).items(): print(key, b)
    elif phase == "eval":
        if row not in ROWS: raise SystemExit(f"bench/mnist_long.py eval: --row must be one of {', '.join(ROWS)}; got {row!r}.")
        if ROWS[row].checkpoint and not (HERE / ROWS[row].checkpoint).exists():
            raise SystemExit(f"bench/mnist_long.py eval: {HERE / ROWS[row].checkpoint} is missing; train it first (see --help).")
        if not ROWS[row].checkpoint and not (RUNS / f"{row}.pt").exists():
            raise SystemExit(f"bench/mnist_long.py eval: {row} is not trained yet; run the baselines phase first.")
        evaluate(row, root, ood_root, n)
    elif phase == "table":
        results = stored()
        if not results: raise SystemExit("bench/mnist_long.py table: no row evaluated yet; run the eval phase first.")
        print(table(results)); print(PAPER)
        figures(results)
        record = {"rows": list(results), "table": table(results),
                  "dates": {r: v["date"] for r, v in results.items()}, "machine": {r: v["machine"] for r, v in results.items()}}
        (RESULTS / "table.json").write_text(json.dumps(record, indent=1))
    else: raise SystemExit(f"bench/mnist_long.py: phase must be baselines, eval or table; got {phase!r}.")
