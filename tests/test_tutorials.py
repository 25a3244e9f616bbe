"""Every tutorial notebook is stored with its outputs and runs top to bottom in a real kernel."""

from __future__ import annotations

import gc
import inspect
import json
import re
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA, shared_file
from tests.test_readme import check_calls

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "tutorials").glob("*.ipynb"))
#: Shared real files a notebook reads (it is skipped, with the reason, when they are absent).
NEEDS = {"02_gse781_geo.ipynb": "GSE781_family.soft.gz"}


def text_outputs(nb) -> list[tuple[int, str]]:
    """What a reader reads in a notebook's outputs, by cell: printed text and text results.

    A figure's text (``<Figure size ...>``) is left out: the figure is what shows.
    """
    texts = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        for out in cell["outputs"]:
            data = out.get("data", {})
            if out["output_type"] == "stream":
                texts.append((index, "".join(out["text"])))
            elif "text/plain" in data and "image/png" not in data:
                texts.append((index, "".join(data["text/plain"])))
    return texts


def shown_figures(nb) -> list[tuple[int, list[str]]]:
    """The numbers of each cell's text outputs, in order: what must not change between runs.

    Only the numbers, so that other versions of anndata or pandas (an AnnData repr with an
    extra line, a wide table wrapped elsewhere) lay them out as they like.
    """
    number = r"-?\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?"  # 22,283 is one
    figures: dict[int, list[str]] = {}
    # per cell, not per output: the kernel may send one print's text in two stream messages
    for index, text in text_outputs(nb):
        figures.setdefault(index, []).extend(re.findall(number, text))
    return list(figures.items())


def stderr_shown(nb) -> list[str]:
    """Text a notebook's cells wrote to stderr: warnings, gexclust's logged ones included.

    gexclust attaches no log handler, so in a kernel its warnings reach stderr through
    logging's last resort as the bare message ('pp.log2: the values are counts ...'), with
    no 'Warning' in it.
    """
    return ["".join(out["text"]) for cell in nb["cells"] if cell["cell_type"] == "code"
            for out in cell["outputs"] if out.get("name") == "stderr"]


def stated(prose: str) -> list[str]:
    """Figures the prose states that an output must show: ``ARI 0.24``, ``p = 0.05`` and
    gene symbols in backticks (`` `CA9` ``)."""
    prose = " ".join(prose.split())  # 'ARI' at the end of a line, its value on the next
    claims = [f"ARI {value}" for value in re.findall(r"\bARI (-?\d\.\d\d)\b", prose)]
    claims += [f"p = {value}" for value in re.findall(r"\bp = (\d\.\d+)\b", prose)]
    claims += re.findall(r"`([A-Z][A-Z0-9]{2,})`", prose)
    return claims


def shows(claim: str, text: str) -> bool:
    """Whether ``text`` shows ``claim`` as a whole: 'ARI 0.249' does not show 'ARI 0.24'."""
    return re.search(rf"(?<![\w.]){re.escape(claim)}(?![\w]|\.\d)", text) is not None


def markdown(nb) -> str:
    return "\n".join("".join(cell["source"]) for cell in nb["cells"]
                     if cell["cell_type"] == "markdown")


