"""The ResNet-32 rows of arXiv:1905.02898 Table 1 on CIFAR-10: the papers' generator (`HyperNetwork`, one weight
generator per layer, BatchNorm scales and shifts included) for He et al.'s ResNet-32, trained with and without the
entropy term, beside one ResNet-32 trained by SGD (`bench/wrn_cifar.py --model resnet --depth 32`).

    python bench/resnet32_cifar.py --row hyper --epochs 10 --seconds 3000            # a sitting's share, then
    python bench/resnet32_cifar.py --row hyper --epochs 10 --seconds 3000 --resume
    python bench/resnet32_cifar.py --row hyper_no_entropy --epochs 10
    python bench/wrn_cifar.py --model resnet --depth 32 --epochs 10                 # row (a): SGD, one network
    python bench/resnet32_cifar.py --summary                                        # every finished run beside Table 1

Protocol. The paper gives neither its ResNet generator's sizes nor its optimiser settings (App. H lost them), so the
generator is `HyperNetwork`'s generic configuration for this target (code 15, extractor 300-300, generators
100-100 per layer: 12.2 M parameters) with the paper's normal noise and the close start of the CIFAR LeNet
(`start_spread=0.1`, `04_hypernet`), and the rest follows the CIFAR LeNet run: Adam at 10⁻⁴ decayed tenfold over
the run, λ = 10³, Ĥ over 5,000 random coordinates of the gauge-fixed weights (the target has 464,154; its residual
sums leave only the logit shift as a gauge), 8 networks × 16 images a step, each network its own images with the
standard crop-and-flip augmentation (as the SGD row, and as a 93.57% ResNet-32 needs). With the papers'
initialisation instead (`start_spread=None`) the generated ResNets do not leave chance: without Ĥ, at 3·10⁻⁴,
the training cross-entropy stays at 2.32–2.35 over 120 steps; with the close start it falls from 2.2 to 1.9 in
80 steps at 10⁻⁴ and at 3·10⁻⁵ alike (`bench/investigations/resnet32_start.py`, `bench/RESULTS.md`). The library's
CIFAR-10 split: 45,000 training images, 5,000 for validation. An epoch is 45,000 target image passes, so a run of E
epochs is E · 45,000 / 128 steps, the image passes of E epochs of SGD with batch 128.

Evaluation, as Table 1: 10 networks sampled (noise seed 0), each with its own BatchNorm statistics from one pass
over 5,000 training images (`batchnorm_statistics`; the paper's "one extra pass" over all training data is ten
times that), scored on the 10,000 test images: the members' mean accuracy ("Mean") and their majority vote
("Majority"), with the mean-probability ensemble beside them. Checkpoints (the library's `Trainer`, resumable
bitwise) every `--checkpoint_every` steps and when `--seconds` are up, in `bench/runs/resnet32_cifar/<row>_<E>ep/`;
results in `bench/results/resnet32_cifar_<row>_<E>ep.json`.
"""
import json, math, time, warnings
from pathlib import Path

import torch
from fastcore.script import call_parse

from hyperweights.data import cifar10
from hyperweights.modules import module_target, batchnorm_statistics
from hyperweights.resnets import CifarResNet
from hyperweights.hypernet import HyperNetwork, HyperNetConfig, sample_weights
from hyperweights.entropy import KLEntropy, NoDiversity
from hyperweights.train import Trainer, TrainConfig, Objective, load_checkpoint
from hyperweights.evaluate import majority_vote
from cifar_lenet import cifar_root  # the CIFAR-10 folder rule every CIFAR bench shares
from wrn_cifar import machine

HERE = Path(__file__).parent
OBJECTIVES = {"hyper": Objective(lam=1e3, diversity=KLEntropy(coords=5000)),
              "hyper_no_entropy": Objective(lam=1e3, diversity=NoDiversity())}
