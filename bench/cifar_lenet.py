"""The LeNet rows of arXiv:1905.02898 Table 1 on CIFAR-10 (a JPEG copy): (a) one network trained by SGD with a
decaying learning rate, (b) 10 independent constant-learning-rate SGD chains, (c) a hypernetwork without the
entropy term and (d) a hypernetwork with it; members' mean accuracy and the 10-member majority vote on the test
split. The paper reports (a) 77.36, (b) 74.95 / 80.60, (c) 76.26 / 76.47, (d) 72.34 / 78.21.

    python bench/cifar_lenet.py   # the run in bench/RESULTS.md; --root names the data folder

Plain SGD (no momentum) and the authors' init, batch 64 for the conventional rows; the hypernetworks use
`lenet_config()` (which starts the networks close, `start_spread=0.1`), Adam at 1e-5, λ = 1e3, 16 networks ×
32 images per step and the entropy over 5,000 random coordinates.
Every row's training wall-clock is reported with it. The table is printed as markdown and written with the
machine and date to `bench/results/cifar_lenet.json`.
"""
import json, platform, time
from pathlib import Path

import torch
from fastcore.script import call_parse

from hyperweights.data import cifar10, default_root
from hyperweights.targets import lenet_cifar
from hyperweights.entropy import KLEntropy, NoDiversity
from hyperweights.train import TrainConfig, Objective
from hyperweights.baselines import conventional, sampled_hypernetwork
from hyperweights.ensembles import compare_methods

HERE = Path(__file__).parent
PAPER = {"SGD, decaying lr": (77.36, None), "10 constant-lr SGD chains": (74.95, 80.60),
         "hypernetwork without entropy": (76.26, 76.47), "hypernetwork with entropy": (72.34, 78.21)}

def cifar_root(root):
    "The folder to read CIFAR-10 from: `root`, else a JPEG copy under the data folder if there is one, else the data folder."
    if root is not None: return root
    jpeg = default_root() / "cifar10-jpeg"
    return jpeg if jpeg.is_dir() else default_root()

@call_parse
def main(root: str = None, # CIFAR-10 as torchvision's archive or an ImageFolder tree; None: $HYPERWEIGHTS_DATA/cifar10-jpeg if there, else $HYPERWEIGHTS_DATA
         sgd_steps: int = 20000, # steps of the conventional networks
         sgd_lr: float = 0.05, # SGD learning rate at step 0 (rows a and b)
         sgd_decay: float = 0.99988, # row (a)'s learning rate is multiplied by this after every step
         chain_lr: float = 0.02, # the constant learning rate of the chains of row (b)
         hn_steps: int = 4000, # steps of each hypernetwork
         hn_lr: float = 1e-5, # Adam learning rate of the hypernetworks (bench/investigations/cifar_lenet_start.py chose it)
         n_nets: int = 16, # networks per hypernetwork step
         entropy_coords: int = 5000, # coordinates the entropy is estimated on
         lam: float = 1e3, # λ of the hypernetworks
         seed: int = 0, # seeds every row
        ):
    "Train the four LeNet rows on CIFAR-10 and write the table."
    start = time.time()
    data, spec = cifar10(cifar_root(root)), lenet_cifar()
    sgd = dict(optimizer="sgd", batch=64, seed=seed)
    hn = TrainConfig(steps=hn_steps, lr=hn_lr, n_nets=n_nets, images_per_net=32,
                     val_every=max(hn_steps // 4, 1), val_nets=20, seed=seed, checkpoint_every=10**9)
    with_entropy = Objective(lam=lam, diversity=KLEntropy(coords=entropy_coords))
    methods = [conventional(spec, data, 1, sgd_steps, lr=sgd_lr, lr_decay=sgd_decay, name="SGD, decaying lr", **sgd),
               conventional(spec, data, 10, sgd_steps, lr=chain_lr, lr_decay=1.0, name="10 constant-lr SGD chains", **sgd),
               sampled_hypernetwork(spec, data, hn, Objective(lam=lam, diversity=NoDiversity()), n=10,
                            name="hypernetwork without entropy"),
               sampled_hypernetwork(spec, data, hn, with_entropy, n=10, name="hypernetwork with entropy")]
    rows = compare_methods(spec, data, methods)
    meta = {"command": "python bench/cifar_lenet.py " + " ".join(f"--{k} {v}" for k, v in dict(
                sgd_steps=sgd_steps, sgd_lr=sgd_lr, sgd_decay=sgd_decay, chain_lr=chain_lr, hn_steps=hn_steps, hn_lr=hn_lr,
                n_nets=n_nets, entropy_coords=entropy_coords, lam=lam, seed=seed).items()),
            "machine": f"{platform.machine()} / cpu / torch {torch.__version__}", "threads": torch.get_num_threads(),
            "date": time.strftime("%Y-%m-%d"), "wall_clock_s": time.time() - start}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "cifar_lenet.json").write_text(json.dumps({"rows": rows, "meta": meta}, indent=1))
    print("| CIFAR-10 (JPEG copy), LeNet | members mean | 10-member vote | paper mean | paper vote | train s |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        paper_mean, paper_vote = PAPER[row["method"]]
        vote = f"{100 * row['vote acc']:.2f}" if row["method"] != "SGD, decaying lr" else "–"
        print(f"| {row['method']} | {100 * row['members acc']:.2f} | {vote} | {paper_mean} | {paper_vote or '–'} "
              f"| {row['train s']:.0f} |")
    print(f"wrote bench/results/cifar_lenet.json in {time.time() - start:.0f} s")
