"""Reproduce the MNIST training of Deutsch et al. and report test-set numbers.

Phase `train` trains the paper's configuration (13,000 steps, seed 8734, checkpoint every 1,000 steps) and
resumes from `<out>/last.pt` when it exists, so the run can be spread over several sittings.
Phase `eval` samples networks from a checkpoint, evaluates each once on the 10,000 test images, forms the
majority-vote ensembles from those predictions, and writes `bench/results/mnist_repro.json`. It saves the test
labels in chunks under `<out>/eval_<checkpoint>_n<networks>/` and prints its progress after each; run the same command
again after an interruption and it resumes from the saved chunks (`bench/investigations/check_eval_resume.py`
checks that the resumed labels equal an uninterrupted run's).

    python bench/reproduce_mnist.py train --root $HYPERWEIGHTS_DATA --out bench/runs/mnist
    python bench/reproduce_mnist.py eval  --root $HYPERWEIGHTS_DATA --out bench/runs/mnist --n_networks 4000

The reported numbers are those at step 13,000. The authors' scripts used other checkpoints: 11,000 for the histograms and ensembles, 18,000 for the adversarial tests. So the run trains
on to 18,000 (`train --steps 18000` resumes from `last.pt`) and evaluating at each of them, e.g.
`eval --checkpoint step11000.pt --result bench/results/mnist_repro_step11000.json`.
`train --gauge code` trains a new run with the authors' sum gauge of the logit biases instead of the paper's mean;
`bench/RESULTS.md` compares the two.
"""
import json, platform, time
from pathlib import Path

import torch
from fastcore.script import call_parse

from hyperweights.data import mnist
from hyperweights.targets import mnist_net
from hyperweights.hypernet import HyperNetwork, sample_weights
from hyperweights.evaluate import predict, majority_vote
from hyperweights.train import (Trainer, TrainConfig, load_hypernet, plot_history, save_checkpoint, load_checkpoint,
                               CheckpointError)

def machine() -> str:
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU ({torch.get_num_threads()} threads)"
    return f"{platform.node()} / {platform.processor() or platform.machine()} / {device} / torch {torch.__version__}"

def train(root, out: Path, steps: int, device: str, seed: int, val_every: int | None, gauge: str):
    data = mnist(root, device=device)
    # Validation draws its own fixed noise and nothing from the data order, so its interval leaves training unchanged.
    overrides = {"steps": steps} | ({"val_every": val_every} if val_every else {})
    if (out / "last.pt").exists():
        trainer = Trainer.from_checkpoint(out / "last.pt", data=data, **overrides)
        print(f"resuming at step {trainer.step}")
    else:
        torch.manual_seed(seed)
        trainer = Trainer(HyperNetwork(mnist_net()), data, TrainConfig(seed=seed, gauge=gauge, **overrides))
    start, t0 = trainer.step, time.time()
    while trainer.step < steps:  # one chunk of 100 steps at a time, so progress shows in the log
        trainer.fit(out, steps=min(steps, trainer.step + 100), progress=False)
        rate = (time.time() - t0) / max(1, trainer.step - start)
        last = trainer.history["train"][-1] if trainer.history["train"] else {}
        print(f"step {trainer.step}: {rate:.2f} s/step (incl. validation), train CE {last.get('ce', float('nan')):.4f}, "
              f"acc {last.get('acc', float('nan')):.4f}, entropy {last.get('entropy', float('nan')):.1f}", flush=True)
        if trainer.history["val"] and trainer.history["val"][-1]["step"] == trainer.step:
            print("  validation:", {k: round(v, 5) for k, v in trainer.history["val"][-1].items()}, flush=True)
    plot_history(trainer.history, f"MNIST, λ=1e3, seed {trainer.config.seed}, {trainer.config.gauge} gauge").savefig(out / "training_curve.png", dpi=120)

