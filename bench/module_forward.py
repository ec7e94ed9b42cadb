"""Speed of the three ways to evaluate N generated networks of an ordinary `nn.Module` (`05b_modules`), on the
MNIST target rebuilt as an `nn.Sequential` by `materialize`: the batched `TargetSpec` forward that
`module_target` picks for a plain conv/linear chain, the general `ModuleSpec` path (`vmap` over
`functional_call`, forced with `fast=False`), and a Python loop over `load_state_dict`-ed modules.

    python bench/module_forward.py --nets 50 --images 2000 --chunk 250 --repeats 3

Two workloads: evaluation (N networks on shared images, no gradient) and a training step's target pass
(N networks on their own images, forward and backward to the weights). Times are the best of `repeats`;
ratios are to the `TargetSpec` path, measured in the same run.
"""
import platform, time, warnings

import torch
from fastcore.script import call_parse

from hyperweights.targets import mnist_net, materialize, forward
from hyperweights.modules import module_target

def best(fn, repeats: int) -> float:
    "The shortest wall-clock of `repeats` calls of `fn`, after one warm-up call."
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter(); fn(); times.append(time.perf_counter() - start)
    return min(times)

def training_pass(spec, flat, x):
    "Forward and backward of N networks on their own images, to the weights."
    leaf = flat.detach().requires_grad_()
    forward(spec, leaf, x).logsumexp(-1).sum().backward()

@call_parse
def main(nets: int = 50, # networks evaluated together
         images: int = 2000, # shared test images in the evaluation workload
         chunk: int = 250, # images per forward call in the evaluation workload
         train_nets: int = 32, # networks in the training workload
         train_images: int = 32, # images per network in the training workload
         repeats: int = 3, # timed calls per method; the best is reported
        ):
    "Time the TargetSpec path, the vmap path and a loop over modules, and print the ratios."
    torch.manual_seed(0)
    mnist = mnist_net()
    flat = torch.randn(nets, mnist.num_params) * 0.05
    module = materialize(mnist, flat[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast, general = module_target(module, (1, 28, 28)), module_target(module, (1, 28, 28), fast=False)
    chunks = torch.rand(images, 1, 28, 28).split(chunk)  # as `predict` does, a few hundred images per call
    batched = lambda spec: [forward(spec, flat, x) for x in chunks]
    loop = lambda: [torch.stack([materialize(mnist, t)(x) for t in flat]) for x in chunks]
    with torch.no_grad():
        evaluation = {"TargetSpec (batched)": best(lambda: batched(fast), repeats),
                      "ModuleSpec (vmap)": best(lambda: batched(general), repeats),
                      "loop over modules": best(loop, repeats)}
    xt, ft = torch.rand(train_nets, train_images, 1, 28, 28), flat[:train_nets]
    def loop_train():
        for t, xi in zip(ft, xt):
            net = materialize(mnist, t)
            net(xi).logsumexp(-1).sum().backward()
    training = {"TargetSpec (batched)": best(lambda: training_pass(fast, ft, xt), repeats),
                "ModuleSpec (vmap)": best(lambda: training_pass(general, ft, xt), repeats),
                "loop over modules": best(loop_train, repeats)}
    print(f"{platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads, {time.strftime('%Y-%m-%d')}")
    print(f"| method | evaluation, {nets} nets × {images} images | ratio | training pass, {train_nets} nets × "
          f"{train_images} images | ratio |\n|---|---|---|---|---|")
    for name in evaluation:
        print(f"| {name} | {evaluation[name]:.3f} s | {evaluation[name] / evaluation['TargetSpec (batched)']:.2f} | "
              f"{training[name]:.3f} s | {training[name] / training['TargetSpec (batched)']:.2f} |")
