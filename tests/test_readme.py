"""The README backs its claims with named tests: every name it cites must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_tests_named_in_readme_exist():
    cited = set(re.findall(r"`(test_\w+)`", (ROOT / "README.md").read_text()))
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)\(", path.read_text(), flags=re.M))
    assert cited, "the README cites no tests"
    assert sorted(cited - defined) == []
