"""The report's sections, written from this run's numbers.

Every sentence is a template filled with values computed from the AnnData and ``summary.json``;
which sentences appear depends on those values (pure or mixed clusters, a clear or a weak
tree, support present or not, a column that looks like a batch).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from anndata import AnnData

from .._labels import NUMBER
from ..pp._log2 import log2_record
from ..tl._choose_k import low_power_note
from . import _facts as facts
from ._model import Bullets, Figure, Paragraph, Report, Section, Table

#: pvclust's convention: AU >= 95% is a cluster the data support at the 5% level.
AU_STRONG = 0.95
#: Kaufman & Rousseeuw's reading of the mean silhouette width.
SILHOUETTE_WEAK = 0.25
#: Below this, the tree distorts the sample distances noticeably.
COPHENETIC_LOW = 0.75
#: A batch-like column agreeing with the clusters at least this much is flagged.
BATCH_ARI = 0.3
#: ... and beyond chance: its permutation p-value at most this.
BATCH_ALPHA = 0.05
#: A numeric column whose ranks the clusters split at least this much (epsilon-squared of the
#: Kruskal-Wallis H: the share of the rank variance between clusters) is flagged; Cohen's
#: "large" for a share of variance (eta-squared 0.14).
NUMERIC_EFFECT = 0.14
#: Level at which a single cut's silhouette is called beyond the rotated copies'.
ALPHA_K = 0.05
#: The upper end of PAC's window (Senbabaoglu et al. 2014): a pair of samples clustered
#: together in at most this share of resamples is ambiguous, and so is a cluster whose pairs
#: are, on average.
PAC_HIGH = 0.9
#: Purity from which clusters that outnumber the types are called nearly pure.
PURE = 0.9
#: Marker genes listed per cluster and direction.
N_MARKERS = 5


def fmt(x: float | None, digits: int = 3) -> str:
    """A number with fixed decimals (as in summary.json comparisons), or 'n/a'."""
    if not isinstance(x, int | float | np.number) or not math.isfinite(x):
        return "n/a"  # None, NaN, or a recorded "none"
    text = f"{x:.{digits}f}"
    return text.lstrip("-") if float(text) == 0 else text  # -1e-15 is 0.000, not -0.000


def fmt_near(x: float, level: float, digits: int = 3) -> str:
    """:func:`fmt` of ``x`` beside a threshold ``level`` it is compared with, on its side.

    A mean silhouette of 0.2496 read 'Mean silhouette 0.250 (< 0.25)': where ``x`` would
    print as ``level`` without being it, more decimals are shown, up to those that tell.
    """
    text = fmt(x, digits)
    if text == "n/a" or x == level:
        return text
    for more in range(digits, digits + 7):
        text = fmt(x, more)
        if float(text) != round(level, more):
            break
    return text


def height(x: float | None) -> str:
    """A merge height: 2 decimals, or 3 significant digits below 0.1.

    A tree of small values (proportions, values / 1e4) would otherwise read 'cut at height
    0.00; its root is at 0.00'.
    """
    if isinstance(x, int | float | np.number) and 0 < abs(x) < 0.1:
        return f"{x:.3g}"
    return fmt(x, 2)


def pct(x: float) -> str:
    """A share as a whole percentage, or 'n/a'."""
    return f"{100 * x:.0f}%" if math.isfinite(x) else "n/a"


def enumerate_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def type_name(name) -> str:
    """A type as a sentence names it: quoted when it reads as a number.

    Types '1', '2', '3' read 'Cluster 1 (8 samples) holds only 3: all 8 3 samples', as if
    of 3 samples; quoted, 'holds only '3': all 8 '3' samples'.
    """
    text = str(name)
    return f"'{text}'" if NUMBER.fullmatch(text.strip()) else text


def n_clusters(k: int) -> str:
    """'1 cluster', '3 clusters' ('cut into 1 clusters' at --n-clusters 1)."""
    return f"{k} cluster{'s' if k != 1 else ''}"


def counts_text(counts: pd.Series, limit: int = 4, also: str = "") -> str:
    """'AML (20), PB (3) and 2 more types' from a type -> count series; ``also`` ends it."""
    shown = [f"{type_name(name)} ({int(n)})" for name, n in counts.iloc[:limit].items()]
    rest = len(counts) - limit
    if rest > 0:
        shown.append(f"{rest} more type{'s' if rest > 1 else ''}")
    return enumerate_words(shown + ([also] if also else []))


def build_report(adata: AnnData, summary: dict, figures: dict[str, bytes],
                 markers: pd.DataFrame | None = None) -> Report:
    """The whole report for a clustered ``adata`` and its run's ``summary``."""
    ctx = _Context(adata, summary, markers)
    sections = [
        _overview(ctx),
        _dataset(ctx),
        _preprocessing(ctx),
        _choosing_k(ctx),
        _tree(ctx, figures),
        _clusters(ctx),
        _type_distances(ctx),
        _support(ctx, figures),
        _heatmap(ctx, figures),
        _markers(ctx, figures),
        _limits(ctx),
        _parameters(ctx),
    ]
    source = summary.get("input", {})
    banner = ""
    if source.get("simulated"):
        banner = ("The expression values of this run are SIMULATED (built-in example): the "
                  "clusters below describe a model, not real measurements.")
    name = source.get("accession") or source.get("path") or "input"
    subtitle = (f"{name} · {summary['n_samples']} samples · gexclust "
                f"{summary.get('gexclust_version', '')} · {summary.get('command', '')}")
    return Report(title="gexclust clustering report", subtitle=subtitle,
                  sections=[s for s in sections if s is not None], banner=banner)


class _Context:
    """Numbers shared by several sections, computed once."""

    def __init__(self, adata: AnnData, summary: dict, markers: pd.DataFrame | None) -> None:
        self.adata, self.summary = adata, summary
        types = facts.type_labels(adata) if "type" in adata.obs else pd.Series(dtype=object)
        # a 'type' that names no classes (a sample id) is not compared: the run says why
        self.type_note = summary.get("type_note")
        self.has_types = bool(types.notna().any()) and not self.type_note
        self.Z = facts.linkage(adata)
        self.params = adata.uns["hclust"].get("params", {})
        self.k = len(adata.obs["cluster"].cat.categories)
        self.clusters = facts.clusters(adata)
        self.n_types = types.nunique() if self.has_types else 0
        self.spread = facts.type_spread(adata) if self.has_types else {}
        # a cluster of untyped samples alone (an unlabelled outlier) neither joins nor splits
        # types: 4 clusters over 3 whole types were said to split some type
        self.k_typed = len({c for where in self.spread.values() for c in where.index})
        self.distances = facts.type_distances(adata) if self.has_types else None
        self.silhouette = facts.silhouette(adata)
        self.jumps = facts.height_jumps(self.Z)
        self.batches = facts.batch_columns(adata, test_from=BATCH_ARI)
        self.numerics = facts.numeric_columns(adata)
        self.support = adata.uns["hclust"].get("support")
        self.clade_rows = facts.clade_rows(adata) if self.support is not None else {}
        self.markers = markers
        # results of earlier trees or other data are refused, never reported as this run's
        self.choice = facts.choice_of_k(adata)
        self.consensus = facts.consensus_result(adata)
        # the consensus at this run's k, read once for every section that states it
        self.pac_here = _pac_at(self.consensus, self.k)
        self.within = (facts.within_cluster_consensus(adata, self.k)
                       if hasattr(self.consensus, "get") else None)
        self.one_cluster = facts.one_cluster_columns(adata)
        self.types_confirm = _types_confirm(self)


def _has_pac(consensus) -> bool:
    """Whether ``consensus`` (``.uns['consensus']``, checked) holds PAC values."""
    return hasattr(consensus, "get") and consensus.get("pac") is not None


def _pac_at(consensus, k: int) -> float | None:
    """PAC of the consensus at ``k``; ``None`` without a consensus or when it did not try k."""
    if not _has_pac(consensus):
        return None
    ks = [int(x) for x in np.asarray(consensus.get("k", []))]
    return dict(zip(ks, np.asarray(consensus["pac"], dtype=float), strict=False)).get(k)


def _types_confirm(ctx: _Context) -> str | None:
    """'ARI 1.000, permutation p = 0.001': clusters the known types confirm, though untested.

    Given only when the test of structure found no groups but the clusters match the known
    types beyond chance; else None.

    GSE781 GPL97 z-scored: 'NO EVIDENCE OF GROUPS ... may be arbitrary cuts' stood above
    'The 2 clusters closely match the 2 known sample types: ARI 1.000' (tumour vs normal).
    """
    choice, ari = ctx.choice, ctx.summary.get("ari_vs_type")
    if (not hasattr(choice, "get") or not _false(choice.get("strong")) or not ctx.has_types
            or ari is None or ctx.k < 2 or ari < BATCH_ARI):
        return None
    p = facts.type_agreement_p(ctx.adata)
    if not p <= BATCH_ALPHA:
        return None
    return f"ARI {fmt(ari)}, permutation p = {fmt(p)}"


# ---------------------------------------------------------------------------- sections


def _overview(ctx: _Context) -> Section:
    items = []
    s = ctx.summary
    read, dropped = probes_read(s)
    if dropped:  # n_probes counts those kept: against them alone, the loss would not show
        of = (f"of the {read} probes/genes read ({dropped} dropped for missing values, "
              f"--missing {s['missing'].get('policy')}; ")
    else:
        of = f"of {read} probes/genes ("
    items.append(f"{s['n_samples']} samples were clustered on {s['n_genes_clustered']} {of}"
                 f"{ctx.params.get('method')} linkage, {ctx.params.get('metric')} distance) "
                 f"and cut into {n_clusters(ctx.k)}.")
    items.append(_verdict_sentence(ctx))
    if ctx.has_types:
        items.append(_agreement_sentence(ctx))
        pure = [c for c in ctx.clusters if c.purity == 1.0]
        # all pure: the agreement sentence says so ('The 8 clusters are pure ...')
        if (pure and len(pure) < len(ctx.clusters)) or any(
                int(c.counts.sum()) < c.size for c in pure):
            # purity counts typed samples: a cluster that also holds untyped ones says so
            mixed = [c.name for c in pure if int(c.counts.sum()) < c.size]
            also = (f" ({enumerate_words(mixed)} also {'hold' if len(mixed) > 1 else 'holds'} "
                    "samples without a type)" if mixed else "")
            items.append(f"Pure clusters (one type only): "
                         f"{enumerate_words([c.name for c in pure])}{also}"
                         f"{_pure_by_one_or_two(pure)}.")
        left, right = facts.root_split(ctx.adata)
        items.append(_root_split_sentence(left, right, ctx.Z[-1, 2],
                                          untyped=_untyped_per_side(ctx.Z, left, right)))
    items.append(_structure_sentence(ctx))
    if ctx.support is not None:
        items.append(_support_overview(ctx))
    if (consensus := _consensus_overview(ctx)) is not None:
        items.append(consensus)
    for batch in ctx.batches:
        if _batch_like(batch):
            items.append(f"Caution: the clusters follow the .obs column '{batch.column}' "
                         f"(ARI {fmt(batch.ari)}, permutation p = {fmt(batch.p_value)}); see "
                         "'What this run cannot tell'.")
            break
    for numeric in ctx.numerics:
        # a measurement the types differ in as much (AML patients older than the donors) is a
        # property of the types the clusters match: said under the limits, not cautioned here
        if _numeric_like(numeric) and not (numeric.types_epsilon2 >= numeric.epsilon2
                                           and numeric.types_p <= BATCH_ALPHA):
            items.append(f"Caution: the clusters differ in the numeric .obs column "
                         f"'{numeric.column}' (Kruskal-Wallis epsilon² "
                         f"{fmt(numeric.epsilon2)}, {_p_text(numeric)}); see 'What this run "
                         "cannot tell'.")
            break
    return Section("overview", "At a glance", [Bullets(items)])


