"""A/B of `TrainConfig.target_chunk` (networks per target forward/backward chunk) for the MNIST hypernetwork
step, interleaved in one process so that machine noise hits every setting alike.

    python bench/investigations/target_chunk.py [--reps 8] [--device cpu|cuda]
"""
import statistics, time

import torch
from fastcore.script import call_parse

from hyperweights.targets import mnist_net
from hyperweights.hypernet import HyperNetwork
from hyperweights.train import TrainConfig, training_loss

@call_parse
def main(reps: int = 8, # interleaved repetitions per setting
         chunks: str = "0,2,4,8,16", # settings to compare (0: all 32 networks at once)
         device: str = "cuda" if torch.cuda.is_available() else "cpu", # where to run
        ):
    spec, g = mnist_net(), torch.Generator().manual_seed(0)
    x, y = torch.rand(32, 32, 1, 28, 28, generator=g).to(device), torch.randint(0, 10, (32, 32), generator=g).to(device)
    torch.manual_seed(0)
    hnet = HyperNetwork(spec).to(device)
    opt = torch.optim.Adam(hnet.parameters(), 3e-4)
    def step(chunk):
        terms = training_loss(hnet, hnet.sample_noise(32, g), x, y, 1e3, TrainConfig(target_chunk=chunk))
        opt.zero_grad(); terms["loss"].backward(); opt.step()
        if device == "cuda": torch.cuda.synchronize()
    times = {int(c): [] for c in chunks.split(",")}
    for c in times: step(c)  # warm-up
    for _ in range(reps):
        for c in times:
            start = time.perf_counter(); step(c); times[c].append(time.perf_counter() - start)
    base = statistics.median(times[0]) if 0 in times else None
    for c, t in times.items():
        ratio = f"  ({base / statistics.median(t):.2f}x faster than one chunk)" if base else ""
        print(f"target_chunk={c:2d}: median {statistics.median(t) * 1e3:.0f} ms over {reps}{ratio}")
