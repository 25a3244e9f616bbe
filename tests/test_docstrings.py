"""Docstrings say what the functions do: the keys each public ``pp``/``tl`` function writes are
those its numpydoc Returns section lists, and every Parameters section names the signature's
parameters in order, so the text and the code cannot drift apart."""

from __future__ import annotations

import importlib
import inspect
import operator
import re

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import gexclust as gx
from tests.conftest import make_planted
from tests.test_readme import _writes_cell

SLOTS = ("obs", "var", "uns", "obsp", "obsm", "layers")
# ``.obs['type']``, ``.uns[key_added]``, ``.obsp[f'{key_added}_k{k}']``, ``.uns[key]['support']``
# and a bare ``['std']`` continuing the slot named before it (``.var['mean']`` and ``['std']``)
ACCESS = re.compile(r"(?:\.(obs|var|uns|obsp|obsm|layers)|(?<=and )|(?<=or )|(?<=, )|(?<=/))"
                    r"((?:\[[^\[\]]+\])+)")
NESTED_TABLES = ("scores",)  # tl.choose_k's table of scores by k, inside its record


def numpydoc_sections(func) -> dict[str, str]:
    doc = "\n" + (inspect.getdoc(func) or "")
    found = re.split(r"\n(\w[\w ]*)\n-+\n", doc)
    return dict(zip(found[1::2], found[2::2], strict=True))


def what_it_sets(func) -> str:
    """The Returns section's first paragraph and its list: what is written. The paragraphs
    after it explain (``.var['std']`` read back, scanpy's ``.uns['log1p']``)."""
    text = numpydoc_sections(func)["Returns"].strip()
    first, _, rest = text.partition("\n\n")
    items = re.match(r"(?:- .*(?:\n  .*)*\n?)*", rest).group(0)
    return (first + "\n" + items).replace("``", "")


def pattern(index: str, names: dict) -> str:
    """A regex for one index: ``'x'`` -> x; ``f'{key_added}_k{k}'`` -> consensus_k\\d+
    (placeholders without a value match any number); a bare name -> its value."""
    index = index.strip().removeprefix("f")
    if index[:1] not in "'\"":
        return re.escape(str(names.get(index, index)))
    text = index[1:-1]
    parts = re.split(r"\{(\w+)\}", text)
    return "".join(re.escape(str(names[p])) if i % 2 and p in names else r"\w+" if i % 2
                   else re.escape(p) for i, p in enumerate(parts))


def documented_keys(func, names: dict) -> set[tuple]:
    """Regexes of the (slot, key[, field]) paths the Returns section says are set."""
    return keys_named(what_it_sets(func), names)


def keys_named(text: str, names: dict) -> set[tuple]:
    """Regexes of the (slot, key[, field]) paths ``text`` names."""
    paths, slot = set(), None
    for match in ACCESS.finditer(text):
        slot = match.group(1) or slot
        if slot is None or text.startswith("'s", match.end()):  # .obs['cluster']'s: read
            continue
        indices = [pattern(i, names) for i in re.findall(r"\[([^\[\]]+)\]", match.group(2))]
        paths.add((slot, *indices[:2]))
    return paths


def matches(path: tuple, documented: tuple) -> bool:
    return len(path) == len(documented) and all(
        re.fullmatch(regex, str(part)) for part, regex in zip(path, documented, strict=True))


def written_keys(before: ad.AnnData, after: ad.AnnData) -> set[tuple]:
    """The keys ``after`` holds that ``before`` did not, and new fields of existing records."""
    paths = set()
    for slot in SLOTS:
        old, new = getattr(before, slot), getattr(after, slot)
        for key in new:
            if key not in old:
                paths.add((slot, key))
                if slot == "uns" and isinstance(new[key], dict):
                    paths |= {(slot, key, field) for field in new[key]}
            elif slot == "uns" and isinstance(new[key], dict):
                paths |= {(slot, key, field) for field in set(new[key]) - set(old[key])}
    return paths


def record_fields(record) -> set[str]:
    """Field names of a written record: dict keys or DataFrame columns, and the columns of
    a table of scores inside it."""
    if isinstance(record, pd.DataFrame):
        return set(record.columns)
    if not isinstance(record, dict):
        return set()
    tables = [record[name] for name in NESTED_TABLES if name in record]
    return set(record).union(*(table.columns for table in tables))


