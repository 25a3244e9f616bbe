from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd

from gexclust.pl._labels import gene_labels


def test_probes_without_a_gene_written_as_text_are_labelled_by_their_id():
    """Affymetrix's '---' and astype(str)'s 'nan'/'None' are no symbol: before, a probe was
    labelled '--- (p1)' or 'None (p3)' in heatmaps and marker plots; a symbol shared by two
    probes keeps the probe id beside it."""
    var = pd.DataFrame({"gene_symbol": ["HLF", "---", "nan", "None", "HLF /// X", "HLF"]},
                       index=[f"p{j}" for j in range(6)])
    adata = ad.AnnData(np.zeros((2, 6)), var=var)
    assert gene_labels(adata, np.arange(6)) == ["HLF (p0)", "p1", "p2", "p3", "HLF+ (p4)",
                                                "HLF (p5)"]
