"""How far TF32 moves the batched target forward from the float32 CPU oracle, per conv implementation: the
largest absolute logit difference against a loop over `materialize`d networks, on the data of the oracle test
in `01_targets` (seed 1), with TF32 allowed (PyTorch's default for cuDNN convolutions) and with it off. Needs CUDA.

    python bench/investigations/tf32_error.py
"""
import torch
from hyperweights.targets import mnist_net, materialize, forward, CONV_IMPLS
spec, gen = mnist_net(), torch.Generator().manual_seed(1)
theta = torch.randn(4, spec.num_params, generator=gen) * 0.2
x = torch.rand(4, 6, 1, 28, 28, generator=gen)
with torch.no_grad():
    ref = torch.stack([materialize(spec, t)(xi) for t, xi in zip(theta, x)])
    for tf32 in (True, False):
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = tf32
        print("TF32", tf32, {impl: f"{(forward(spec, theta.cuda(), x.cuda(), impl).cpu() - ref).abs().max().item():.2e}" for impl in CONV_IMPLS})
