"""Does PyTorch's unbiased BatchNorm running variance cost the generated networks accuracy?

TF-1's `batch_norm`, which the authors' code used, keeps an EMA of the *biased* batch variance; PyTorch's
`BatchNorm1d` keeps one of the *unbiased* variance, larger by n/(n-1) for a batch of n rows. Training normalises
with the batch's own (biased) variance in both, so only evaluation, which uses the running statistics, differs.
The spec calls the difference negligible. The rows per BN layer are 32 in the extractor and 32 × filters in each
weight generator, so the largest factor is 32/31 (3%), in the extractor and in the whole-layer generator W4.

This script measures it: it rebuilds the checkpoint's trainer and validates it exactly as training does (the
run's own 200 validation z, the 5,000 validation images), as trained, then again with every running variance
multiplied by (n-1)/n, i.e. with TF's biased EMA, and prints both.

    python bench/investigations/bn_running_var.py --checkpoint bench/runs/mnist/step13000.pt
"""
import time

from torch import nn
from fastcore.script import call_parse

from hyperweights.data import mnist
from hyperweights.hypernet import HyperNetwork
from hyperweights.train import Trainer

def bn_rows(hnet: HyperNetwork, n_nets: int) -> list[int]:
    "Rows each MLP's BatchNorm layers normalise over in a training step of `n_nets` noise vectors."
    return [n_nets, *(n_nets * k for k in hnet.codes_per_layer)]

def use_biased_running_var(hnet: HyperNetwork, n_nets: int):
    "Rescale every running variance from PyTorch's unbiased EMA to TF's biased one, in place."
    for mlp, n in zip([hnet.extractor, *hnet.generators], bn_rows(hnet, n_nets)):
        for m in mlp:
            if isinstance(m, nn.BatchNorm1d): m.running_var.mul_((n - 1) / n)

@call_parse
def main(checkpoint: str = "bench/runs/mnist/step13000.pt", # hypernetwork checkpoint to validate
         root: str = None,                      # folder holding MNIST/raw (default $HYPERWEIGHTS_DATA or ~/.cache/hyperweights)
        ):
    t0 = time.time()
    trainer = Trainer.from_checkpoint(checkpoint, data=mnist(root))
    print("as trained (PyTorch, unbiased running variance):", trainer.validate(), flush=True)
    use_biased_running_var(trainer.generator, trainer.config.n_nets)
    print("TF's biased running variance:", trainer.validate(), flush=True)
    print(f"{time.time() - t0:.0f} s")
