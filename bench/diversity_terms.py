"""What each diversity term does to the functions a hypernetwork generates, on digits: the papers' weight-space
entropy across λ and switched off, and the function-space terms of `hyperweights.function_diversity` across λ.

    python bench/diversity_terms.py --seeds 0          # one seed, every recipe (about 15 minutes on 2 CPU cores)
    python bench/diversity_terms.py --seeds 0 1 2 --recipes kl_1e3 none kernel_1e1

Every run is the digits protocol of `06_ensembles` (600 steps of 32 networks × 32 images; the probe images of a
function-space term are counted in the image passes), then 200 sampled networks. Per run the table has, on the
validation split (for choosing λ) and on the test split: mean member accuracy, the 200-network vote and
mean-probability accuracy, the vote's gain over the members, the ensemble's NLL, the pairwise disagreement, the
mean pairwise KL divergence between members' predictions, the ensemble's mutual information on the test images
and on uniform noise, the AUROC for inverted digits and for noise (by predictive entropy), and, in weight space,
the papers' Ĥ of the gauge-fixed samples. Results go to `bench/results/diversity_terms_seed<seed>.json`; the
figure, of functional diversity against the weight-space entropy, to `bench/figures/diversity_terms.png`.
"""
import json, platform, time
from dataclasses import replace
from pathlib import Path

import torch
from fastcore.script import call_parse, Param, store_true

from hyperweights.data import digits
from hyperweights.targets import digits_net, forward
from hyperweights.entropy import KLEntropy, NoDiversity, weight_entropy
from hyperweights.function_diversity import OutputEntropy, KernelRepulsion, MutualInformation
from hyperweights.train import TrainConfig, Objective
from hyperweights.baselines import sampled_hypernetwork
from hyperweights.evaluate import predict
from hyperweights.ensembles import compare_methods, disjoint_groups, group_metrics, foreign_images

HERE = Path(__file__).parent
RECIPES = {  # name -> (λ, diversity term)
    **{f"kl_{lam:.0e}".replace("+0", ""): (lam, KLEntropy()) for lam in (1e2, 1e3, 1e4, 1e5, 1e6)},
    "none": (1e3, NoDiversity()),
    **{f"output_{lam:.0e}".replace("+0", ""): (lam, OutputEntropy()) for lam in (1e2, 1e3, 1e4)},
    **{f"kernel_{lam:.0e}".replace("+0", ""): (lam, KernelRepulsion()) for lam in (1.0, 10.0, 100.0)},
    **{f"kernel_noise_{lam:.0e}".replace("+0", ""): (lam, KernelRepulsion(probe=16, noise_probe=16)) for lam in (1.0, 10.0, 100.0)},
    **{f"mi_noise_{lam:.0e}".replace("+0", ""): (lam, MutualInformation()) for lam in (1.0, 10.0, 100.0)},
}

def mean_pairwise_kl(probs: torch.Tensor) -> float:
    "Mean over ordered pairs i ≠ j of members of KL(p_i ‖ p_j), averaged over images; probs `[K, n, C]`."
    log_p = probs.clamp_min(1e-12).log().double()
    p = probs.double()
    cross = torch.einsum("inc,jnc->ijn", p, log_p)             # Σ_c p_i log p_j
    self_term = (p * log_p).sum(-1)                            # Σ_c p_i log p_i
    kl = (self_term[:, None] - cross).mean(-1)                 # [K, K]
    k = len(probs)
    return (kl.sum() / (k * (k - 1))).item()

def functional(spec, thetas, x, y, noise) -> dict:
    "Diversity of the networks' predictions on (x, y), and their disagreement on noise."
    k = len(thetas)
    pred = predict(spec, thetas, x, y=y, groups=disjoint_groups(k, k, x.device))
    ens = group_metrics(pred, y)
    on_noise = group_metrics(predict(spec, thetas, noise, y=torch.zeros(len(noise), dtype=torch.long, device=x.device),
                                     groups=disjoint_groups(k, k, x.device)), torch.zeros(len(noise), dtype=torch.long, device=x.device))
    with torch.no_grad():
        probs = forward(spec, thetas[:50], x).softmax(-1)
    members = (pred["labels"] == y).double().mean(-1)
    return {"members acc": members.mean().item(), "vote acc": ens["acc_majority"].item(),
            "mean-prob acc": ens["acc_mean_prob"].item(), "vote gain": ens["acc_majority"].item() - members.mean().item(),
            "NLL": ens["nll"].item(), "disagreement": ens["disagreement"].item(), "pairwise KL": mean_pairwise_kl(probs),
            "MI": ens["mutual_information"].item(), "MI noise": on_noise["mutual_information"].item()}

