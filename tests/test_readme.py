"""The README backs its claims with named tests: every name it cites must exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_tests_named_in_readme_exist():
    cited = set(re.findall(r"`(test_\w+)`", (ROOT / "README.md").read_text()))
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)\(", path.read_text(), flags=re.M))
    assert cited, "the README cites no tests"
    assert sorted(cited - defined) == []


def test_tests_cited_with_their_file_are_in_that_file():
    # `tests/x.py::test_a`, then `::test_b` for the same file: a test moved to another file
    # (or a file renamed) would send the reader to the wrong place
    text = (ROOT / "README.md").read_text()
    cited, path = [], None
    for file, name in re.findall(r"`(tests/[\w/]+\.py)?::(test_\w+)`", text):
        path = file or path
        assert path, f"::{name} is cited before any test file"
        cited.append((path, name))
    assert len(cited) > 20
    missing = [f"{path}::{name}" for path, name in cited
               if not re.search(rf"^def {name}\(", (ROOT / path).read_text(), flags=re.M)]
    assert missing == []


def test_readme_synopsis_lists_every_option_of_each_command():
    # the ```text block under '## Command line': one entry per command, continued by
    # indented lines; options added to the parser but not to the README fail here
    from gexclust.cli import build_parser

    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Command line\s+```text\n(.*?)```", text, re.S).group(1)
    listed: dict[str, set[str]] = {}
    for line in block.splitlines():
        if line.startswith("gexclust "):
            command = line.split()[1]
        listed.setdefault(command, set()).update(re.findall(r"(?<![\w-])--?[a-z][a-z-]*", line))
    subparsers = next(a for a in build_parser()._actions if a.choices)
    for command, parser in subparsers.choices.items():
        actions = [set(a.option_strings) for a in parser._actions
                   if a.option_strings and "--help" not in a.option_strings]
        assert [a for a in actions if not a & listed[command]] == [], command
        assert listed[command] <= set().union(*actions), command


def test_readme_names_every_function_that_takes_copy_or_inplace():
    import inspect

    import gexclust as gx

    text = (ROOT / "README.md").read_text()
    sentence = text[text.index("Every function that reads expression takes"):]
    sentence = " ".join(sentence[:sentence.index("float32 stays float32")].split())
    copy_part, rest = sentence.split("take `copy=`")
    inplace_part = rest.split("take `inplace=`")[0]

    def named(part: str) -> set[str]:
        return {".".join(m) for m in re.findall(r"`(pp|tl|pl|io)\.(\w+)`", part)}

    def taking(parameter: str) -> set[str]:
        return {f"{module}.{name}" for module in ("pp", "tl", "pl", "io")
                for name in getattr(gx, module).__all__
                if callable(obj := getattr(getattr(gx, module), name))
                and not isinstance(obj, type)
                and parameter in inspect.signature(obj).parameters}

    assert named(copy_part.split(");")[-1]) == taking("copy")
    assert named(inplace_part) == taking("inplace")


def _split_arguments(text: str) -> list[str]:
    """``text`` split at the commas outside brackets: ``k_range=range(2, 11), seed=0``."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += (char in "([") - (char in ")]")
        if char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return [*parts, text[start:].strip()]


def test_readme_function_tables_give_the_real_parameters_and_defaults():
    # the API tables show each function's keywords as `name=default` (or
    # `name='default'|'other'`); a renamed keyword or a changed default fails here
    import inspect

    import gexclust as gx

    text = (ROOT / "README.md").read_text().replace("\\|", "|")
    rows = re.findall(r"^\| `(pp|tl|pl|io)\.(\w+)\((.*?)\)` \|", text, flags=re.M)
    assert len(rows) > 20
    checked = 0
    for module, name, arguments in rows:
        if "=" in _split_arguments(arguments)[0]:
            continue  # a call shown as an example (`tl.cut(method='dynamic')`), no signature
        parameters = inspect.signature(getattr(getattr(gx, module), name)).parameters
        keyword_only = False
        for argument in _split_arguments(arguments):
            keyword_only |= argument == "*"
            parameter, _, default = argument.partition("=")
            if argument in ("*", "...") or argument.startswith("'") or "..." in default:
                continue
            where = f"{module}.{name}({parameter}=)"
            # positional ones too: read_geo(acc=...) failed where the table said `acc`
            assert parameter in parameters, f"{where}: no such parameter"
            if not (default or keyword_only):
                continue  # a positional argument: its name is all there is to check
            if not default:  # shown bare, so the reader takes it as required
                assert parameters[parameter].default is inspect.Parameter.empty, where
            if default:
                shown = eval(default.split("|")[0], {"range": range})  # first: the default
                assert parameters[parameter].default == shown, where
            checked += 1
    assert checked > 60


