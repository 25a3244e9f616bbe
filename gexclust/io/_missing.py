"""The missing-value policy shared by all readers: NaNs never reach a distance silently."""

from __future__ import annotations

import numpy as np

from .._checks import check_choice
from .._errors import InputError, MissingValuesError
from .._logging import logger

POLICIES = ("error", "drop", "impute")


def check_policy(policy, *, caller: str) -> None:
    """Refuse a ``missing=`` that is no policy before anything is read or downloaded.

    It was found only after a whole file was parsed, or a whole series fetched.
    """
    check_choice("missing", policy, POLICIES, caller=caller)


def handle_missing(values, probes, samples, *, policy, path, line_numbers=None):
    """Apply ``policy`` to NaNs in ``values`` (samples x probes); refuse infinite values.

    Returns the new values, the kept probe ids and a summary dict for ``.uns['missing']``.
    """
    check_choice("missing", policy, POLICIES)
    _refuse_infinite(values, probes, samples, path, line_numbers)
    nan_mask = np.isnan(values)
    n_missing = int(nan_mask.sum())
    bad_probe = nan_mask.any(axis=0)
    # every field on every input, 0 and '' when nothing is missing (as the README's
    # summary.json row lists them): before, a complete file left out n_probes_with_missing
    # and, under 'impute', the fill fields
    info = {"policy": policy, "n_missing_values": n_missing,
            "n_probes_with_missing": int(bad_probe.sum()), "n_probes_dropped": 0}
    if n_missing == 0:
        if policy == "impute":
            info.update(_filled_per_sample(nan_mask, samples))
        return values, probes, info
    if policy == "error":
        i, j = np.argwhere(nan_mask)[0]
        msg = (
            f"{path}: {n_missing} missing value(s) in {int(bad_probe.sum())} probe(s); first "
            f"{_place(samples[i], probes[j], line_numbers, i)}. Pass missing='drop' "
            "(gexclust run --missing drop) to drop those probes or missing='impute' "
            "(--missing impute) to fill them with the probe mean"
        )
        raise MissingValuesError(msg, len(samples))
    if policy == "impute":
        all_missing = nan_mask.all(axis=0)
        col_mean = np.nanmean(np.where(all_missing, 0.0, values), axis=0)
        values = np.where(nan_mask, col_mean[None, :], values)
        bad_probe = all_missing
        info.update(_filled_per_sample(nan_mask[:, ~all_missing], samples))
    keep = ~bad_probe
    if policy == "drop" and not keep.any():
        # before, a CSV went on with no probe, to numpy's 'Mean of empty slice' and an error
        # of tl.hclust's ('.X has no genes') that named no file
        msg = (f"{path}: no probe has a value in every sample, so missing='drop' left none "
               f"of the {len(probes)}; try missing='impute' (gexclust run --missing impute)")
        raise InputError(msg)
    info["n_probes_dropped"] = int(bad_probe.sum())
    if policy == "impute":
        # say what was done to the values, not only what was dropped ("policy 'impute'
        # dropped 0 probe(s)" left out that 1,595 cells had been filled)
        logger.warning(
            "%s: %d missing value(s) in %d probe(s), each filled with its probe's mean over "
            "the samples that have a value (policy 'impute'); %d probe(s) without any value "
            "dropped", path, n_missing, info["n_probes_with_missing"], info["n_probes_dropped"])
    else:
        # of how many: lung's "dropped 666 probe(s)" hid that 250 of its 916 were left
        logger.warning("%s: %d missing value(s); policy %r dropped %d of the %d probe(s) "
                       "(those with a missing value), leaving %d", path, n_missing, policy,
                       info["n_probes_dropped"], len(probes), int(keep.sum()))
    return values[:, keep], [p for p, k in zip(probes, keep, strict=True) if k], info


def _filled_per_sample(filled: np.ndarray, samples) -> dict:
    """How the filled values fall on samples and probes.

    A sample with many of them has a profile pulled towards the average sample (lung: 164 of
    916 values in one sample). With none filled (every missing value in a probe without any
    value, which is dropped), no sample is named.
    """
    per_sample, per_probe = filled.sum(axis=1), filled.sum(axis=0)
    worst = int(np.argmax(per_sample)) if per_sample.size else None  # no sample: none filled
    most = 0 if worst is None else int(per_sample[worst])
    return {"n_samples_imputed": int((per_sample > 0).sum()),
            "most_imputed_in_a_sample": most,
            "sample_most_imputed": str(samples[worst]) if most else "",
            "most_imputed_in_a_probe": int(per_probe.max(initial=0))}


def _refuse_infinite(values, probes, samples, path, line_numbers) -> None:
    inf_mask = np.isinf(values)
    if inf_mask.any():
        i, j = np.argwhere(inf_mask)[0]
        msg = (f"{path}: infinite value {_place(samples[i], probes[j], line_numbers, i)}; "
               "expected a finite number")
        raise InputError(msg)


def _place(sample, probe, line_numbers, i: int) -> str:
    """Where a value sits: its line and column in a CSV, its sample and probe in a GEO table."""
    if line_numbers is not None:
        return f"at line {line_numbers[i]} (sample {sample!r}), column {probe!r}"
    return f"in sample {sample!r}, probe {probe!r}"
