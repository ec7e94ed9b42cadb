"""Check that `reproduce_mnist.py eval` resumes: labels predicted in saved chunks, after an interruption and a damaged
chunk file, equal one uninterrupted `predict` call. Needs `bench/runs/mnist/step13000.pt` and MNIST under $HYPERWEIGHTS_DATA.

    python bench/investigations/check_eval_resume.py
"""
import importlib.util, shutil, tempfile, time
from pathlib import Path

import torch
spec = importlib.util.spec_from_file_location("rm", "bench/reproduce_mnist.py"); rm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rm)
from hyperweights.data import mnist
out = Path("bench/runs/mnist"); data = mnist()
hnet = rm.load_hypernet(out / "step13000.pt", "cpu")
thetas = rm.sample_weights(hnet, 20, torch.Generator().manual_seed(8734))
x, y = data.test
oneshot = rm.predict(hnet.spec, thetas, x)["labels"].long()  # predict keeps uint8 labels; chunked_labels returns int64
folder = Path(tempfile.mkdtemp()) / "eval"
a = rm.chunked_labels(hnet, thetas, x, y, folder, 8, 13000)
assert torch.equal(a, oneshot), "chunked labels differ from one predict call"; print("chunked == one-shot")
(folder / "labels_000008_000016.pt").unlink()            # as if interrupted during the second chunk
(folder / "labels_000016_000020.pt").write_bytes(b"junk")  # and a damaged file
t = time.time(); b = rm.chunked_labels(hnet, thetas, x, y, folder, 8, 13000)
assert torch.equal(b, oneshot), "resumed labels differ"; print(f"resumed == one-shot ({time.time()-t:.1f} s, one chunk of 8 reused)")
c = rm.chunked_labels(hnet, thetas, x, y, folder, 8, 12000)  # chunks tagged with another step are predicted again
assert torch.equal(c, oneshot) and all(rm.load_checkpoint(f)["step"] == 12000 for f in folder.glob("labels_*.pt"))
print("chunks from another step were predicted again"); shutil.rmtree(folder.parent)
