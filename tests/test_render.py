from __future__ import annotations

import tempfile

import numpy as np
import pytest

import gexclust as gx
from gexclust._render import Helper


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))  # inherited by the forked helper
    return folder


def test_helper_parses_the_same_values(tmp_path, scratch):
    csv = tmp_path / "x.csv"
    csv.write_text("samples,type,p1,p2\ns1,A,1.5,2.25\ns2,B,-3e-2,4\n")
    with Helper() as helper:
        table = helper.parse_cumida(csv)()
    assert table.samples == ["s1", "s2"]
    assert table.probes == ["p1", "p2"]
    np.testing.assert_array_equal(table.values, [[1.5, 2.25], [-0.03, 4.0]])
    assert not list(scratch.iterdir())


def test_helper_removes_values_nobody_took(tmp_path, scratch):
    csv = tmp_path / "x.csv"
    csv.write_text("samples,type,p1\ns1,A,1\ns2,B,2\n")
    with Helper() as helper:
        helper.parse_cumida(csv)
        helper._parsing.result()
        assert len(list(scratch.iterdir())) == 1
    assert not list(scratch.iterdir())


def test_helper_reraises_parse_errors(tmp_path, scratch):
    csv = tmp_path / "x.csv"
    csv.write_text("samples,type,p1\ns1,A,1\ns2,B,x\n")
    with Helper() as helper, pytest.raises(gx.InputError, match=r"line 3, column 'p1'"):
        helper.parse_cumida(csv)()
    assert not list(scratch.iterdir())


def test_a_failure_in_the_drawing_child_comes_back_as_one_line(tmp_path, monkeypatch):
    import gexclust._render as render

    def fail_on_dendrogram(names, specs, stage):
        if "dendrogram" in names:
            msg = "no room\nfor this"
            raise ValueError(msg)

    monkeypatch.setattr(render, "render_group", fail_on_dendrogram)
    with pytest.raises(RuntimeError, match=r"drawing dendrogram, cluster_heatmap failed: "
                                           r"ValueError: no room"):
        render.render_split({}, tmp_path)


def test_helper_falls_back_to_the_pipe_when_no_file_can_be_written(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))  # mkstemp fails there
    csv = tmp_path / "x.csv"
    csv.write_text("samples,type,p1\ns1,A,1\ns2,B,2\n")
    with Helper() as helper:
        table = helper.parse_cumida(csv)()
    np.testing.assert_array_equal(table.values, [[1.0], [2.0]])
