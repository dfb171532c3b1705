"""The built-in referential: loads with exact dtypes, covers a département's métiers, is clean against the
ROME release, reproduces the calibration of fpt-facts §3, and its checker reports corrupted copies by file,
row and column."""

from __future__ import annotations

import re
import shutil
import unicodedata

import pandas as pd
import pytest

from workforce import referential as rf
from workforce.referential import (
    REFERENTIAL_SUBDIR,
    ReferentialError,
    calibration_shares,
    check_integrity,
    find_rome_dir,
    load_builtin,
    split_codes,
)


@pytest.fixture(scope="module")
def ref():
    return load_builtin()


@pytest.fixture(scope="module")
def rome_dir():
    path = find_rome_dir()
    if path is None:
        pytest.skip("no ROME 4.0 release found: set WORKFORCE_ROME_DIR or unpack it in ../shared/data/rome")
    return path


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


# ------------------------------------------------------------------------------------------ loading


def test_codes_stay_text_and_numbers_are_typed(ref):
    assert ref.skills["code"].map(type).eq(str).all()
    assert "100015" in set(ref.skills["code"])  # a code_ogr with digits only, never parsed as a number
    assert ref.metiers["weight"].dtype == "int64"
    assert ref.metier_skills["level"].dtype == "int64"
    assert ref.metier_skills["from_year"].dtype == "Int64"
    assert ref.metier_skills["from_year"].isna().any() and ref.metier_skills["from_year"].notna().any()
    assert list(ref.metiers.columns) == list(rf.METIER_COLUMNS)


def test_split_codes():
    assert split_codes("K1201; K1207;") == ["K1201", "K1207"]
    assert split_codes("") == []
    assert split_codes(None) == []
    assert split_codes(pd.NA) == []


def test_long_tables(ref):
    rome = ref.metier_rome_codes()
    assert len(rome) >= len(ref.metiers)
    cats = ref.metier_categories()
    assert cats.groupby("metier_code")["share"].sum().round(9).eq(1).all()


def test_data_dir_from_environment(tmp_path, monkeypatch):
    shutil.copytree(rf.DATA_DIR / REFERENTIAL_SUBDIR, tmp_path / REFERENTIAL_SUBDIR)
    metiers = tmp_path / REFERENTIAL_SUBDIR / rf.METIERS_FILE
    metiers.write_text(metiers.read_text(encoding="utf-8").replace("Cuisinier de collège", "Cuisinier",
                                                                     1), encoding="utf-8")
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(tmp_path))
    assert "Cuisinier" in set(load_builtin().metiers["label"])


def test_unreadable_cells_raise_with_file_row_column(tmp_path):
    shutil.copytree(rf.DATA_DIR / REFERENTIAL_SUBDIR, tmp_path / REFERENTIAL_SUBDIR)
    path = tmp_path / REFERENTIAL_SUBDIR / rf.METIER_SKILLS_FILE
    ms = pd.read_csv(path, dtype=str, keep_default_na=False)
    ms.loc[3, "level"] = "deux"
    ms.loc[4, "from_year"] = "2O28"
    ms.to_csv(path, index=False)
    with pytest.raises(ReferentialError) as err:
        load_builtin(tmp_path)
    assert "metier_skills.csv row 5, column level: 'deux'" in str(err.value)
    assert "metier_skills.csv row 6, column from_year: '2O28'" in str(err.value)


def test_missing_column_raises(tmp_path):
    shutil.copytree(rf.DATA_DIR / REFERENTIAL_SUBDIR, tmp_path / REFERENTIAL_SUBDIR)
    path = tmp_path / REFERENTIAL_SUBDIR / rf.SKILLS_FILE
    pd.read_csv(path, dtype=str).drop(columns="kind").to_csv(path, index=False)
    with pytest.raises(ReferentialError, match="skills.csv: missing column"):
        load_builtin(tmp_path)


def test_no_rome_release_file_in_the_repository():
    assert not [p for p in rf.DATA_DIR.rglob("unix_*")], "the ROME release must not be copied into data/"


# ------------------------------------------------------------------------------------------ content

DOMAINS = {
    "collèges": r"college", "routes": r"route", "bâtiments": r"batiment", "ASE": r"aide sociale a l'enfance",
    "PMI": r"\bpmi\b", "insertion": r"insertion", "autonomie": r"autonomie", "polyvalence": r"polyvalent",
    "santé": r"sante|infirmier|medecin", "administration": r"administration generale",
    "finances": r"finances|comptable", "RH": r"ressources humaines", "achats": r"achat|marches publics",
    "juridique": r"juri", "numérique": r"numerique|systemes d'information", "culture": r"culture",
    "archives": r"archiv", "environnement": r"environnement|espaces naturels", "sport": r"sport",
    "accueil": r"accueil",
}


