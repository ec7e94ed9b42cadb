"""Build the documentation as static HTML without quarto, then check it.

    python tools/build_docs.py            # writes _site/html/index.html
    python tools/build_docs.py --check    # also fails on a broken page, figure or internal link

The pages are nbdev's processed notebooks (`nbdev.serve.proc_nbs`: `show_doc` tables, stored outputs,
figures), rendered by Jupyter Book (Sphinx + MyST-NB) with the notebooks in file order in the sidebar.
Only the few things quarto reads differently are translated first: the front-matter cell becomes a title,
`#| echo: false` becomes MyST-NB's `remove-input` tag, and links that nbdev writes to the published site
(`doc_host`) become links between the built pages. Machines with quarto can still run `nbdev_docs`.
"""
import argparse, json, re, shutil, subprocess, sys

import yaml
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from nbdev.config import get_config
from nbdev.serve import proc_nbs

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_site"
SRC = BUILD / "src"
HTML = BUILD / "html"

def heading_slug(anchor: str) -> str:
    "MyST's (GitHub-style) slug for a heading, from the anchor quarto would give it (`trainer.fit` -> `trainerfit`)."
    return re.sub(r"[^\w\- ]", "", unquote(anchor).lower()).replace(" ", "-")

def page_map(nb_names) -> dict[str, str]:
    "nbdev's page name (`data.html`) -> the notebook it comes from (`00_data.ipynb`)."
    return {re.sub(r"^\d+[a-zA-Z0-9]*_", "", n.lower()).replace(".ipynb", ".html"): n for n in nb_names}

def local_links(text: str, site: str, pages: dict[str, str]) -> str:
    "Turn links to the published docs into links to the notebook pages, with MyST heading slugs."
    def repl(m):
        page, anchor = m["page"], m["anchor"]
        target = pages.get(page or "index.html", page)
        return f"({target}#{heading_slug(anchor)})" if anchor else f"({target})"
    return re.sub(rf"\({re.escape(site)}/?(?P<page>[\w.\-]*)(?:#(?P<anchor>[^)\s]*))?\)", repl, text)

def unlink_code(md: str) -> str:
    "Inside fenced code (a `show_doc` signature with docments) a markdown link is shown as text: keep its label only."
    return re.sub(r"```.*?```", lambda m: re.sub(r"\[(`[^`]+`)\]\([^)]*\)", r"\1", m[0]), md, flags=re.S)

def front_matter_title(source: str) -> str:
    "The front-matter cell (`---\\ntitle: ...\\ndescription: ...\\n---`) as a heading and a lead line."
    fields = yaml.safe_load(source.strip().strip("-")) or {}
    lines = [f"# {fields.get('title', '')}"]
    if fields.get("description"): lines.append(f"\n> {' '.join(str(fields['description']).split())}")
    return "\n".join(lines)

def translate(nb: dict, site: str, pages: dict[str, str]) -> dict:
    "Rewrite one processed notebook for MyST-NB."
    for i, cell in enumerate(nb["cells"]):
        src = "".join(cell["source"])
        if i == 0 and cell["cell_type"] in ("raw", "markdown") and src.startswith("---\n"):
            cell["cell_type"], src = "markdown", front_matter_title(src)
        if cell["cell_type"] == "code":
            directives = re.findall(r"^#\|\s*(.*)$", src, flags=re.M)
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if "echo: false" in directives: tags.append("remove-input")
            if "include: false" in directives: tags.append("remove-cell")
            if "output: false" in directives: tags.append("remove-output")
            src = re.sub(r"^#\|.*\n?", "", src, flags=re.M)
            for out in cell.get("outputs", []):
                md = out.get("data", {}).get("text/markdown")
                if md is None: continue
                md = re.sub(r"^---\n", "", "".join(md), flags=re.M)  # a rule inside an output is not valid docutils
                out["data"]["text/markdown"] = local_links(unlink_code(md), site, pages)
        else:
            src = local_links(src, site, pages)
        cell["source"] = src
    return nb

def write_book(cfg) -> list[str]:
    "Processed notebooks -> `_site/src` with `_config.yml` and `_toc.yml`; returns the pages in sidebar order."
    proc = ROOT / "_proc"
    proc_nbs()
    if SRC.exists(): shutil.rmtree(SRC)
    SRC.mkdir(parents=True)
    names = sorted(p.name for p in proc.glob("*.ipynb") if not p.name.startswith("_"))
    site = (cfg.doc_host.rstrip("/") + "/" + cfg.doc_baseurl.strip("/")).rstrip("/")
    pages = page_map(names)
    for name in names:
        nb = translate(json.loads((proc / name).read_text()), site, pages)
        (SRC / name).write_text(json.dumps(nb))
    if (proc / "images").exists(): shutil.copytree(proc / "images", SRC / "images")
    chapters = [n for n in names if n != "index.ipynb"]
    (SRC / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n" +
                                  "".join(f"- file: {Path(n).stem}\n" for n in chapters))
    (SRC / "_config.yml").write_text(CONFIG.format(title=cfg.title, author=cfg.author, repo=cfg.git_url,
                                                   mathjax=mathjax_config()))
    (SRC / "_static").mkdir()
    (SRC / "_static" / "wrap.css").write_text(WRAP_CSS)  # Jupyter Book links every CSS file of `_static`
    return [Path(n).stem for n in names]