def written_records(adata: ad.AnnData, new: set[tuple]) -> list:
    """The ``.uns`` records written, and those added to an existing record (``support``)."""
    records = [adata.uns[key] for slot, key, *_ in new if slot == "uns" and (slot, key) in new]
    records += [adata.uns[path[1]][path[2]] for path in new
                if len(path) == 3 and path[:2] not in new]
    return records


def documented_fields(func) -> set[str]:
    """Every name in double backticks in the Returns section (``x``, ``{'base': 2}``)."""
    spans = re.findall(r"``(.+?)``", numpydoc_sections(func)["Returns"], flags=re.DOTALL)
    return {word for span in spans for word in re.findall(r"\w+", span)}


def clustered(n_genes: int = 30) -> ad.AnnData:
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=n_genes)
    adata.var["gene_symbol"] = [f"G{j}" for j in range(adata.n_vars)]
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    return adata


def with_layer(adata: ad.AnnData) -> ad.AnnData:
    adata.layers["L"] = adata.X.copy()
    return adata


def linear(adata: ad.AnnData) -> ad.AnnData:
    adata.X = 2.0 ** adata.X  # MAS 5.0-like: pp.log2 logs it
    return adata


# name: (make the input, call it, placeholders of its docstring, calls with a layer too)
CASES = {
    "pp.log2": (lambda: linear(make_planted()), lambda a, **kw: gx.pp.log2(a, **kw), {}),
    "pp.center": (make_planted, lambda a, **kw: gx.pp.center(a, **kw), {}),
    "pp.scale": (make_planted, lambda a, **kw: gx.pp.scale(a, **kw), {}),
    "pp.select_variable": (make_planted,
                           lambda a, **kw: gx.pp.select_variable(a, n_top=5, **kw),
                           {"key_added": "highly_variable"}),
    "tl.hclust": (make_planted, lambda a, **kw: gx.tl.hclust(a, **kw), {"key_added": "hclust"}),
    "tl.cut": (lambda: (a := make_planted(), gx.tl.hclust(a))[0],
               lambda a: gx.tl.cut(a, n_clusters=3), {"key_added": "cluster", "key": "hclust"}),
    "tl.cut dynamic": (lambda: (a := make_planted(), gx.tl.hclust(a))[0],
                       lambda a: gx.tl.cut(a, method="dynamic"),
                       {"key_added": "cluster", "key": "hclust"}),
    "tl.bootstrap": (lambda: (a := make_planted(), gx.tl.hclust(a))[0],
                     lambda a: gx.tl.bootstrap(a, n_boot=10, progress=False), {"key": "hclust"}),
    "tl.choose_k": (lambda: (a := make_planted(), gx.tl.hclust(a))[0],
                    lambda a: gx.tl.choose_k(a, k_range=range(2, 5), n_rotations=19,
                                             progress=False),
                    {"key_added": "choose_k"}),
    "tl.compare": (clustered, lambda a: gx.tl.compare(a, reference="type", clusters="cluster"),
                   {"key_added": "compare_type_cluster"}),
    "tl.markers": (clustered, lambda a, **kw: gx.tl.markers(a, n_genes=2, **kw),
                   {"key_added": "markers"}),
    "tl.consensus": (clustered, lambda a, **kw: gx.tl.consensus(
        a, k_range=[2, 3], n_resamples=5, progress=False, **kw), {"key_added": "consensus"}),
}


def test_every_public_pp_and_tl_function_has_a_case():
    public = {f"{sub}.{name}" for sub in ("pp", "tl")
              for name in importlib.import_module(f"gexclust.{sub}").__all__}
    # pp.collapse_probes returns a new AnnData: nothing is written into its input
    assert public - {"pp.collapse_probes"} == {case.split()[0] for case in CASES}