def test_the_tutorials_are_there():
    """By name (README links them): one that goes missing or is renamed fails here."""
    names = [path.name for path in NOTEBOOKS]
    assert names == [
        "01_gse9476_cumida.ipynb",
        "02_gse781_geo.ipynb",
        "03_scanpy_pbmc.ipynb",
        "04_how_many_clusters.ipynb",
    ]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert all(f"tutorials/{name}" in readme for name in names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_with_its_outputs(path):
    nb = json.loads(path.read_text())
    code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    assert all(cell["execution_count"] is not None for cell in code), "run scripts/run_tutorials.py"
    outputs = [out for cell in code for out in cell["outputs"]]
    assert not [out for out in outputs if out["output_type"] == "error"]
    assert stderr_shown(nb) == []
    assert any("image/png" in out.get("data", {}) for out in outputs)  # figures visible online


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_the_text_states_are_in_the_outputs(path):
    # the prose of tutorial 2 said 'ARI 0.24; Fisher's exact p = 0.05' for the lots while no
    # cell computed either: a change to the recipe would have left them standing
    nb = json.loads(path.read_text())
    shown = "\n".join(text for _, text in text_outputs(nb))
    claims = stated(markdown(nb))
    assert [claim for claim in claims if not shows(claim, shown)] == []


def crosstab_row(nb, label: str) -> list[int]:
    """The counts of one row of a crosstab shown in a notebook's outputs."""
    for _, text in text_outputs(nb):
        for line in text.splitlines():
            if line.startswith(label + " "):
                return [int(n) for n in line[len(label):].split()]
    raise AssertionError(label)


def test_the_pbmc_tutorial_reads_the_crosstab_as_it_is():
    # before: 'the NK cells and the cytotoxic CD8+ T cells are split between two more', while
    # the crosstab shows 17 of the 54 cytotoxic CD8+ T cells in the cluster of the other T
    # cells (cluster 4) and only 32 with the NK cells
    nb = json.loads((NOTEBOOKS[0].parent / "03_scanpy_pbmc.ipynb").read_text())
    prose = " ".join(markdown(nb).split())
    cd8, nk = crosstab_row(nb, "CD8+ Cytotoxic T"), crosstab_row(nb, "CD56+ NK")
    t_reg = crosstab_row(nb, "CD4+/CD25 T Reg")
    with_nk = max(range(len(nk)), key=lambda j: cd8[j] if nk[j] else -1)
    with_t = t_reg.index(max(t_reg))
    assert f"({cd8[with_nk]} of {sum(cd8)}; {cd8[with_t]} sit with the other T cells)" in prose
    dendritic, monocytes = crosstab_row(nb, "Dendritic"), crosstab_row(nb, "CD14+ Monocyte")
    assert f"{dendritic[monocytes.index(max(monocytes))]} of the \"Dendritic\"" in prose


def test_the_readme_states_what_the_tutorials_show():
    # each README item ('1. [GSE9476 ...](tutorials/01_...ipynb): ... ARI 0.21 ...') against
    # the stored outputs of the notebook it links
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Tutorials", 1)[1].split("\n## ", 1)[0]
    items = re.findall(r"^\d+\. \[[^]]+\]\(tutorials/([\w.]+\.ipynb)\)(.*?)(?=^\d+\. |\Z)",
                       section, flags=re.M | re.S)
    assert [name for name, _ in items] == [path.name for path in NOTEBOOKS]
    checked = 0
    for name, text in items:
        nb = json.loads((NOTEBOOKS[0].parent / name).read_text())
        shown = "\n".join(text for _, text in text_outputs(nb))
        claims = stated(text)
        assert [claim for claim in claims if not shows(claim, shown)] == [], name
        checked += len(claims)
    assert checked >= 8


def test_calls_in_the_text_use_real_functions_and_keywords():
    # the code cells run; the calls the prose quotes (`pp.log2(auto=True)`,
    # `gx.io.read_geo("GSE781", platform="GPL96", source="soft")`) are checked as the README's
    quoted = [check_calls(markdown(json.loads(path.read_text()))) for path in NOTEBOOKS]
    assert sum(quoted) >= 5


def test_the_tutorials_state_the_real_defaults_and_rules():
    # prose that restates what the code does, against the code (before: tutorial 4 defined PAC
    # as the pairs 'neither always together nor always apart', where tl.consensus counts those
    # together in more than 10% and at most 90% of the resamples)
    import gexclust as gx
    from gexclust.pl._dendrogram import MAX_DRAWN_LEAVES, TRUNCATED_LEAVES
    from gexclust.tl._bootstrap import DEFAULT_SCALES
    from gexclust.tl._consensus import PAC_WINDOW

    prose = {path.name[:2]: " ".join(markdown(json.loads(path.read_text())).split())
             for path in NOTEBOOKS}

    def said(tutorial: str, pattern: str) -> tuple[str, ...]:
        match = re.search(pattern, prose[tutorial])
        assert match, f"tutorial {tutorial} no longer says {pattern!r}"
        return match.groups()

    def default(function, name: str):
        return inspect.signature(function).parameters[name].default

    assert said("02", r"Values below (\d+) \(") == (f"{default(gx.pp.log2, 'floor'):g}",)
    assert said("03", r"beyond (\d+), `pl\.dendrogram` draws the top (\d+)") == (
        str(MAX_DRAWN_LEAVES), str(TRUNCATED_LEAVES))
    assert said("04", r"at ten scales \(([\d.]+) to ([\d.]+) times") == (
        str(DEFAULT_SCALES[0]), str(DEFAULT_SCALES[-1]))
    assert len(DEFAULT_SCALES) == 10
    (n_boot,) = said("04", r"use the default ([\d,]+) for a real analysis")
    assert int(n_boot.replace(",", "")) == default(gx.tl.bootstrap, "n_boot")
    (fraction,) = said("04", r"Resample (\d+)% of the samples")
    assert int(fraction) / 100 == default(gx.tl.consensus, "sample_fraction")
    low, high = said("04", r"together in more than (\d+)% and at most (\d+)%")
    assert (int(low) / 100, int(high) / 100) == PAC_WINDOW


def execute(nb, tmp_path, monkeypatch) -> None:
    """Run ``nb`` in place, top to bottom, in a fresh kernel working in ``tmp_path``."""
    nbclient = pytest.importorskip("nbclient")
    from jupyter_client import KernelManager

    monkeypatch.setenv("GEXCLUST_SHARED_DATA", str(SHARED_DATA))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel picks its inline backend
    # no network, as CI promises none: a cell fetching from GEO fails within a second or two
    # (a closed local port, an empty cache), instead of reaching NCBI or a user's cache
    monkeypatch.setenv("GEXCLUST_GEO_URL", "http://127.0.0.1:9/geo")
    monkeypatch.setenv("GEXCLUST_GEO_QUERY_URL", "http://127.0.0.1:9/query")
    monkeypatch.setenv("GEXCLUST_CACHE_DIR", str(tmp_path / "geo-cache"))
    monkeypatch.setenv("GEXCLUST_DOWNLOAD_BUDGET", "1")
    # local IPC sockets: the kernel needs no network, not even 127.0.0.1
    # its connection file in tmp_path too (by default a tmp*.json left in the system's /tmp)
    kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(tmp_path / "kernel"),
                           connection_file=str(tmp_path / "kernel.json"))
    client = nbclient.NotebookClient(nb, km=kernel, timeout=600,
                                     resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()  # raises CellExecutionError, with the cell's traceback, on any error
    finally:
        del client, kernel
        gc.collect()  # collect the sockets here, where their warnings are ignored


# jupyter_client leaves zmq sockets for the garbage collector (third-party, harmless)
@pytest.mark.filterwarnings("ignore::ResourceWarning",
                            "ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    if path.name in NEEDS:
        shared_file(NEEDS[path.name])
    nb = nbformat.read(path, as_version=4)
    execute(nb, tmp_path, monkeypatch)
    # the stored outputs are those a run gives today (before: tutorial 1 showed the Newick
    # branch lengths io.write_newick wrote before it placed merges at half their height)
    stored = json.loads(path.read_text())
    assert shown_figures(nb) == shown_figures(stored), "stale: python scripts/run_tutorials.py"
    produced = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert any("image/png" in out.get("data", {}) for out in produced)
    # a reader sees no warnings (before: tl.bootstrap(progress=False) printed tqdm's
    # 'TqdmWarning: IProgress not found. Please update jupyter and ipywidgets')
    assert stderr_shown(nb) == []


@pytest.mark.filterwarnings("ignore::ResourceWarning",
                            "ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_tutorial_that_fetches_from_geo_fails_offline(tmp_path, monkeypatch):
    # the tutorials read shared files; one that called read_geo would need the network CI
    # does not have: in the tests' kernel it fails at once, naming the closed local address
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import gexclust as gx\n"
        "gx.io.read_geo('GSE781', platform='GPL96', source='soft')")])
    try:
        execute(nb, tmp_path, monkeypatch)
    except nbclient.exceptions.CellExecutionError as error:
        message = str(error)
    else:
        message = "no error"
    gc.collect()  # the error's traceback held the kernel's sockets: collect them here
    assert "DownloadError" in message
    assert "http://127.0.0.1:9/geo/series/GSEnnn/GSE781/soft/GSE781_family.soft.gz" in message
    assert not any((tmp_path / "geo-cache").rglob("*.gz"))


