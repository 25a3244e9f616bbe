"""A dask LocalCluster with real worker processes, shared by the resampling tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # any free port: 8787 may be taken
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
