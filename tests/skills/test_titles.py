"""Title matching: spellings fold together, gender forms split apart, and the right fiche comes in the top 3."""

from __future__ import annotations

import pytest

from workforce.referential import load_builtin, split_codes
from workforce.rome import TitleMatcher, fold, gender_forms, load_appellations


@pytest.fixture(scope="module")
def matcher(rome_dir):
    return TitleMatcher.build(load_appellations(None, rome_dir))


def test_fold_drops_accents_case_and_punctuation():
    assert fold("Puéricultrice  d'ÉTAT") == "puericultrice d etat"
    assert fold("Chef de cœur") == "chef de coeur"


@pytest.mark.parametrize("label, forms", [
    ("Conducteur / Conductrice d'engins agricoles",
     ["conducteur conductrice d engins agricoles", "conducteur d engins agricoles", "conductrice d engins agricoles"]),
    ("Chef pâtissier / Cheffe pâtissière de restaurant",
     ["chef patissier cheffe patissiere de restaurant", "chef patissier de restaurant",
      "cheffe patissiere de restaurant"]),
    ("Assistant(e) de direction (H/F)", ["assistant de direction"]),
    ("Technicien·ne SIG", ["technicien sig"]),
    ("Aide à domicile", ["aide a domicile"]),
])
def test_gender_forms(label, forms):
    assert gender_forms(label) == forms


def test_feminine_masculine_and_capitals_reach_the_same_fiche(matcher):
    out = matcher.match(["Assistante sociale", "ASSISTANT SOCIAL", "assistant(e) social(e) H/F", "Aide-soignante",
                         "Puéricultrice"], k=3)
    top = out[out["rank"] == 1].set_index("query")["code_rome"]
    assert top["Assistante sociale"] == top["ASSISTANT SOCIAL"] == "K1201"
    assert top["Aide-soignante"] == "J1501" and top["Puéricultrice"] == "J1507"
    assert out.groupby("query").size().eq(3).all()
    assert out["score"].between(0, 1).all()
    assert out.groupby("query")["score"].apply(lambda s: s.is_monotonic_decreasing).all()


def test_builtin_labels_find_their_own_rome_code_in_the_top_3(matcher):
    """The built-in métiers carry ROME codes chosen by hand: the matcher must find one of them for most."""
    ref = load_builtin()
    out = matcher.match(ref.metiers["label"].tolist(), k=3)
    found = [bool(set(out.loc[out["query"] == label, "code_rome"]) & set(split_codes(codes)))
             for label, codes in zip(ref.metiers["label"], ref.metiers["rome_codes"])]
    assert sum(found) / len(found) >= 0.65


def test_labels_that_fold_to_nothing_get_no_suggestion(matcher):
    assert matcher.match(["(H/F)", "—"], k=3).empty
