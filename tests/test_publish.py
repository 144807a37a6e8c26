"""The rendered book (mtl_helpers.publish): links, formulas, widgets, table of contents and search index without a
kernel or a browser, then a fast build of notebooks 00 and 02 read in a real Chromium.

The browser test builds with ``python -m mtl_helpers.publish book OUT --fast --only 00,02`` (about a minute on
2 cores), serves the folder with ``python -m http.server`` on 127.0.0.1 and a free port, and stops the server
by its process id. It checks that the front page loads, the table of contents navigates, a figure is visible
and a search finds the page holding a term. On failure a screenshot lands in ``build/browser-test/``. Without
Chromium or Playwright it skips with the reason (a failure under ``CI=true``), as tests/test_browser.py does.
"""
from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from benchmarks import browser as browser_tools
from mtl_helpers import publish
from mtl_helpers.notebook_runner import NOTEBOOK_DIR, PROJECT_ROOT

PIXEL = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005"
    "0001ff5c2d7c5b0000000049454e44ae426082")).decode()   # a 1×1 PNG


# ----------------------------------------------------------------------------- without a browser
def test_notebooks_are_chosen_in_series_order_and_unknown_ones_named():
    assert [p.name[:2] for p in publish.select_notebooks("02,00")] == ["00", "02"]
    assert [p.name[:2] for p in publish.select_notebooks(["02_theta_formulation"])] == ["02"]
    assert publish.select_notebooks(None) == sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    with pytest.raises(ValueError, match="--only 99: no such notebook"):
        publish.select_notebooks("00,99")
    with pytest.raises(ValueError, match="no such notebook"):
        publish.select_notebooks(",")


def test_out_dir_must_be_a_folder_and_never_someone_elses(tmp_path):
    a_file = tmp_path / "site.html"
    a_file.write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        publish.prepare_out_dir(a_file)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not empty"):
        publish.prepare_out_dir(foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"
    book = publish.prepare_out_dir(tmp_path / "book")
    (book / "05_training.html").write_text("old page")
    publish.prepare_out_dir(book)                       # an earlier book is rebuilt in place
    assert not (book / "05_training.html").exists()


def test_cli_turns_bad_arguments_into_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        publish.main(["book", str(tmp_path / "book"), "--only", "42"])
    assert stop.value.code == 2 and "--only 42: no such notebook" in capsys.readouterr().err


def test_links_to_notebooks_point_to_their_pages_and_other_files_become_text():
    pages = ["00_start_here", "02_theta_formulation"]
    source = ("[start](00_start_here.ipynb), [map](notebooks/02_theta_formulation.ipynb#Sec), "
              "[next](01_background.ipynb), [guide](README.md), [web](https://keras.io), [top](#Top), "
              "`[not a link](00_start_here.ipynb)`, ![figure](plot.png)")
    assert publish.prepare_markdown(source, pages, []) == (
        "[start](00_start_here.html), [map](02_theta_formulation.html#Sec), next, guide, "
        "[web](https://keras.io), [top](#Top), `[not a link](00_start_here.ipynb)`, ![figure](plot.png)")


def test_formulas_become_mathml_in_text_but_not_in_code_or_attributes():
    formulas: list[str] = []
    source = publish.prepare_markdown(r"Loss $\sum_t w_t L_t$, `$HOME` and $$\theta_{sh}$$", [], formulas)
    assert source == "Loss MTLMATH0X, `$HOME` and MTLMATH1X"
    assert 'display="inline"' in formulas[0] and 'display="block"' in formulas[1]
    page = publish.insert_formulas('<h2 id="Loss-MTLMATH0X">Loss MTLMATH0X</h2>', formulas)
    assert page.startswith('<h2 id="Loss-MTLMATH0X">Loss <math') and "MTLMATH" not in page.split(">", 1)[1]


def test_front_page_is_the_readme_notebook_map():
    front = publish.front_page_markdown((PROJECT_ROOT / "README.md").read_text(encoding="utf-8"))
    assert front.startswith("# mtl-nlp") and "## Notebook map" in front and "## The helper package" not in front
    assert "(notebooks/02_theta_formulation.ipynb)" in front
    with pytest.raises(ValueError, match="Notebook map"):
        publish.front_page_markdown("# A README without a map\n")


def _tiny_series() -> list[tuple[str, nbformat.NotebookNode]]:
    """Two executed-looking notebooks: a figure and a printed word in one, a widget and a formula in the other."""
    first = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 00 · Alpha: the first\n\nGo on to [Beta](01_beta.ipynb)."),
        nbformat.v4.new_code_cell("plot()", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="zebra crossing\n"),
            nbformat.v4.new_output("display_data", data={"image/png": PIXEL, "text/plain": "<Figure>"})])])
    slider = {"model_name": "IntSliderModel", "state": {"description": "tasks T", "value": 3, "min": 1,
                                                         "max": 10, "step": 1}}
    image = {"model_name": "ImageModel", "state": {"format": "png"},
             "buffers": [{"path": ["value"], "encoding": "base64", "data": PIXEL}]}
    box = {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_s1", "IPY_MODEL_i1"]}}
    second = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 01 · Beta: the second\n\nThe loss $w_t L_t$; back to [Alpha](00_alpha.ipynb)."),
        nbformat.v4.new_code_cell("ui", outputs=[nbformat.v4.new_output("display_data", data={
            publish.WIDGET_VIEW: {"model_id": "b1", "version_major": 2}, "text/plain": "VBox(...)"})])])
    second.metadata["widgets"] = {publish.WIDGET_STATE: {"state": {"b1": box, "s1": slider, "i1": image}}}
    return [("00_alpha", first), ("01_beta", second)]


