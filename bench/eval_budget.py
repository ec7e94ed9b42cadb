"""Throughput of `predict` (eval-mode batched evaluation on shared images) against its chunk budget
(network-images per forward call), and of `forward` for several (networks, images) chunk shapes.

    python bench/eval_budget.py
"""
import time

import torch
from fastcore.script import call_parse

from hyperweights.targets import mnist_net, forward
from hyperweights.train import predict

def rate(fn, work: int, seconds: float = 1.0) -> float:
    "Network-images per second of `fn`, which evaluates `work` network-images, over at least `seconds`."
    fn(); start, calls = time.perf_counter(), 0
    while calls == 0 or time.perf_counter() - start < seconds:
        fn(); calls += 1
    return calls * work / (time.perf_counter() - start)

@call_parse
def main(nets: int = 64,      # generated networks
         images: int = 2048,  # shared images
         budgets: str = "16384,4096,1024,256,64", # predict budgets to compare
        ):
    spec, g = mnist_net(), torch.Generator().manual_seed(0)
    thetas, x = torch.randn(nets, spec.num_params, generator=g) * 0.05, torch.rand(images, 1, 28, 28, generator=g)
    print(f"predict, {nets} networks x {images} images, {torch.get_num_threads()} threads:")
    for b in map(int, budgets.split(",")):
        print(f"  budget {b:6d}: {rate(lambda: predict(spec, thetas, x, budget=b), nets * images, 0):,.0f} network-images/s")
    print("forward, one call per chunk shape:")
    with torch.no_grad():
        for n, b in ((1, 256), (1, 64), (4, 64), (8, 32), (32, 8), (32, 512)):
            print(f"  {n:2d} networks x {b:3d} images: {rate(lambda: forward(spec, thetas[:n], x[:b]), n * b):,.0f} network-images/s")
