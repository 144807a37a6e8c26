"""Publishing the book: the executed series as a static, searchable website.

``python -m mtl_helpers.publish book OUT_DIR [--fast] [--only 00,02]`` runs the notebooks top to bottom
(class mode unless ``--fast``; ``notebook_runner.execute_notebook``) and writes one page per notebook with
its figures and tables as executed, the README's notebook map as ``index.html``, a table of contents in
series order and a search box on every page, and ``search-index.js``, the search index (JSON).

The tool is nbconvert with a small template, not Jupyter Book 2 / MyST: MyST downloads its site theme from
the internet at build time, which fails on an offline machine. Everything here works offline: the CSS and
the search script are inline, formulas become MathML at build time (latex2mathml; browsers draw MathML
without MathJax), and widgets are drawn in their executed state with a note that they are live in
JupyterLab or Voilà (nbconvert's own widget rendering loads its JavaScript from a CDN).
"""
from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat

from mtl_helpers.notebook_runner import NOTEBOOK_DIR, PROJECT_ROOT, execute_notebook, notebook_paths

MARKER = ".mtl-book"   # written into OUT_DIR, so a rebuild may clear it and no other folder is ever cleared
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# In Markdown: code (left alone), display math, inline math, or a link [label](target).
_MARKDOWN_TOKEN = re.compile(
    r"(?P<code>```.*?```|`[^`\n]*`)"
    r"|\$\$(?P<display>.+?)\$\$"
    r"|(?<![\\$\w])\$(?P<inline>[^$\n]+?)\$(?!\$)"
    r"|(?<!!)\[(?P<label>[^\]\n]*)\]\((?P<target>[^)\s]+)\)", re.S)
_NOTEBOOK_LINK = re.compile(r"^(?:\./|\.\./)?(?:notebooks/)?(?P<stem>\d\d_\w+)\.ipynb(?P<anchor>#\S*)?$")
_PLACEHOLDER = re.compile(r"MTLMATH(\d+)X")

TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block html_head_js_requirejs %}{% endblock %}
{% block jupyter_widgets %}{% endblock %}
{% block html_head_js_mathjax %}{% endblock %}
{% block html_head_js_mermaidjs %}{% endblock %}
{% block extra_css %}<style>{{ resources.book.css }}</style>{% endblock %}
{% block body_header %}
<body class="jp-Notebook book" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
{{ resources.book.nav }}
<main id="book-main">
<p class="book-banner">{{ resources.book.banner }}</p>
{% endblock %}
{% block footer_js %}<script src="search-index.js"></script><script>{{ resources.book.js }}</script>{% endblock %}
"""

CSS = """
body.book { margin: 0; padding: 0; }
.book-nav { position: fixed; top: 0; left: 0; bottom: 0; width: 18rem; box-sizing: border-box; overflow-y: auto;
  padding: 1rem; background: #f6f7f9; border-right: 1px solid #d8dce2; font: 14px/1.4 system-ui, sans-serif; }
.book-nav a { color: #1a4d8f; text-decoration: none; }
.book-nav a:hover { text-decoration: underline; }
.book-home { display: block; font-weight: 600; font-size: 16px; margin-bottom: .75rem; }
#book-search { width: 100%; box-sizing: border-box; padding: .35rem .5rem; font: inherit; }
#book-results { list-style: none; padding: 0; margin: .5rem 0 1rem; }
#book-results li { margin: 0 0 .6rem; }
.book-snippet { color: #555; font-size: 12px; }
.book-toc { padding-left: 0; list-style: none; }
.book-toc li { margin: .3rem 0; }
.book-toc a[aria-current="page"] { font-weight: 700; color: #111; }
main#book-main { margin-left: 18rem; padding: 1rem 2rem 3rem; max-width: 64rem; }
.book-banner { background: #fff8e1; border: 1px solid #f0d890; padding: .4rem .7rem; font: 13px/1.4 system-ui, sans-serif; }
main math { font-size: 1.1em; }
main math[display="block"] { font-size: 1.25em; margin: .6em 0; }
.book-widget { border: 1px dashed #9aa5b1; padding: .5rem .8rem; margin: .3rem 0; }
.book-widget-note { font-size: 13px; color: #5a6470; margin: 0 0 .4rem; }
.book-widget label { display: block; margin: .2rem 0; }
.book-widget-box { padding-left: .5rem; }
.book-widget img { max-width: 100%; }
@media (max-width: 800px) { .book-nav { position: static; width: auto; } main#book-main { margin-left: 0; } }
"""

SEARCH_JS = r"""(function () {
  const box = document.getElementById('book-search'), list = document.getElementById('book-results');
  const pages = window.BOOK_INDEX || [];
  const esc = s => s.replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
  function find(query) {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return [];
    return pages.map(page => {
      const text = (page.title + ' ' + page.text).toLowerCase();
      if (!words.every(w => text.includes(w))) return null;
      let hits = 0;
      for (const w of words) for (let i = text.indexOf(w); i >= 0; i = text.indexOf(w, i + w.length)) hits++;
      const at = Math.max(0, page.text.toLowerCase().indexOf(words[0]));
      return {page, hits, snippet: page.text.slice(Math.max(0, at - 60), at + 120)};
    }).filter(Boolean).sort((a, b) => b.hits - a.hits);
  }
  function show(query) {
    const found = find(query);
    list.hidden = !query.trim();
    list.innerHTML = found.length ? found.map(r => '<li><a href="' + r.page.url + '">' + esc(r.page.title) +
        '</a> <span class="book-hits">(' + r.hits + ')</span><div class="book-snippet">…' + esc(r.snippet) +
        '…</div></li>').join('') : '<li class="book-none">No page contains “' + esc(query) + '”.</li>';
    return found;
  }
  box.addEventListener('input', () => show(box.value));
  box.form.addEventListener('submit', event => {
    event.preventDefault();
    const found = show(box.value);
    if (found.length) window.location.href = found[0].page.url;
  });
})();
"""


def select_notebooks(only: str | Sequence[str] | None = None, folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The series notebooks to publish, in series order: all, or those named in ``only`` ("00,02", ["02"])."""
    series = notebook_paths(folder)
    if not only:
        return series
    wanted = [w for item in ([only] if isinstance(only, str) else only) for w in re.split(r"[,\s]+", item) if w]
    known = {p.name[:2]: p for p in series} | {p.stem: p for p in series}
    unknown = [w for w in wanted if w not in known]
    if unknown or not wanted:
        raise ValueError(f"--only {','.join(unknown) or repr(only)}: no such notebook; use two-digit numbers "
                         f"separated by commas, from {', '.join(sorted(p.name[:2] for p in series))}.")
    chosen = {known[w] for w in wanted}
    return [p for p in series if p in chosen]


def prepare_out_dir(out_dir: Path) -> Path:
    """Check OUT_DIR and clear an earlier book in it; refuse a file, or a non-empty folder that is no book."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"OUT_DIR {out_dir} is a file; pass a folder (new, empty, or an earlier book), "
                         "e.g. build/book.")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
        raise ValueError(f"OUT_DIR {out_dir} is not empty and holds no book built here (no {MARKER}); "
                         "pass a new or empty folder, e.g. build/book, so nothing of yours is overwritten.")
    if out_dir.is_dir():
        for old in [*out_dir.glob("*.html"), out_dir / "search-index.js"]:
            old.unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text("built by python -m mtl_helpers.publish book; rebuilt in place\n",
                                  encoding="utf-8")
    return out_dir


def _mathml(tex: str, display: bool) -> str:
    """A formula as MathML, or its TeX as code when latex2mathml cannot read it."""
    from latex2mathml.converter import convert

    try:
        return convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - latex2mathml raises many types; any of them means "show the TeX"
        return f"<code>{html.escape(tex)}</code>"


def prepare_markdown(source: str, pages: Sequence[str], formulas: list[str]) -> str:
    """One Markdown cell made ready for the site: links to notebooks point to their pages, other relative
    links (files that are not in the book) become their label, and each formula becomes a placeholder
    whose MathML is appended to ``formulas`` (put back by ``insert_formulas`` after rendering)."""
    def replace(match: re.Match) -> str:
        if match["code"]:
            return match["code"]
        if match["display"] is not None or match["inline"] is not None:
            formulas.append(_mathml(match["display"] or match["inline"], display=match["display"] is not None))
            return f"MTLMATH{len(formulas) - 1}X"
        target = match["target"]
        link = _NOTEBOOK_LINK.match(target)
        if link and link["stem"] in pages:
            return f"[{match['label']}]({link['stem']}.html{link['anchor'] or ''})"
        if link or not re.match(r"^(?:[a-z]+:|#)", target):
            return match["label"]      # a notebook not in this build, or a file the site does not hold
        return match[0]
    return _MARKDOWN_TOKEN.sub(replace, source)


def insert_formulas(page: str, formulas: Sequence[str]) -> str:
    """Put each formula's MathML in place of its placeholder, in text only (not inside tags' attributes)."""
    parts = re.split(r"(<[^>]*>)", page)
    return "".join(part if part.startswith("<") else _PLACEHOLDER.sub(lambda m: formulas[int(m[1])], part)
                   for part in parts)


def _widget_html(model_id: str, state: dict) -> str:
    """The static look of one widget (and its children) from the widget state saved by the run."""
    model = state.get(model_id, {})
    name, fields = model.get("model_name", ""), model.get("state", {})
    label = html.escape(str(fields.get("description", "")))
    children = fields.get("children") or []
    if children:
        inner = "".join(_widget_html(str(c).removeprefix("IPY_MODEL_"), state) for c in children)
        return f'<div class="book-widget-box">{inner}</div>'
    if name == "OutputModel" or not name:
        return ""     # its prints and figures are in the cell's outputs (notebook_runner turns comms off)
    value = fields.get("value")
    if "Slider" in name and isinstance(value, (int, float)):
        return (f'<label>{label} <input type="range" disabled min="{fields.get("min")}" max="{fields.get("max")}" '
                f'step="{fields.get("step")}" value="{value}"> <output>{html.escape(str(value))}</output></label>')
    if "_options_labels" in fields:
        options = "".join(f"<option{' selected' if i == fields.get('index') else ''}>{html.escape(o)}</option>"
                          for i, o in enumerate(fields["_options_labels"]))
        return f"<label>{label} <select disabled>{options}</select></label>"
    if isinstance(value, bool):
        return f'<label><input type="checkbox" disabled{" checked" if value else ""}> {label}</label>'
    if name == "ImageModel":   # its bytes travel as a buffer beside the state (nbclient keeps them, base64)
        data = next((b["data"] for b in model.get("buffers", []) if b.get("path") == ["value"]), "")
        return f'<img alt="{label or "plot"}" src="data:image/{fields.get("format", "png")};base64,{data}">' if data \
            else ""
    if name == "ButtonModel":
        return f"<button disabled>{label}</button>"
    if name in {"HTMLModel", "HTMLMathModel"}:
        return f"<div>{value or ''}</div>"
    if value is not None:
        return f"<label>{label} <input type=\"text\" disabled value=\"{html.escape(str(value))}\"></label>"
    return f"<span>{html.escape(name.removesuffix('Model'))} {label}</span>"


def static_widgets(nb: nbformat.NotebookNode, source_name: str) -> int:
    """Replace each widget output by its executed state and a note saying where it is live; how many.

    Also drops the saved widget state, so nbconvert adds no widget JavaScript from a CDN."""
    state = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    note = (f'<p class="book-widget-note">Interactive widget, shown as it was when the notebook ran: it is live '
            f"in JupyterLab or Voilà (open <code>notebooks/{html.escape(source_name)}</code>).</p>")
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is not None:
                body = _widget_html(view.get("model_id", ""), state)
                output["data"] = {"text/html": f'<div class="book-widget">{note}{body}</div>'}
                count += 1
    return count


def page_title(nb: nbformat.NotebookNode, stem: str) -> str:
    """A notebook's title: its first Markdown heading, else its file name."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return stem


def toc_label(title: str) -> str:
    """The short form of a title for the table of contents: "02 · The θ formulation"."""
    return title.split(":")[0].strip()


def search_entry(nb: nbformat.NotebookNode, url: str, title: str) -> dict[str, str]:
    """One page of the search index: its address, title and text (Markdown, code and text outputs)."""
    parts: list[str] = []
    for cell in nb.cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
    text = re.sub(r"\[([^\]\n]*)\]\([^)\s]*\)", r"\1", " ".join(p for p in parts if p))   # links: their label
    text = re.sub(r"\s+", " ", re.sub(r"[`*#|]+", " ", text)).strip()
    return {"url": url, "title": title, "text": text}


def nav_html(pages: Sequence[tuple[str, str]], current: str | None) -> str:
    """The sidebar of every page: home link, search box, and the table of contents in series order."""
    mark = ' aria-current="page"'
    items = "".join(f'<li><a href="{stem}.html"{mark if stem == current else ""}>'
                    f"{html.escape(toc_label(title))}</a></li>" for stem, title in pages)
    home = mark if current is None else ""
    return ('<nav class="book-nav" aria-label="Book">'
            f'<a class="book-home" href="index.html"{home}>mtl-nlp: the notebooks</a>'
            '<form role="search" class="book-search-form"><input type="search" id="book-search" '
            'placeholder="Search the book" aria-label="Search the book" autocomplete="off"></form>'
            '<ol id="book-results" hidden></ol>'
            f'<ol class="book-toc" aria-label="Table of contents">{items}</ol></nav>')


def front_page_markdown(readme: str) -> str:
    """The README's title, its opening paragraph and its "Notebook map" section: the book's front page."""
    sections = re.split(r"(?m)^(?=## )", readme)
    notebook_map = [s for s in sections if s.startswith("## Notebook map")]
    if not notebook_map:
        raise ValueError("README.md has no '## Notebook map' section; the book's front page is built from it.")
    return sections[0].rstrip() + "\n\n" + notebook_map[0].rstrip() + "\n"


def render_page(nb: nbformat.NotebookNode, *, pages: Sequence[tuple[str, str]], current: str | None,
                title: str, banner: str) -> str:
    """One HTML page of the book: nbconvert's lab look, the sidebar, links and formulas made to work."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    formulas: list[str] = []
    stems = [stem for stem, _ in pages]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = prepare_markdown(cell.source, stems, formulas)
    nb.metadata["title"] = title
    exporter = HTMLExporter(template_name="lab", template_file="book.html.j2",
                            extra_loaders=[DictLoader({"book.html.j2": TEMPLATE})])
    resources = {"book": {"css": CSS, "js": SEARCH_JS, "nav": nav_html(pages, current),
                          "banner": html.escape(banner)}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return insert_formulas(body, formulas)


def write_site(out_dir: Path, executed: Sequence[tuple[str, nbformat.NotebookNode]], *, readme: str,
               banner: str) -> list[Path]:
    """Write the pages of already executed notebooks (``(stem, notebook)`` in series order), the front page
    and the search index into ``out_dir``; the files written."""
    out_dir = prepare_out_dir(out_dir)
    pages = [(stem, page_title(nb, stem)) for stem, nb in executed]
    index, written = [], []
    for (stem, nb), (_, title) in zip(executed, pages):
        static_widgets(nb, f"{stem}.ipynb")
        index.append(search_entry(nb, f"{stem}.html", toc_label(title)))
        target = out_dir / f"{stem}.html"
        target.write_text(render_page(nb, pages=pages, current=stem, title=title, banner=banner), encoding="utf-8")
        written.append(target)
    front = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(front_page_markdown(readme))])
    index.insert(0, search_entry(front, "index.html", "Notebook map"))
    target = out_dir / "index.html"
    target.write_text(render_page(front, pages=pages, current=None, title="mtl-nlp: the notebooks",
                                  banner=banner), encoding="utf-8")
    search = out_dir / "search-index.js"
    search.write_text("window.BOOK_INDEX = " + json.dumps(index, ensure_ascii=False) + ";\n", encoding="utf-8")
    return [target, *written, search]


def build_book(out_dir: Path, *, fast: bool = False, only: str | Sequence[str] | None = None) -> list[Path]:
    """Execute the chosen notebooks (fast or class mode) and write the book into ``out_dir``; the files."""
    paths = select_notebooks(only)
    prepare_out_dir(out_dir)        # fail on a bad OUT_DIR before minutes of execution, not after
    mode = "fast mode (MTL_FAST=1: data and epochs shrunk; numbers are for checking, not for judging)" if fast \
        else "class mode (the real settings of each notebook)"
    executed, seconds = [], []
    for path in paths:
        nb, took = execute_notebook(path, fast=fast)
        executed.append((path.stem, nb))
        seconds.append(took)
        print(f"{path.name}: executed in {took:.1f} s", flush=True)
    banner = (f"Executed in {mode} on {time.strftime('%Y-%m-%d')}, {sum(seconds):.0f} s for "
              f"{len(paths)} notebook{'s' * (len(paths) != 1)}. The notebooks are in notebooks/; run them "
              "in JupyterLab to change and rerun the code.")
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return write_site(out_dir, executed, readme=readme, banner=banner)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mtl_helpers.publish", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    book = commands.add_parser("book", help="execute the series and write it as a static website")
    book.add_argument("out_dir", type=Path, help="folder for the site (new, empty, or an earlier book)")
    book.add_argument("--fast", action="store_true", help="execute in fast mode (MTL_FAST=1), for a quick build")
    book.add_argument("--only", help="notebooks by number, comma-separated, e.g. --only 00,02 (default: all)")
    args = parser.parse_args(argv)
    try:
        select_notebooks(args.only)
        prepare_out_dir(args.out_dir)
    except ValueError as error:
        parser.error(str(error))
    start = time.perf_counter()
    files = build_book(args.out_dir, fast=args.fast, only=args.only)
    print(f"wrote {len(files)} files to {args.out_dir} in {time.perf_counter() - start:.0f} s; "
          f"open {args.out_dir / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
