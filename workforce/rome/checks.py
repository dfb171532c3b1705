"""The checks of a ROME release before anything is written: codes and flags well formed, no duplicates, every
link to an item the release holds, every fiche with the links every fiche has.

Each check appends one line per problem (at most `SHOWN_PROBLEMS` per check) naming the file, the row as a
spreadsheet shows it (the header is row 1) and the column.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from workforce.rome.layout import (APPELLATIONS_STEM, CODE_OGR_RE, CODE_ROME_RE, COMPETENCES_STEM, CONTEXTS_STEM,
                                   DOMAINS_STEM, ECO_FLAGS, FICHES_STEM, LINKS_STEM, RUBRIQUES, SAVOIRS_STEM,
                                   SHOWN_PROBLEMS, YES_NO)


def check_codes(frames: dict[str, pd.DataFrame], name: dict[str, str], problems: list[str]) -> None:
    """Codes and flags of each file: well formed, unique, one of the allowed values."""
    f, a, c, s, l, x = (frames[k] for k in (FICHES_STEM, APPELLATIONS_STEM, COMPETENCES_STEM, SAVOIRS_STEM,
                                             LINKS_STEM, CONTEXTS_STEM))
    check_pattern(f, name[FICHES_STEM], "code_rome", CODE_ROME_RE, "a code ROME (a letter and 4 digits)", problems)
    for frame, stem, col in ((f, FICHES_STEM, "code_ogr"), (a, APPELLATIONS_STEM, "code_ogr"),
                             (c, COMPETENCES_STEM, "code_ogr"), (s, SAVOIRS_STEM, "code_ogr_savoir"),
                             (l, LINKS_STEM, "code_ogr"), (x, CONTEXTS_STEM, "code_ogr")):
        check_pattern(frame, name[stem], col, CODE_OGR_RE, "a code_ogr (digits)", problems)
    check_unique(f, name[FICHES_STEM], ["code_rome"], problems)
    check_unique(a, name[APPELLATIONS_STEM], ["code_ogr"], problems)
    check_unique(c, name[COMPETENCES_STEM], ["code_ogr"], problems)
    check_unique(s, name[SAVOIRS_STEM], ["code_ogr_savoir"], problems)
    check_unique(l, name[LINKS_STEM], ["code_rome", "code_compo_bloc", "code_ogr"], problems)
    for frame, stem in ((f, FICHES_STEM), (a, APPELLATIONS_STEM)):
        check_values(frame, name[stem], "transition_eco", ("", *ECO_FLAGS), problems)
        check_values(frame, name[stem], "transition_num", YES_NO, problems)
        check_values(frame, name[stem], "transition_demo", YES_NO, problems)
    for frame, stem in ((c, COMPETENCES_STEM), (s, SAVOIRS_STEM)):
        check_values(frame, name[stem], "transition_eco", YES_NO, problems)
        check_values(frame, name[stem], "transition_num", YES_NO, problems)
    check_values(l, name[LINKS_STEM], "code_compo_bloc", ("1", "2", "5", "6"), problems)
    check_values(l, name[LINKS_STEM], "code_rubrique", RUBRIQUES, problems)
    if set(c["code_ogr"]) & set(s["code_ogr_savoir"]):
        shared = sorted(set(c["code_ogr"]) & set(s["code_ogr_savoir"]))[:5]
        problems.append(f"{name[SAVOIRS_STEM]}: code_ogr {', '.join(shared)} also in {name[COMPETENCES_STEM]}")


def check_references(frames: dict[str, pd.DataFrame], name: dict[str, str], problems: list[str]) -> None:
    """Cross-file references: a truncated file leaves links to items it no longer holds, or items unlinked."""
    f, a, c, s, l, d, x = (frames[k] for k in (FICHES_STEM, APPELLATIONS_STEM, COMPETENCES_STEM, SAVOIRS_STEM,
                                                LINKS_STEM, DOMAINS_STEM, CONTEXTS_STEM))
    fiches = set(f["code_rome"])
    bloc = l["code_compo_bloc"]
    check_known(l, name[LINKS_STEM], "code_rome", fiches, name[FICHES_STEM], problems)
    check_known(l, name[LINKS_STEM], "code_ogr", set(a["code_ogr"]), name[APPELLATIONS_STEM], problems,
                bloc == "2")
    check_known(l, name[LINKS_STEM], "code_ogr", set(c["code_ogr"]) | set(s["code_ogr_savoir"]),
                f"{name[COMPETENCES_STEM]} nor {name[SAVOIRS_STEM]}", problems, bloc == "5")
    check_known(l, name[LINKS_STEM], "code_ogr", set(x["code_ogr"]), name[CONTEXTS_STEM], problems, bloc == "6")
    check_known(a, name[APPELLATIONS_STEM], "code_rome", fiches, name[FICHES_STEM], problems)
    check_known(d, name[DOMAINS_STEM], "code_rome", fiches, name[FICHES_STEM], problems)
    # ... and fiches without the links every fiche has
    for what, mask in (("its own bloc-1 link", bloc == "1"), ("any compétence or savoir (bloc 5)", bloc == "5")):
        lacking = sorted(fiches - set(l.loc[mask, "code_rome"]))
        if lacking:
            problems.append(f"{name[LINKS_STEM]}: {len(lacking)} fiche(s) without {what}, e.g. "
                            f"{', '.join(lacking[:5])} (the links file is truncated?)")
    unlinked = sorted(set(a["code_ogr"]) - set(l.loc[bloc == "2", "code_ogr"]))
    if unlinked:
        problems.append(f"{name[LINKS_STEM]}: {len(unlinked)} appellation(s) of {name[APPELLATIONS_STEM]} "
                        f"never linked (bloc 2), e.g. {', '.join(unlinked[:5])} (the links file is truncated?)")
    undomained = sorted(fiches - set(d["code_rome"]))
    if undomained:
        problems.append(f"{name[DOMAINS_STEM]}: {len(undomained)} fiche(s) without domain, e.g. "
                        f"{', '.join(undomained[:5])} (the file is truncated?)")


def check_pattern(frame: pd.DataFrame, file: str, col: str, pattern: str, what: str, problems: list[str]) -> None:
    bad = ~frame[col].str.match(pattern)
    problems += [f"{file} row {i + 2}, column {col}: {frame[col].iat[i]!r} is not {what}"
                 for i in np.flatnonzero(bad.to_numpy())[:SHOWN_PROBLEMS]]


def check_values(frame: pd.DataFrame, file: str, col: str, allowed: Iterable[str], problems: list[str]) -> None:
    allowed = tuple(allowed)
    bad = ~frame[col].isin(allowed)
    shown = ", ".join(repr(a) for a in allowed)
    problems += [f"{file} row {i + 2}, column {col}: {frame[col].iat[i]!r} is not one of {shown}"
                 for i in np.flatnonzero(bad.to_numpy())[:SHOWN_PROBLEMS]]


def check_unique(frame: pd.DataFrame, file: str, cols: list[str], problems: list[str]) -> None:
    dup = frame.duplicated(cols, keep="first").to_numpy()
    problems += [f"{file} row {i + 2}, column {cols[-1]}: duplicate {' / '.join(frame[cols].iloc[i])}"
                 for i in np.flatnonzero(dup)[:SHOWN_PROBLEMS]]


def check_known(frame: pd.DataFrame, file: str, col: str, known, target: str, problems: list[str],
                mask=None) -> None:
    bad = ~frame[col].isin(known)
    if mask is not None:
        bad &= mask
    problems += [f"{file} row {i + 2}, column {col}: {frame[col].iat[i]} unknown in {target}"
                 + " (a file of the release is truncated or from another version)"
                 for i in np.flatnonzero(bad.to_numpy())[:SHOWN_PROBLEMS]]
