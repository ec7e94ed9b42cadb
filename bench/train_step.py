"""Time one hypernetwork training step against a plain Adam step of one MNIST target net on the same 1,024
images, compare both with the FLOP floor (multiply-adds / measured float32 matmul rate), compare the batched
conv implementations, time batched evaluation of many generated networks on shared test images, and profile
the hypernetwork step. Everything printed is measured in this one run.

    python bench/train_step.py [--device cpu|cuda] [--eval_nets 1000] [--eval_images 10000]
"""
import platform, statistics, time
from dataclasses import replace

import torch
import torch.nn.functional as F
from fastcore.script import call_parse

from hyperweights.targets import mnist_net, materialize, forward, CONV_IMPLS
from hyperweights.hypernet import HyperNetwork, sample_weights
from hyperweights.evaluate import predict
from hyperweights.train import Trainer, TrainConfig, training_loss
from hyperweights.data import ImageData

def sync(device):
    if device == "cuda": torch.cuda.synchronize()

def median_time(fn, device, reps: int, warmup: int = 2) -> float:
    for _ in range(warmup): fn()
    times = []
    for _ in range(reps):
        sync(device); start = time.perf_counter(); fn(); sync(device); times.append(time.perf_counter() - start)
    return statistics.median(times)

def target_macs_per_image(spec) -> int:
    "Multiply-adds of one forward pass of the target on one image."
    macs, shape = 0, spec.input_shape
    for layer, out in zip(spec.layers, spec.activation_shapes()):
        if layer.kind == "conv":
            h = shape[1] + 2 * layer.padding - layer.kernel_size + 1
            macs += layer.out_channels * h * h * layer.fan_in
        else:
            macs += layer.out_channels * layer.fan_in
        shape = out
    return macs

def matmul_rate(device, n=2048) -> float:
    "Measured float32 multiply-adds per second of an n×n matmul."
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    return n ** 3 / median_time(lambda: a @ b, device, reps=10)

@call_parse
def main(device: str = "cuda" if torch.cuda.is_available() else "cpu", # where to run
         reps: int = 10,           # timed repetitions per measurement (median reported)
         eval_nets: int = 1000,    # generated networks in the batched-evaluation timing
         eval_images: int = 10000, # shared test images in the batched-evaluation timing
         profile: bool = True,     # print a profile of the hypernetwork step
        ):
    spec, g = mnist_net(), torch.Generator().manual_seed(0)
    print(f"machine: {platform.node()} {platform.machine()}, {torch.get_num_threads()} threads, device {device}"
          f"{' ' + torch.cuda.get_device_name() if device == 'cuda' else ''}, torch {torch.__version__}")
    x, y = torch.rand(32, 32, 1, 28, 28, generator=g).to(device), torch.randint(0, 10, (32, 32), generator=g).to(device)
    fake = ImageData("bench", (x.flatten(0, 1), y.flatten()), (x[0], y[0]), (x[0], y[0]), 10)
    torch.manual_seed(0)
    trainer = Trainer(HyperNetwork(spec), fake, TrainConfig())
    def hyper_step():  # exactly Trainer.train_step's work, on the fixed 32×32 images
        terms = training_loss(trainer.generator, trainer.generator.sample_noise(32, trainer.noise), x, y, trainer.lam, trainer.config,
                              trainer.objective)
        trainer.optimizer.zero_grad(set_to_none=True); terms["loss"].backward(); trainer.optimizer.step()
    net = materialize(spec, sample_weights(trainer.generator, 1)[0]).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xf, yf = x.flatten(0, 1), y.flatten()
    def plain_step():
        loss = F.cross_entropy(net(xf), yf); opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    t_hyper, t_plain = median_time(hyper_step, device, reps), median_time(plain_step, device, reps)
    rate = matmul_rate(device)
    step_macs = 3 * target_macs_per_image(spec) * 1024  # forward + two backward products per layer
    floor = step_macs / rate
    print(f"float32 matmul rate: {rate / 1e9:.1f} GMAC/s; target step on 1,024 images: {step_macs / 1e9:.2f} GMAC "
          f"-> FLOP floor {floor * 1e3:.1f} ms")
    print(f"hypernetwork step: {t_hyper * 1e3:.1f} ms   plain Adam step: {t_plain * 1e3:.1f} ms   "
          f"ratio hyper/plain: {t_hyper / t_plain:.2f}x   hyper/floor: {t_hyper / floor:.1f}x   plain/floor: {t_plain / floor:.1f}x")

    theta, default_config = sample_weights(trainer.generator, 32).requires_grad_(), trainer.config
    for impl in CONV_IMPLS:
        def fwd_bwd(): forward(spec, theta, x, impl).logsumexp(-1).sum().backward()
        trainer.config = replace(default_config, conv_impl=impl)
        print(f"conv impl {impl:13s}: target forward+backward, 32 nets x 32 own images: "
              f"{median_time(fwd_bwd, device, max(3, reps // 2)) * 1e3:.1f} ms; "
              f"whole hypernetwork step: {median_time(hyper_step, device, max(3, reps // 2)) * 1e3:.1f} ms")
    trainer.config = default_config

    thetas = sample_weights(trainer.generator, eval_nets)
    test = torch.rand(eval_images, 1, 28, 28, generator=g).to(device)
    t_eval = median_time(lambda: predict(spec, thetas, test), device, reps=1, warmup=0)
    per_s = eval_nets * eval_images / t_eval
    print(f"batched evaluation: {eval_nets} nets x {eval_images} shared images in {t_eval:.1f} s = "
          f"{per_s:,.0f} network-images/s; FLOP floor {rate / target_macs_per_image(spec):,.0f}/s "
          f"(ratio {rate / target_macs_per_image(spec) / per_s:.1f}x)")
    if profile:
        from torch.profiler import profile as prof
        with prof() as p: hyper_step()
        print(p.key_averages().table(sort_by="self_device_time_total" if device == "cuda" else "self_cpu_time_total", row_limit=12))