def _edge_of_range(ctx: _Context, k: int) -> str:
    """' (the largest k tried: groups may be finer still)' when ``k`` ends the k range."""
    ks = (ctx.choice.get("params") or {}).get("k_range") if hasattr(ctx.choice, "get") else None
    if ks is None or not len(ks) or int(k) != max(int(x) for x in ks):
        return ""
    return " (the largest k tried: the data may hold finer groups still)"


def _k_not_chosen(ctx: _Context) -> str:
    """Where a k not chosen from the data came from: the user, or the seed recipe."""
    if (ctx.summary.get("choose_k") or {}).get("how") == "recipe default":
        recipe = (ctx.summary.get("parameters") or {}).get("recipe", "seed")
        return (f"k = {ctx.k} is the {recipe} recipe's fixed number of clusters, not chosen "
                "from the data")
    return f"k = {ctx.k} was set by hand, not chosen from the data"


def _verdict_sentence(ctx: _Context) -> str:
    """Whether the data show groups at all: the first thing a reader needs, not the last."""
    choice = ctx.choice
    if not hasattr(choice, "get") or choice.get("strong") is None:
        return (f"{_k_not_chosen(ctx)}; whether the samples form groups at all was not tested "
                "(--n-clusters auto tests it).")
    p = choice.get("p_value")
    p_text = f", p = {fmt_near(float(p), ALPHA_K, 2)}" if p is not None else ""
    if bool(choice["strong"]):
        text = ("Test of structure: the silhouettes of the cuts are higher than in rotated "
                "copies of the data (one cloud with the same gene covariance, no groups)"
                f"{p_text}")
        k_test, p_k = choice.get("k_test"), choice.get("p_value_k")
        if k_test is None or p_k is None or int(k_test) == ctx.k:
            return text + "."
        # the verdict rests on another cut than the one shown: say how this one fares
        return (f"{text}, most of all at k = {int(k_test)}{_edge_of_range(ctx, k_test)}; at "
                f"this run's k = {ctx.k} alone, "
                f"p = {fmt_near(float(p_k), ALPHA_K, 2)} against the copies' silhouettes at that k"
                + (" (within chance: this cut alone is no clearer than in one cloud)."
                   if float(p_k) > ALPHA_K else "."))
    if ctx.types_confirm:
        return ("Test of structure: the silhouettes of the cuts are no higher than in rotated "
                "copies of the data (one cloud with the same gene covariance, no groups"
                f"{p_text}), but the clusters match the known sample types beyond chance "
                f"({ctx.types_confirm}): they are not arbitrary cuts; this test missed groups "
                "that the types show.")
    text = ("NO EVIDENCE OF GROUPS: the silhouettes of the cuts are no higher than in rotated "
            "copies of the data (one cloud with the same gene covariance, no groups"
            f"{p_text}); the clusters below may be arbitrary cuts of a continuum")
    note = _low_power(ctx)
    return f"{text}; but {note}: judge by the tree's gaps and the genes behind the split." \
        if note else f"{text}."


def _low_power(ctx: _Context) -> str | None:
    """tl.choose_k's caution that its test has little power on this few samples, or None."""
    n = ctx.choice.get("n_scored") if hasattr(ctx.choice, "get") else None
    return low_power_note(int(n)) if n is not None else None


def _agreement_sentence(ctx: _Context) -> str:
    s = ctx.summary
    ari = s.get("ari_vs_type")
    if ari is None:
        return "The clusters were not compared with the sample types."
    if ari >= 0.9:
        word = "closely match"
    elif ari >= 0.6:
        word = "largely match"
    elif ari >= 0.3:
        word = "partly match"
    else:
        word = "do not match"
    if ctx.k == 1:  # one cluster cannot tell types apart: ARI and NMI are 0 by definition
        return (f"With a single cluster the {ctx.n_types} known sample types cannot be told "
                f"apart (ARI {fmt(ari)}, NMI {fmt(s.get('nmi_vs_type'))}, purity "
                f"{fmt(s.get('purity_vs_type'))}).")
    purity = s.get("purity_vs_type")
    if ari < 0.9 and ctx.k_typed > ctx.n_types and purity is not None and purity >= PURE:
        # more clusters than types, each nearly one type: the ARI is low because types are
        # divided, not mixed ("do not match" at purity 0.947 on Golub with --recipe seed)
        # purity 1 is pure, not "nearly" (the example cut at k = 7)
        how = ("pure (purity 1.000: each holds one type only" if purity == 1.0 else
               f"nearly pure (purity {fmt(purity)}: each holds mostly one type")
        how += _pure_by_size(ctx) + ")"
        return (f"The {ctx.k} clusters are {how} but divide the {ctx.n_types} known sample "
                f"types between them: ARI {fmt(ari)}, NMI {fmt(s.get('nmi_vs_type'))}"
                f"{_left_out(ctx)}.")
    whole = ctx.spread and all(len(where) == 1 for where in ctx.spread.values())
    if ari < 0.9 and 1 < ctx.k_typed < ctx.n_types and whole:
        # fewer clusters than types, no type split: the ARI is low because types are joined,
        # not mixed (the example cut into 2: 'partly match', ARI 0.397, of clusters that keep
        # all 5 types whole, Bone_Marrow and PB against the CD34 and AML types)
        fewer = ("the clusters are fewer than the types" if ctx.k_typed == ctx.k else
                 f"the clusters that hold typed samples ({ctx.k_typed}) are fewer than the "
                 "types")
        return (f"The {ctx.k} clusters keep each of the {ctx.n_types} known sample types whole "
                f"(none is split) but join several in one cluster: ARI {fmt(ari)}, NMI "
                f"{fmt(s.get('nmi_vs_type'))}, purity {fmt(purity)}{_left_out(ctx)}; these "
                f"fall short of 1 only because {fewer}.")
    return (f"The {ctx.k} clusters {word} the {ctx.n_types} known sample types: ARI "
            f"{fmt(ari)}, NMI {fmt(s.get('nmi_vs_type'))}, purity "
            f"{fmt(purity)}{_left_out(ctx)}.")


def _pure_by_size(ctx: _Context) -> str:
    """The clusters whose purity says nothing: a sample alone (or two) is one type by itself.

    Golub cut into 20 clusters was 'pure' because 15 of them held 1 or 2 samples. A pair of
    two types is not pure at all, and is not counted.
    """
    tiny = [c for c in ctx.clusters if c.size <= 2 and c.purity == 1.0]
    if not tiny:
        return ""
    if len(tiny) == 1:
        n = tiny[0].size
        return (f"; one of them has only {n} sample{'s' if n > 1 else ''}, too few for its "
                "purity to mean much")
    return (f"; {len(tiny)} of them have only 1 or 2 samples, too few for their purity to "
            "mean much")


def _pure_by_one_or_two(pure: list[facts.ClusterFacts]) -> str:
    """Which of the pure clusters listed are pure only by holding one or two samples.

    lung --method median --n-clusters 5 listed 'Pure clusters (one type only): 1, 2, 3 and
    4', four single samples beside one cluster of 69.
    """
    tiny = [c for c in pure if c.size <= 2]
    if not tiny:
        return ""
    sizes = sorted({c.size for c in tiny})
    what = (f"{sizes[0]} sample{'s' if sizes[0] > 1 else ''}" if len(sizes) == 1
            else "1 or 2 samples")
    if len(tiny) == len(pure):
        return (f", {'each ' if len(pure) > 1 else ''}of only {what}: too few for purity to "
                "mean much")
    verb = "holds" if len(tiny) == 1 else "hold"
    return (f"; {enumerate_words([c.name for c in tiny])} {verb} only {what}"
            f"{' each' if len(tiny) > 1 and len(sizes) == 1 else ''}, too few for purity "
            "to mean much")


def _left_out(ctx: _Context) -> str:
    """Which samples the agreement leaves out: those without a type are not scored."""
    left_out = int(ctx.adata.uns.get("compare_type_cluster", {}).get("n_left_out", 0) or 0)
    if not left_out:
        return ""
    return (f" (over the {ctx.adata.n_obs - left_out} samples with a type; {left_out} without "
            f"one {'is' if left_out == 1 else 'are'} left out)")


def _untyped_per_side(Z: np.ndarray, left: pd.Series, right: pd.Series) -> tuple[int, int]:
    """Samples without a type on each side of the root: its children's sizes less the typed."""
    n = len(Z) + 1
    sizes = [1 if c < n else int(Z[c - n, 3]) for c in Z[-1, :2].astype(int)]
    return sizes[0] - int(left.sum()), sizes[1] - int(right.sum())


def _side_text(counts: pd.Series, untyped: int) -> str:
    """One side of the root split: its types, and its samples without a type."""
    if not untyped:
        return counts_text(counts)
    return counts_text(counts, limit=3,
                       also=f"{untyped} sample{'s' if untyped != 1 else ''} without a type")


def _root_split_sentence(left: pd.Series, right: pd.Series, top: float,
                         untyped: tuple[int, int] = (0, 0)) -> str:
    # a side of untyped samples only read 'separates  from B (10), A (10) and C (10)'
    only_left = [t for t in left.index if t not in right.index]
    only_right = [t for t in right.index if t not in left.index]
    both = [t for t in left.index if t in right.index]
    text = (f"The tree's first split (height {height(top)}) separates "
            f"{_side_text(left, untyped[0])} from {_side_text(right, untyped[1])}.")
    if both:
        text += f" Types on both sides: {enumerate_words([type_name(t) for t in both])}."
    elif only_left and only_right:
        text += " No type is divided by it."
    return text


#: Why a cut's jump in merge height is below 1: it undoes a merge lower than one it keeps.
INVERTED_CUT = "the tree has inversions, and is cut by merge order"