def test_site_has_pages_toc_figures_widgets_and_a_search_index(tmp_path):
    written = publish.write_site(tmp_path / "book", _tiny_series(), readme=(PROJECT_ROOT / "README.md").read_text(
        encoding="utf-8"), banner="Executed in fast mode")
    assert sorted(p.name for p in written) == ["00_alpha.html", "01_beta.html", "index.html", "search-index.js"]
    alpha, beta, front = ((tmp_path / "book" / name).read_text(encoding="utf-8")
                          for name in ("00_alpha.html", "01_beta.html", "index.html"))
    for page in (alpha, beta, front):        # the same table of contents, in series order, and a search box
        toc = re.search(r'<ol[^>]*class="book-toc".*?</ol>', page).group(0)   # nbconvert sorts the attributes
        assert re.findall(r'href="([^"]+)"', toc) == ["00_alpha.html", "01_beta.html"]
        current = re.findall(r'<a[^>]*aria-current="page"[^>]*>([^<]*)</a>', page)
        assert current == (["00 · Alpha"] if page is alpha else ["01 · Beta"] if page is beta else
                           ["mtl-nlp: the notebooks"])
        assert 'id="book-search"' in page and '<script src="search-index.js"></script>' in page
        assert not re.search(r'<script[^>]+src="https?:', page), "the site must work offline"
    assert f'src="data:image/png;base64,{PIXEL}"' in alpha and 'href="01_beta.html"' in alpha
    slider = re.search(r'<input[^>]*type="range"[^>]*>', beta).group(0)
    assert "live in JupyterLab or Voilà" in beta and all(f in slider for f in ("disabled", 'max="10"', 'value="3"'))
    assert beta.count(f"base64,{PIXEL}") == 1, "the widget's image is drawn from its saved buffer"
    assert "<math" in beta and 'href="00_alpha.html"' in beta and "jupyter-widgets" not in beta
    front_main = front.split("<main", 1)[1]  # the README's map names the real series, not built here: plain text
    assert "Notebook map" in front_main and "00 Start here" in front_main and "00_start_here" not in front_main
    index = json.loads((tmp_path / "book" / "search-index.js").read_text(encoding="utf-8")
                       .removeprefix("window.BOOK_INDEX = ").rstrip().removesuffix(";"))
    assert [e["url"] for e in index] == ["index.html", "00_alpha.html", "01_beta.html"]
    assert "zebra crossing" in index[1]["text"] and "[Beta]" not in index[1]["text"]


