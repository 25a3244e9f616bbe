from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

import gexclust as gx
from tests.conftest import shared_file


def test_layout_and_classes(example):
    assert example.shape == (64, 22283)
    assert example.obs["type"].value_counts().to_dict() == {
        "AML": 26, "Bone_Marrow": 10, "PB": 10, "PBSC_CD34": 10, "Bone_Marrow_CD34": 8,
    }
    assert example.obs_names[0] == "GSM239170"
    assert example.obs["samples"].tolist() == list(range(1, 65))
    assert example.var_names[:3].tolist() == ["1007_s_at", "1053_at", "117_at"]
    assert (example.var["gene_symbol"] != "").sum() == 20995
    assert "SIMULATED" in example.uns["simulated"]["note"]
    assert "simulated" in gx.datasets.gse9476_example.__doc__.lower()


def test_rma_like_scale_and_seed(example):
    assert example.X.min() >= 2.0
    assert example.X.max() <= 14.5
    assert 5.5 < np.median(example.X) < 8.0
    again = gx.datasets.gse9476_example(random_state=0)
    np.testing.assert_array_equal(again.X, example.X)
    other = gx.datasets.gse9476_example(random_state=1)
    assert not np.array_equal(other.X, example.X)


def test_planted_markers_follow_biology(example):
    sym = example.var["gene_symbol"]
    mean = pd.DataFrame(example.X, index=example.obs["type"].astype(str), columns=sym)
    mean = mean.groupby(level=0, observed=True).mean()
    hbb = mean.loc[:, mean.columns == "HBB"].mean(axis=1)
    assert hbb.idxmax() == "Bone_Marrow"
    cd34 = mean.loc[:, mean.columns == "CD34"].mean(axis=1)
    assert set(cd34.nlargest(2).index) == {"Bone_Marrow_CD34", "PBSC_CD34"}
    mpo = mean.loc[:, mean.columns == "MPO"].mean(axis=1)
    assert mpo.idxmax() == "AML"


def test_samples_are_the_real_gse9476_table(example):
    meta = pd.read_csv(shared_file("GSE9476_meta_info.txt"), sep="\t", dtype=str)
    assert example.obs_names.tolist() == meta["SampleID"].tolist()
    assert example.obs["title"].tolist() == meta["Desc"].tolist()
    aml = (meta["Disease_status"] == "AML").to_numpy()
    assert (example.obs["type"].to_numpy()[aml] == "AML").all()
    assert (example.obs["type"].to_numpy()[~aml] != "AML").all()


def test_probes_are_the_real_gpl96_table(example):
    with gzip.open(shared_file("GPL96.txt.gz"), "rt") as fh:
        lines = fh.read().splitlines()
    begin = lines.index("!platform_table_begin")
    end = lines.index("!platform_table_end")
    ids = [line.split("\t", 1)[0] for line in lines[begin + 2 : end]]
    assert example.var_names.tolist() == ids


def test_seed_is_the_former_name_of_random_state(example):
    with pytest.warns(FutureWarning, match="datasets.gse9476_example: seed= is now called"):
        former = gx.datasets.gse9476_example(seed=0)
    np.testing.assert_array_equal(former.X, example.X)
    assert former.uns["simulated"]["random_state"] == 0
