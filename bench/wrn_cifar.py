"""Ha et al.'s wide residual networks on CIFAR-10 (arXiv:1609.09106 §4.2, Table 2): WRN 40-k trained conventionally
against Hyper 40-k, the same network whose every 3×3 kernel is tiled from 16×16×3×3 basic kernels that one static
hypernetwork generates from 64-d embeddings (`hyperweights.static_hypernet.wrn_config`).

    python bench/wrn_cifar.py --model wrn   --widen 1 --epochs 10 --seconds 3000        # a sitting's share, then
    python bench/wrn_cifar.py --model wrn   --widen 1 --epochs 10 --seconds 3000 --resume
    python bench/wrn_cifar.py --model hyper --widen 1 --epochs 10 --seconds 3000
    python bench/wrn_cifar.py --summary                                                 # every run, one table

Protocol (that of the wide ResNets Ha et al. compare with, Zagoruyko and Komodakis, arXiv:1605.07146): the library's
CIFAR-10 split (45,000 training images; the 5,000 validation images give the curve), images in [0, 1], the standard
crop-and-flip augmentation (`hyperweights.data.crop_flip`), batches of 128, SGD with Nesterov momentum 0.9 and
weight decay 5·10⁻⁴, learning rate 0.1 annealed to 0 by a cosine over `--epochs`. The papers train 200 epochs on
GPUs; on a 2-core CPU a run trains `--seconds` at a time and continues with `--resume` (checkpoints every
`--checkpoint_every` steps and when the time is up), so a long schedule spreads over several sittings without
being shortened. Both models run through the library: WRN as an ordinary `nn.Module`, Hyper as
`StaticHyperNetwork(module_target(WideResNet(...)))` whose flat weights the target's batched forward runs, with
BatchNorm statistics from `batchnorm_statistics` for evaluation. At the end the test accuracy goes to
`bench/results/wrn_cifar_<model>_40-<k>_<epochs>ep.json`; the run's folder is `bench/runs/wrn_cifar/<same name>/`.
"""
import json, math, platform, time, warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from fastcore.script import call_parse

from hyperweights.data import cifar10, DistinctBatches
from hyperweights.modules import module_target, batchnorm_statistics
from hyperweights.resnets import WideResNet, CifarResNet
from hyperweights.static_hypernet import StaticHyperNetwork, wrn_config
from cifar_lenet import cifar_root  # the CIFAR-10 folder rule every CIFAR bench shares

HERE = Path(__file__).parent
warnings.filterwarnings("ignore", message="No rescaling gauge")  # no entropy term here, so no gauge is needed
PAPER = {("wrn", 40, 1): (6.73, 0.563), ("hyper", 40, 1): (8.02, 0.097), ("wrn", 40, 2): (5.66, 2.236),
         ("hyper", 40, 2): (7.23, 0.148),  # arXiv:1609.09106 Table 2: test error (%), parameters (millions)
         ("resnet", 32, 1): (6.43, 0.464)}  # arXiv:1905.02898 Table 1 (a): 93.57% for one SGD-trained ResNet-32

class Conventional(torch.nn.Module):
    "A network trained as it is: WRN depth-widen, or He et al.'s ResNet-depth (`--model resnet`, widen unused)."
    def __init__(self, net):
        super().__init__()
        self.net = net
    def forward(self, x): return self.net(x)
    def evaluator(self, train_images):
        "The network in evaluation mode (its own running statistics)."
        self.eval()
        return self.net

class Hyper(torch.nn.Module):
    "WRN depth-widen whose kernels a static hypernetwork generates; the batched target forward runs them."
    def __init__(self, depth, widen):
        super().__init__()
        self.spec = module_target(WideResNet(depth, widen), (3, 32, 32))
        self.generator = StaticHyperNetwork(self.spec, wrn_config())
    def weights(self): return self.generator(self.generator.sample_noise(1))  # [1, P]
    def forward(self, x): return self.spec.forward(self.weights(), x)[0]
    def evaluator(self, train_images):
        "The generated weights with BatchNorm statistics from `train_images`."
        self.eval()
        flat = self.weights()
        stats = batchnorm_statistics(self.spec, flat, train_images)
        return lambda x: self.spec.forward(flat, x, buffers=stats)[0]