def test_readme_function_rows_list_every_parameter_in_order():
    # before: `tl.markers(adata, *, groupby=..., gene_symbols='gene_symbol')` left out
    # use_raw, key_added and inplace (and 26 other rows left out copy, layer, limits, ...):
    # a reader took the row for the whole signature. The test above checks that each named
    # parameter exists with its default; this one that none is left out
    import inspect

    import gexclust as gx

    text = (ROOT / "README.md").read_text().replace("\\|", "|")
    rows = re.findall(r"^\| `(pp|tl|pl|io)\.(\w+)\((.*?)\)` \|", text, flags=re.M)
    incomplete = []
    for module, name, arguments in rows:
        shown = [a.partition("=")[0] for a in _split_arguments(arguments)]
        if "=" in _split_arguments(arguments)[0]:
            continue  # a call shown as an example (`tl.cut(method='dynamic')`)
        signature = inspect.signature(getattr(getattr(gx, module), name))
        expected = []
        for parameter in signature.parameters.values():
            if parameter.kind is parameter.KEYWORD_ONLY and "*" not in expected:
                expected.append("*")
            expected.append(parameter.name)
        if shown != expected:
            incomplete.append(f"{module}.{name}: README {shown}, signature {expected}")
    assert len(rows) > 20
    assert incomplete == []


def test_large_data_example_quotes_the_benchmark_table():
    # the example's comments are the times of benchmarks/RESULTS.md's rows: the two-way
    # figure had stayed at an earlier run's ~5.5 s when the table said 4.4-4.6 s
    text = (ROOT / "README.md").read_text()
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text()

    def gexclust_time(row: str) -> list[float]:
        cells = [line.split(" | ") for line in results.splitlines() if line.startswith(row)]
        assert cells, row
        return [float(c[4].removesuffix(" s")) for c in cells]  # gexclust's time column

    two_way = float(re.search(r"two-way, all 22,283 probes: ~([\d.]+) s", text).group(1))
    times = gexclust_time("| two-way average/correlation, all 22,283 genes |")
    assert min(times) - 0.25 <= two_way <= max(times) + 0.25, (two_way, times)
    seconds, peak = re.search(r"100,000 x 50: (\d+) s, ([\d.]+) GB peak", text).groups()
    row = next(line.split(" | ") for line in results.splitlines()
               if line.startswith("| ward 100,000 x 50 |"))
    assert round(float(row[4].removesuffix(" s"))) == int(seconds)
    assert round(float(row[7].removesuffix(" MB")) / 1000, 1) == float(peak)


def test_end_to_end_row_quotes_the_benchmark_table():
    # the single-scripts table's end-to-end row is the one users quote for issue 8's 2x: it
    # had stayed at 3.72 s and 1.41x when benchmarks/RESULTS.md said 3.24 s and 1.5x
    text = (ROOT / "README.md").read_text()
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    row = next(line.split(" | ") for line in results.splitlines()
               if line.startswith("| end to end, 64 x 22,283 CSV |"))
    peer, ours, ratio = row[3], row[4], row[5]
    quoted = next(line for line in text.split("<!-- benchmarks/RESULTS.md: end -->")[1]
                  .splitlines() if line.startswith("| end to end, same CSV"))
    assert f"original script {peer} | `gexclust run` {ours} | {ratio} (" in quoted, quoted
    assert f"`gexclust run`'s {float(ours.removesuffix(' s')):.1f} s" in text


