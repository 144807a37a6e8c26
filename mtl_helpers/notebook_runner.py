"""Execute the notebooks top to bottom (tests, benchmarks) and render them to HTML (``build/``).

``python -m mtl_helpers.notebook_runner`` runs every notebook in ``notebooks/`` (fast mode unless
``--class-mode``) and writes executed HTML copies to ``build/html/``, printing each notebook's time.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
SOLUTION_DIR = NOTEBOOK_DIR / "solutions"


def notebook_paths(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The notebooks of one folder, in series order (their names start with a number)."""
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def execute_notebook(path: Path, *, fast: bool = True, timeout: int = 900) -> tuple[nbformat.NotebookNode, float]:
    """Run one notebook top to bottom in a fresh kernel; return the executed notebook and its seconds.

    The kernel runs in the notebook's folder with ``MTL_FAST`` set from ``fast``. Widget comm handlers
    are switched off: nbclient can otherwise stall on Output widgets (nbclient issue 312), and the
    callbacks' output then lands in the cell that changed the widget, which is what tests read.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"No notebook at {path}; pass a path to an existing .ipynb file.")
    nb = nbformat.read(path, as_version=4)
    env_before = os.environ.get("MTL_FAST")
    os.environ["MTL_FAST"] = "1" if fast else "0"
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        client.comm_open_handlers = {}
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        if env_before is None:
            os.environ.pop("MTL_FAST", None)
        else:
            os.environ["MTL_FAST"] = env_before
    return nb, seconds


def cell_text_outputs(nb: nbformat.NotebookNode) -> str:
    """All plain-text output of an executed notebook, joined (for tests that look for a printed line)."""
    parts: list[str] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                parts.append(output["text"])
            data = output.get("data", {})
            if "text/plain" in data:
                parts.append(data["text/plain"])
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--class-mode", action="store_true", help="full settings instead of MTL_FAST=1")
    parser.add_argument("--out", default=str(PROJECT_ROOT / "build" / "html"), help="folder for the HTML files")
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: all in notebooks/)")
    args = parser.parse_args(argv)

    from nbconvert import HTMLExporter

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [Path(p) for p in args.notebooks] or notebook_paths()
    exporter = HTMLExporter()
    for path in paths:
        nb, seconds = execute_notebook(path, fast=not args.class_mode)
        body, _ = exporter.from_notebook_node(nb)
        target = out / (path.stem + ".html")
        target.write_text(body, encoding="utf-8")
        print(f"{path.name}: {seconds:.1f} s -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
