"""Render README.md from nbs/index.ipynb without quarto: markdown cells verbatim, code cells as Python blocks
(hidden cells skipped), the `> subtitle` kept as a quote, image paths made relative to the repository root.
With `--figure PNG`, first copy that figure (e.g. runs/digits/training_curve.png from the default
`hyperweights_train` run) to nbs/images/digits_training_curve.png."""
import re, shutil, sys
from pathlib import Path
import nbformat

def render(nb_path="nbs/index.ipynb") -> str:
    nb = nbformat.read(nb_path, as_version=4)
    parts = []
    for cell in nb.cells:
        src = cell.source.strip()
        if cell.cell_type == "markdown":
            parts.append(re.sub(r"\]\((images/[^)]+)\)", r"](nbs/\1)", src))
        elif not re.match(r"#\s*\|\s*(hide|export)", src):
            code = "\n".join(l for l in src.splitlines() if not re.match(r"#\s*\|", l))
            parts.append(f"```python\n{code}\n```")
    return "\n\n".join(parts) + "\n"

if __name__ == "__main__":
    if "--figure" in sys.argv:
        shutil.copy(sys.argv[sys.argv.index("--figure") + 1], "nbs/images/digits_training_curve.png")
    Path("README.md").write_text("<!-- Rendered from nbs/index.ipynb by tools/render_readme.py; edit the notebook. -->\n\n" + render())
    print("wrote README.md")