@pytest.mark.parametrize("name", CASES)
def test_the_keys_written_are_those_the_returns_section_lists(name):
    make, call, names = CASES[name]
    func = operator.attrgetter(name.split()[0])(gx)
    takes_layer = "layer" in inspect.signature(func).parameters
    documented = documented_keys(func, {"layer": "L", **names})
    written = set()
    for kw in ({}, {"layer": "L"}) if takes_layer else ({},):
        adata = with_layer(make())
        before = adata.copy()
        call(adata, **kw)
        new = written_keys(before, adata)
        # a record the text lists field by field ('.uns[key]: ``k``, ``pac``') is one key
        undocumented = {path for path in new
                        if not any(matches(path, d) or (matches(path[:2], d) and len(d) == 2)
                                   for d in documented)}
        assert not undocumented, (name, kw, sorted(map(str, undocumented)))
        written |= new
        for record in written_records(adata, new):
            missing = record_fields(record) - documented_fields(func)
            assert not missing, (name, kw, sorted(missing))
    never_written = {d for d in documented if not any(matches(w, d) for w in written)}
    assert not never_written, (name, sorted(map(str, never_written)))


@pytest.mark.parametrize("name", CASES)
def test_the_readme_table_names_every_key_written(name):
    # the README's 'function | writes' table is where a user looks a result up; before, the
    # tl.consensus row left out .uns['consensus_colors'], `labels` and `params`, tl.cut's
    # `n_clusters_found` and `params`, tl.choose_k's `n_scored`, tl.bootstrap's `params`
    make, call, names = CASES[name]
    func = operator.attrgetter(name.split()[0])(gx)
    row = _writes_cell(f"{name.split()[0]}(").replace("`", "")
    named = keys_named(row, {"layer": "L", **names})
    for kw in ({}, {"layer": "L"}) if "layer" in inspect.signature(func).parameters else ({},):
        adata = with_layer(make())
        before = adata.copy()
        call(adata, **kw)
        new = {path for path in written_keys(before, adata) if len(path) == 2}
        unnamed = {path for path in new if not any(matches(path, n[:2]) for n in named)}
        assert not unnamed, (name, kw, sorted(unnamed))
        if name.startswith("tl."):  # tl rows list their records' fields (pp rows: docstrings)
            fields = set(re.findall(r"\w+", row))
            for record in written_records(adata, written_keys(before, adata)):
                assert not record_fields(record) - fields, (name, record_fields(record) - fields)


def public_functions():
    for sub in ("pp", "tl", "pl", "io", "datasets"):
        module = importlib.import_module(f"gexclust.{sub}")
        for name in module.__all__:
            func = getattr(module, name)
            if inspect.isfunction(func):
                yield f"{sub}.{name}", func


@pytest.mark.parametrize(("name", "func"), list(public_functions()))
def test_the_parameters_section_names_every_parameter_in_order(name, func):
    parameters = numpydoc_sections(func).get("Parameters", "")
    listed = re.findall(r"^(\*{0,2}\w+)\s*$", parameters, flags=re.MULTILINE)
    signature = [p for p in inspect.signature(func).parameters]
    assert listed == signature, name


def test_cut_docstring_case_uses_real_numbers():
    # the checks above compare names; one real value, so a broken case cannot pass vacuously
    adata = clustered()
    assert adata.uns["cluster"]["n_clusters_found"] == 3
    assert np.isfinite(adata.uns["hclust"]["cophenetic_correlation"])


def test_collapse_probes_returns_what_its_returns_section_lists():
    # it returns a new AnnData (its genes are not the input's): its own keys, not the input's.
    # Before, the docstring said only '.uns['collapse_probes'] with the parameters and counts'
    adata = with_layer(make_planted())
    adata.var["gene_symbol"] = [f"G{j // 2}" for j in range(adata.n_vars)]  # 2 probes a gene
    genes = gx.pp.collapse_probes(adata)
    new = {path for path in written_keys(adata, genes) if len(path) == 2}
    assert new == {("var", "n_probes"), ("var", "probes"), ("uns", "collapse_probes")}
    documented = documented_keys(gx.pp.collapse_probes, {})
    assert {path for path in new if not any(matches(path, d) for d in documented)} == set()
    assert not record_fields(genes.uns["collapse_probes"]) - documented_fields(
        gx.pp.collapse_probes), sorted(genes.uns["collapse_probes"])
    assert genes.n_vars == 30