def _structure_sentence(ctx: _Context) -> str:
    parts = [f"cophenetic correlation {fmt(ctx.summary['cophenetic_correlation'])}"]
    if ctx.silhouette is not None:
        parts.append(f"mean silhouette {fmt(ctx.silhouette)}")
    jump = ctx.jumps.get(ctx.k)
    if jump is not None:
        # the lowest of them: the root, undone by every cut, is higher still
        parts.append(f"the lowest merge undone by the cut is {jump:.2f}x the highest merge "
                     "kept" + (f" (lower: {INVERTED_CUT})" if jump < 1 else ""))
    text = "Structure: " + "; ".join(parts) + "."
    if not ctx.jumps:
        return text
    # ties as shown named together: Golub's 1.2743x (k = 2) and 1.2708x (k = 3) both read
    # 1.27x, and 'the largest jump is at k = 2 (1.27x)' beside the table's k = 3 at 1.27x
    # named one winner of a tie
    top = f"{max(ctx.jumps.values()):.2f}"
    best = [k for k, j in ctx.jumps.items() if f"{j:.2f}" == top]
    if ctx.k not in best:
        text += (f" The largest jump{'s' if len(best) > 1 else ''} in merge height "
                 f"{'are' if len(best) > 1 else 'is'} at k = "
                 f"{enumerate_words([str(k) for k in best])} ({top}x"
                 f"{' each' if len(best) > 1 else ''}).")
    return text


def _dataset(ctx: _Context) -> Section:
    s, adata = ctx.summary, ctx.adata
    source = s.get("input", {})
    rows = [["source", str(source.get("path", "n/a"))]]
    geo = adata.uns.get("geo", {})
    geo = geo if isinstance(geo, dict) else {}
    series = geo.get("series") if isinstance(geo.get("series"), dict) else {}
    # a local GEO file names its accession and title too (read_soft/read_series_matrix keep
    # them in .uns['geo']), not only an accession fetched by name
    accession = source.get("accession") or geo.get("accession")
    if accession:
        rows.append(["accession", _text(accession)])
    for key, value in (("title", geo.get("title") or series.get("title")),
                       ("platform", geo.get("platform"))):
        if value:
            rows.append([f"GEO {key}", _text(value)])
    rows += [
        ["sha256", f"{source.get('sha256') or 'n/a'} ({source.get('sha256_of', '')})"],
        ["samples", str(s["n_samples"])],
        ["probes / genes read", _probes_read_cell(s)],
        ["genes clustered", str(s["n_genes_clustered"])],
    ]
    if sheet := s.get("annotations"):  # --annotations: a file the numbers depend on too
        rows += [["sample sheet", str(sheet.get("path", "n/a"))],
                 ["sheet sha256", f"{sheet.get('sha256') or 'n/a'}"],
                 ["sheet columns added",
                  (", ".join(map(str, sheet.get("columns", []))) or "none")
                  + f" (sample {'titles' if sheet.get('matched') == 'title' else 'ids'} in "
                  f"'{sheet.get('key')}')"]]
    blocks = [Table(["item", "value"], rows)]
    if source.get("note"):
        blocks.append(Paragraph(str(source["note"])))
    if ctx.has_types:
        labels = facts.type_labels(adata)
        counts = labels.value_counts()
        rows = [[t, str(n)] for t, n in counts.items()]
        if labels.isna().any():  # so that the counts add up to the samples
            rows.append(["(no type)", str(int(labels.isna().sum()))])
        blocks.append(Table(["type", "samples"], rows,
                            caption=f"{len(counts)} sample types ('type' column)",
                            numeric=(1,)))
    elif ctx.type_note:
        blocks.append(Paragraph(f"{ctx.type_note[0].upper()}{ctx.type_note[1:]}."))
    else:
        what = ("no sample has a type (the 'type' column is empty)" if "type" in adata.obs
                else "the input has no 'type' column")
        blocks.append(Paragraph(f"{what[0].upper()}{what[1:]}, so the clusters cannot be "
                                "checked against known classes."))
    return Section("dataset", "The data", blocks)


def probes_read(summary: dict) -> tuple[int, int]:
    """Probes in the input and those the missing-value policy dropped.

    ``summary['n_probes']`` counts the probes kept; ``missing['n_probes_dropped']`` the rest.
    """
    missing = summary.get("missing") or {}
    dropped = int(missing.get("n_probes_dropped") or 0)
    return int(summary["n_probes"]) + dropped, dropped


def _probes_read_cell(summary: dict) -> str:
    read, dropped = probes_read(summary)
    if not dropped:
        return str(read)
    return f"{read} ({dropped} dropped for missing values, {summary['n_probes']} kept)"


def _missing_sentence(missing: dict, n_samples: int, n_probes: int) -> str:
    """What the missing-value policy did, in words (the counts of ``.uns['missing']``)."""
    n, dropped = int(missing["n_missing_values"]), int(missing.get("n_probes_dropped", 0))
    probes = missing.get("n_probes_with_missing")
    where = (f" in {int(probes)} probe{'s' if probes != 1 else ''}" if probes is not None
             else "")
    text = f"Missing values: {n}{where}."
    if missing.get("policy") == "impute":
        text += _imputed_sentence(n, dropped, n_samples)
        text += _filled_sentence(missing, n_samples, n_probes)
    elif missing.get("policy") == "drop":
        read = n_probes + dropped  # n_probes: those kept
        text += (f" The {dropped} probes with a missing value ({pct(dropped / max(read, 1))} of "
                 f"the {read} read) were dropped (--missing drop), leaving {n_probes}.")
    else:
        text += f" Policy '{missing.get('policy')}', {dropped} probes dropped."
    return text


def _imputed_sentence(n: int, dropped: int, n_samples: int) -> str:
    """What ``--missing impute`` did with ``n`` missing values, ``dropped`` probes dropped.

    A dropped probe had no value in any of the ``n_samples``: its values were not filled.
    """
    in_dropped = min(dropped * n_samples, n)
    filled = n - in_dropped
    probes = f"{dropped} probe{'s' if dropped != 1 else ''} without any value"
    if not filled:
        were = "which was" if dropped == 1 else "which were"
        return (f" None was filled: they were all in the {probes}, {were} dropped "
                "(--missing impute).")
    how = ("filled with its probe's mean over the samples that have a value (--missing "
           "impute), so these probes vary less than measured")
    if not dropped:
        return f" Each was {how}."
    them = "it" if dropped == 1 else "them"
    return (f" The {filled} in probes with a value {'was' if filled == 1 else 'were'} {how}; "
            f"the {in_dropped} in the {probes} were dropped with {them}.")


#: Share of a sample's values filled from which its place in the tree is called less certain.
FILLED_SAMPLE = 0.05


def _filled_sentence(missing: dict, n_samples: int, n_probes: int) -> str:
    """Where the filled values are: per probe, and the sample with the most of them."""
    worst, sample = missing.get("most_imputed_in_a_sample"), missing.get("sample_most_imputed")
    if worst is None or sample is None or not int(worst):  # an earlier version's run: counts
        return ""  # only; or none filled
    worst, share = int(worst), int(worst) / max(n_probes, 1)
    text = (f" At most {int(missing['most_imputed_in_a_probe'])} of the {n_samples} values of "
            f"a probe were filled; {int(missing['n_samples_imputed'])} of the {n_samples} "
            f"samples have filled values, the most {sample}: {worst} of its {n_probes} values "
            f"({pct(share)}).")
    if share >= FILLED_SAMPLE:
        # a centred profile with many values set to the probe means moves towards the centre
        text += (" A profile with that many values set to the probe means is pulled towards "
                 "the average sample, so where that sample sits in the tree is less certain.")
    return text


def _text(value) -> str:
    if isinstance(value, list | tuple | np.ndarray):
        return "; ".join(str(v) for v in value)
    return str(value)


def _floored(log2: dict) -> str:
    """The values pp.log2 raised to its floor before the log, in words ('' if none).

    GSE781's MAS 5.0 values hold 35 below 1 (down to 0.2), logged as 0, not as down to
    -2.3: 'log2: applied' read as log2(x) of every value.
    """
    n, floor = log2.get("n_floored"), log2.get("floor")
    if not n or floor is None:
        return ""
    return (f" as log2(max(x, {floor:g})): the {int(n):,} value{'s' if n != 1 else ''} below "
            f"{floor:g} {'were' if n != 1 else 'was'} raised to {floor:g} first")


def _preprocessing(ctx: _Context) -> Section:
    uns, s = ctx.adata.uns, ctx.summary
    steps = []
    missing = uns.get("missing")
    if isinstance(missing, dict) and missing.get("n_missing_values"):
        steps.append(_missing_sentence(missing, s["n_samples"], s["n_probes"]))
    log2 = log2_record(ctx.adata)  # of .X, the values clustered
    if log2 is not None:
        q99 = log2.get("quantiles", {}).get("q99")
        if log2.get("applied"):
            steps.append(f"log2: applied{_floored(log2)} (99th percentile of the input "
                         f"{fmt(q99, 1)}; rule {log2.get('rule', '')}).")
        else:
            q0 = log2.get("quantiles", {}).get("q0")
            negative = (" They include negative values (minimum "
                        f"{fmt(q0, 2)}), as log-ratios and centred or standardised values do; "
                        "their base cannot be read from them."
                        if isinstance(q0, int | float) and q0 < 0 else "")
            steps.append(f"log2: not applied: by GEO2R's rule the values look already logged "
                         f"(99th percentile {fmt(q99, 1)}; rule {log2.get('rule', '')})."
                         + negative)
    collapse = uns.get("collapse_probes")
    if isinstance(collapse, dict):
        detail = ", ".join(f"{k} {v}" for k, v in collapse.items() if not isinstance(v, dict))
        steps.append(f"Probes collapsed to genes: {detail}.")
    hv = uns.get("highly_variable")
    asked = s.get("parameters", {}).get("n_top_genes")
    if isinstance(hv, dict) and s["n_genes_clustered"] >= s["n_probes"]:
        # lung: 916 genes, 1,000 asked; "the 916 most variable genes were kept" chose nothing
        more = (f" (--n-top-genes {asked} asked for more than there are)"
                if isinstance(asked, int) and asked > s["n_probes"] else "")
        steps.append(f"Gene selection: none; all {s['n_genes_clustered']} genes were "
                     f"used{more}.")
    elif isinstance(hv, dict):
        steps.append(f"Gene selection: the {hv.get('n_top')} most variable genes by "
                     f"{hv.get('flavor')} were kept ({s['n_genes_clustered']} of "
                     f"{s['n_probes']}).")
    else:
        steps.append(f"Gene selection: none; all {s['n_genes_clustered']} genes were used.")
    if isinstance(uns.get("center"), dict) and not isinstance(uns.get("scale"), dict):
        steps.append("Centring: each gene's mean subtracted (not scaled, so genes that vary "
                     "more weigh more).")
    scale = uns.get("scale")
    if isinstance(scale, dict):
        steps.append(f"Scaling: each gene z-scored (ddof={scale.get('ddof')}, zero_center="
                     f"{scale.get('zero_center')}, max_value={scale.get('max_value')}).")
    p = ctx.params
    steps.append(f"Tree: {p.get('method')} linkage on {p.get('metric')} distances between "
                 f"samples, computed on {p.get('use_rep', 'X')} ({p.get('n_features')} "
                 "features).")
    recipe = s.get("parameters", {}).get("recipe")
    intro = f"Recipe '{recipe}'. Steps, in order:" if recipe else "Steps, in order:"
    return Section("preprocessing", "Preprocessing", [Paragraph(intro), Bullets(steps)])


