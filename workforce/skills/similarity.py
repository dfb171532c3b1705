"""Similarity between métiers from what the ROME 4.0 knows about them, not only their list of skills.

Each métier is a set of sparse blocks, one row per métier, each row TF-IDF weighted and L2-normalised:

============== =============================================================================================
block          items (from the release's fiche -> item links, bloc 5 unless said)
============== =============================================================================================
technical      compétences savoir-faire, sous-catégorie « Technique » or « Technique expert »
transverse     compétences savoir-faire « Transverse » (organiser, rédiger, accueillir: shared by many métiers)
savoirs        savoirs (knowledge, rubrique 3)
savoir_etre    savoir-être professionnels (rubrique 2)
macro          macro-compétences: those the fiche links to, plus the macro-compétence of each of its compétences
contexts       contextes de travail (bloc 6: hours, places, physical conditions)
appellations   words of the fiche's appellations and label (a local métier adds its own label)
domaine        the domaine professionnel (``K13``, the first three characters of the code ROME), one-hot
grand_domaine  the grand domaine (``K``), one-hot
============== =============================================================================================

The similarity of two métiers is the weighted mean of the blocks' cosines, in [0, 1] (``SimilarityWeights``).
The domaine blocks are a prior, not a filter: a fiche of another domaine with the same technical skills still
comes close. The default weights were learned on ROME's own judgement (fiches derived from the same ROME 3
fiche, ``code_rome_parent``) on half of the parent groups and checked on the other half; the procedure and
the figures are in ``bench/bench_passerelles.py``, which also prints the plain TF-IDF cosine baseline
(``tfidf_similarity``). ``code_rome_parent`` itself is never a feature.

Local métiers enter through their ROME codes (the mean of their fiches' blocks; their own label joins the
appellations), their own required skills and levels (cosine of level x specificity) and the observed internal
moves (``mobility_affinity``): ``local_similarity``. ``similar_metiers`` ranks the métiers closest to one
with it. Everything is sparse products over integer-coded métiers and items, never a loop over agents.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize

from workforce.referential import split_codes
from workforce.rome.layout import BLOC_CONTEXT, BLOC_SKILL
from workforce.rome.titles import fold
from workforce.skills.inputs import (COVERAGE, MOBILITY, REVERSE, SCORE, SkillInputs, active_requirements, code_index,
                                     load_inputs, unique_codes)
from workforce.skills.space import SkillSpace, coverage_matrix, mobility_affinity

MIN_DF_FICHES = 50  # from this many fiches on, a word must appear in two fiches to count in the appellations
BLOCKS = ("technical", "transverse", "savoirs", "savoir_etre", "macro", "contexts", "appellations", "domaine",
          "grand_domaine")


@dataclass(frozen=True)
class SimilarityWeights:
    """Weight of each block's cosine in the similarity of two ROME fiches (the mean is normalised to [0, 1]).

    Learned by coordinate ascent on the mean average precision of ROME's parent-fiche judgement, on half of
    the parent groups (``bench/bench_passerelles.py --fit`` finds exactly these). What they say: technical
    compétences weigh most, savoirs next; the domaine professionnel is a strong prior; the transverse
    compétences and savoir-être, shared by unrelated métiers, barely count; the grand domaine adds nothing
    once the domaine is in.

    ``shared_neighbours`` mixes in, with that weight, how much two métiers share their ``neighbours`` nearest
    fiches (cosine of their top-``neighbours`` rows): two sub-fiches of one trade point at the same fiches
    even when their own items differ (chosen after the blocks, on the same train half).
    """

    technical: float = 2.0
    transverse: float = 0.05
    savoirs: float = 0.75
    savoir_etre: float = 0.05
    macro: float = 0.3
    contexts: float = 0.1
    appellations: float = 0.3
    domaine: float = 2.0
    grand_domaine: float = 0.0
    neighbours: int = 10
    shared_neighbours: float = 0.1

    def blocks(self) -> dict[str, float]:
        """The block weights alone, by block name."""
        return {b: float(getattr(self, b)) for b in BLOCKS}


@dataclass(frozen=True)
class LocalWeights:
    """Weights of a local métier's three sources of similarity (an assumption [U]: the local data holds no
    judgement to learn them from). ``rome``: its ROME fiches (``SimilarityWeights``); ``skills``: its own
    required skills and levels; ``mobility``: the observed internal moves from the source to the target (the
    skills analysis sets it from ``TransformationParams.alpha``)."""

    rome: float = 0.5
    skills: float = 0.25
    mobility: float = 0.25


@dataclass(frozen=True, eq=False)
class MetierVectors:
    """The blocks of a set of métiers: ``codes`` (n), ``blocks`` name -> sparse (n x items), rows L2-normalised
    (an empty row stays zero)."""

    codes: np.ndarray
    blocks: dict

    def similarity(self, other: "MetierVectors", weights: SimilarityWeights | None = None) -> np.ndarray:
        """Dense (len(self) x len(other)): the weighted mean of the blocks' cosines, in [0, 1], over the blocks
        that either métier has (a block neither knows, such as contexts missing on both, neither helps nor
        hurts): a métier is 1 to itself, and 0 to everything when it has no block at all."""
        w = (weights or SimilarityWeights()).blocks()
        num = np.zeros((len(self.codes), len(other.codes)))
        den = np.zeros_like(num)
        for name, m in self.blocks.items():
            if w.get(name, 0) > 0:
                num += w[name] * (m @ other.blocks[name].T).toarray()
                den += w[name] * (_has_items(m)[:, None] | _has_items(other.blocks[name])[None, :])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.clip(np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0), 0.0, 1.0)

    def rows(self, codes) -> "MetierVectors":
        pos = code_index(self.codes, codes)
        if (pos < 0).any():
            raise KeyError(f"unknown métier(s): {', '.join(map(str, np.asarray(codes, dtype=object)[pos < 0][:5]))}")
        return MetierVectors(self.codes[pos], {k: m[pos] for k, m in self.blocks.items()})


def _nearest(similarity: np.ndarray, k: int, exclude: np.ndarray | None = None) -> sparse.csr_matrix:
    """Each row's ``k`` largest similarities (the rest 0; ``exclude`` (row, column) pairs first set to 0, a fiche
    itself), rows L2-normalised: the rows' neighbourhoods, whose products say how much two rows share them."""
    s = np.array(similarity, dtype=float)
    if exclude is not None:
        s[exclude] = 0.0
    k = min(k, s.shape[1])
    cols = np.argpartition(-s, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(s.shape[0]), k)
    vals = s[rows, cols.ravel()]
    keep = vals > 0
    m = sparse.csr_matrix((vals[keep], (rows[keep], cols.ravel()[keep])), shape=s.shape)
    return _l2(m)