def leiden(adata: ad.AnnData) -> ad.AnnData:
    """Clusters of another tool, as plain strings and without colours: what a plot stores."""
    adata.obs["leiden"] = [f"c{i % 3}" for i in range(adata.n_obs)]
    adata.obs["type"] = adata.obs["type"].astype(str)
    return adata


def consensus_without_colours() -> ad.AnnData:
    adata = clustered()
    gx.tl.consensus(adata, k_range=[2, 3], n_resamples=5, progress=False)
    del adata.uns["consensus_colors"]
    return adata


def sheet(tmp_path, adata: ad.AnnData) -> str:
    path = tmp_path / "sheet.csv"
    pd.DataFrame({"id": adata.obs_names, "batch": ["b1", "b2"] * (adata.n_obs // 2)}).to_csv(
        path, index=False)
    return str(path)


# name: (make the input, call it, placeholders of its docstring); each case leaves colours
# missing, so a plot writes what its Returns section says it may
PLOT_AND_IO_CASES = {
    "pl.dendrogram": (lambda: leiden(clustered()),
                      lambda a, tmp: gx.pl.dendrogram(a, clusters="leiden", show=False),
                      {"color": "type", "clusters": "leiden"}),
    "pl.clustermap": (lambda: leiden(clustered()),
                      lambda a, tmp: gx.pl.clustermap(a, clusters="leiden", show=False),
                      {"color": "type", "clusters": "leiden"}),
    "pl.cluster_heatmap": (lambda: leiden(clustered()),
                           lambda a, tmp: gx.pl.cluster_heatmap(a, groupby="leiden", show=False),
                           {"groupby": "leiden"}),
    "pl.markers": (lambda: leiden(clustered()),
                   lambda a, tmp: gx.pl.markers(a, groupby="leiden", show=False),
                   {"groupby": "leiden"}),
    "pl.consensus": (consensus_without_colours,
                     lambda a, tmp: gx.pl.consensus(a, show=False), {"key": "consensus"}),
    "io.annotate_obs": (make_planted, lambda a, tmp: gx.io.annotate_obs(a, sheet(tmp, a)),
                        {"column": "batch"}),
}


@pytest.mark.parametrize("name", PLOT_AND_IO_CASES)
def test_plots_and_annotate_obs_write_only_what_their_returns_section_lists(name, tmp_path):
    # before, pl.dendrogram's Returns said nothing of the colours and categoricals it stores
    # (its siblings did), and io.annotate_obs's left out the .obs columns and `matched`
    make, call, names = PLOT_AND_IO_CASES[name]
    func = operator.attrgetter(name)(gx)
    adata = make()
    before = adata.copy()
    call(adata, tmp_path)
    new = written_keys(before, adata)
    assert new, name  # every case writes something: the check below is not vacuous
    returns = numpydoc_sections(func)["Returns"]
    documented = keys_named(returns.replace("``", ""), names)
    undocumented = {path for path in new
                    if not any(matches(path, d) or (matches(path[:2], d) and len(d) == 2)
                               for d in documented)}
    assert not undocumented, (name, sorted(map(str, undocumented)))
    for record in written_records(adata, new):
        assert not record_fields(record) - documented_fields(func), (name, record_fields(record))
    made_categorical = [column for column in before.obs
                        if before.obs[column].dtype != adata.obs[column].dtype]
    assert not made_categorical or "plain-string" in " ".join(returns.split()), name


def test_consensus_final_method_names_the_methods_it_takes():
    # the signature's type allows every linkage method, the function only four; before, the
    # docstring named none, so 'ward' (fine for method=) was refused without a hint beforehand
    methods = ("ward", "average", "complete", "single", "weighted", "centroid", "median")
    taken = set()
    for method in methods:
        try:
            gx.tl.consensus(make_planted(n_per_group=4), k_range=[2], n_resamples=3,
                            final_method=method, progress=False)
        except ValueError:
            continue
        taken.add(method)
    parameters = numpydoc_sections(gx.tl.consensus)["Parameters"]
    text = re.search(r"^final_method\n((?:    .*\n)+)", parameters + "\n", re.MULTILINE).group(1)
    assert set(re.findall(r"``'(\w+)'``", text)) == taken == {"average", "complete", "single",
                                                              "weighted"}
