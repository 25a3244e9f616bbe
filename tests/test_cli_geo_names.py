"""``gexclust run`` on GEO files saved under GEO's own names (``GSM11805.txt``, ``GPL96.txt``).

The name does not say SOFT: the first line does. Before, such files went to the CSV reader and
failed with "no column 'samples'".
"""

from __future__ import annotations

import gzip

import pytest

from gexclust.cli import main
from tests.conftest import shared_file


def run(capsys, *args) -> tuple[int, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def test_family_soft_named_txt_runs(capsys, tmp_path):
    source = shared_file("peers/biopython/soft_ex_family.txt")  # GEO's example family SOFT
    code, err = run(capsys, "run", source, "-o", tmp_path / "out", "--n-clusters", "2",
                    "--no-report", "--quiet")
    assert code == 0, err
    clusters = (tmp_path / "out" / "clusters.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in clusters[1:]] == [
        "Control Embyronic Stem Cell Replicate 1", "Control Embyronic Stem Cell Replicate 2",
        "Triple-Fusion Transfected Embryonic Stem Cells Replicate 1"]


@pytest.mark.parametrize(("name", "plain", "message"), [
    ("GPL96.txt.gz", "GPL96.txt", "holds platform GPL96 but no samples"),
    ("GSM11805.txt.gz", "GSM11805.txt", "GSM11805.txt has 1 sample; clustering needs at least 2"),
])
def test_soft_records_named_txt_reach_the_soft_reader(capsys, tmp_path, name, plain, message):
    path = tmp_path / plain
    path.write_bytes(gzip.decompress(shared_file(name).read_bytes()))
    code, err = run(capsys, "run", path, "-o", tmp_path / "out", "--quiet")
    assert code == 1
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
    assert "no column 'samples'" not in err
