"""Throughput of `predict` (eval-mode batched evaluation on shared images) against its chunk shape:
networks × images per forward call. This VM's speed drifts by ±30% over minutes, so the shapes are measured
in interleaved rounds and the median is reported.

    python bench/investigations/eval_budget.py [--device cpu|cuda] [--nets 32] [--images 1024]
"""
import time

import torch
from fastcore.script import call_parse

from hyperweights.targets import mnist_net
from hyperweights.evaluate import predict

def rate(fn, work: int, seconds: float = 1.0) -> float:
    "Network-images per second of `fn`, which evaluates `work` network-images, over at least `seconds`."
    fn(); start, calls = time.perf_counter(), 0
    while calls == 0 or time.perf_counter() - start < seconds:
        fn(); calls += 1
    return calls * work / (time.perf_counter() - start)

@call_parse
def main(nets: int = 32,      # generated networks
         images: int = 1024,  # shared images
         shapes: str = "1x256,1x64,1x32,4x64,8x32,16x16,32x8,32x32,128x512", # networks x images per call
         rounds: int = 5,     # interleaved measurements per shape
         device: str = "cuda" if torch.cuda.is_available() else "cpu", # where to run
        ):
    spec, g = mnist_net(), torch.Generator().manual_seed(0)
    thetas = (torch.randn(nets, spec.num_params, generator=g) * 0.05).to(device)
    x = torch.rand(images, 1, 28, 28, generator=g).to(device)
    def run(k, b):
        out = predict(spec, thetas, x, budget=k * b, images_per_chunk=b)
        if device == "cuda": torch.cuda.synchronize()
        return out
    shapes = [tuple(map(int, s.split("x"))) for s in shapes.split(",")]
    rates = {s: [] for s in shapes}
    for _ in range(rounds):
        for k, b in shapes:
            rates[k, b].append(rate(lambda: run(k, b), nets * images, 0))
    where = torch.cuda.get_device_name() if device == "cuda" else f"{torch.get_num_threads()} CPU threads"
    print(f"predict, {nets} networks x {images} images, {where}, median (min-max) of {rounds} rounds:")
    for (k, b), r in rates.items():
        r = sorted(r)
        print(f"  {k:3d} networks x {b:3d} images per call: {r[len(r) // 2]:,.0f} ({r[0]:,.0f}-{r[-1]:,.0f}) network-images/s")
