"""Adversarial robustness on MNIST (`08_adversarial`): the papers' transfer attack (arXiv:1801.01952 §4.2.3, Fig. 8)
and white-box FGSM, PGD and PGD with EOT, against one generated network, a sampled ensemble, one conventionally
trained network and a deep ensemble of ten.

    python bench/adversarial.py --root $HYPERWEIGHTS_DATA --checkpoint bench/runs/mnist/step18000.pt

The deep ensemble is trained here (`--deep_steps` Adam steps of 32 images per network, the authors' init) and cached
in `bench/runs/mnist_baselines/`. Figures go to `bench/figures/adversarial_<dataset>_<checkpoint>/`; the table
(success rate: the fraction of correctly classified images that the attack makes wrong) is printed as markdown and
written with the machine and date to `bench/results/adversarial_<dataset>_<checkpoint>.json`.
"""
import json, platform, time
from pathlib import Path

import torch
import matplotlib
matplotlib.use("Agg")
from fastcore.script import call_parse

from hyperweights.hypernet import sample_weights
from hyperweights.train import load_run
from hyperweights.baselines import Baseline, conventional
from hyperweights.adversarial import (SampledEnsemble, FreshEnsemble, paper_protocol, success_curve, robust_accuracy,
                                      plot_paper_curves, plot_robustness)

HERE = Path(__file__).parent

def cached_deep_ensemble(spec, data, steps: int, dataset: str) -> Baseline:
    "Ten conventionally trained networks, trained once and kept in bench/runs/<dataset>_baselines/."
    path = HERE / "runs" / f"{dataset}_baselines" / f"deep10_steps{steps}.pt"
    if path.exists():
        d = torch.load(path, weights_only=True)
        return Baseline(d["name"], d["weights"], d["seconds"], d["image_passes"])
    b = conventional(spec, data, n=10, steps=steps, seed=1, progress=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"name": b.name, "weights": b.weights.cpu(), "seconds": b.seconds, "image_passes": b.image_passes}, path)
    return b

@call_parse
def main(checkpoint: str = "bench/runs/mnist/step18000.pt", # the authors used their 18,000-step checkpoint
         root: str = None, # folder with the dataset (default: $HYPERWEIGHTS_DATA)
         transfer_images: int = 1000, # test images for the papers' protocol
         images: int = 300, # test images for the white-box attacks
         n: int = 20, # members of the sampled ensemble under white-box attack
         eps: str = "0.05,0.1,0.2,0.3", # white-box radii
         steps: int = 10, # PGD steps
         deep_steps: int = 2000, # training steps of each deep-ensemble member
         seed: int = 0, # seeds the sampled networks
         device: str = "cpu", # 'cpu' or 'cuda'
        ):
    "Run the papers' transfer attack and the white-box attacks; print the table and write figures and results."
    import matplotlib.pyplot as plt
    start = time.time()
    (state, hnet, data), name = load_run(checkpoint, root, device), Path(checkpoint).stem
    spec, (x, y) = hnet.spec, data.test
    figures = HERE / "figures" / f"adversarial_{state['dataset']}_{name}"
    figures.mkdir(parents=True, exist_ok=True)
    results = {}

    paper = paper_protocol(hnet, x[:transfer_images], y[:transfer_images], seed=seed, progress=True)
    fig = plot_paper_curves(paper, f"{state['dataset']}, {name}: transfer attack (arXiv:1801.01952 Fig. 8)")
    fig.savefig(figures / "transfer.png", dpi=110, bbox_inches="tight"); plt.close(fig)
    results["transfer"] = {"eps_255": (paper["eps"] * 255).round().tolist(), "counted": int(paper["counted"].sum()),
                           "single": success_curve(paper, "single").tolist(), "ensemble": success_curve(paper, "ensemble").tolist()}
    print(f"transfer attack: {results['transfer']['counted']} images counted; {time.time() - start:.0f} s", flush=True)

    deep = cached_deep_ensemble(spec, data, deep_steps, state["dataset"])
    g = torch.Generator().manual_seed(seed + 1)
    sampled = SampledEnsemble(spec, sample_weights(hnet, n, g).to(device))
    models = {"one generated network": (SampledEnsemble(spec, sample_weights(hnet, 1, g).to(device)), None),
              f"{n} generated networks": (sampled, None),
              f"EOT on the generator, judged by {n} generated networks": (FreshEnsemble(hnet, 10, seed + 2), sampled),
              "one conventional network": (SampledEnsemble(spec, deep.weights[:1].to(device)), None),
              "deep ensemble of 10": (SampledEnsemble(spec, deep.weights.to(device)), None)}
    radii = [float(e) for e in eps.split(",")]
    xs, ys = x[:images], y[:images]
    results["white_box"] = {}
    for attack in ("fgsm", "pgd"):
        for model_name, (model, judge) in models.items():
            if model_name.startswith("EOT") and attack == "fgsm": continue
            kwargs = {"steps": steps} if attack == "pgd" else {}
            rows = robust_accuracy(model, xs, ys, radii, attack, judge=judge, **kwargs)
            results["white_box"][f"{attack.upper()}: {model_name}"] = rows
            print(f"{attack} {model_name}: {[round(r['success_rate'], 3) for r in rows]}; {time.time() - start:.0f} s", flush=True)
    fig = plot_robustness(results["white_box"], f"{state['dataset']}, {name}: white-box attacks ({images} images)")
    fig.savefig(figures / "white_box.png", dpi=110, bbox_inches="tight"); plt.close(fig)

    results["deep_ensemble"] = {"steps": deep_steps, "seconds": deep.seconds}
    results["meta"] = {"checkpoint": checkpoint, "machine": f"{platform.machine()} / {device} / torch {torch.__version__}",
                       "threads": torch.get_num_threads(), "date": time.strftime("%Y-%m-%d"), "wall_clock_s": time.time() - start}
    out = HERE / "results" / f"adversarial_{state['dataset']}_{name}.json"
    out.write_text(json.dumps(results, indent=1))
    print("| attack and model | " + " | ".join(f"ε = {e}" for e in radii) + " |\n|---|" + "---|" * len(radii))
    for key, rows in results["white_box"].items():
        print(f"| {key} | " + " | ".join(f"{r['success_rate']:.3f}" for r in rows) + " |")
    tr = results["transfer"]
    for e in (12, 26, 52):
        i = tr["eps_255"].index(e)
        print(f"transfer at ε = {e}/255: single {tr['single'][i]:.3f}, ensemble {tr['ensemble'][i]:.3f}")
    print(f"wrote {out} and {figures}/ in {time.time() - start:.0f} s")