def test_metiers_cover_the_domains_of_a_departement(ref):
    assert len(ref.metiers) >= 80
    text = (ref.metiers["famille"] + " | " + ref.metiers["label"]).map(_fold)
    missing = [d for d, pattern in DOMAINS.items() if not text.str.contains(pattern, regex=True).any()]
    assert not missing, f"no métier for {missing}"
    assert ref.metiers["famille"].nunique() >= 15
    assert ref.metiers.groupby("famille").size().min() >= 2


def test_each_metier_requires_5_to_15_skills_and_some_start_later(ref):
    counts = ref.metier_skills.groupby("metier_code").size()
    assert counts.between(5, 15).all() and len(counts) == len(ref.metiers)
    future = ref.metier_skills["from_year"].dropna()
    assert future.between(2027, 2030).all()
    assert 5 <= len(future) <= 0.05 * len(ref.metier_skills), "a handful of future requirements"
    assert 250 <= len(ref.skills) <= 500


def test_builtin_is_clean_without_rome(ref):
    assert check_integrity(ref) == []


def test_builtin_is_clean_against_the_rome_release(ref, rome_dir):
    assert check_integrity(ref, rome_dir) == []


# ------------------------------------------------------------------------------------------ calibration

# fpt-facts §3, calibration of a synthetic 8,000-agent département (percent), tolerance ±2 points
CATEGORIE_TARGET = {"A": 25, "B": 20, "C": 55}
FILIERE_TARGET = {"technique": 45, "administrative": 28, "sociale+medico-sociale": 22, "culturelle": 3, "other": 2}


def test_weights_sum_to_a_departement_of_about_8000(ref):
    assert 7500 <= calibration_shares(ref)["total"] <= 8500


def test_categorie_shares_match_calibration(ref):
    shares = calibration_shares(ref)["categorie"]
    for cat, target in CATEGORIE_TARGET.items():
        assert abs(100 * shares[cat] - target) <= 2, (cat, shares[cat])


def test_filiere_shares_match_calibration(ref):
    f = calibration_shares(ref)["filiere"]
    grouped = {
        "technique": f.get("technique", 0), "administrative": f.get("administrative", 0),
        "sociale+medico-sociale": f.get("sociale", 0) + f.get("medico-sociale", 0),
        "culturelle": f.get("culturelle", 0),
    }
    grouped["other"] = 1 - sum(grouped.values())
    for name, target in FILIERE_TARGET.items():
        assert abs(100 * grouped[name] - target) <= 2, (name, grouped[name])


def test_service_categories_are_mostly_sedentaire(ref):
    s = calibration_shares(ref)["service_category"]
    assert s["sedentaire"] >= 0.95 and 0 < s["active"] <= 0.05 and s["insalubre"] == 0
    assert 2 <= (ref.metiers["service_category"] == "active").sum() <= 4


# ------------------------------------------------------------------------------------------ corrupted copies


def _corrupt(ref, table: str, row: int, column: str, value):
    frames = {name: getattr(ref, name).copy() for name in ("directions", "metiers", "skills", "metier_skills")}
    frames[table].loc[row, column] = value
    return rf.Referential(**frames)


ROW = 7  # data row 7 is file row 9


@pytest.mark.parametrize("table, column, value, expected", [
    ("metiers", "rome_codes", "K12O1", "metiers.csv row 9, column rome_codes: ROME code 'K12O1' malformed"),
    ("metiers", "direction", "DXYZ", "metiers.csv row 9, column direction: direction 'DXYZ' unknown"),
    ("metiers", "code", "COL01", "metiers.csv row 9, column code: duplicate code 'COL01'"),
    ("metiers", "famille", "", "metiers.csv row 9, column famille: empty"),
    ("metiers", "filiere", "medicale", "metiers.csv row 9, column filiere: 'medicale' is not one of"),
    ("metiers", "categories", "A;D", "metiers.csv row 9, column categories: D outside A/B/C"),
    ("metiers", "categorie_weights", "C:0.7", "metiers.csv row 9, column categorie_weights: shares"),
    ("metiers", "categorie_weights", "A:1", "metiers.csv row 9, column categorie_weights: catégories"),
    ("metiers", "service_category", "actif", "metiers.csv row 9, column service_category: 'actif'"),
    ("skills", "kind", "savoir-faire", "skills.csv row 9, column kind: 'savoir-faire' is not one of"),
    ("skills", "source", "local", "skills.csv row 9, column code:"),
    ("metier_skills", "level", 5, "metier_skills.csv row 9, column level: level 5 outside 1-4"),
    ("metier_skills", "skill_code", "999999999", "metier_skills.csv row 9, column skill_code: skill '999999999'"),
    ("metier_skills", "metier_code", "ZZZ99", "metier_skills.csv row 9, column metier_code: métier 'ZZZ99'"),
    ("metier_skills", "from_year", 1990, "metier_skills.csv row 9, column from_year: year 1990"),
])
def test_corruption_is_reported_with_file_row_column(ref, table, column, value, expected):
    problems = check_integrity(_corrupt(ref, table, ROW, column, value))
    assert any(p.startswith(expected) for p in problems), problems


