"""Title matching: ROME fiches suggested for local job labels, by character n-grams over every spelling of
every appellation (masculine, feminine, inclusive). It only suggests; it never changes anything."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

_NOISE = re.compile(r"\(\s*[hf]\s*/\s*[hf]\s*\)|\b[hf]\s*/\s*[hf]\b", re.IGNORECASE)
_INCLUSIVE = re.compile(r"(\w)\s*(?:\((?:e|ne|le|se|euse|rice|trice|ère)\)|[·.](?:e|ne|le|se|euse|rice|trice|ère)\b)",
                        re.IGNORECASE)


def fold(text: str) -> str:
    """Lower case, no accents, ligatures expanded, punctuation to spaces: what two spellings share."""
    text = str(text).replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def gender_forms(label: str) -> list[str]:
    """The spellings of a job title to compare, masculine and feminine split apart.

    "Conducteur / Conductrice d'engins" gives "Conducteur d'engins" and "Conductrice d'engins" (the ROME
    writes the feminine of the first words after the slash); inclusive forms ("Assistant(e)",
    "Technicien·ne") give the masculine; "(H/F)" is dropped. The label as written is kept too, so a slash
    that does not separate genders ("Agent RH / paie") loses nothing.
    """
    text = _NOISE.sub(" ", str(label))
    text = _INCLUSIVE.sub(r"\1", text)
    forms = [text.replace("/", " ")]
    if "/" in text:
        left, right = (part.split() for part in re.split(r"\s*/\s*", text, maxsplit=1))
        if left and right:
            forms.append(" ".join(left + right[len(left):]))
            forms.append(" ".join(right))
    return [f for f in dict.fromkeys(fold(f) for f in forms) if f]


@dataclass(frozen=True, eq=False)
class TitleMatcher:
    """Character n-gram TF-IDF over every gender form of every appellation; scores are cosines in [0, 1].

    Build once with ``TitleMatcher.build(appellations)`` (columns ``code, label, code_rome, fiche_label``),
    then ``match(labels, k)``.
    """

    vectorizer: object
    matrix: object  # sparse (n_forms x n_features), rows sorted by fiche
    form_appellation: np.ndarray  # row -> appellation position
    fiche_starts: np.ndarray  # first row of each fiche
    fiches: np.ndarray
    fiche_labels: np.ndarray
    appellations: pd.DataFrame

    @classmethod
    def build(cls, appellations: pd.DataFrame) -> "TitleMatcher":
        from sklearn.feature_extraction.text import TfidfVectorizer

        app = appellations.sort_values(["code_rome", "code"], kind="stable").reset_index(drop=True)
        # the fiche's own label is an appellation too (the PRINCIPALE one)
        forms, owner = [], []
        for i, label in enumerate(app["label"]):
            for f in gender_forms(label):
                forms.append(f)
                owner.append(i)
        owner = np.asarray(owner)
        vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), sublinear_tf=True, dtype=np.float32)
        matrix = vec.fit_transform(forms).tocsr()
        fiche_of_row = app["code_rome"].to_numpy()[owner]
        starts = np.flatnonzero(np.r_[True, fiche_of_row[1:] != fiche_of_row[:-1]])
        fiches = fiche_of_row[starts]
        labels = app.drop_duplicates("code_rome").set_index("code_rome")["fiche_label"].reindex(fiches).to_numpy()
        return cls(vec, matrix, owner, starts, fiches, labels, app)

    def match(self, labels: Sequence[str], k: int = 3, chunk: int = 256) -> pd.DataFrame:
        """The ``k`` closest fiches of each label: ``query, rank, code_rome, fiche_label, appellation, score``.

        A fiche's score is the best cosine between any spelling of the label and any spelling of the
        fiche's appellations; the appellation that gave it is shown. Labels that fold to nothing get no row.
        """
        rows = []
        labels = list(labels)
        for start in range(0, len(labels), chunk):
            part = labels[start:start + chunk]
            forms, owner = [], []
            for i, label in enumerate(part):
                for f in gender_forms(label):
                    forms.append(f)
                    owner.append(i)
            if not forms:
                continue
            owner = np.asarray(owner)
            sim = (self.vectorizer.transform(forms) @ self.matrix.T).toarray()  # forms x appellation forms
            best_form = np.full((len(part), sim.shape[1]), -1.0, dtype=np.float32)
            np.maximum.at(best_form, owner, sim)  # label x appellation form
            by_fiche = np.maximum.reduceat(best_form, self.fiche_starts, axis=1)
            arg_in_fiche = _argmax_reduceat(best_form, self.fiche_starts)
            kk = min(k, by_fiche.shape[1])
            top = np.argsort(-by_fiche, axis=1, kind="stable")[:, :kk]
            for i in range(len(part)):
                if not (owner == i).any():
                    continue
                for rank, j in enumerate(top[i], start=1):
                    app_row = self.form_appellation[arg_in_fiche[i, j]]
                    rows.append((part[i], rank, self.fiches[j], self.fiche_labels[j],
                                 self.appellations["label"].iat[app_row], round(float(by_fiche[i, j]), 3)))
        return pd.DataFrame(rows, columns=["query", "rank", "code_rome", "fiche_label", "appellation", "score"])


def _argmax_reduceat(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Column index of the maximum of each [start, next start) slice of each row."""
    n_rows, n_cols = values.shape
    ends = np.r_[starts[1:], n_cols]
    seg = np.repeat(np.arange(len(starts)), ends - starts)
    maxima = np.maximum.reduceat(values, starts, axis=1)
    is_max = values >= maxima[:, seg]
    # the first column of each slice reaching the maximum
    cols = np.broadcast_to(np.arange(n_cols), values.shape)
    masked = np.where(is_max, cols, n_cols)
    return np.minimum.reduceat(masked, starts, axis=1)


def match_titles(labels: Sequence[str], appellations: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """Suggest the ``k`` closest ROME fiches for each job label; see ``TitleMatcher.match``."""
    return TitleMatcher.build(appellations).match(labels, k)