def _choosing_k(ctx: _Context) -> Section:
    choice = ctx.choice
    blocks = []
    if hasattr(choice, "get") and choice.get("k") is not None:
        blocks.append(Paragraph(str(choice.get("message")) if choice.get("message") else
                                f"k = {choice['k']} was chosen from the data."))
        if ctx.types_confirm:
            # tl.choose_k's message ('the groups are WEAK ... treat these clusters with
            # caution') knows nothing of the types, which here say otherwise
            blocks.append(Paragraph("The known sample types say otherwise: the clusters match "
                                    f"them beyond chance ({ctx.types_confirm}), so the "
                                    "silhouette test missed real groups here; its verdict is "
                                    "no evidence that there are none."))
        given = ctx.summary.get("parameters", {}).get("n_clusters")
        if isinstance(given, int) and given != int(choice["k"]):
            blocks.append(Paragraph(f"This run was cut into k = {n_clusters(ctx.k)} (given), not "
                                    f"the k = {choice['k']} recommended."))
        rows = [[name, _value(choice[name])] for name in
                ("k", "criterion", "strong", "p_value", "k_test", "p_value_k",
                 "best_silhouette") if name in choice]
        if rows:
            blocks.append(Table(["item", "value"], rows))
        scores = choice.get("scores")
        if isinstance(scores, pd.DataFrame) and not scores.empty:
            columns = [c for c in ("silhouette", "silhouette_null", "silhouette_p",
                                   "calinski_harabasz", "gap", "gap_sd") if c in scores.columns]
            blocks.append(Table(["k", *columns],
                                [[str(k), *(_value(scores.loc[k, c]) for c in columns)]
                                 for k in scores.index],
                                caption="Scores of each cut (tl.choose_k)",
                                numeric=tuple(range(len(columns) + 1))))
    else:
        given = ctx.summary.get("parameters", {}).get("n_clusters", ctx.k)
        blocks.append(Paragraph(f"k = {given} was given (--n-clusters), not chosen from the "
                                "data."))
    rows = [[str(k), f"{j:.2f}x", "<- this cut" if k == ctx.k else ""]
            for k, j in ctx.jumps.items()]
    below = ("; below 1 = the cut undoes a merge lower than one it keeps, as on a tree with "
             "inversions, cut by merge order" if any(j < 1 for j in ctx.jumps.values())
             else "")
    blocks.append(Table(["k", "jump in merge height", ""], rows,
                        caption="How much higher the lowest merge undone by each cut is than "
                        f"the highest merge kept (large = a clear gap in the tree{below})",
                        numeric=(0, 1)))
    if ctx.has_types and ctx.n_types != ctx.k:
        if ctx.n_types > ctx.k:
            blocks.append(Paragraph(f"The data carry {ctx.n_types} sample types but the tree "
                                    f"was cut into {n_clusters(ctx.k)}, so at least "
                                    f"{ctx.n_types - ctx.k + 1} types must share a cluster."))
        elif ctx.k_typed > ctx.n_types:  # not when a cluster holds only untyped samples
            blocks.append(Paragraph(f"The tree was cut into {ctx.k} clusters, more than the "
                                    f"{ctx.n_types} sample types, so some type must be split."))
    return Section("choosing-k", "How many clusters", blocks)


def _value(v) -> str:
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, float | np.floating):
        return fmt(float(v))
    return str(v)


def _tree(ctx: _Context, figures: dict[str, bytes]) -> Section:
    s = ctx.summary
    record = ctx.adata.uns.get("cluster", {})
    threshold = record.get("threshold")
    # tl.cut records 'none' when it cut a tree with inversions by merge order, or gave every
    # sample its own cluster where identical samples merge at height 0
    how = (f"at height {height(float(threshold))}" if isinstance(threshold, int | float)
           else "below every merge (identical samples, joined at height 0, apart too)"
           if record.get("rule") == "maxclust"
           else "by merge order (the tree has inversions: no single height gives them)")
    blocks = [Paragraph(
        f"{ctx.params.get('method')} linkage on {ctx.params.get('metric')} distances. The "
        f"tree is cut {how} into {n_clusters(ctx.k)}; its root is at "
        f"{height(ctx.Z[-1, 2])}. Cophenetic correlation "
        f"{fmt(s['cophenetic_correlation'])}: how faithfully the tree's heights keep the "
        "distances between samples (1 = perfectly).")]
    if s.get("cut_note"):
        blocks.append(Paragraph(f"Note on the cut: {s['cut_note']}"))
    if "dendrogram" in figures:
        leaves = "leaves coloured by sample type, " if ctx.has_types else ""
        # pl.dendrogram draws a cut at a height only: a tree with inversions, cut by merge
        # order, showed no line under the caption 'the cut as a dashed line'
        line = (", the cut as a dashed line" if isinstance(threshold, int | float) else
                "; no cut line, as the cut is at no single height")
        blocks.append(Figure(figures["dendrogram"], f"Dendrogram: {leaves}branches by "
                             f"cluster{line}.", "Dendrogram of the samples"))
    return Section("tree", "The tree", blocks)


def _clusters(ctx: _Context) -> Section:
    s = ctx.summary
    blocks = []
    sizes = [[c.name, str(c.size), purity_text(c.purity) if ctx.has_types else "",
              (counts_text(c.counts, limit=3) or "(no type)") if ctx.has_types else ""]
             for c in ctx.clusters]
    blocks.append(Table(["cluster", "samples", "purity", "types"], sizes,
                        caption="Cluster sizes (as summary.json's cluster_sizes)",
                        numeric=(1, 2)))
    if not ctx.has_types:
        blocks.append(Paragraph("Without sample types, only sizes can be reported."))
        return Section("clusters", "Clusters and sample types", blocks)
    left_out = ctx.adata.uns.get("compare_type_cluster", {}).get("n_left_out", 0)
    if left_out:
        blocks.append(Paragraph(f"{left_out} sample{'s' if left_out != 1 else ''} without a "
                                f"type {'were' if left_out != 1 else 'was'} left out of the "
                                "comparison."))
    blocks.append(Table(["ARI", "NMI", "purity"], [[fmt(s.get("ari_vs_type")),
                                                    fmt(s.get("nmi_vs_type")),
                                                    fmt(s.get("purity_vs_type"))]],
                        caption="Agreement of the clusters with the sample types (1 = same "
                        "grouping; ARI about 0 = chance)", numeric=(0, 1, 2)))
    crosstab = pd.crosstab(facts.type_labels(ctx.adata), ctx.adata.obs["cluster"])
    blocks.append(Table(["type", *[f"cluster {c}" for c in crosstab.columns], "total"],
                        [[t, *(str(v) for v in row), str(row.sum())]
                         for t, row in zip(crosstab.index, crosstab.to_numpy(), strict=True)],
                        caption="Samples of each type in each cluster",
                        numeric=tuple(range(1, len(crosstab.columns) + 2))))
    blocks.append(Bullets([_cluster_sentence(c, ctx) for c in ctx.clusters]))
    split = [f"{type_name(t)} is split over clusters " + enumerate_words(
        [f"{c} ({n})" for c, n in where.items()]) + "."
        for t, where in ctx.spread.items() if len(where) > 1]
    if split:
        blocks.append(Paragraph("Types divided between clusters:"))
        blocks.append(Bullets(split))
    else:
        blocks.append(Paragraph("Every type lies within a single cluster."))
    return Section("clusters", "Clusters and sample types", blocks)


def purity_text(purity: float) -> str:
    """A cluster's purity as a percentage; a mixed one never reads '100%'.

    199 AML and 1 ALL (purity 0.995) read 'mixes AML (199) and ALL (1); the largest type,
    AML, makes up 100%'.
    """
    return share_near(purity, 1.0)


def _cluster_sentence(c: facts.ClusterFacts, ctx: _Context) -> str:
    head = f"Cluster {c.name} ({c.size} sample{'s' if c.size != 1 else ''})"
    typed = int(c.counts.sum())
    if not typed:
        return f"{head} has no sample with a type."
    untyped = f", and {c.size - typed} without a type" if typed < c.size else ""
    if len(c.counts) == 1:
        t = c.counts.index[0]
        total = int(ctx.spread[t].sum())
        name = type_name(t)
        whole = (f"all {total} {name} samples" if total == typed
                 else f"{typed} of the {total} {name} samples")
        return f"{head} holds only {name}: {whole} (purity 100%){untyped}."
    # purity is among the typed samples: 'A (10) and B (5); ... A, makes up 67%, and 5
    # without a type' read as 67% of the cluster's 20
    share = purity_text(c.purity) + (f" of the {typed} with a type" if untyped else "")
    # ties named together: A (5) and B (5) read 'the largest type, A, makes up 50%'
    top = [type_name(t) for t, n in c.counts.items() if n == c.counts.iloc[0]]
    if len(top) == len(c.counts):
        largest = f"each of its {len(top)} types makes up {share}"
    elif len(top) > 1:
        largest = f"the largest types, {enumerate_words(top)}, make up {share} each"
    else:
        largest = f"the largest type, {top[0]}, makes up {share}"
    lone = f"{c.size - typed} without a type" if untyped else ""
    return f"{head} mixes {counts_text(c.counts, also=lone)}; {largest}."