def _with_neighbours(direct: np.ndarray, near: sparse.csr_matrix, w: SimilarityWeights) -> np.ndarray:
    """``direct`` mixed with the shared neighbourhoods (``_nearest``) where both rows have one, so that a métier
    without any neighbour is still 1 to itself."""
    has = _has_items(near)
    mixed = (1 - w.shared_neighbours) * direct + w.shared_neighbours * (near @ near.T).toarray()
    return np.where(has[:, None] & has[None, :], mixed, direct)


def _l2(m) -> sparse.csr_matrix:
    """Rows scaled to unit L2 norm (an empty row stays zero); a block without any item stays as it is."""
    m = sparse.csr_matrix(m)
    return normalize(m).tocsr() if m.shape[1] else m


def _has_items(m: sparse.csr_matrix) -> np.ndarray:
    return np.diff(m.indptr) > 0


def _incidence(rows: np.ndarray, row_codes: np.ndarray, items) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Binary (rows x items) matrix from paired arrays; pairs whose row is unknown are dropped."""
    item_codes = unique_codes(items)
    r, c = code_index(row_codes, rows), code_index(item_codes, items)
    ok = (r >= 0) & (c >= 0)
    m = sparse.csr_matrix((np.ones(int(ok.sum())), (r[ok], c[ok])), shape=(len(row_codes), len(item_codes)))
    m.data[:] = 1.0  # duplicates summed by the constructor count once
    return m, item_codes


def _block_of(skills: pd.DataFrame, codes: pd.Series) -> np.ndarray:
    """The block of each linked skill code, from its kind and category (see the module's table)."""
    info = skills.drop_duplicates("code").set_index("code")
    kind = codes.map(info["kind"]).fillna("").to_numpy(dtype=str)
    category = (codes.map(info["category"]) if "category" in info else pd.Series(None, index=codes.index))
    category = category.fillna("").to_numpy(dtype=str)
    out = np.full(len(codes), "technical", dtype=object)
    out[np.char.find(category, "Transverse") >= 0] = "transverse"
    out[np.char.startswith(category, "Macro")] = "macro"
    out[kind == "savoir_etre"] = "savoir_etre"
    out[kind == "savoir"] = "savoirs"
    return out


@dataclass(frozen=True, eq=False)
class RomeFeatures:
    """The ROME fiches as blocks (``vectors``), with the appellations' vectoriser that turns a local métier's
    own label into the same words (``local_vectors``)."""

    vectors: MetierVectors
    vectorizer: TfidfVectorizer
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, fiches: pd.DataFrame, skills: pd.DataFrame, links: pd.DataFrame,
              appellations: pd.DataFrame) -> "RomeFeatures":
        """From the release's tables (or the database's): ``fiches`` code, label; ``skills`` code, kind,
        category, optional macro_code; ``links`` code_rome, bloc, code_ogr; ``appellations`` code_rome, label."""
        codes = unique_codes(fiches["code"])
        sk = links[links["bloc"] == BLOC_SKILL]
        sk_codes = sk["code_ogr"].astype(str).reset_index(drop=True)
        block = _block_of(skills, sk_codes)
        pairs = {b: (sk["code_rome"].to_numpy()[block == b], sk_codes.to_numpy()[block == b])
                 for b in ("technical", "transverse", "savoirs", "savoir_etre", "macro")}
        if "macro_code" in skills:
            macro = sk_codes.map(skills.drop_duplicates("code").set_index("code")["macro_code"])
            has = macro.notna().to_numpy()
            pairs["macro"] = (np.concatenate([pairs["macro"][0], sk["code_rome"].to_numpy()[has]]),
                              np.concatenate([pairs["macro"][1], macro.to_numpy()[has].astype(str)]))
        ctx = links[links["bloc"] == BLOC_CONTEXT]
        pairs["contexts"] = (ctx["code_rome"].to_numpy(), ctx["code_ogr"].astype(str).to_numpy())
        pairs["domaine"] = (codes, np.asarray([c[:3] for c in codes], dtype=object))
        pairs["grand_domaine"] = (codes, np.asarray([c[:1] for c in codes], dtype=object))
        blocks = {}
        for name, (rows, items) in pairs.items():
            m, _ = _incidence(rows, codes, items)
            # TF-IDF within the block; a release (or a cut of one) without this kind of item keeps it empty
            blocks[name] = _l2(TfidfTransformer().fit_transform(m)) if m.shape[1] else m
        labels = fiches.drop_duplicates("code").set_index("code")["label"]
        text = (appellations.groupby("code_rome")["label"].agg(" ".join).reindex(codes).fillna("")
                + " " + labels.reindex(codes).fillna("").to_numpy()).map(fold)
        # a word of one fiche only links it to nothing; a tiny release keeps every word
        vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=2 if len(codes) >= MIN_DF_FICHES else 1)
        blocks["appellations"] = _l2(vectorizer.fit_transform(text.to_numpy()))
        return cls(MetierVectors(codes, {b: blocks[b] for b in BLOCKS}), vectorizer)

    @classmethod
    def from_release(cls, release) -> "RomeFeatures":
        return cls.build(release.fiches, release.skills, release.links, release.appellations)

    @classmethod
    def from_inputs(cls, inputs: SkillInputs) -> "RomeFeatures | None":
        """From a ``SkillInputs`` holding a ROME release (``rome_links``), else None."""
        if inputs.rome_links is None or not len(inputs.rome_links):
            return None
        fiches = inputs.metiers[inputs.metiers["source"] == "rome"]
        return cls.build(fiches, inputs.skills, inputs.rome_links, inputs.rome_appellations)

    def similarity(self, sources=None, weights: SimilarityWeights | None = None) -> np.ndarray:
        """Dense (sources x fiches) similarity, shared neighbours mixed in; every fiche when ``sources`` is None.

        The fiche-to-fiche matrix is computed once (about 1 s for the whole ROME) and kept for the last
        ``weights`` asked (one matrix: 20 MB for the ROME).
        """
        w = weights or SimilarityWeights()
        if w not in self._cache:
            self._cache.clear()
            direct = self.vectors.similarity(self.vectors, w)
            if w.shared_neighbours > 0 and w.neighbours > 0:
                direct = _with_neighbours(direct, _nearest(direct, w.neighbours, np.diag_indices(len(direct))), w)
            self._cache[w] = direct
        full = self._cache[w]
        return full if sources is None else full[self._positions(sources)]

    def _positions(self, codes) -> np.ndarray:
        pos = code_index(self.vectors.codes, codes)
        if (pos < 0).any():
            raise KeyError(f"unknown fiche(s): {', '.join(map(str, np.asarray(codes, dtype=object)[pos < 0][:5]))}")
        return pos

    def local_similarity(self, metiers: pd.DataFrame, weights: SimilarityWeights | None = None) -> np.ndarray:
        """Dense (n x n) ROME similarity of local métiers (``local_vectors``), shared neighbours mixed in: two
        métiers whose nearest fiches are the same are closer."""
        w = weights or SimilarityWeights()
        vec = self.local_vectors(metiers)
        direct = vec.similarity(vec, w)
        if w.shared_neighbours > 0 and w.neighbours > 0:
            direct = _with_neighbours(direct, _nearest(vec.similarity(self.vectors, w), w.neighbours), w)
        return direct

    def local_vectors(self, metiers: pd.DataFrame) -> MetierVectors:
        """Local métiers (``code, label, rome_codes``) as blocks: the mean of their fiches' rows, their own label
        added to the appellations; a métier without a known ROME code has empty blocks (similarity 0)."""
        codes = unique_codes(metiers["code"])
        meta = metiers.drop_duplicates("code").set_index("code").reindex(codes)
        pairs = [(m, r) for m, text in zip(codes, meta["rome_codes"]) for r in split_codes(text)]
        rows = np.asarray([p[0] for p in pairs], dtype=object)
        cols = code_index(self.vectors.codes, [p[1] for p in pairs])
        ok = cols >= 0
        assign = sparse.csr_matrix((np.ones(int(ok.sum())), (code_index(codes, rows[ok]), cols[ok])),
                                   shape=(len(codes), len(self.vectors.codes)))
        assign = normalize(assign, norm="l1")
        blocks = {name: _l2(assign @ m) for name, m in self.vectors.blocks.items()}
        own = self.vectorizer.transform(meta["label"].fillna("").map(fold).to_numpy())
        has_rome = np.asarray(assign.sum(axis=1)).ravel() > 0
        own = sparse.diags(has_rome.astype(float)) @ _l2(own)  # a label alone is no ROME evidence
        blocks["appellations"] = _l2(blocks["appellations"] + own)
        return MetierVectors(codes, blocks)


