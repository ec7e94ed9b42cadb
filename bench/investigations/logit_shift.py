"""How much of the entropy estimate does each gauge mode leave to the logit shift?

A common shift c of a network's ten logit biases changes no prediction. The paper's gauge subtracts the mean of the
biases, so every shift maps to the same gauge-fixed vector. The authors' code subtracts the *sum*: b ↦ b − Σb, which
maps b + c·1 to (b − Σb) − 9c·1. That map is invertible, so in code mode the shift survives the gauge (scaled by −9)
and the generator can raise the nearest-neighbour entropy estimate by spreading the shift over z, at no cost in
accuracy.

For each checkpoint this script draws 200 networks from the eval-mode generator (noise seed 8734), gauge-fixes
them in the run's own mode, and prints:
- the spread over networks of the per-network shift, i.e. of the mean of the gauge-fixed logit biases
  (exactly 0 in paper mode; −9 × the mean of the unscaled biases in code mode);
- the median L1 distance from each network to its nearest neighbour, and the median share of it that lies in
  the ten logit biases;
- the training-time estimate Ĥ (L1, d = 300) of the 200 networks, and Ĥ of the same networks with the shift
  removed, i.e. gauge-fixed in paper mode.

    python bench/investigations/logit_shift.py --checkpoints bench/runs/mnist/step13000.pt,bench/runs/mnist_gauge_code/step13000.pt
"""
import torch
from fastcore.script import call_parse

from hyperweights.entropy import weight_entropy
from hyperweights.gauge import gauge_fix
from hyperweights.hypernet import sample_weights
from hyperweights.targets import unflatten
from hyperweights.train import load_checkpoint, load_hypernet

def logit_biases(spec, thetas: torch.Tensor) -> torch.Tensor:
    "The output layer's biases `[N, classes]` of flat weight vectors `[N, P]`."
    return unflatten(spec, thetas)[-1][..., -1]

def nearest_neighbour_bias_share(spec, thetas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per network, the L1 distance to its nearest neighbour and the share of it that lies in the logit biases.
    (`hyperweights.entropy.nearest_neighbour_distances` gives the distances but not which network is nearest.)"""
    dist = torch.cdist(thetas, thetas, p=1).fill_diagonal_(float("inf"))
    nearest_dist, nearest = dist.min(1)
    bias = logit_biases(spec, thetas)
    return nearest_dist, (bias - bias[nearest]).abs().sum(1) / nearest_dist

def report(path: str, n: int) -> dict:
    state = load_checkpoint(path)
    hnet, mode = load_hypernet(state), state["train_config"]["gauge"]
    raw = sample_weights(hnet, n, torch.Generator().manual_seed(8734), gauge=None)
    own, paper = gauge_fix(hnet.spec, raw, mode), gauge_fix(hnet.spec, raw, "paper")
    nearest_dist, bias_share = nearest_neighbour_bias_share(hnet.spec, own)
    return {"checkpoint": path, "gauge": mode,
            "shift_std": logit_biases(hnet.spec, own).mean(1).std().item(),
            "nn_l1_median": nearest_dist.median().item(), "nn_bias_share_median": bias_share.median().item(),
            "entropy_own_gauge": weight_entropy(own).item(), "entropy_paper_gauge": weight_entropy(paper).item()}

@call_parse
def main(checkpoints: str = "bench/runs/mnist/step13000.pt,bench/runs/mnist_gauge_code/step13000.pt", # comma-separated checkpoints
         n: int = 200, # networks drawn from each
        ):
    print("| checkpoint | gauge | shift std over networks | NN L1 distance (median) | share of it in the logit biases (median) | Ĥ, run's gauge | Ĥ, paper gauge |")
    print("|---|---|---|---|---|---|---|")
    for path in checkpoints.split(","):
        r = report(path, n)
        print(f"| `{r['checkpoint']}` | {r['gauge']} | {r['shift_std']:.4f} | {r['nn_l1_median']:.1f} | "
              f"{r['nn_bias_share_median']:.4f} | {r['entropy_own_gauge']:.1f} | {r['entropy_paper_gauge']:.1f} |", flush=True)