PAPER = {"hyper": (83.61, 90.37), "hyper_no_entropy": (88.20, 88.26)}  # Table 1 (d) and (c): members' mean, majority (%)
PAPER_SGD = 93.57  # Table 1 (a): one ResNet-32 trained by SGD with a decaying learning rate
N_NETS, PER_NET = 8, 16
CONFIG = HyperNetConfig(noise="normal", start_spread=0.1)  # the generic sizes, the paper's noise, the LeNet's close start

def resnet32_target():
    "ResNet-32 as a target (the warning that only the logit shift is a gauge is expected: residual sums)."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return module_target(CifarResNet(32), (3, 32, 32), "resnet32")

def trainer_for(row: str, data, epochs: int, seed: int, lr: float) -> Trainer:
    "A new trainer of `row` for `epochs` epochs of 45,000 image passes."
    steps = epochs * len(data.train[1]) // (N_NETS * PER_NET)
    config = TrainConfig(steps=steps, seed=seed, n_nets=N_NETS, images_per_net=PER_NET, lr=lr,
                         lr_decay=0.1 ** (1 / steps), augment="crop_flip", val_every=10 ** 9, val_nets=N_NETS,
                         checkpoint_every=10 ** 9)  # no stepN.pt copies (150 MB each): `main` writes last.pt by chunks
    torch.manual_seed(seed)
    return Trainer(HyperNetwork(resnet32_target(), CONFIG), data, config, OBJECTIVES[row])

@torch.no_grad()
def evaluate(generator, data, n: int = 10, stat_images: int = 5000, batch: int = 500) -> dict:
    "Members' mean, majority-vote and mean-probability test accuracy of n sampled networks (own BN statistics each)."
    generator.eval()
    spec, (x, y) = generator.spec, data.test
    thetas = sample_weights(generator, n, torch.Generator().manual_seed(0))
    stats = batchnorm_statistics(spec, thetas, data.train[0][:stat_images])
    logits = torch.cat([spec.forward(thetas, x[i:i + batch], buffers=stats) for i in range(0, len(x), batch)], 1)
    labels = logits.argmax(-1)
    members = (labels == y).float().mean(1)
    return {"members_acc": members.tolist(), "members_mean": members.mean().item(),
            "majority": (majority_vote(labels, 10) == y).float().mean().item(),
            "mean_prob": (logits.softmax(-1).mean(0).argmax(-1) == y).float().mean().item()}

def summary_table() -> str:
    "Every finished run beside Table 1 (the SGD row from bench/wrn_cifar.py's results)."
    lines = ["| row | epochs | members' mean | majority vote (10) | mean probability (10) | paper: mean, majority | training hours | date |",
             "|---|---|---|---|---|---|---|---|"]
    for p in sorted((HERE / "results").glob("wrn_cifar_resnet_32-*.json")):
        r = json.loads(p.read_text())
        lines.append(f"| (a) SGD, one ResNet-32 | {r['epochs']} | {100 * r['test_acc']:.2f} | — | — | {PAPER_SGD} | "
                     f"{r['train_seconds'] / 3600:.2f} | {r['date']} |")
    for p in sorted((HERE / "results").glob("resnet32_cifar_*.json")):
        r = json.loads(p.read_text())
        label = {"hyper": "(d) generator with Ĥ", "hyper_no_entropy": "(c) generator without Ĥ"}[r["row"]]
        lines.append(f"| {label} | {r['epochs']} | {100 * r['members_mean']:.2f} | {100 * r['majority']:.2f} | "
                     f"{100 * r['mean_prob']:.2f} | {PAPER[r['row']][0]}, {PAPER[r['row']][1]} | "
                     f"{r['train_seconds'] / 3600:.2f} | {r['date']} |")
    return "\n".join(lines)