def test_metier_with_three_skills_is_reported(ref):
    code = ref.metiers["code"][ROW]
    ms = ref.metier_skills
    keep = ms[ms["metier_code"] == code].index[:3]
    cut = ms[(ms["metier_code"] != code) | ms.index.isin(keep)].reset_index(drop=True)
    bad = rf.Referential(ref.directions, ref.metiers, ref.skills, cut)
    problems = check_integrity(bad)
    assert f"metiers.csv row 9, column code: métier {code} has 3 required skills in metier_skills.csv, " \
           "expected 5 to 15" in problems


def test_duplicate_requirement_is_reported(ref):
    ms = pd.concat([ref.metier_skills, ref.metier_skills.iloc[[0]]], ignore_index=True)
    problems = check_integrity(rf.Referential(ref.directions, ref.metiers, ref.skills, ms))
    row = len(ms) + 1
    assert any(p.startswith(f"metier_skills.csv row {row}, column skill_code: skill") and "listed twice" in p
               for p in problems), problems


def test_corrupted_copy_on_disk_reports_each_problem(ref, tmp_path, rome_dir):
    """The acceptance case of the brief: an unknown ROME code, a métier with 3 skills, a level 5 and a bad
    direction, written to files and read back, are each reported by file, row and column."""
    folder = tmp_path / REFERENTIAL_SUBDIR
    shutil.copytree(rf.DATA_DIR / REFERENTIAL_SUBDIR, folder)
    m = pd.read_csv(folder / rf.METIERS_FILE, dtype=str, keep_default_na=False)
    ms = pd.read_csv(folder / rf.METIER_SKILLS_FILE, dtype=str, keep_default_na=False)
    m.loc[2, "rome_codes"] = "G1606;X9999"
    m.loc[5, "direction"] = "DXYZ"
    three = m.loc[10, "code"]
    extra = ms.index[ms["metier_code"] == three][3:]
    ms = ms.drop(index=extra).reset_index(drop=True)
    ms.loc[0, "level"] = "5"
    m.to_csv(folder / rf.METIERS_FILE, index=False)
    ms.to_csv(folder / rf.METIER_SKILLS_FILE, index=False)

    problems = check_integrity(load_builtin(tmp_path), rome_dir)
    expected = [
        "metiers.csv row 4, column rome_codes: ROME code X9999 unknown in the ROME release",
        "metiers.csv row 7, column direction: direction 'DXYZ' unknown in directions.csv",
        f"metiers.csv row 12, column code: métier {three} has 3 required skills in metier_skills.csv, "
        "expected 5 to 15",
        "metier_skills.csv row 2, column level: level 5 outside 1-4",
    ]
    for message in expected:
        assert message in problems, problems
    assert len(problems) == len(expected), problems


def test_rome_skill_codes_and_labels_are_checked_against_the_release(ref, rome_dir):
    i = ref.skills.index[ref.skills["source"] == "rome"][0]
    unknown = _corrupt(ref, "skills", i, "code", "999999999")
    assert any(p.startswith(f"skills.csv row {i + 2}, column code: skill 999999999 unknown in the ROME")
               for p in check_integrity(unknown, rome_dir))
    relabelled = _corrupt(ref, "skills", i, "label", "Une compétence inventée")
    assert any(p.startswith(f"skills.csv row {i + 2}, column label:") for p in check_integrity(relabelled, rome_dir))
    assert check_integrity(relabelled, rome_dir, check_labels=False) == []
    savoir = ref.skills.index[(ref.skills["source"] == "rome") & (ref.skills["kind"] == "savoir")][0]
    wrong_kind = _corrupt(ref, "skills", savoir, "kind", "competence")
    assert any(p.startswith(f"skills.csv row {savoir + 2}, column kind:") for p in check_integrity(wrong_kind, rome_dir))


# ------------------------------------------------------------------------------------------ ROME folder


def test_find_rome_dir_prefers_explicit_then_environment(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.setenv("WORKFORCE_ROME_DIR", str(tmp_path / "b"))
    assert find_rome_dir(tmp_path / "a") == tmp_path / "a"
    assert find_rome_dir() == tmp_path / "b"
    monkeypatch.setenv("WORKFORCE_ROME_DIR", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="WORKFORCE_ROME_DIR"):
        find_rome_dir()


def test_rome_file_takes_the_latest_release(tmp_path):
    for v in ("v459", "v460"):
        (tmp_path / f"unix_referentiel_competence_{v}_utf8.csv").write_text("x\n")
    assert rf.rome_file(tmp_path, rf.ROME_COMPETENCES_STEM).name == "unix_referentiel_competence_v460_utf8.csv"
    with pytest.raises(FileNotFoundError, match=re.escape("unix_referentiel_savoir_v*_utf8.csv")):
        rf.rome_file(tmp_path, rf.ROME_SAVOIRS_STEM)