def _python_block(heading: str) -> str:
    """The first ```python block after ``heading`` in the README."""
    text = (ROOT / "README.md").read_text()
    return re.search(r"```python\n(.*?)```", text[text.index(heading):], re.S).group(1)


def test_readme_python_api_example_runs_as_written(tmp_path, monkeypatch):
    # the README's first Python block, verbatim, in an empty folder: a newcomer copying it has
    # no CuMiDa file (it began with read_cumida("Leukemia_GSE9476.csv"): "no such file")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_python_block("## Python API"), "README.md", "exec"), namespace)
    adata = namespace["adata"]
    assert adata.uns["log2"]["applied"] is False  # "no-op on RMA data"
    assert adata.n_vars == 1000
    assert adata.uns["choose_k"]["k"] == 4
    assert adata.uns["compare_type_cluster"]["ari"] == pytest.approx(0.8976, abs=1e-4)


def test_readme_limits_table_gives_each_variable_field_and_default():
    from gexclust._limits import ENV, Limits, _parse

    text = (ROOT / "README.md").read_text()
    table = text[text.index("#### Limits"):].split("\n\n")[2]
    rows = re.findall(r"^\| `(GEXCLUST_\w+)` \| `(\w+)` \| ([^|]+) \|", table, flags=re.M)
    assert sorted(field for _, field, _ in rows) == sorted(ENV)  # every limit, once
    for variable, field, default in rows:
        assert ENV[field] == variable
        assert _parse(field, default.strip().strip("`")) == getattr(Limits(), field), field


def _writes_cell(signature_start: str) -> str:
    """The 'writes' cell of the API table row whose function starts ``signature_start``."""
    text = (ROOT / "README.md").read_text().replace("\\|", "|")
    row = next(line for line in text.splitlines() if line.startswith(f"| `{signature_start}"))
    return row.split("` | ", 1)[1]


def test_readme_api_table_names_the_fields_the_tools_write():
    # the table is how a reader finds a result (adata.uns['choose_k']['p_value_k']); a field
    # renamed in the code and not in the table would send them to a KeyError
    import anndata as ad
    import numpy as np

    import gexclust as gx

    rng = np.random.default_rng(0)
    adata = ad.AnnData(np.repeat(rng.normal(0, 3, (3, 40)), 6, axis=0)
                       + rng.normal(size=(18, 40)))
    adata.obs["type"] = np.repeat(["a", "b", "c"], 6)
    gx.tl.hclust(adata, method="average", metric="correlation")
    gx.tl.choose_k(adata, k_range=range(2, 5), n_rotations=19)
    gx.tl.cut(adata, n_clusters=3)
    gx.tl.compare(adata, reference="type", clusters="cluster")
    gx.tl.bootstrap(adata, n_boot=5, progress=False)
    gx.tl.consensus(adata, k_range=range(2, 4), n_resamples=5, progress=False)
    records = {  # function: (its record, where the table's list of its fields ends)
        "tl.hclust(": (adata.uns["hclust"], None),
        "tl.bootstrap(": (adata.uns["hclust"]["support"], None),
        "tl.consensus(": (adata.uns["consensus"], None),
        "tl.choose_k(": (adata.uns["choose_k"], None),
        "tl.compare(": (adata.uns["compare_type_cluster"], "; a reference"),
    }
    for start, (record, end) in records.items():
        cell = _writes_cell(start)
        cell = cell[:cell.index(end)] if end else cell
        columns = {c for v in record.values() if hasattr(v, "columns") for c in v.columns}
        named = set(re.findall(r"`(\w+)`", cell))
        assert named, start
        assert sorted(named - set(record) - columns) == [], start
        for slot, name in re.findall(r"\.(obs|obsm|obsp)\['([\w{}]+)'\]", cell):
            assert name.format(k=record["k"][0]) in getattr(adata, slot), (start, name)