def run(name: str, seed: int, data, spec) -> dict:
    lam, term = RECIPES[name]
    config = TrainConfig(steps=600, val_every=600, val_nets=100, seed=seed)
    started = time.time()
    method = sampled_hypernetwork(spec, data, config, Objective(lam=lam, diversity=term), n=200, name=name)
    noise = foreign_images("noise", data.test[0])
    foreign = {"inverted": foreign_images("inverted", data.test[0]), "noise": noise}
    test_row = compare_methods(spec, data, [method], ensemble=200, foreign=foreign)[0]
    row = {"recipe": name, "lam": lam, "term": type(term).__name__, "seed": seed, "image passes": method.image_passes,
           "train s": method.seconds, "weight Ĥ": weight_entropy(method.weights, d=300).item(),
           "test": {**functional(spec, method.weights, *data.test, noise),
                    "AUROC inverted": test_row["AUROC inverted"], "AUROC noise": test_row["AUROC noise"]},
           "val": functional(spec, method.weights, *data.val, noise)}
    print(f"{name:>16} seed {seed}: members {row['test']['members acc']:.4f} vote {row['test']['vote acc']:.4f} "
          f"NLL {row['test']['NLL']:.4f} disagree {row['test']['disagreement']:.4f} KL {row['test']['pairwise KL']:.4f} "
          f"MI noise {row['test']['MI noise']:.3f} AUROC inv {row['test']['AUROC inverted']:.3f} "
          f"Ĥ {row['weight Ĥ']:.0f} ({time.time() - started:.0f} s)", flush=True)
    return row

def plot(rows: list[dict], path: Path):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    families = {"KLEntropy": "C0", "NoDiversity": "k", "OutputEntropy": "C1", "KernelRepulsion": "C2", "MutualInformation": "C3"}
    for ax, key, label in zip(axes, ("disagreement", "pairwise KL", "MI noise"),
                              ("pairwise disagreement (test)", "mean pairwise KL (test, nats)", "mutual information on noise (nats)")):
        for r in rows:
            colour = families[r["term"]]
            marker = "s" if "noise" in r["recipe"] else "o"
            ax.scatter(r["test"]["members acc"], r["test"][key], color=colour, marker=marker)
            ax.annotate(r["recipe"], (r["test"]["members acc"], r["test"][key]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        ax.set(xlabel="mean member accuracy (test)", ylabel=label)
    handles = [plt.Line2D([], [], color=c, marker="o", ls="", label=n) for n, c in families.items()]
    fig.legend(handles=handles, loc="upper center", ncol=5, frameon=False, bbox_to_anchor=(0.5, 1.02))
    fig.suptitle("Digits, 600 steps, 200 sampled networks: what each diversity term does to the predictions", y=1.07)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")

@call_parse
def main(seeds: Param("seeds to run", int, nargs="+") = (0,),
         recipes: Param("recipes to run (default all of RECIPES)", str, nargs="+") = None,
         plot_only: Param("redraw the figure from the stored results", store_true) = False,
        ):
    names = list(recipes or RECIPES)
    unknown = [n for n in names if n not in RECIPES]
    if unknown: raise SystemExit(f"Unknown recipes {unknown}; choose from {', '.join(RECIPES)}.")
    results = HERE / "results"
    if not plot_only:
        data, spec = digits(), digits_net()
        for seed in seeds:
            path = results / f"diversity_terms_seed{seed}.json"
            stored = json.loads(path.read_text()) if path.exists() else {"rows": []}
            done = {r["recipe"] for r in stored["rows"]}
            for name in names:
                if name in done: continue
                stored["rows"].append(run(name, seed, data, spec))
                stored.update(machine=f"{platform.machine()} CPU, {torch.get_num_threads()} threads, torch {torch.__version__}",
                              date=time.strftime("%Y-%m-%d"))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(stored, indent=1))  # after every run: an interrupted sweep resumes
    rows = [r for p in sorted(results.glob("diversity_terms_seed*.json")) for r in json.loads(p.read_text())["rows"]]
    plot([r for r in rows if r["seed"] == seeds[0]], HERE / "figures" / "diversity_terms.png")
