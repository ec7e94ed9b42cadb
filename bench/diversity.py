"""The diversity analyses of `07_diversity` on a trained MNIST checkpoint: filter images (arXiv:1801.01952 Fig. 3),
PCA scatter grids (Fig. 6), paths in weight space (Fig. 7), nearest-neighbour distances and functional diversity.

    python bench/diversity.py --root $HYPERWEIGHTS_DATA --checkpoint bench/runs/mnist/step13000.pt
    python bench/diversity.py --root $HYPERWEIGHTS_DATA --checkpoint bench/runs/mnist/step13000.pt \
        --lams 1e2,1e3,1e4,1e5 --sweep_steps 500 --sweep_n 50      # adds short runs for the λ sweep

Figures go to `bench/figures/diversity_<checkpoint>/` as PNG files; the numbers (the path table: each pair's
minimum accuracy on the interpolated and on the direct path) are printed as markdown and written with the machine
and date to `bench/results/diversity_<checkpoint>.json`. The paths evaluate pairs × points × 2 networks on the
10,000 test images (800 networks by default: about 10 minutes on one CPU core). With `--lams`, the λ sweep trains
one short run per λ with the checkpoint's dataset and the paper's configuration otherwise (`lambda_sweep`), and
scores `--sweep_n` networks of each on the test split.
"""
import json, platform, time
from pathlib import Path

import torch
import matplotlib
matplotlib.use("Agg")
from fastcore.script import call_parse

from hyperweights.hypernet import sample_weights
from hyperweights.train import TrainConfig, load_run
from hyperweights.diversity import (plot_filters, filter_variance, constant_filters, pca, pca_sets, plot_pca_grid,
                                    path_accuracies, plot_paths, path_table, neighbour_distances,
                                    plot_neighbour_distances, functional_diversity, lambda_sweep, plot_lambda_sweep)

HERE = Path(__file__).parent

def filter_panels(spec, seed: int) -> list[tuple[int, int, int]]:
    "Fig. 3's panels (layer, filter, input channel): two first-layer filters, one of each later layer at a random channel."
    g = torch.Generator().manual_seed(seed)
    pick = lambda n: int(torch.randint(n, (1,), generator=g))
    first = torch.randperm(spec.layers[0].out_channels, generator=g)[:2].tolist()
    panels = [(0, first[0], 0), (0, first[1], 0)]
    reads = [spec.input_shape] + spec.activation_shapes()  # reads[i]: the shape layer i reads
    for i, layer in enumerate(spec.layers[1:], start=1):
        channels = reads[i][0] if len(reads[i]) == 3 else 1
        panels.append((i, pick(layer.out_channels), pick(channels)))
    return panels

