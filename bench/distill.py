"""Distillation on MNIST (`09_distillation`): the members' mean, the ensemble, weight averages (K = 10, 50, 200,
gauge-fixed and raw), a student distilled from the ensemble and a network trained on the labels with the same
budget; accuracy, NLL, ECE and wall-clock on the test split.

    python bench/distill.py --root $HYPERWEIGHTS_DATA --checkpoint bench/runs/mnist/step13000.pt --members 50

The teacher's probabilities of the 55,000 training images cost members × 55,000 network-images (50 members: about
10 minutes on one CPU core). The table is printed as markdown and written with the machine and date to
`bench/results/distill_<dataset>_<checkpoint>.json`; the student's state_dict goes beside it.
"""
import json, platform, time
from pathlib import Path

import torch
from fastcore.script import call_parse

from hyperweights.train import load_run
from hyperweights.distill import distillation_table, save_network

HERE = Path(__file__).parent

@call_parse
def main(checkpoint: str = "bench/runs/mnist/step13000.pt", # a trained hypernetwork checkpoint
         root: str = None, # folder with the dataset (default: $HYPERWEIGHTS_DATA)
         members: int = 50, # networks in the teacher ensemble (and scored as members)
         steps: int = 5000, # steps of the student and of the label-trained network
         temperature: float = 1.0, # the student's temperature
         seed: int = 0, # seeds the samples and the training
         device: str = "cpu", # 'cpu' or 'cuda'
        ):
    "Run the distillation comparison on one checkpoint and write the table."
    start = time.time()
    (state, hnet, data), name = load_run(checkpoint, root, device), Path(checkpoint).stem
    table, student = distillation_table(hnet, data, members, steps, temperature, seed=seed)
    stem = f"distill_{state['dataset']}_{name}"
    save_network(hnet.spec, student, HERE / "results" / f"{stem}_student.pt")
    meta = {"checkpoint": checkpoint, "members": members, "steps": steps, "temperature": temperature,
            "machine": f"{platform.machine()} / {device} / torch {torch.__version__}", "threads": torch.get_num_threads(),
            "date": time.strftime("%Y-%m-%d"), "wall_clock_s": time.time() - start}
    (HERE / "results" / f"{stem}.json").write_text(json.dumps({"table": table, "meta": meta}, indent=1))
    print("| | accuracy | NLL | ECE | wall-clock |\n|---|---|---|---|---|")
    for row_name, row in table.items():
        seconds = f"{row['seconds']:.1f} s" if "seconds" in row else ""
        print(f"| {row_name} | {row['acc']:.4f} | {row['nll']:.4f} | {row['ece']:.4f} | {seconds} |")
    print(f"wrote bench/results/{stem}.json in {time.time() - start:.0f} s")