MODELS = {"wrn": lambda depth, widen: Conventional(WideResNet(depth, widen)),
          "resnet": lambda depth, widen: Conventional(CifarResNet(depth)),  # arXiv:1905.02898 Table 1 (a), for bench/resnet32_cifar.py
          "hyper": Hyper}

def machine(device: str) -> str:
    "The GPU's name, or the CPU's architecture and threads, with torch's version: for the results files."
    where = torch.cuda.get_device_name(device) if device.startswith("cuda") else f"{platform.machine()} CPU, {torch.get_num_threads()} threads"
    return f"{where}, torch {torch.__version__}"

def trained_parameters(model) -> int: return sum(p.numel() for p in model.parameters() if p.requires_grad)

@torch.no_grad()
def accuracy(model, images, labels, train_images, batch: int = 500) -> float:
    "Top-1 accuracy with BatchNorm in evaluation mode (Hyper: statistics from `train_images`)."
    was_training = model.training
    run = model.evaluator(train_images)
    correct = sum((run(images[i:i + batch]).argmax(-1) == labels[i:i + batch]).sum().item()
                  for i in range(0, len(images), batch))
    model.train(was_training)
    return correct / len(images)

def run_name(model: str, depth: int, widen: int, epochs: int) -> str: return f"{model}_{depth}-{widen}_{epochs}ep"

def summary_table() -> str:
    "Every finished run beside Ha et al.'s Table 2."
    lines = ["| model | epochs | trained parameters | test error | paper: error, parameters | training hours | date |",
             "|---|---|---|---|---|---|---|"]
    for p in sorted((HERE / "results").glob("wrn_cifar_*.json")):
        r = json.loads(p.read_text())
        paper_error, paper_m = PAPER.get((r["model"], r["depth"], r["widen"]), ("—", "—"))
        label = {"wrn": "WRN", "hyper": "Hyper", "resnet": "ResNet"}[r["model"]] + f" {r['depth']}" + ("" if r["model"] == "resnet" else f"-{r['widen']}")
        lines.append(f"| {label} | {r['epochs']} | {r['trained_parameters']:,} | {100 * (1 - r['test_acc']):.2f}% | "
                     f"{paper_error}%, {paper_m} M | {r['train_seconds'] / 3600:.2f} | {r['date']} |")
    return "\n".join(lines)