@call_parse
def main(checkpoint: str = "bench/runs/mnist/step13000.pt", # a trained hypernetwork checkpoint
         root: str = None, # folder with the dataset's files (default: $HYPERWEIGHTS_DATA)
         pairs: int = 10, # path pairs
         points: int = 40, # networks along each path
         pca_samples: int = 3000, # samples for the PCA grids
         nn_samples: int = 1000, # samples for the nearest-neighbour distances
         seed: int = 1212, # seeds the samples (the authors' PCA seed)
         device: str = "cpu", # 'cpu' or 'cuda'
         lams: str = "", # comma-separated λ values for the sweep; empty: no sweep
         baselines: str = "", # a file of conventionally trained networks (as bench/adversarial.py caches them) to compare distances with
         parts: str = "filters,pca,distances,functional,paths", # the analyses to run (a subset writes its own results file)
         sweep_steps: int = 500, # training steps of each sweep run
         sweep_n: int = 50, # networks scored per sweep run
        ):
    "Run the diversity analyses on one checkpoint and write figures and a results file."
    import matplotlib.pyplot as plt
    (state, hnet, data), name = load_run(checkpoint, root, device), Path(checkpoint).stem
    spec, (x, y) = hnet.spec, data.test
    figures = HERE / "figures" / f"diversity_{state['dataset']}_{name}"
    figures.mkdir(parents=True, exist_ok=True)
    start, results = time.time(), {}

    todo = set(parts.split(","))
    for layer, unit, channel in (filter_panels(spec, seed) if "filters" in todo else []):
        fig = plot_filters(hnet, layer, unit, channel, seed=seed)
        fig.savefig(figures / f"filters_layer{layer + 1}_unit{unit}_channel{channel}.png", dpi=110, bbox_inches="tight")
        plt.close(fig)
    if "filters" in todo:
        variances = filter_variance(spec, sample_weights(hnet, 500, torch.Generator().manual_seed(seed)))
        results["filter_variance"] = {f"layer {i + 1}": {"min": v.min().item(), "median": v.median().item(), "max": v.max().item()}
                                      for i, v in enumerate(variances)}
        results["constant_filters"] = constant_filters(variances)

    samples = sample_weights(hnet, pca_samples, torch.Generator().manual_seed(seed)) if "pca" in todo else None
    results["pca_explained"] = {}
    for set_name, where in (pca_sets(spec).items() if "pca" in todo else []):
        scores, explained = pca(samples[:, where])
        results["pca_explained"][set_name] = explained.tolist()
        fig = plot_pca_grid(scores, f"{set_name} ({pca_samples:,} samples)", explained)
        fig.savefig(figures / f"pca_{set_name.replace(' ', '_').replace(',', '')}.png", dpi=90, bbox_inches="tight")
        plt.close(fig)

    others = torch.load(baselines, weights_only=True)["weights"].to(device) if baselines else None
    if "distances" in todo:
        generated = sample_weights(hnet, nn_samples, torch.Generator().manual_seed(seed + 1))
        distances = neighbour_distances(generated, others)
        if others is not None:
            distances = dict(zip(["generated ↔ generated", "conventional → generated", "conventional ↔ conventional"], distances.values()))
        fig = plot_neighbour_distances(distances)
        fig.savefig(figures / "neighbour_distances.png", dpi=110, bbox_inches="tight"); plt.close(fig)
        results["nn_distance_median"] = {k: v.median().item() for k, v in distances.items()}
        results["nn_distance_min"] = {k: v.min().item() for k, v in distances.items()}
    if "functional" in todo:
        ten = sample_weights(hnet, 10, torch.Generator().manual_seed(seed + 2))
        results["functional_diversity_10"] = functional_diversity(spec, ten, x, y)
        if others is not None: results["functional_diversity_conventional"] = functional_diversity(spec, others, x, y)

    if "paths" in todo:
        paths = path_accuracies(hnet, x, y, pairs=pairs, points=points, seed=seed, progress=True)
        fig = plot_paths(paths)
        fig.savefig(figures / "paths.png", dpi=110, bbox_inches="tight"); plt.close(fig)
        results["paths"] = {"t": paths["t"].tolist(), "interpolated": paths["interpolated"].tolist(), "direct": paths["direct"].tolist()}
        results["path_table"] = path_table(paths)

    if lams:
        config = TrainConfig(**{**state["train_config"], "steps": sweep_steps, "val_every": sweep_steps, "val_nets": 50,
                                "checkpoint_every": sweep_steps})
        sweep = lambda_sweep(spec, data, [float(v) for v in lams.split(",")], config, n=sweep_n, seed=0)
        fig = plot_lambda_sweep(sweep)
        fig.savefig(figures / f"lambda_sweep_{sweep_steps}steps.png", dpi=110, bbox_inches="tight"); plt.close(fig)
        results["lambda_sweep"] = {"steps": sweep_steps, "networks": sweep_n, "rows": sweep}
        print("| λ | Ĥ | members (mean) | majority vote |\n|---|---|---|---|")
        for r in sweep: print(f"| {r['lam']:.0e} | {r['entropy']:.1f} | {r['acc_mean']:.4f} | {r['acc_majority']:.4f} |")

    results["meta"] = {"checkpoint": checkpoint, "machine": f"{platform.machine()} / {device} / torch {torch.__version__}",
                       "threads": torch.get_num_threads(), "date": time.strftime("%Y-%m-%d"),
                       "wall_clock_s": time.time() - start}
    suffix = "" if todo == {"filters", "pca", "distances", "functional", "paths"} else "_" + "_".join(sorted(todo))
    out = HERE / "results" / f"diversity_{state['dataset']}_{name}{suffix}.json"
    out.write_text(json.dumps(results, indent=1))
    if "paths" in todo:
        print(f"| pair | interpolated min | direct min |\n|---|---|---|")
        for i, (a, b) in enumerate(zip(paths["interpolated"].min(1).values, paths["direct"].min(1).values)):
            print(f"| {i + 1} | {a:.4f} | {b:.4f} |")
        print({k: round(v, 4) for k, v in results["path_table"].items()})
    for key in ("nn_distance_median", "nn_distance_min", "functional_diversity_10", "functional_diversity_conventional"):
        if key in results: print(key, {k: round(v, 4) for k, v in results[key].items()})
    print(f"wrote {out} and {figures}/ in {time.time() - start:.0f} s")