@pytest.mark.filterwarnings("ignore::ResourceWarning",
                            "ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_warning_gexclust_logs_in_a_notebook_is_seen(tmp_path, monkeypatch):
    # before, only stderr text containing 'Warning' failed a tutorial: gexclust's own
    # warnings, logged, show as the bare message and passed unseen
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import anndata as ad\nimport numpy as np\n\nimport gexclust as gx\n\n"
        "gx.pp.log2(ad.AnnData(np.arange(200.0).reshape(20, 10)))")])
    execute(nb, tmp_path, monkeypatch)
    gc.collect()
    (shown,) = stderr_shown(nb)
    assert shown.startswith("pp.log2: the values are counts (whole numbers, max 199)")
    assert "Warning" not in shown


def test_a_stated_figure_is_matched_whole():
    # before: matched as a substring, 'ARI 0.24' was shown by 'ARI 0.249' and `CA9` by 'CA91'
    assert not shows("ARI 0.24", "ARI 0.249")
    assert not shows("p = 0.05", "p = 0.057")
    assert not shows("CA9", "CA91")
    assert shows("ARI 0.24", "k = 2: ARI 0.24.")
    assert shows("CA9", "(CA9, NDUFA4L2)")


@pytest.mark.filterwarnings("ignore::ResourceWarning",
                            "ignore::pytest.PytestUnraisableExceptionWarning")