def test_readme_api_table_names_the_fields_the_preprocessing_writes():
    # the pp rows and tl.cut's: every .obs/.var/.uns field they name (`{layer}` for a
    # layer's own record) must be there after the call, as the tl records are checked above
    import anndata as ad
    import numpy as np

    import gexclust as gx

    rng = np.random.default_rng(0)
    linear = 2 ** np.repeat(rng.normal(8, 2, (3, 30)), 5, axis=0) * rng.uniform(0.8, 1.2, (15, 30))
    adata = ad.AnnData(linear, layers={"L": linear.copy()})
    after = {}
    gx.pp.log2(adata)  # linear values: applied, so .uns['log1p'] is written too
    gx.pp.log2(adata, layer="L")
    after["pp.log2("] = adata.copy()
    gx.pp.select_variable(adata, n_top=20, subset=True)
    after["pp.select_variable("] = adata.copy()
    centred, scaled = adata.copy(), adata.copy()
    for function, data in ((gx.pp.center, centred), (gx.pp.scale, scaled)):
        function(data)
        function(data, layer="L")
    after["pp.center("], after["pp.scale("] = centred, scaled
    gx.tl.hclust(centred)
    gx.tl.cut(centred, n_clusters=3)
    after["tl.cut("] = centred
    for start, data in after.items():
        named, slot = [], None
        # `.var['mean']`, then `['std']` or `.var['mean']`/`['std']`: the same slot
        for span in re.findall(r"`([^`]+)`", _writes_cell(start)):
            for prefix, name in re.findall(r"(\.(?:obs|var|uns))?\['([\w{}]+)'\]", span):
                slot = prefix[1:] if prefix else slot
                if slot:
                    named.append((slot, name))
        assert len(named) >= 2, start
        for slot, name in named:
            assert name.format(layer="L") in getattr(data, slot), (start, slot, name)
    assert {"threshold", "rule", "note"} <= set(after["tl.cut("].uns["cluster"])


def test_readme_calls_use_real_functions_and_keywords():
    # every call of ours the README shows, in its Python blocks and inline code
    # (`gx.tl.cut(adata, height=2.5)`, `tl.cut(method='dynamic')`), names a function that
    # exists and only keywords it takes; scanpy's (`sc.tl....`) are left alone
    assert check_calls((ROOT / "README.md").read_text()) > 30


def check_calls(text: str) -> int:
    """Check the calls of gexclust in ``text`` (Markdown); return how many there are.

    Those in Python blocks and in inline code: each names a function that exists and only
    keywords it takes.
    """
    import ast
    import inspect

    import gexclust as gx

    code = re.findall(r"```python\n(.*?)```", text, re.S)
    code += [span.replace("\\|", "|") for span in re.findall(r"`([^`\n]+\))`", text)]
    modules = ("pp", "tl", "pl", "io", "datasets")
    checked = 0
    for snippet in code:
        try:
            tree = ast.parse(snippet)
        except SyntaxError:
            continue  # a signature (`*`, `'a'|'b'`), not a call
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            base = node.func.value
            if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name) and (
                    base.value.id == "gx"):
                module = base.attr
            elif isinstance(base, ast.Name) and base.id in modules:
                module = base.id
            else:
                continue
            where = f"{module}.{node.func.attr}"
            function = getattr(getattr(gx, module), node.func.attr, None)
            assert function is not None, f"{where}: no such function"
            parameters = inspect.signature(function).parameters
            unknown = [k.arg for k in node.keywords if k.arg and k.arg not in parameters]
            assert unknown == [], where
            checked += 1
    return checked


def test_repository_paths_in_the_readme_exist():
    # files and folders the README points to (`tests/tl/data/make_hclust_golub.R`,
    # `python benchmarks/structure.py`, links to tutorials): a rename leaves a dead pointer
    text = (ROOT / "README.md").read_text()
    top = r"(?:tests|benchmarks|scripts|tutorials|ci|docs|gexclust|\.ci)/[\w./-]*"
    paths = set(re.findall(rf"`({top})`", text)) | set(re.findall(rf"\]\(({top})\)", text))
    paths |= set(re.findall(r"python ((?:benchmarks|scripts)/\w+\.py)", text))
    assert len(paths) > 20
    assert sorted(p for p in paths if not (ROOT / p).exists()) == []


