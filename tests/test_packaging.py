"""The lowest-dependencies CI job pins exactly what pyproject.toml allows at its lower bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text))


def lower_bounds() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    bounds = {}
    for requirement in requirements:
        match = re.match(r"^([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)", requirement)
        if match:
            bounds[match[1].lower()] = match[2]
    return bounds


def pins() -> dict[str, str]:
    lines = (ROOT / "ci" / "lowest-constraints.txt").read_text().splitlines()
    pairs = [line.split("==") for line in lines if line.strip() and not line.startswith("#")]
    return {name.strip().lower(): version.strip() for name, version in pairs}


def test_every_lower_bound_is_pinned_at_the_oldest_allowed_release():
    bounds, pinned = lower_bounds(), pins()
    assert set(pinned) == set(bounds)
    for name, bound in bounds.items():
        pin = version_tuple(pinned[name])
        assert pin >= version_tuple(bound), name
        # the same release series as the bound: only patch releases may have been skipped
        # (e.g. scipy 1.11.0 was never published, so 1.11 means 1.11.1)
        release = version_tuple(bound)[:2]
        assert pin[: len(release)] == release, name


def test_every_package_gexclust_imports_is_declared():
    # before: gexclust._palette imported natsort (anndata's natural category order, scanpy33)
    # while pyproject.toml declared it nowhere; it came only as anndata's own dependency
    import ast
    import sys
    from importlib.metadata import packages_distributions

    imported = set()
    for path in (ROOT / "gexclust").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    imported -= {*sys.stdlib_module_names, "gexclust"}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"],
                    *(r for extra in project["optional-dependencies"].values() for r in extra)]
    declared = {re.match(r"[A-Za-z0-9_.-]+", r)[0].lower().replace("_", "-")
                for r in requirements}
    distributions = packages_distributions()  # of what is installed: an extra may be absent
    undeclared = sorted(name for name in imported if name in distributions
                        and not {d.lower().replace("_", "-")
                                 for d in distributions[name]} & declared)
    assert undeclared == []