def tfidf_similarity(links: pd.DataFrame, fiches=None) -> tuple[np.ndarray, np.ndarray]:
    """The baseline: cosine of the fiches' TF-IDF vectors over their compétences and savoirs (bloc 5).

    Returns ``(codes, dense similarity)``; ``fiches`` fixes the order (default: the links' order of first
    appearance).
    """
    sk = links[links["bloc"] == BLOC_SKILL]
    codes = unique_codes(fiches if fiches is not None else sk["code_rome"])
    m, _ = _incidence(sk["code_rome"].to_numpy(), codes, sk["code_ogr"].astype(str))
    x = _l2(TfidfTransformer().fit_transform(m))
    return codes, (x @ x.T).toarray()


def skill_vectors(space: SkillSpace) -> sparse.csr_matrix:
    """The rows of a skill space as level x specificity, L2-normalised: what ``local_similarity`` compares."""
    return _l2(space.matrix.multiply(space.weights[None, :]))


def local_parts(metiers: pd.DataFrame, space: SkillSpace, rome: RomeFeatures | None = None,
                rome_weights: SimilarityWeights | None = None) -> dict[str, np.ndarray]:
    """The unweighted similarities (n x n) of the local métiers of ``space`` (its order): ``skills`` (cosine
    of level x specificity) and, with a ROME release, ``rome`` (their fiches' blocks). ``metiers``: code,
    label, rome_codes."""
    own = skill_vectors(space)
    parts = {"skills": (own @ own.T).toarray()}
    if rome is not None:
        aligned = metiers.drop_duplicates("code").set_index("code").reindex(space.metiers).rename_axis("code")
        parts["rome"] = rome.local_similarity(aligned.reset_index(), rome_weights)
    return parts