@call_parse
def main(model: str = "wrn", # 'wrn' (trained conventionally), 'hyper' (Ha et al.'s static hypernetwork) or 'resnet' (He et al.'s)
         depth: int = 40, # 6n + 4 (wrn, hyper); 6n + 2 for resnet
         widen: int = 1, # k of WRN depth-k: 1 or 2 in Table 2
         epochs: int = 200, # length of the cosine schedule, in passes over the 45,000 training images
         seconds: float = math.inf, # train this long in this call, then checkpoint and stop (continue with --resume)
         resume: bool = False, # continue the run from its last.pt
         batch: int = 128, # images per step
         lr: float = 0.1, # SGD learning rate at step 0
         seed: int = 0, # seeds the init, the data order and the augmentation
         checkpoint_every: int = 200, # steps between checkpoints
         val_every: int = 0, # steps between validations (0: once an epoch)
         threads: int = None, # torch CPU threads (None: torch's default)
         device: str = "cpu", # 'cpu' or 'cuda'; a run may continue on another device
         root: str = None, # CIFAR-10 folder; None: $HYPERWEIGHTS_DATA/cifar10-jpeg if there, else $HYPERWEIGHTS_DATA
         summary: bool = False, # only print the table of finished runs
        ):
    "Train (or continue) one model; at the end of its schedule, score it on the test set and save the result."
    if summary: return print(summary_table())
    if model not in MODELS: raise SystemExit(f"bench/wrn_cifar.py: --model must be one of {', '.join(MODELS)}; got {model!r}.")
    if epochs < 1 or batch < 1 or seconds <= 0: raise SystemExit("bench/wrn_cifar.py: --epochs, --batch and --seconds must be positive.")
    if model == "resnet" and widen != 1: raise SystemExit("bench/wrn_cifar.py: --model resnet has no width; leave out --widen.")
    if threads: torch.set_num_threads(threads)
    name = run_name(model, depth, widen, epochs)
    folder = HERE / "runs" / "wrn_cifar" / name
    if (folder / "last.pt").exists() and not resume:
        raise SystemExit(f"bench/wrn_cifar.py: {folder}/last.pt holds a run already; pass --resume to continue it.")
    if resume and not (folder / "last.pt").exists():
        raise SystemExit(f"bench/wrn_cifar.py: nothing to resume in {folder}; leave out --resume to start the run.")
    data = cifar10(cifar_root(root), device=device)
    steps_per_epoch = len(data.train[1]) // batch
    total, val_every = epochs * steps_per_epoch, val_every or steps_per_epoch
    torch.manual_seed(seed)
    net = MODELS[model](depth, widen).to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, total)
    batches = DistinctBatches(*data.train, 1, batch, seed=seed, augment="crop_flip")
    state = {"step": 0, "train_seconds": 0.0, "history": []}
    if resume:
        saved = torch.load(folder / "last.pt", weights_only=False, map_location="cpu")  # load_state_dict moves it to the device
        net.load_state_dict(saved["model"]); optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"]); batches.load_state_dict(saved["batches"])
        state = saved["state"]
        print(f"resumed {name} at step {state['step']:,} of {total:,} ({state['train_seconds'] / 3600:.2f} h trained)", flush=True)

    def checkpoint():
        folder.mkdir(parents=True, exist_ok=True)
        torch.save({"model": net.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
                    "batches": batches.state_dict(), "state": state,
                    "args": dict(model=model, depth=depth, widen=widen, epochs=epochs, batch=batch, lr=lr, seed=seed)},
                   folder / "last.pt.tmp")
        (folder / "last.pt.tmp").replace(folder / "last.pt")  # a kill mid-write never loses the last checkpoint

    print(f"{name}: {trained_parameters(net):,} trained parameters, {total:,} steps of {batch}", flush=True)
    net.train()
    began, loss_sum, seen = time.time(), 0.0, 0
    while state["step"] < total and time.time() - began < seconds:
        images, labels = next(batches)
        started = time.time()
        loss = F.cross_entropy(net(images[0]), labels[0])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step(); schedule.step()
        state["train_seconds"] += time.time() - started
        state["step"] += 1
        loss_sum, seen = loss_sum + loss.item(), seen + 1
        if state["step"] % val_every == 0 or state["step"] == total:
            val = accuracy(net, *data.val, data.train[0][:5000])
            state["history"].append({"step": state["step"], "train_loss": loss_sum / seen, "val_acc": val,
                                     "train_seconds": state["train_seconds"]})
            print(f"step {state['step']:,}: train loss {loss_sum / seen:.3f}, validation accuracy {val:.4f}, "
                  f"{state['train_seconds'] / state['step']:.2f} s/step", flush=True)
            loss_sum, seen = 0.0, 0
        if state["step"] % checkpoint_every == 0: checkpoint()
    checkpoint()
    if state["step"] < total:
        return print(f"stopped at step {state['step']:,} of {total:,}; continue with --resume", flush=True)
    test_acc = accuracy(net, *data.test, data.train[0])
    record = {"model": model, "depth": depth, "widen": widen, "epochs": epochs, "batch": batch, "lr": lr, "seed": seed,
              "steps": total, "trained_parameters": trained_parameters(net), "test_acc": test_acc,
              "paper_test_error": PAPER.get((model, depth, widen), (None,))[0], "train_seconds": state["train_seconds"],
              "machine": machine(device),
              "date": time.strftime("%Y-%m-%d"), "history": state["history"]}
    (HERE / "results" / f"wrn_cifar_{name}.json").write_text(json.dumps(record, indent=1))
    print(f"{name}: test accuracy {test_acc:.4f} (error {100 * (1 - test_acc):.2f}%; "
          f"paper {record['paper_test_error']}%) after {state['train_seconds'] / 3600:.2f} h of training", flush=True)