def _type_distances(ctx: _Context) -> Section | None:
    if ctx.distances is None or len(ctx.distances) < 2:
        return None
    d = ctx.distances
    names = list(d.index)
    blocks = [Paragraph(
        "Median tree distance between the samples of two types, as a share of the root "
        "height: 0% means the tree joins them at the bottom, 100% only at the root. The "
        "diagonal is how spread out a type is within itself.")]
    if len(names) <= 12:
        blocks.append(Table(["type", *names], [[a, *(pct(v) for v in d.loc[a])] for a in names],
                            numeric=tuple(range(1, len(names) + 1))))
    sentences = []
    if len(names) > 2:  # with two types "closest" and "farthest" are the same one
        for a in names[:12]:
            sentence = _distance_sentence(a, d)
            if sentence:
                sentences.append(sentence)
    pairs = [(d.loc[a, b], a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    pairs = [p for p in pairs if not np.isnan(p[0])]
    if len(pairs) == 1:
        value, a, b = pairs[0]
        a_, b_ = type_name(a), type_name(b)
        sentences.insert(0, f"The tree joins {a_} and {b_} samples at a median "
                         f"{pct(value)} of the root height; within {a_} {_within(d, a)}, "
                         f"within {b_} {_within(d, b)}.")
    elif pairs:
        value = min(p[0] for p in pairs)
        closest = [f"{type_name(a)} and {type_name(b)}" for v, a, b in pairs
                   if pct(v) == pct(value)]
        if len(closest) == len(pairs):
            sentences.insert(0, f"Every two types are joined at the same median height "
                             f"({pct(value)} of the root height): the tree does not put any "
                             "of them closer together.")
        else:
            which = ("The two closest types are " if len(closest) == 1 else
                     "The closest pairs of types are ")
            lone = _single_sample_types(ctx, [t for v, a, b in pairs if pct(v) == pct(value)
                                              for t in (a, b)])
            sentences.insert(0, f"{which}{'; '.join(closest)} ({pct(value)} of the root "
                             f"height){lone}.")
    if len(names) > 12:
        # 25 types: the table was left out and 12 sentences stood as if the whole answer
        sentences.append(f"With {len(names)} types the table is left out and only the first 12 "
                         "types are described one by one.")
    blocks.append(Bullets(sentences))
    return Section("type-distances", "Which types the tree puts together", blocks)


def _distance_sentence(a: str, d: pd.DataFrame) -> str | None:
    """Which types ``a`` is closest to and farthest from; ties named together, never one."""
    others = d.loc[a].drop(a).dropna()
    if others.empty:
        return None
    shown = others.map(pct)
    near = [type_name(t) for t in shown.index[shown == pct(others.min())]]
    far = [type_name(t) for t in shown.index[shown == pct(others.max())]]
    if shown.nunique() == 1:
        where = f"is equally far from every other type ({shown.iloc[0]})"
    else:
        where = (f"is closest to {enumerate_words(near)} ({pct(others.min())}) and farthest "
                 f"from {enumerate_words(far)} ({pct(others.max())})")
    return f"{type_name(a)} {where}; within itself {_within(d, a)}."


def _single_sample_types(ctx: _Context, types: list[str]) -> str:
    """A note on the ``types`` of one sample: a distance from them rests on that sample alone.

    Lung: 'Adeno and combined (36%)', where combined is one sample.
    """
    lone = [t for t in dict.fromkeys(types) if t in ctx.spread and int(ctx.spread[t].sum()) == 1]
    if not lone:
        return ""
    what = "a single sample" if len(lone) == 1 else "single samples"
    return (f"; {enumerate_words([type_name(t) for t in lone])} "
            f"{'is' if len(lone) == 1 else 'are'} {what}, so this "
            "rests on one sample, not on a group")


def _within(d: pd.DataFrame, a: str) -> str:
    value = d.loc[a, a]
    return "n/a (a single sample)" if np.isnan(value) else pct(value)


def _support_overview(ctx: _Context) -> str:
    au = np.asarray(ctx.support["au"], dtype=float)
    strong = [c for c, k in ctx.clade_rows.items() if k is not None and au[k] >= AU_STRONG]
    return (f"Bootstrap support: {len(strong)} of {ctx.k} clusters have AU >= "
            f"{pct(AU_STRONG)}.")


def _consensus_overview(ctx: _Context) -> str | None:
    """'Consensus at k = 2: PAC 0.199; pairs inside the clusters ... 98% (cluster 1) ...'."""
    if ctx.pac_here is None:
        return None
    text = (f"Consensus at k = {ctx.k}: PAC {fmt(ctx.pac_here)} (the share of sample pairs "
            "clustered together in more than 10% and at most 90% of the resamples that drew "
            "both; 0 = perfectly reproducible).")
    within = _within_consensus_sentence(ctx)
    return f"{text} {within}" if within else text


def _within_consensus_sentence(ctx: _Context) -> str | None:
    """How often the samples of each of the run's clusters were clustered together.

    PAC counts every pair, across clusters too; this says which of the run's clusters come
    back when samples are resampled (Golub, k = 2: 98% and 88%).
    """
    within = ctx.within
    if not within or not any(np.isfinite(v) for v in within.values()):
        return None
    shown = [f"{consensus_share(v)} (cluster {c})" for c, v in within.items()
             if np.isfinite(v)]
    if len(shown) > 2 and len({consensus_share(v) for v in within.values()}) == 1:
        # the example: '100% (cluster 1), 100% (cluster 2), 100% (cluster 3) and 100% ...'
        shown = [f"{consensus_share(next(iter(within.values())))} (each cluster)"]
    # a mean over the pairs, said so: Golub's cluster 1 at 90% has 30% of its pairs at or
    # below 90% and one at 56%, which 'pairs ... were clustered together in 90%' hid
    return (f"Pairs of samples inside this run's clusters were clustered together, on "
            f"average over the pairs, in {enumerate_words(shown)} of the resamples that drew "
            "both.")


def consensus_share(share: float) -> str:
    """A cluster's mean consensus as a percentage, on the right side of :data:`PAC_HIGH`."""
    return share_near(share, PAC_HIGH)


def share_near(share: float, level: float) -> str:
    """A share as a percentage, on the right side of the ``level`` it is compared with.

    Rounded to whole percents, Golub's cluster 1 at 0.902 read '90%' and was not named among
    the limits, which name clusters 'at 90% or less': near that level as many decimals are
    shown as tell the side (0.9004 is '90.04%', not '90.0%'), and a share closer than that
    says its side in words.
    """
    if pct(share) != pct(level) or share == level:
        return pct(share)
    for decimals in (1, 2, 3):
        shown = round(100 * share, decimals)
        if shown != round(100 * level, decimals):
            return f"{shown:.{decimals}f}%"
    return f"just {'above' if share > level else 'below'} {pct(level)}"


def _unstable_clusters(ctx: _Context) -> str | None:
    """The clusters whose samples the consensus keeps together in at most 90% of resamples.

    PAC calls a pair ambiguous at that level; lung (k = 3, PAC 0.35) had a cluster at 76% on
    average over its pairs, and the limits did not say so.
    """
    if not ctx.within:
        return None
    weak = {c: v for c, v in ctx.within.items() if np.isfinite(v) and v <= PAC_HIGH}
    if not weak:
        return None
    if len(weak) == 1:
        ((c, v),) = weak.items()
        which, share, they = f"cluster {c}", f"only {consensus_share(v)}", "it is"
    else:
        which = "clusters " + enumerate_words([f"{c} ({consensus_share(v)})"
                                               for c, v in weak.items()])
        share, they = "only those shares", "they are"
    return (f"The consensus keeps the samples of {which} together in {share} of the "
            f"resamples that drew them (on average over their pairs; PAC calls a pair "
            f"ambiguous at {pct(PAC_HIGH)} or less): {they} not reliably reproduced when the "
            "samples are resampled.")


def _support(ctx: _Context, figures: dict[str, bytes]) -> Section:
    blocks = []
    if ctx.support is None:
        blocks.append(Paragraph("No bootstrap was run for this tree, so how stable the "
                                "clusters are under resampling of genes is not measured "
                                "(gexclust.tl.bootstrap computes AU/BP values)."))
    else:
        au = np.asarray(ctx.support["au"], dtype=float)
        bp = np.asarray(ctx.support.get("bp", np.full_like(au, np.nan)), dtype=float)
        rows, sentences = [], []
        for c in ctx.clusters:
            k = ctx.clade_rows.get(c.name)
            if k is None:
                rows.append([c.name, "n/a", "n/a", "not a clade of the tree"])
                continue
            verdict = "supported" if au[k] >= AU_STRONG else "not supported at 95%"
            # AU 0.948 read 'AU 95%, not supported at 95%'
            shown = share_near(au[k], AU_STRONG)
            rows.append([c.name, shown, pct(bp[k]) if np.isfinite(bp[k]) else "n/a", verdict])
            sentences.append(f"Cluster {c.name}: AU {shown}, {verdict}.")
        blocks.append(Table(["cluster", "AU", "BP", "verdict"], rows,
                            caption="Approximately unbiased (AU) and bootstrap (BP) support "
                            "of each cluster's node", numeric=(1, 2)))
        blocks.append(Bullets(sentences))
        if "support" in figures:
            blocks.append(Figure(figures["support"], "Dendrogram with AU/BP support values.",
                                 "Support values on the tree"))
    consensus = ctx.consensus
    if _has_pac(consensus):
        ks = [int(k) for k in np.asarray(consensus.get("k", []))]
        pac = np.asarray(consensus["pac"], dtype=float)
        params = consensus.get("params", {}) if hasattr(consensus.get("params"), "get") else {}
        best = consensus.get("best_k")
        tied = [k for k, v in zip(ks, pac, strict=False) if v <= pac.min() + 1e-12]
        # PAC 0 at k = 2 to 5 on the example: "the lowest ... is at k = 5" hid the tie
        where = (f" is at k = {best}{_below_lookalikes(ks, pac, best)}" if len(tied) < 2 else
                 f", {fmt(float(pac.min()))}, is shared by k = "
                 f"{enumerate_words([str(k) for k in tied])}; the largest of them, "
                 f"k = {best}, is recommended as the finest equally reproducible cut")
        text = (f"Consensus clustering ({params.get('n_resamples', '?')} resamples of "
                f"{pct(float(params.get('sample_fraction', 0.8)))} of the samples): the "
                f"lowest PAC (share of ambiguously clustered pairs; 0 = perfectly "
                f"reproducible){where}.")
        if ks and best == max(ks) and len(ks) > 1:
            text += (" That is the largest k tried, so it marks no optimum: PAC may go on "
                     "falling beyond it as the clusters get smaller.")
        if ctx.pac_here is not None:
            text += f" At this run's k = {ctx.k}, PAC = {fmt(ctx.pac_here)}."
        within = _within_consensus_sentence(ctx)
        if within:
            text += " " + within
        blocks.append(Paragraph(text))
        blocks.append(Table(["k", "PAC"], [[str(k), fmt(v)] for k, v in zip(ks, pac,
                                                                             strict=False)],
                            caption="Proportion of ambiguous clustering per k",
                            numeric=(0, 1)))
    if "consensus" in figures:
        blocks.append(Figure(figures["consensus"], "Consensus matrix: how often two "
                             "samples cluster together over resamplings.",
                             "Consensus matrix"))
    return Section("support", "How sure: support and consensus", blocks)


def _below_lookalikes(ks: list[int], pac: np.ndarray, best) -> str:
    """' (0.1234, just below k = 4's 0.1236)' when another k's PAC prints as the lowest.

    Bladder-sized data give PACs 1/1596 apart: 'the lowest PAC is at k = 3' beside a table
    showing 0.123 at k = 3 and at k = 4 named a winner the reader cannot see.
    """
    low = float(pac.min())
    close = [(k, float(v)) for k, v in zip(ks, pac, strict=False)
             if k != best and fmt(float(v)) == fmt(low)]
    if not close:
        return ""
    digits = next((d for d in range(4, 10)
                   if all(fmt(v, d) != fmt(low, d) for _, v in close)), 10)
    others = enumerate_words([f"k = {k}'s {fmt(v, digits)}" for k, v in close])
    return f" ({fmt(low, digits)}, just below {others})"


def _heatmap(ctx: _Context, figures: dict[str, bytes]) -> Section | None:
    if "cluster_heatmap" not in figures:
        return None
    return Section("heatmap", "Cluster heatmap", [
        Paragraph("Mean expression of each cluster's top marker genes, the average "
                  "expression profile per cluster: each row centred on its mean, and with "
                  "more than two clusters scaled to unit variance."),
        Figure(figures["cluster_heatmap"], "Mean expression per cluster of the top marker "
               "genes.", "Heatmap of cluster means")])


def _markers(ctx: _Context, figures: dict[str, bytes]) -> Section:
    table = ctx.markers
    if table is None or table.empty:
        why = (" (one cluster only: markers rank a cluster against the rest)" if ctx.k < 2
               else "")
        return Section("markers", "Marker genes",
                       [Paragraph(f"No marker genes were computed{why}.")])
    n_genes = ctx.summary.get("n_genes_clustered", ctx.adata.n_vars)
    basis = _fold_change_basis(ctx)
    blocks = [Paragraph(
        f"Genes, among the {n_genes} clustered, that tell each cluster apart from all other "
        "samples: one-vs-rest Welch t-test on the unscaled expression (as scanpy's "
        "rank_genes_groups with method='t-test'), log2 fold change of the cluster over the "
        f"rest{basis}, p-values adjusted by Benjamini-Hochberg within each "
        "cluster. The clusters were "
        "cut from these same genes, so these p-values do not test the clusters: groups "
        "chosen to differ always differ in some genes, and on pure noise their top genes "
        "get tiny p-values too. They rank genes; the evidence that the groups are real is "
        "the test of structure, the known types and, if run, bootstrap or consensus.")]
    choice = ctx.choice
    if ctx.types_confirm:
        blocks.append(Paragraph("The test of structure found no evidence of groups in this "
                                "run, but the clusters match the known sample types beyond "
                                f"chance ({ctx.types_confirm}): these genes describe how "
                                "those types differ, as far as the clusters follow them."))
    elif hasattr(choice, "get") and _false(choice.get("strong")):
        note = _low_power(ctx)
        blocks.append(Paragraph(
            "The test of structure found no evidence of groups in this run, so these genes "
            + (f"may describe where an arbitrary cut fell, not a biological difference ({note})."
               if note else "describe where an arbitrary cut fell, not a biological "
               "difference.")))
    small = [c.name for c in ctx.clusters if c.size < 3]
    if small:
        blocks.append(Paragraph(
            f"{_clusters_word(small)} {enumerate_words(small)} "
            f"{'have' if len(small) > 1 else 'has'} fewer than 3 samples: "
            f"{'their' if len(small) > 1 else 'its'} top genes are those where one or two "
            "samples happen to agree, and their p-values mean little."
            + (" A cluster of one sample has no variance of its own: it is tested as a single "
               "case against the rest (Student's t with the rest's variance)."
               if any(c.size == 1 for c in ctx.clusters) else "")))
    sentences = []
    for group, rows in table.groupby("group", sort=False, observed=True):
        up = rows[rows["direction"] == "up"].head(N_MARKERS)
        down = rows[rows["direction"] == "down"].head(N_MARKERS)
        text = f"Cluster {group}: up " + _gene_list(up)
        if len(down):
            text += "; down " + _gene_list(down)
        sentences.append(text + ".")
    blocks.append(Bullets(sentences))
    # input judged already logged, of a base gexclust cannot read (Golub: standardised log10
    # values): its differences of means are no log2 fold changes, so not headed as such
    unsure = bool(basis)
    cols = ["cluster", "direction", "gene", "symbol",
            "diff. of means" if unsure else "log2FC", "adj. p"]
    rows = [[str(r.group), r.direction, str(r.gene), str(r.symbol), _signed(r.log2fc, 2),
             f"{r.pval_adj:.2g}" if np.isfinite(r.pval_adj) else "n/a"]
            for r in table.itertuples()]
    # ranked by t, not by p: Welch's degrees of freedom differ per gene, so the adj. p column
    # is not in order (the example's cluster 1: 7.1e-31, 3.9e-25, then 1.1e-25)
    blocks.append(Table(cols, rows, caption=f"Top {N_MARKERS} genes up and down per cluster, "
                        "ranked by the Welch t statistic (the degrees of freedom differ "
                        "between genes, so the adjusted p-values need not fall in order)",
                        numeric=(4, 5)))
    if "markers" in figures:
        effect = ("the difference of the means (a log2 fold change only if the input is "
                  "log2)" if unsure else "the log2 fold change")
        blocks.append(Figure(figures["markers"], "Top marker genes of each cluster against "
                             f"every cluster: colour is {effect}, size the -log10 adjusted "
                             "p-value.", "Dot plot of marker genes"))
    return Section("markers", "Marker genes", blocks)


def _fold_change_basis(ctx: _Context) -> str:
    """What the log2 fold changes rest on when gexclust did not log the input itself.

    Without a record of pp.log2 (the seed recipe takes the values as they are) the markers
    judged the values by their look: Golub's standardised log10 values, taken for log2, were
    headed 'log2FC' under --recipe seed though the default recipe called them differences of
    means.
    """
    log2 = log2_record(ctx.adata)
    judged = (facts.markers_read_as_log2(ctx.adata) if log2 is None
              else _false(log2.get("applied")))
    if not judged:
        return ""
    return (" (the difference of the mean values, as the input was judged already logged: a "
            "log2 fold change only if it is log2, which gexclust cannot check)")


def _false(flag) -> bool:
    """Whether a flag of ``.uns`` is False; ``None`` (absent) is not.

    A Python bool, or the numpy.bool_ that anndata 0.10 reads back from adata.h5ad, which
    ``is False`` misses.
    """
    return isinstance(flag, bool | np.bool_) and not flag


def _signed(value: float, decimals: int) -> str:
    """A fold change with its sign, or 'n/a' where it is undefined (NaN): '+nan' read as one."""
    return f"{value:+.{decimals}f}" if np.isfinite(value) else "n/a"


def _gene_list(rows: pd.DataFrame) -> str:
    if rows.empty:
        return "none"
    names = [r.symbol or r.gene for r in rows.itertuples()]
    # a symbol twice (two probes of one gene) names its probe, or it reads as a typo
    return ", ".join(f"{name}{f' [{r.gene}]' if names.count(name) > 1 else ''} "
                     f"({_signed(r.log2fc, 1)})" for name, r in zip(names, rows.itertuples(),
                                                              strict=True))


#: Share of the probes read that ``--missing drop`` may leave out before the report names it as
#: a limit: beyond, the clusters rest on a visibly smaller and more complete part of the data.
DROPPED_SHARE = 0.10


def _dropped_limit(summary: dict) -> str | None:
    """What ``--missing drop`` cost, when it left out many of the probes (lung: 666 of 916)."""
    read, dropped = probes_read(summary)
    if (summary.get("missing") or {}).get("policy") != "drop" or dropped < DROPPED_SHARE * read:
        return None
    return (f"--missing drop left out {dropped} of the {read} probes ({pct(dropped / read)}): "
            f"the clusters rest only on the {summary['n_probes']} measured in every sample; "
            "--missing impute keeps the others (each missing value filled with its probe's "
            "mean).")


def _limits(ctx: _Context) -> Section:
    items = []
    s = ctx.summary
    if s.get("input", {}).get("simulated"):
        items.append("The expression values are simulated: nothing here is a biological "
                     "finding.")
    if not ctx.has_types:
        # a 'type' of sample ids or of one label was given, and names no classes
        given = ("The 'type' column names no classes (see 'The data')" if ctx.type_note else
                 "No sample types were given")
        items.append(f"{given}: whether the clusters are meaningful "
                     "cannot be checked against known classes.")
    if ctx.silhouette is not None and ctx.silhouette < SILHOUETTE_WEAK:
        items.append(f"Mean silhouette {fmt_near(ctx.silhouette, SILHOUETTE_WEAK)} "
                     f"(< {SILHOUETTE_WEAK}): samples "
                     "are on average not much closer to their own cluster than to the next; "
                     f"over {s['n_genes_clustered']:,} genes this is common even for real "
                     "groups, but the borders between clusters are soft.")
    coph = s.get("cophenetic_correlation")
    if coph is None:
        items.append("The cophenetic correlation is undefined (too few samples or equal "
                     "distances): the tree's heights cannot be checked against the data.")
    elif coph < COPHENETIC_LOW:
        items.append(f"Cophenetic correlation {fmt_near(coph, COPHENETIC_LOW)} "
                     f"(< {COPHENETIC_LOW}): the tree distorts the distances between samples; "
                     "read its heights with care.")
    if dropped_note := _dropped_limit(s):
        items.append(dropped_note)
    jump = ctx.jumps.get(ctx.k)
    if jump is not None and jump < 1:
        items.append(f"The cut at k = {ctx.k} undoes a merge lower than one it keeps "
                     f"({jump:.2f}x; {INVERTED_CUT}): no gap in merge height sets its clusters "
                     "apart.")
    elif jump is not None and jump < 1.1:
        items.append(f"The cut at k = {ctx.k} falls where merge heights are close "
                     f"({jump:.2f}x): a slightly different cut would change the clusters.")
    choice = ctx.choice
    if not hasattr(choice, "get"):
        items.append(f"{_k_not_chosen(ctx)}.")
    elif choice.get("strong") is not None and not bool(choice.get("strong")):
        p = choice.get("p_value")
        found = ("tl.choose_k found no clear group structure (the silhouettes are not "
                 "above those of rotated copies of the data, one cloud with the same gene "
                 "covariance"
                 + (f", p = {fmt_near(float(p), ALPHA_K, 2)}" if p is not None else "") + ")")
        items.append(f"{found}; yet the clusters match the known sample types beyond chance "
                     f"({ctx.types_confirm}), so they follow real groups that this test lacks "
                     "the power to see: do not read its verdict as the absence of groups."
                     if ctx.types_confirm else
                     f"{found}: the clusters may be arbitrary cuts of a continuum"
                     + (f"; but {note}." if (note := _low_power(ctx)) else "."))
    elif (cut := _cut_within_chance(ctx)) is not None:
        items.append(cut)
    if ctx.support is None and _within_consensus_sentence(ctx):
        items.append("Without a bootstrap, how each cluster holds up when genes are resampled "
                     "is not known (the consensus resampled samples, not genes).")
    elif ctx.support is None:
        items.append("Without a bootstrap, the stability of each cluster is not known.")
    else:
        au = np.asarray(ctx.support["au"], dtype=float)
        weak = [c for c, k in ctx.clade_rows.items() if k is not None and au[k] < AU_STRONG]
        if weak:
            them = "them as groups" if len(weak) > 1 else "it as a group"
            items.append(f"{_clusters_word(weak)} {enumerate_words(weak)} "
                         f"{'have' if len(weak) > 1 else 'has'} AU < {pct(AU_STRONG)}: the "
                         f"data do not firmly support {them}.")
    if (unstable := _unstable_clusters(ctx)) is not None:
        items.append(unstable)
    small = {c.name: c.size for c in ctx.clusters if c.size <= 2}
    if small:
        # the sizes themselves: 'Cluster 8 has at most 2 samples' left the reader guessing
        sizes = sorted(set(small.values()))
        if len(small) == 1:
            how = ("has 1 sample: an outlier rather than a group" if sizes[0] == 1 else
                   "has 2 samples: outliers rather than a group")
        else:
            count = (f"{sizes[0]} sample{'s' if sizes[0] > 1 else ''} each" if len(sizes) == 1
                     else "1 or 2 samples")
            how = f"have {count}: outliers rather than groups"
        items.append(f"{_clusters_word(list(small))} {enumerate_words(list(small))} {how}.")
    items += _batch_sentences(ctx)
    items += _numeric_sentences(ctx)
    items += _one_cluster_sentences(ctx)
    items += _uncompared_sheet_columns(ctx)
    if not ctx.batches:
        # silence here read as "no batch effect" (bladder: processing dates 1-5, partly
        # confounded with the classes, are not in its CSV)
        # a column of its own value per sample (an age, a date per array) is no candidate:
        # "holds no other annotation" would be false of it
        besides = " besides the type" if ctx.has_types else ""
        # a grouping known inside one cluster only (said above) is no check either
        what = ("No sample annotation{} could be compared with the clusters" if
                ctx.one_cluster else
                "No sample annotation{} groups the samples").format(besides)
        items.append(f"{what} (2 to "
                     f"{max(2, ctx.adata.n_obs // 2)} distinct values, such as a processing "
                     "batch or scan date), so whether the clusters follow a batch rather than "
                     "biology was not checked (a sample sheet adds such columns: gexclust "
                     "run --annotations SHEET, or gx.io.annotate_obs).")
    if not items:
        items.append("No warning sign was found in the numbers this report checks.")
    blocks = [Bullets(items)]
    if ctx.batches:
        relation = {"identical": "the types themselves", "same": "same as the types",
                    "within": "within the types", "groups": "groups the types", "other": ""}
        blocks.append(Table(["column", "values", "samples", "ARI with clusters",
                             "permutation p", "grouping"],
                            [[b.column, str(b.n_levels), str(b.n_samples), fmt(b.ari),
                              fmt(b.p_value), relation[b.relation]] for b in ctx.batches],
                            caption="Other sample annotations against the clusters (samples "
                            "with a value; p: the column's values shuffled over them "
                            f"{facts.N_PERMUTATIONS} times)", numeric=(1, 2, 3, 4)))
    if ctx.numerics:
        blocks.append(_numeric_table(ctx))
    return Section("limits", "What this run cannot tell", blocks)


def _one_cluster_sentences(ctx: _Context) -> list[str]:
    """The groupings no agreement can be measured on: their samples lie in one cluster.

    GSE781 GPL96: ten tumour characteristics (Fuhrman grade, invasion), known for the
    tumours only, all in one cluster, were table rows 'ARI 0.000, p = 1.000', which read as
    compared and found unrelated.
    """
    held = ctx.one_cluster
    if not held:
        return []
    by_cluster: dict[str, list[str]] = {}
    for column, (cluster, _) in held.items():
        by_cluster.setdefault(cluster, []).append(f"'{column}'")
    parts = [f"{enumerate_words(columns)} (cluster {cluster})"
             for cluster, columns in by_cluster.items()]
    return [f"Not compared with the clusters, as the samples with a value in "
            f"{'them' if len(held) > 1 else 'it'} all lie in one cluster, so no agreement can be "
            f"measured: {'; '.join(parts)}."]


def _uncompared_sheet_columns(ctx: _Context) -> list[str]:
    """The sample sheet's columns that group no samples, so were not compared: say so.

    A column with a value per sample (an age over 64 samples: 50 values) is a measurement or
    a name, not a grouping; silence would read as compared and found harmless.
    """
    adata = ctx.adata
    sheet = adata.uns.get("annotations", {}).get("columns", [])
    compared = ({b.column for b in ctx.batches} | {f.column for f in ctx.numerics}
                | set(ctx.one_cluster))  # said by _one_cluster_sentences
    clustered = facts.type_labels(adata, "cluster").notna().to_numpy()
    # counted where the comparison would be: a value only on unassigned samples is no level
    among = "" if clustered.all() else f" among the {clustered.sum()} samples with a cluster"
    left = [(str(c), int(facts.type_labels(adata, c)[clustered].nunique())) for c in sheet
            if c in adata.obs and c not in compared and c != "type"]
    if not left:
        return []
    listed = enumerate_words([f"'{c}' ({n} distinct value{'' if n == 1 else 's'}{among})"
                              for c, n in left])
    most = facts.max_levels(adata.n_obs)
    return [f"Not compared with the clusters, as neither a grouping of 2 to {most} values nor "
            f"numbers measured on each sample (every value a number, some with a fraction or "
            f"more distinct values than half the samples with one): the sample sheet's "
            f"{listed}."]


def _numeric_like(numeric: facts.NumericFacts) -> bool:
    """A numeric column the clusters split strongly and beyond chance."""
    return numeric.epsilon2 >= NUMERIC_EFFECT and numeric.p_value <= BATCH_ALPHA


def _p_text(numeric: facts.NumericFacts) -> str:
    how = "permutation p" if numeric.p_method == "permutation" else "chi-squared p"
    value = _p_shown(numeric.p_value)
    return f"{how} {value}" if value.startswith("<") else f"{how} = {value}"


def _p_shown(p: float) -> str:
    """A p-value to 3 decimals; one that rounds to 0 (chi-squared, 1e-40) is '< 0.001'."""
    return "< 0.001" if 0 <= p < 0.0005 else fmt(p)


def _over(numeric: facts.NumericFacts) -> str:
    """'over the 50 samples with a value (14 without one left out)'."""
    text = f"over the {numeric.n_samples} samples with a value"
    if numeric.n_missing:
        text += f" ({numeric.n_missing} without one left out)"
    return text


def _medians(numeric: facts.NumericFacts) -> str:
    """'1: 61, 2: 48 and 3: no value'."""
    return enumerate_words([f"{c}: {_number(m) if math.isfinite(m) else 'no value'}"
                            for c, m in numeric.medians.items()])


def _number(x: float) -> str:
    """A value as a sheet would write it: 61, 7.25, 0.0123, 1234.

    From 100 on, whole: 3 significant digits of 999.5 would be '1e+03'.
    """
    return f"{x:.0f}" if abs(x) >= 100 or x == round(x) else f"{x:.3g}"


def _numbering(numeric: facts.NumericFacts) -> str:
    if not numeric.numbering:
        return ""
    return (" Its values are distinct whole numbers, one per sample, as a running number's "
            "are: if they only number the sheet's rows, this says that the sheet lists the "
            "samples cluster by cluster, not that anything was measured.")


def _with_types(numeric: facts.NumericFacts) -> str:
    """The caveat for a measurement that differs between the sample types as well."""
    # NaN too: no types to compare; beyond chance only (few samples in many types reach
    # a large epsilon² by chance alone)
    if not (numeric.types_epsilon2 >= NUMERIC_EFFECT and numeric.types_p <= BATCH_ALPHA):
        return ""
    return (f" It differs between the sample types as well (epsilon² "
            f"{fmt(numeric.types_epsilon2)}, p = {fmt(numeric.types_p)}): where "
            "the types are confounded with it, the clusters may follow either.")


def _numeric_sentences(ctx: _Context) -> list[str]:
    """What the Kruskal-Wallis tests of the numeric columns say, in the batch sentences' terms.

    Before, such a column (GSE9476's 'Age', 33 values over 64 samples) was only named as not
    compared: clusters that follow RNA quality or age went unchecked.
    """
    out, calm = [], []
    for f in ctx.numerics:
        if f.n_groups < 2:
            out.append(f"The numeric .obs column '{f.column}' was not tested against the "
                       f"clusters: {'only one cluster holds' if f.n_groups else 'no cluster holds'}"
                       f" a value ({f.n_samples} samples with one).")
        elif f.p_method == "none":
            # samples without a cluster held every other value: nothing to rank apart, and no
            # test to call 'within chance' (before: 'chi-squared p = n/a', not beyond chance)
            out.append(f"The numeric .obs column '{f.column}' was not tested against the "
                       f"clusters: its {f.n_samples} samples with a value in a cluster all "
                       "hold the same one.")
        elif _numeric_like(f):
            out.append(f"The clusters differ in the numeric .obs column '{f.column}': "
                       f"Kruskal-Wallis H {fmt(f.h, 2)}, epsilon² {fmt(f.epsilon2)} "
                       f"{_over(f)}{_chance_note(f)}, {_p_text(f)}; medians per cluster "
                       f"{_medians(f)}. If that "
                       "column is a sample property such as RNA quality, an age or a scan "
                       "order, the clusters may reflect it rather than biology."
                       + _with_types(f) + _numbering(f))
        elif f.epsilon2 >= NUMERIC_EFFECT and f.epsilon2 <= _chance_epsilon2(f):
            # many small clusters: GSE781 cut into 8 gave 'Age' 0.411 where random clusters of
            # those sizes give 0.438, and the report said the clusters 'differ' in it
            out.append(f"The clusters do not differ in the numeric .obs column '{f.column}' "
                       f"more than random clusters of their sizes would: epsilon² "
                       f"{fmt(f.epsilon2)} {_over(f)}, where chance alone gives "
                       f"{fmt(_chance_epsilon2(f))} on average ({_p_text(f)}).")
        elif f.epsilon2 >= NUMERIC_EFFECT:
            out.append(f"The clusters differ in the numeric .obs column '{f.column}' at "
                       f"epsilon² {fmt(f.epsilon2)}, but {_over(f)} that is within chance "
                       f"({_p_text(f)}; chance alone gives {fmt(_chance_epsilon2(f))} on "
                       "average).")
        elif f.p_value <= BATCH_ALPHA:
            out.append(f"The clusters differ weakly in the numeric .obs column '{f.column}' "
                       f"(epsilon² {fmt_near(f.epsilon2, NUMERIC_EFFECT)}, below the "
                       f"{NUMERIC_EFFECT} from which "
                       f"this report calls it following a column) but beyond chance "
                       f"({_p_text(f)}, {_over(f)}; medians per cluster {_medians(f)}): if "
                       "that column is a sample property, it is partly confounded with the "
                       "clusters." + _with_types(f) + _numbering(f))
        else:
            # no parentheses inside the parentheses: 'over the 16 samples with a value (1
            # without one left out))' read as a slip
            left = f"; {f.n_missing} without one left out" if f.n_missing else ""
            calm.append(f"'{f.column}' ({_p_text(f)}, over the {f.n_samples} samples with a "
                        f"value{left})")
    if calm:
        out.append(f"The clusters do not differ beyond chance in the numeric .obs "
                   f"column{'s' if len(calm) > 1 else ''} {enumerate_words(calm)}: "
                   "Kruskal-Wallis across the clusters.")
    return out


def _chance_epsilon2(numeric: facts.NumericFacts) -> float:
    """Epsilon² that random clusters of these sizes give on average: E[H] = k - 1 under H0.

    With many small clusters it is large (8 clusters of 17 samples: 7/16 = 0.44), so an
    epsilon² above Cohen's 0.14 is no difference by itself.
    """
    return (numeric.n_groups - 1) / max(numeric.n_samples - 1, 1)


def _chance_note(numeric: facts.NumericFacts) -> str:
    """' (chance alone gives 0.438 on average)' where that is itself a 'large' epsilon²."""
    chance = _chance_epsilon2(numeric)
    if chance < NUMERIC_EFFECT:
        return ""
    return f" (chance alone gives {fmt(chance)} on average)"


def _numeric_table(ctx: _Context) -> Table:
    chi = [f.column for f in ctx.numerics if f.p_method == "chi-squared"]
    how = (f"the clusters shuffled over them {facts.N_PERMUTATIONS} times" +
           (f"; beyond {facts.MAX_PAIRWISE} samples the chi-squared approximation"
            if chi else ""))
    rows = [[f.column, str(f.n_samples), str(f.n_missing), fmt(f.h, 2), fmt(f.epsilon2),
             _p_shown(f.p_value), "; ".join(f"{c}: {_number(m) if math.isfinite(m) else '-'}"
                                       for c, m in f.medians.items())]
            for f in ctx.numerics]
    p = "p" if chi else "permutation p"
    return Table(["column", "samples", "missing", "Kruskal-Wallis H", "epsilon²", p,
                  "median per cluster"], rows,
                 caption="Numeric sample annotations (every value a number, some with a "
                 "fraction or more distinct values than half the samples with one) against the "
                 "clusters: "
                 "Kruskal-Wallis across the clusters over the samples with a value; "
                 "epsilon² = H / (n - 1), the share of the rank variance between clusters; "
                 f"p: {how}", numeric=(1, 2, 3, 4, 5))


def _cut_within_chance(ctx: _Context) -> str | None:
    """The caveat for a cut that alone is no clearer than in one cloud.

    The groups were found at another k (Golub k = 2: p = 0.08; GSE781 GPL96 k = 2: p = 0.10).
    """
    choice = ctx.choice
    k_test, p_k, k = choice.get("k_test"), choice.get("p_value_k"), choice.get("k")
    if not choice.get("strong") or None in (k_test, p_k, k):
        return None
    if int(k) != ctx.k or int(k_test) == ctx.k or float(p_k) <= ALPHA_K:
        return None
    return (f"The test of structure found groups most of all at k = {int(k_test)}, not at this "
            f"run's k = {ctx.k}: on its own this cut's silhouette is within what rotated "
            "copies of the data (one cloud, no groups) reach "
            f"(p = {fmt_near(float(p_k), ALPHA_K, 2)}), so "
            "the evidence for these particular clusters has to come from elsewhere ("
            f"{'the known types, ' if ctx.has_types else ''}a clear gap in the tree, a "
            f"bootstrap{_consensus_evidence(ctx)}).")


def _consensus_evidence(ctx: _Context) -> str:
    """', or the consensus run here (PAC 0.199 at k = 2)' when one was run at this k."""
    if not _has_pac(ctx.consensus):
        return ", a consensus clustering"
    if ctx.pac_here is None:
        return ", a consensus clustering at this k"
    return (f"; the consensus run here gives PAC {fmt(ctx.pac_here)} at k = {ctx.k}, see "
            "'How sure'")


def _batch_like(batch: facts.BatchFacts) -> bool:
    """A column other than the types that the clusters follow beyond chance."""
    return (batch.relation == "other" and batch.ari >= BATCH_ARI
            and batch.p_value <= BATCH_ALPHA)


def _typed_samples(b: facts.BatchFacts) -> str:
    """The samples a column was compared with the types on: those with a value and a type.

    Samples without a type are not compared; counting them claimed that the column grouped
    them as the types do, too.
    """
    n_typed = b.n_samples if b.n_typed is None else b.n_typed
    if n_typed >= b.n_samples:
        return f"{b.n_samples} samples"
    untyped = b.n_samples - n_typed
    return (f"{n_typed} {'sample' if n_typed == 1 else 'samples'} that have a type ({untyped} "
            f"more {'has' if untyped == 1 else 'have'} none)")


def _batch_sentences(ctx: _Context) -> list[str]:
    ari = ctx.summary.get("ari_vs_type")
    sheet_columns = (ctx.summary.get("annotations") or {}).get("columns", [])
    out = []
    for b in ctx.batches:
        if b.ari >= BATCH_ARI and b.p_value > BATCH_ALPHA:
            out.append(f"The clusters agree with the .obs column '{b.column}' at ARI "
                       f"{fmt(b.ari)}, but on {b.n_samples} samples with a value that is "
                       f"within chance (permutation p = {fmt(b.p_value)}).")
        elif b.relation == "identical":
            # --type-from source_name: the column holds the types, so it can be no batch; a
            # sheet's copy of them (bladder's 'cancer') was not what they were read from
            why = ("it repeats them" if b.column in sheet_columns else
                   "the types were read from it")
            out.append(f"The .obs column '{b.column}' holds the sample types themselves (the "
                       f"same label in each of its {_typed_samples(b)}): {why}, so it "
                       "agrees with the clusters exactly as the types do.")
        elif b.relation == "same":
            # the type under another name (the source_name the types came from), or a batch
            # confounded with them: agreement with it is agreement with the types
            out.append(f"The .obs column '{b.column}' groups its {_typed_samples(b)} exactly "
                       "as the sample types do: if it is a processing batch, batch and type "
                       "are confounded and no clustering can tell them apart.")
        elif b.relation == "groups" and b.p_value <= BATCH_ALPHA:
            # before: GSE9476's Disease_status (AML vs Control over the five types) was a
            # possible batch in the overview's caution, though it only names groups of types
            grouped = (f"The .obs column '{b.column}' groups the sample types (each type "
                       f"lies within one of its {b.n_levels} values): the clusters follow it at "
                       f"ARI {fmt(b.ari)}")
            if ari is not None and b.ari > ari and fmt(b.ari) != fmt(ari):
                # a lot holding whole types, the clusters the lots (ARI 1 against the types'
                # 0.5): 'as far as they follow the types' would hide that they follow it more
                out.append(f"{grouped}, more than the sample types ({fmt(ari)}): they join "
                           "the types as it does. If it is a processing batch, the clusters "
                           "may reflect it rather than biology.")
            else:
                out.append(f"{grouped} as far as they follow the types. If it is a processing "
                           "batch, it is confounded with the types it groups.")
        elif b.ari >= BATCH_ARI and b.relation == "within":
            than = f" (sample types: {fmt(ari)})" if ari is not None else ""
            out.append(f"The clusters follow the .obs column '{b.column}' at ARI "
                       f"{fmt(b.ari)}{than}; its values subdivide the sample types.")
        elif _batch_like(b):
            # as shown: 'ARI 0.371, more than with the sample types (0.371)' said nothing
            than = (f", more than with the sample types ({fmt(ari)})"
                    if ari is not None and b.ari > ari and fmt(b.ari) != fmt(ari) else "")
            out.append(f"The clusters agree with the .obs column '{b.column}' ({b.n_levels} "
                       f"values, {b.n_samples} samples) at ARI {fmt(b.ari)}{than}, "
                       f"permutation p = {fmt(b.p_value)}: if that column is a batch, the "
                       "clusters may reflect it rather than biology." + _through_types(b))
        elif b.relation == "other" and 0 < b.ari < BATCH_ARI and b.p_value <= BATCH_ALPHA:
            # GSE781 GPL96: 'Lot batch' at ARI 0.237, p = 0.046 (8 of the 9 tumours in one
            # lot) was only a row of the table below
            out.append(f"The clusters agree weakly with the .obs column '{b.column}' (ARI "
                       f"{fmt_near(b.ari, BATCH_ARI)}, below the {BATCH_ARI} from which this "
                       "report calls it "
                       f"following a column) but beyond chance (permutation p = "
                       f"{fmt(b.p_value)}): if that column is a batch, it is partly "
                       "confounded with the clusters." + _through_types(b))
    return out


def _through_types(b: facts.BatchFacts) -> str:
    """The caveat for a column the sample types follow at least as much as the clusters do.

    Bladder: the clusters follow the processing date at ARI 0.155, the types at 0.171 (batch
    4 holds only biopsies, batch 3 only normals): the design confounds batch and type, and
    the clusters' agreement with the batch may come through the types alone.
    """
    if not b.types_ari >= b.ari:  # NaN too: no types to compare
        return ""
    return (f" The sample types agree with it at least as much (ARI {fmt(b.types_ari)}): "
            "column and type are partly confounded in the design, so the clusters may follow "
            "it only through the types.")


def _clusters_word(names: list[str]) -> str:
    return "Clusters" if len(names) > 1 else "Cluster"


def _parameters(ctx: _Context) -> Section:
    s = ctx.summary
    params = [[str(k), str(v)] for k, v in s.get("parameters", {}).items()]
    params.insert(0, ["command", str(s.get("command", ""))])
    versions = [["gexclust", str(s.get("gexclust_version", ""))]]
    versions += [[str(k), str(v)] for k, v in s.get("versions", {}).items()]
    return Section("parameters", "Parameters and versions", [
        Table(["parameter", "value"], params),
        Table(["package", "version"], versions),
    ])