def chunked_labels(hnet, thetas, x, y, folder: Path, chunk: int, step: int) -> torch.Tensor:
    """Test labels `[K, n]` of K networks, predicted `chunk` networks at a time. Each chunk is saved under `folder`
    (atomically, by `save_checkpoint`), and a rerun loads the chunks it finds, so an interrupted evaluation resumes where
    it stopped. On CPU `predict` runs one network per call, so a resumed run gives the same labels bit for bit."""
    parts, correct, t0, predicted = [], 0.0, time.time(), 0
    for i in range(0, len(thetas), chunk):
        j = min(i + chunk, len(thetas))
        path = folder / f"labels_{i:06d}_{j:06d}.pt"
        try: saved = load_checkpoint(path)
        except (FileNotFoundError, CheckpointError): saved = None  # not yet predicted, or damaged: predict it
        if saved is None or saved["step"] != step:  # a chunk from another checkpoint is never reused
            saved = {"step": step, "labels": predict(hnet.spec, thetas[i:j], x)["labels"].to(torch.uint8).cpu()}
            save_checkpoint(saved, path)
            predicted += j - i
        parts.append(saved["labels"].long().to(x.device))
        correct += (parts[-1] == y).float().mean(1).sum().item()
        rate = (time.time() - t0) / max(predicted, 1)
        pace = f"{rate:.2f} s/network, about {rate * (len(thetas) - j) / 60:.0f} min left" if predicted else f"loaded {path.name}"
        print(f"networks {j}/{len(thetas)}: mean accuracy so far {correct / j:.4f}, {pace}", flush=True)
    return torch.cat(parts)

def evaluate(root, out: Path, checkpoint: str, n_networks: int, ensembles: int, ensemble_size: int, device: str,
             result_path: Path, chunk: int):
    data, t0 = mnist(root, device=device), time.time()
    state = load_checkpoint(out / checkpoint)
    hnet, step = load_hypernet(state, device), state["step"]
    thetas = sample_weights(hnet, n_networks, torch.Generator().manual_seed(8734))
    x, y = data.test
    folder = out / f"eval_{Path(checkpoint).stem}_n{n_networks}"
    labels = chunked_labels(hnet, thetas, x, y, folder, chunk, step)
    acc = (labels == y).float().mean(1)
    groups = torch.arange(ensembles * ensemble_size).view(ensembles, ensemble_size) % n_networks
    if ensembles * ensemble_size > n_networks:  # not enough networks for disjoint ensembles: random subsets
        g = torch.Generator().manual_seed(0)
        groups = torch.stack([torch.randperm(n_networks, generator=g)[:ensemble_size] for _ in range(ensembles)])
    ens = torch.stack([(majority_vote(labels[idx], 10) == y).float().mean() for idx in groups])
    q = torch.quantile(acc, torch.tensor([0.05, 0.5, 0.95], device=acc.device)).tolist()
    result = {"checkpoint": checkpoint, "step": step, "split": "test (10,000 images)",
              "n_networks": n_networks, "individual_mean": acc.mean().item(), "individual_std": acc.std().item(),
              "individual_p05": q[0], "individual_p50": q[1], "individual_p95": q[2],
              "ensembles": ensembles, "ensemble_size": ensemble_size, "disjoint_ensembles": ensembles * ensemble_size <= n_networks,
              "majority_mean": ens.mean().item(), "majority_std": ens.std().item(),
              "eval_seconds": time.time() - t0, "machine": machine(), "date": time.strftime("%Y-%m-%d")}
    print(json.dumps(result, indent=2))
    result_path.parent.mkdir(parents=True, exist_ok=True)
    result_path.write_text(json.dumps(result, indent=2))

@call_parse
def main(phase: str,                       # 'train' or 'eval'
         root: str = None,     # folder holding MNIST/raw (default $HYPERWEIGHTS_DATA or ~/.cache/hyperweights)
         out: str = "bench/runs/mnist",    # checkpoint folder
         steps: int = 13_000,              # training steps (paper: 13,000)
         seed: int = 8734,                 # seed of a new run (paper: 8734); a resumed run keeps its own
         val_every: int = None,            # validation interval (default: the run's own, 1,000); training is unaffected
         gauge: str = "paper",             # gauge of a new run: 'paper' (mean logit shift, the default) or 'code' (the authors' sum); a resumed run keeps its own
         checkpoint: str = "step13000.pt", # checkpoint to evaluate
         n_networks: int = 4000,           # sampled networks for the individual statistics
         ensembles: int = 20,              # number of majority-vote ensembles
         ensemble_size: int = 200,         # networks per ensemble
         device: str = "cuda" if torch.cuda.is_available() else "cpu", # where to run
         result: str = "bench/results/mnist_repro.json", # where the eval phase writes its numbers
         chunk: int = 250,                 # networks per saved chunk of test labels; an interrupted eval resumes from them
        ):
    out = Path(out)
    if phase == "train": train(root, out, steps, device, seed, val_every, gauge)
    elif phase == "eval": evaluate(root, out, checkpoint, n_networks, ensembles, ensemble_size, device, Path(result), chunk)
    else: raise SystemExit(f"Unknown phase {phase!r}: use 'train' or 'eval'.")