def test_readme_says_what_the_runs_h5ad_holds(cli, small_csv, tmp_path):
    # the row said only "the AnnData with every result below": a scanpy user opening it ran
    # sc.tl.rank_genes_groups on .X, the centred values, and got NaN log fold changes
    import anndata
    import numpy as np

    text = " ".join((ROOT / "README.md").read_text().split())
    assert ("| `adata.h5ad` | the AnnData with every result below: `.X` the values clustered "
            "(the selected genes, centred or z-scored), `.layers['expression']` the same genes "
            "before centring or scaling") in text
    out = tmp_path / "out"
    cli("run", small_csv, "-o", out, "--n-top-genes", "20", "--quiet")
    adata = anndata.read_h5ad(out / "adata.h5ad")
    expression = adata.layers["expression"]
    assert adata.n_vars == 20
    np.testing.assert_allclose(adata.X, expression - expression.mean(axis=0), atol=1e-12)
    assert expression.min() > 1  # values, not centred ones


def test_readme_names_every_field_of_the_runs_summary(cli, small_csv, tmp_path):
    # summary.json is what scripts read after a run; before, the README's account of
    # summary.json["choose_k"] left out its `params`
    import json

    text = " ".join((ROOT / "README.md").read_text().split())
    row = next(line for line in text.split("| `summary.json` | ")[1:]).split(" |")[0]
    choose_k = text.split('`summary.json["choose_k"]` says how the tree was cut:')[1]
    choose_k = choose_k.split("The printed summary repeats")[0]
    out = tmp_path / "out"
    cli("run", small_csv, "-o", out, "--quiet")
    summary = json.loads((out / "summary.json").read_text())
    assert [key for key in summary if f"`{key}`" not in row] == []
    assert summary["choose_k"]["how"] == "auto"
    fields = set(summary["choose_k"]) | set(summary["choose_k"]["scores"][0])
    assert sorted(key for key in fields if f"`{key}`" not in choose_k) == []


def test_every_function_the_docs_name_exists():
    # before: the README and docs/changes.md named `tl.dynamic_cut` (colours of its columns),
    # which gexclust has never exported (the dynamic cut is tl.cut(method='dynamic')), and
    # docs/changes.md sent tl.compare users to `.uns['compare']`, a key it never writes
    import gexclust as gx

    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    named = set()
    for path in texts:
        text = path.read_text()
        named |= set(re.findall(r"`(?:gx\.)?(pp|tl|pl|io|datasets)\.(\w+)\b(?![.*])", text))
        assert "`.uns['compare']`" not in text, path.name
    missing = [f"{module}.{name}" for module, name in sorted(named)
               if not hasattr(getattr(gx, module), name)]
    assert missing == []
    assert len(named) > 25


def test_every_command_line_option_the_docs_name_exists():
    # before: the README's power study said "Z-scoring the genes (`--scaling zscore`)", an
    # option no gexclust command has (it is `--scale zscore`): argparse refuses it with
    # "unrecognized arguments: --scaling". Options of the benchmark scripts (a span naming
    # its `.py`) and curl's (`--speed-limit`) are not gexclust's.
    from gexclust.cli import build_parser

    subparsers = next(a for a in build_parser()._actions if a.choices)
    options = {o for parser in [build_parser(), *subparsers.choices.values()]
               for action in parser._actions for o in action.option_strings}
    named = set()
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text()
        for match in re.finditer(r"`([^`\n]*)`", text):
            span = match.group(1)
            if ".py" in span or "curl's" in text[max(0, match.start() - 30):match.start()]:
                continue
            named |= set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", span))
    assert len(named) > 20
    assert sorted(named - options) == []