def test_run_tutorials_keeps_its_kernels_off_the_network(tmp_path):
    # before: scripts/run_tutorials.py started its kernels with the caller's environment, so
    # a tutorial cell fetching from GEO reached NCBI (or the user's cache) while the tests'
    # kernels met a closed local port: outputs stored by the script could need the network
    import importlib.util
    import os

    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    script = Path(__file__).resolve().parents[1] / "scripts" / "run_tutorials.py"
    spec = importlib.util.spec_from_file_location("run_tutorials", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        "import os\n"
        "assert os.environ.get('GEXCLUST_GEO_URL') == 'http://127.0.0.1:9/geo', 'online'\n"
        "assert os.environ.get('GEXCLUST_GEO_QUERY_URL') == 'http://127.0.0.1:9/query'",
        "import gexclust as gx\ngx.io.read_geo('GSE781', platform='GPL96', source='soft')")])
    path = tmp_path / "fetches.ipynb"
    nbformat.write(nb, path)
    environment = dict(os.environ)
    try:
        module.execute(path)
    except nbclient.exceptions.CellExecutionError as error:
        message = str(error)
    else:
        message = "no error"
    gc.collect()  # the error's traceback held the kernel's sockets: collect them here
    assert "online" not in message
    assert "DownloadError" in message
    assert "http://127.0.0.1:9/geo/series/GSEnnn/GSE781/soft/GSE781_family.soft.gz" in message
    assert dict(os.environ) == environment  # the script's own process is left as it was


def test_the_report_sections_the_tutorials_name_are_the_reports():
    # before: tutorial 4 said `gexclust run` writes the answers of tl.choose_k, tl.bootstrap and
    # tl.consensus into the report's section "How sure", which holds only support and
    # consensus (the choice of k is under "How many clusters"), and that the report "says
    # plainly" when one was not computed, where it says nothing of a consensus not run
    from gexclust._report import _content

    titles = set(re.findall(r'Section\("[\w-]+", "([^"]+)"', inspect.getsource(_content)))
    prose = " ".join(" ".join(markdown(json.loads(path.read_text())) for path in NOTEBOOKS)
                     .split())
    named = re.findall(r'(?:under|section) "([^"]+)"', prose)
    assert "How many clusters" in named
    assert [name for name in named if name not in titles] == []