@call_parse
def main(row: str = "hyper", # 'hyper' (λ·CE − Ĥ) or 'hyper_no_entropy'
         epochs: int = 200, # length of the run in epochs of 45,000 target image passes
         seconds: float = math.inf, # train this long in this call, then checkpoint and stop (continue with --resume)
         resume: bool = False, # continue the run from its last.pt
         lr: float = 1e-4, # Adam's learning rate at step 0 (decayed tenfold over the run)
         seed: int = 0, # seeds the generator, the noise, the data order and the augmentation
         checkpoint_every: int = 200, # steps between checkpoints
         threads: int = None, # torch CPU threads (None: torch's default)
         device: str = "cpu", # 'cpu' or 'cuda'
         root: str = None, # CIFAR-10 folder; None: $HYPERWEIGHTS_DATA/cifar10-jpeg if there, else $HYPERWEIGHTS_DATA
         summary: bool = False, # only print the table of finished runs
        ):
    "Train (or continue) one generator; at the end of its run, score 10 sampled networks on the test set."
    if summary: return print(summary_table())
    if row not in OBJECTIVES: raise SystemExit(f"bench/resnet32_cifar.py: --row must be one of {', '.join(OBJECTIVES)}; got {row!r}.")
    if epochs < 1 or seconds <= 0 or not lr > 0: raise SystemExit("bench/resnet32_cifar.py: --epochs, --seconds and --lr must be positive.")
    if threads: torch.set_num_threads(threads)
    name = f"{row}_{epochs}ep"
    folder = HERE / "runs" / "resnet32_cifar" / name
    if (folder / "last.pt").exists() and not resume:
        raise SystemExit(f"bench/resnet32_cifar.py: {folder}/last.pt holds a run already; pass --resume to continue it.")
    if resume and not (folder / "last.pt").exists():
        raise SystemExit(f"bench/resnet32_cifar.py: nothing to resume in {folder}; leave out --resume to start the run.")
    data = cifar10(cifar_root(root), device=device)
    trainer = trainer_for(row, data, epochs, seed, lr)
    if resume:
        trainer.load_state_dict(load_checkpoint(folder / "last.pt"))
        print(f"resumed {name} at step {trainer.step:,} of {trainer.config.steps:,}", flush=True)
    print(f"{name}: {trainer.generator.spec.num_params:,} target weights, generator of "
          f"{sum(p.numel() for p in trainer.generator.parameters()):,} parameters, {trainer.config.steps:,} steps of "
          f"{N_NETS} × {PER_NET} images", flush=True)
    began, last_print = time.time(), trainer.step
    def stop():
        nonlocal last_print
        if trainer.step - last_print >= 50 and trainer.history["train"]:  # the trainer logs every `log_every` steps
            r = trainer.history["train"][-1]
            print(f"step {trainer.step:,}: CE {r['ce']:.3f}, train acc {r['acc']:.3f}, "
                  f"{(time.time() - began) / (trainer.step - start):.2f} s/step", flush=True)
            last_print = trainer.step
        return time.time() - began >= seconds
    start = trainer.step
    while trainer.step < trainer.config.steps and time.time() - began < seconds:  # last.pt after every chunk
        trainer.fit(folder, steps=min(trainer.config.steps, trainer.step + checkpoint_every), stop=stop)
    seconds_here = time.time() - began
    log = folder / "seconds.json"  # training wall-clock, summed over the calls that made the run
    total = (json.loads(log.read_text())["seconds"] if log.exists() and resume else 0.0) + seconds_here
    log.write_text(json.dumps({"seconds": total, "step": trainer.step}))
    if trainer.step < trainer.config.steps:
        return print(f"stopped at step {trainer.step:,} of {trainer.config.steps:,}; continue with --resume", flush=True)
    result = evaluate(trainer.generator, data)
    record = {"row": row, "epochs": epochs, "steps": trainer.config.steps, "lr": lr, "seed": seed, **result,
              "paper_mean_majority": PAPER[row], "train_seconds": total,
              "machine": machine(device),
              "date": time.strftime("%Y-%m-%d")}
    (HERE / "results" / f"resnet32_cifar_{name}.json").write_text(json.dumps(record, indent=1))
    print(f"{name}: members {100 * result['members_mean']:.2f}%, majority {100 * result['majority']:.2f}%, "
          f"mean probability {100 * result['mean_prob']:.2f}% (paper {PAPER[row]}) after {total / 3600:.2f} h", flush=True)