# long lines of code and of printed output wrap, as quarto's `code-overflow: wrap` makes them, instead of scrolling
WRAP_CSS = "div.cell_input pre, div.cell_output pre { white-space: pre-wrap; overflow-wrap: anywhere; }\n"

CONFIG = """\
title: {title}
author: {author}
only_build_toc_files: true
execute:
  execute_notebooks: "off"
repository:
  url: {repo}
  branch: main
html:
  use_repository_button: false
parse:
  myst_enable_extensions: [dollarmath, amsmath, attrs_inline, colon_fence]
sphinx:
  config:
    nb_render_markdown_format: myst
    myst_heading_anchors: 4
    html_show_copyright: false
    suppress_warnings: [myst.header]  # `show_doc` output starts at H3 inside a cell output
{mathjax}"""

def mathjax_config() -> str:
    "Serve MathJax from the build itself when the `jupyter_server_mathjax` wheel is installed, so pages render offline."
    try: import jupyter_server_mathjax
    except ImportError: return ""
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(static, SRC / "_extra" / "mathjax")  # html_extra_path: copied as is, not linked from every page
    return ("    mathjax_path: ../mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full\n"
            "    mathjax2_config: {tex2jax: {processClass: math|output_area, ignoreClass: tex2jax_ignore|mathjax_ignore}, HTML-CSS: {availableFonts: [STIX-Web], preferredFont: STIX-Web, webFont: STIX-Web}}\n"
            "    html_extra_path: [_extra]\n")

def build():
    if HTML.exists(): shutil.rmtree(HTML)
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(SRC), "--path-output", str(BUILD),
           "--warningiserror", "--keep-going", "--quiet"]
    res = subprocess.run(cmd, cwd=ROOT)
    built = BUILD / "_build" / "html"
    if built.exists(): shutil.move(str(built), HTML)
    return res.returncode == 0

class Page(HTMLParser):
    "Collects a page's ids, links and images."
    def __init__(self):
        super().__init__(); self.ids, self.links, self.images = set(), [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a: self.ids.add(a["id"])
        if tag == "a" and a.get("href"): self.links.append(a["href"])
        if tag == "img": self.images.append(a.get("src", ""))

def parse(path: Path) -> Page:
    page = Page(); page.feed(path.read_text(errors="replace")); return page

def check(pages: list[str]) -> list[str]:
    "Every page built, every notebook figure shown, every internal link and image resolving; returns the problems."
    problems, parsed = [], {}
    for stem in pages:
        html = HTML / f"{stem}.html"
        if not html.exists(): problems.append(f"{stem}: page not built"); continue
        parsed[html] = page = parse(html)
        nb = json.loads((SRC / f"{stem}.ipynb").read_text())
        figures = sum("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
                      for c in nb["cells"] for o in c.get("outputs", []))
        shown = sum(src.startswith("data:image") or "_images/" in src for src in page.images)
        if shown < figures: problems.append(f"{stem}: {figures} figures in the notebook, {shown} on the page")
        errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
        if errors: problems.append(f"{stem}: {len(errors)} stored error output(s)")
    for html, page in parsed.items():
        for src in page.images:
            if src.startswith("data:"): continue
            if not (html.parent / unquote(urlsplit(src).path)).exists(): problems.append(f"{html.name}: missing image {src}")
        for href in page.links:
            url = urlsplit(href)
            if url.scheme or href.startswith(("mailto:", "//")): continue
            target = (html.parent / unquote(url.path)).resolve() if url.path else html
            if not target.exists(): problems.append(f"{html.name}: broken link {href}"); continue
            if url.fragment and target.suffix == ".html":
                ids = (parsed.get(target) or parse(target)).ids
                if url.fragment not in ids: problems.append(f"{html.name}: broken anchor {href}")
    return problems

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail on a broken page, figure or internal link")
    args = ap.parse_args()
    pages = write_book(get_config())
    ok = build()
    if not ok: print("FAIL: Jupyter Book reported warnings or errors (above)")
    if args.check:
        problems = check(pages)
        for p in problems: print("FAIL:", p)
        ok = ok and not problems
    print(f"docs: {HTML / 'index.html'} ({len(pages)} pages) {'OK' if ok else 'FAILED'}")
    return ok

if __name__ == "__main__":
    sys.exit(0 if main() else 1)