def combine_local(parts: dict[str, np.ndarray], mobility: np.ndarray,
                  weights: LocalWeights | None = None) -> np.ndarray:
    """The weighted mean of ``local_parts`` and the observed mobility; without a ROME release the ROME part
    drops out and the two others share the whole weight."""
    w = weights or LocalWeights()
    terms = [(w.skills, parts["skills"]), (w.mobility, np.asarray(mobility, dtype=float))]
    if "rome" in parts:
        terms.append((w.rome, parts["rome"]))
    total = sum(wt for wt, _ in terms)
    return sum(wt * x for wt, x in terms) / total if total > 0 else np.zeros_like(parts["skills"])


def local_similarity(metiers: pd.DataFrame, space: SkillSpace, mobility: np.ndarray,
                     rome: RomeFeatures | None = None, weights: LocalWeights | None = None,
                     rome_weights: SimilarityWeights | None = None) -> np.ndarray:
    """Dense (n x n) similarity between the local métiers of ``space`` (its order), source in rows:
    ``combine_local`` of ``local_parts``. ``mobility``: ``mobility_affinity`` on ``space.metiers``."""
    return combine_local(local_parts(metiers, space, rome, rome_weights), mobility, weights)


def local_metier_table(inputs: SkillInputs) -> pd.DataFrame:
    """``code, label, rome_codes`` of the local métiers: what ``local_similarity`` reads."""
    return inputs.local_metiers()[["code", "label", "rome_codes"]].reset_index(drop=True)