# ----------------------------------------------------------------------------- in Chromium
@pytest.fixture(scope="module")
def fast_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``publish book --fast --only 00,02`` into a temporary folder (skips first when there is no browser)."""
    browser_tools.require("the book's browser test")
    out = tmp_path_factory.mktemp("book") / "site"
    done = subprocess.run([sys.executable, "-m", "mtl_helpers.publish", "book", str(out), "--fast", "--only",
                           "00,02"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def site_url(fast_book: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The built book served by ``python -m http.server`` on 127.0.0.1, stopped by its pid afterwards."""
    port = browser_tools.free_port()
    log = tmp_path_factory.mktemp("server") / "http.log"
    with log.open("wb") as sink:
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                   "--directory", str(fast_book)], stdout=sink, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        browser_tools.wait_http(url + "/index.html", server, log)
        yield url
    finally:
        browser_tools.stop(server)


@pytest.fixture
def page():
    """A page in the system Chromium (Playwright launches it and closes it; never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(browser_tools.CHROMIUM), args=[
            flag for flag in browser_tools.CHROMIUM_FLAGS if flag != "--headless"])
        try:
            yield chromium.new_page(viewport={"width": 1300, "height": 900})
        finally:
            chromium.close()


def _term_only_on(book: Path, url: str) -> list[str]:
    """Words of the search index that one page holds and no other: search terms that must find only it."""
    index = json.loads((book / "search-index.js").read_text(encoding="utf-8")
                       .removeprefix("window.BOOK_INDEX = ").rstrip().removesuffix(";"))
    words = {e["url"]: set(re.findall(r"[a-z]{9,}", (e["title"] + " " + e["text"]).lower())) for e in index}
    others = set().union(*(w for u, w in words.items() if u != url))
    return sorted(words[url] - others)


@pytest.mark.browser
def test_book_navigates_shows_figures_and_searches(fast_book: Path, site_url: str, page) -> None:
    with browser_tools.artefacts_on_failure(page, "book", full_page=False):
        page.set_default_timeout(20_000)
        assert page.goto(site_url + "/index.html").ok
        assert page.locator("main h2", has_text="Notebook map").is_visible()
        toc = page.locator(".book-toc a")
        assert toc.all_inner_texts() == ["00 · Start here", "02 · The θ formulation"]

        toc.nth(1).click()                                       # the table of contents navigates
        page.wait_for_url("**/02_theta_formulation.html")
        assert "θ formulation" in page.locator("main h1").first.inner_text()
        assert page.locator('.book-toc a[aria-current="page"]').inner_text() == "02 · The θ formulation"
        figure = page.locator("main img").first                  # a figure, drawn
        figure.scroll_into_view_if_needed()
        assert figure.is_visible() and figure.evaluate("img => img.complete && img.naturalWidth > 50")
        assert page.locator("main math").count() > 10            # formulas as MathML
        assert "live in JupyterLab or Voilà" in page.locator(".book-widget-note").first.inner_text()

        for href in page.locator("main a[href$='.html']").evaluate_all("links => links.map(a => a.href)"):
            assert page.request.get(href).ok, f"broken link {href}"  # links between notebooks work

        text = page.locator("main").inner_text().lower()
        term = next(w for w in _term_only_on(fast_book, "02_theta_formulation.html") if w in text)
        page.goto(site_url + "/00_start_here.html")               # search from another page
        page.fill("#book-search", term)
        results = page.locator("#book-results a")
        results.first.wait_for()
        assert results.all_inner_texts() == ["02 · The θ formulation"], term
        results.first.click()
        page.wait_for_url("**/02_theta_formulation.html")
        page.fill("#book-search", "zzqqxxnothing")
        assert "No page contains" in page.locator("#book-results").inner_text()
