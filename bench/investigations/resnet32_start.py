"""Where the papers' generator for ResNet-32 starts on CIFAR-10: does the training cross-entropy leave chance?

The generator of `bench/resnet32_cifar.py` (`HyperNetwork`'s generic sizes for the target, normal noise, no entropy term, 8
networks × 16 crop-and-flipped images a step) trained for a few dozen steps from the papers' initialisation and from
the close start of the CIFAR LeNet (`HyperNetConfig(start_spread=0.1)`, `04_hypernet`), at a few Adam learning rates.
Prints the mean training cross-entropy over every 20 steps (ln 10 = 2.303 is chance).

    python bench/investigations/resnet32_start.py --threads 1     # about 7 minutes on one core
"""
import sys, time, warnings
from pathlib import Path

import torch
from fastcore.script import call_parse

sys.path.insert(0, str(Path(__file__).parents[1]))
from hyperweights.data import cifar10
from hyperweights.hypernet import HyperNetwork, HyperNetConfig
from hyperweights.train import Trainer, TrainConfig, Objective
from hyperweights.entropy import NoDiversity
from resnet32_cifar import resnet32_target
from cifar_lenet import cifar_root

RUNS = [("papers' init", None, 3e-4, 120), ("start_spread=0.1", 0.1, 1e-4, 80), ("start_spread=0.1", 0.1, 3e-5, 80)]

@call_parse
def main(root: str = None, # CIFAR-10 folder (see bench/cifar_lenet.py)
         threads: int = None, # torch CPU threads
        ):
    if threads: torch.set_num_threads(threads)
    data = cifar10(cifar_root(root))
    for name, spread, lr, steps in RUNS:
        torch.manual_seed(0)
        generator = HyperNetwork(resnet32_target(), HyperNetConfig(noise="normal", start_spread=spread))
        trainer = Trainer(generator, data, TrainConfig(steps=steps, n_nets=8, images_per_net=16, lr=lr, log_every=1,
                                                       val_every=10 ** 9, augment="crop_flip"),
                          Objective(lam=1e3, diversity=NoDiversity()))
        began, ces = time.time(), []
        for _ in range(steps): ces.append(float(trainer.train_step()["ce"]))
        means = [sum(ces[i:i + 20]) / 20 for i in range(0, steps, 20)]
        print(f"{name}, lr {lr:g}: mean CE per 20 steps {' '.join(f'{m:.3f}' for m in means)} "
              f"({(time.time() - began) / steps:.2f} s/step)", flush=True)