# ------------------------------------------------------------------------------------------ similar métiers

def _ranked(space: SkillSpace, src: int, targets: np.ndarray, cov: np.ndarray, rev: np.ndarray, mob: np.ndarray,
            score: np.ndarray, k: int | None) -> pd.DataFrame:
    is_self = targets == src
    order = np.lexsort((~is_self, -rev, -score))  # score, then reverse coverage, then the métier itself first
    order = order[:k] if k is not None else order
    return pd.DataFrame({"target": space.metiers[targets[order]], COVERAGE: cov[order], REVERSE: rev[order],
                         MOBILITY: mob[order], SCORE: score[order], "rank": np.arange(1, len(order) + 1)})


def similar_metiers(code: str, k: int = 5, *, inputs: SkillInputs | None = None, engine=None,
                    among: str | None = None, include_self: bool = False, alpha: float = 0.25,
                    spaces: "SimilaritySpaces | None" = None) -> pd.DataFrame:
    """The ``k`` métiers closest to ``code`` for someone coming from it (``code`` is the source).

    Works on local métiers (among local métiers: ``local_similarity``, ``alpha`` the weight of the mobility
    observed in the history) and on any ROME fiche (among ROME fiches: ``RomeFeatures.similarity``); ``among``
    = "local", "rome" or "all" (both, on binary skill coverage) overrides. Returns ``target, label, source,
    coverage, reverse_coverage, mobility, score, rank``; the métier itself comes first when ``include_self``.
    """
    if spaces is None:
        spaces = SimilaritySpaces.build(inputs if inputs is not None else load_inputs(engine))
    return spaces.similar(code, k, among=among, include_self=include_self, alpha=alpha)


@dataclass(frozen=True, eq=False)
class SimilaritySpaces:
    """The three spaces ``similar_metiers`` searches: local (levels, ROME fiches, mobility), ROME fiches, both;
    with the model's parts (``local_parts``, ``RomeFeatures``) computed once."""

    local: SkillSpace
    rome: SkillSpace | None
    mobility: np.ndarray
    labels: pd.Series
    sources: pd.Series
    local_parts: dict
    features: RomeFeatures | None = None
    _all: list = field(default_factory=list)

    @classmethod
    def build(cls, inputs: SkillInputs, year: int | None = None) -> "SimilaritySpaces":
        year = year if year is not None else inputs.base_year
        local_req = active_requirements(inputs.requirements, year)
        local = SkillSpace.build(local_req, inputs.local_metiers()["code"], levels=True)
        rome = (SkillSpace.build(inputs.rome_requirements, levels=False) if len(inputs.rome_requirements) else None)
        features = RomeFeatures.from_inputs(inputs)
        labels = inputs.metiers.set_index("code")["label"]
        sources = inputs.metiers.set_index("code")["source"]
        return cls(local, rome, mobility_affinity(inputs.mobility, local.metiers), labels, sources,
                   local_parts(local_metier_table(inputs), local, features), features,
                   [local_req, inputs.rome_requirements])

    def all(self) -> SkillSpace:
        if len(self._all) == 2:
            both = pd.concat(self._all, ignore_index=True)
            self._all.append(SkillSpace.build(both, levels=False))
        return self._all[2]

    def similar(self, code: str, k: int = 5, *, among: str | None = None, include_self: bool = False,
                alpha: float = 0.25) -> pd.DataFrame:
        in_local = code in set(self.local.metiers)
        in_rome = self.rome is not None and code in set(self.rome.metiers)
        if among is None:
            among = "local" if in_local else "rome"
        if among not in ("local", "rome", "all"):
            raise ValueError(f"among must be local, rome or all, got {among!r}")
        space = {"local": self.local, "rome": self.rome}.get(among) if among != "all" else self.all()
        if space is None:
            raise LookupError("no ROME release loaded: run `workforce referential import-rome DOSSIER`")
        if code not in set(space.metiers):
            known = "a local métier" if in_local else "a ROME fiche" if in_rome else "unknown"
            raise KeyError(f"{code!r} is {known}, not in the {among} space (or it has no required skill)")
        src = int(space.position([code])[0])
        targets = np.arange(len(space.metiers))
        cov = coverage_matrix(space.matrix[[src]], space.matrix, space.weights, space.levels)[0]
        rev = coverage_matrix(space.matrix, space.matrix[[src]], space.weights, space.levels)[:, 0]
        mob = self.mobility[src].copy() if space is self.local else np.zeros(len(targets))
        mob[src] = 1.0  # staying is the most observed "move": the métier itself ranks first
        if space is self.local:
            parts = {name: m[[src]] for name, m in self.local_parts.items()}
            score = combine_local(parts, mob[None, :], replace(LocalWeights(), mobility=alpha))[0]
        elif space is self.rome and self.features is not None:
            pos = code_index(self.features.vectors.codes, space.metiers)
            score = self.features.similarity([code])[0][pos]
        else:
            score = cov
        if not include_self:
            keep = targets != src
            targets, cov, rev, mob, score = targets[keep], cov[keep], rev[keep], mob[keep], score[keep]
        out = _ranked(space, src, targets, cov, rev, mob, score, k)
        return out.assign(label=out["target"].map(self.labels).to_numpy(),
                          source=out["target"].map(self.sources).to_numpy())[
            ["target", "label", "source", COVERAGE, REVERSE, MOBILITY, SCORE, "rank"]]


# ------------------------------------------------------------------------------------------ evaluation

def parent_judgements(fiches: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """ROME's own relevance judgement: two fiches are related when they come from the same ROME 3 fiche
    (same ``code_rome_parent``, a parent included). Returns ``(codes, parents)``; used by the bench and the
    tests, never by the similarity."""
    parent = fiches["attributes"].map(lambda a: (a or {}).get("code_rome_parent"))
    parents = parent.fillna(fiches["code"]).to_numpy(dtype=object)
    return fiches["code"].to_numpy(dtype=object), parents


def ranking_quality(scores: np.ndarray, groups: np.ndarray, queries: np.ndarray | None = None,
                    k: int = 10) -> dict[str, float]:
    """Mean average precision, nDCG@k and recall@k of ranking every other fiche by ``scores`` (n x n).

    A fiche is relevant to a query when it has the same ``groups`` value; the query itself is left out;
    queries without any relevant fiche are skipped (``queries``: positions to evaluate, default all).
    """
    g = np.asarray(groups, dtype=object)
    q = np.arange(len(g)) if queries is None else np.asarray(queries)
    rel = g[q][:, None] == g[None, :]
    rel[np.arange(len(q)), q] = False
    keep = rel.any(axis=1)
    q, rel = q[keep], rel[keep]
    if not len(q):
        return {"MAP": float("nan"), f"nDCG@{k}": float("nan"), f"recall@{k}": float("nan"), "queries": 0}
    s = np.asarray(scores, dtype=float)[q].copy()
    s[np.arange(len(q)), q] = -np.inf
    hits = np.take_along_axis(rel, np.argsort(-s, axis=1, kind="stable"), axis=1).astype(float)
    n_rel = hits.sum(axis=1)
    precision = np.cumsum(hits, axis=1) / np.arange(1, hits.shape[1] + 1)
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(disc)[np.minimum(n_rel, k).astype(int) - 1]
    return {"MAP": float(((precision * hits).sum(axis=1) / n_rel).mean()),
            f"nDCG@{k}": float(((hits[:, :k] * disc).sum(axis=1) / ideal).mean()),
            f"recall@{k}": float((hits[:, :k].sum(axis=1) / np.minimum(n_rel, k)).mean()),
            "queries": int(len(q))}
