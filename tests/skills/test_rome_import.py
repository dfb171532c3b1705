"""ROME import: the counts and flags in the database match the release's files; a newer release updates in
place and reports what changed; a truncated, incomplete or malformed release is refused whole."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workforce import db
from workforce.rome import RomeReleaseError, import_release, read_release

from .romefiles import read_rows, write_rows


def _file(folder: Path, stem: str) -> Path:
    return next(folder.glob(f"{stem}_v*_utf8.csv"))


def _column(folder: Path, stem: str, col: str) -> list[str]:
    header, rows = read_rows(_file(folder, stem))
    i = header.index(col)
    return [r[i] for r in rows]


def _count(engine, stmt) -> int:
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def _rome_counts(engine) -> dict:
    return {
        "fiches": _count(engine, select(func.count()).select_from(db.Metier).where(db.Metier.source == "rome")),
        "skills": _count(engine, select(func.count()).select_from(db.Skill).where(db.Skill.source == "rome")),
        "appellations": _count(engine, select(func.count()).select_from(db.RomeAppellation)),
        "links": _count(engine, select(func.count()).select_from(db.RomeLink)),
        "releases": _count(engine, select(func.count()).select_from(db.RomeRelease)),
    }


def test_import_matches_the_files(engine, rome_dir, rome_release):
    """Counts of fiches, skills, appellations and links by bloc, and every transition flag, as in the CSV files."""
    from workforce.referential import load_builtin, store_referential

    with db.session_scope(engine) as session:  # the built-in référentiel first, as `workforce db init` does
        store_referential(session, load_builtin())
    n_requirements = _count(engine, select(func.count()).select_from(db.MetierSkill))
    report = import_release(engine, rome_dir, release=rome_release)

    fiche_num = Counter(_column(rome_dir, "unix_referentiel_code_rome", "transition_num"))
    fiche_demo = Counter(_column(rome_dir, "unix_referentiel_code_rome", "transition_demo"))
    fiche_eco = Counter(_column(rome_dir, "unix_referentiel_code_rome", "transition_eco"))
    comp = len(_column(rome_dir, "unix_referentiel_competence", "code_ogr"))
    sav = len(_column(rome_dir, "unix_referentiel_savoir", "code_ogr_savoir"))
    eco_o = (Counter(_column(rome_dir, "unix_referentiel_competence", "transition_eco"))["O"]
             + Counter(_column(rome_dir, "unix_referentiel_savoir", "transition_eco"))["O"])
    num_o = (Counter(_column(rome_dir, "unix_referentiel_competence", "transition_num"))["O"]
             + Counter(_column(rome_dir, "unix_referentiel_savoir", "transition_num"))["O"])
    blocs = Counter(_column(rome_dir, "unix_liens_rome_referentiels", "code_compo_bloc"))
    n_app = len(_column(rome_dir, "unix_referentiel_appellation", "code_ogr"))

    counts = _rome_counts(engine)
    assert counts == {"fiches": sum(fiche_num.values()), "skills": comp + sav, "appellations": n_app,
                      "links": sum(blocs.values()), "releases": 1}
    assert report.counts == {k: v for k, v in counts.items() if k != "releases"}
    assert counts["fiches"] == 1584 and counts["links"] == 118_923  # the release of the README
    M, S, L = db.Metier, db.Skill, db.RomeLink
    rome = M.source == "rome"
    assert _count(engine, select(func.count()).select_from(M).where(rome, M.transition_num.is_(True))) == fiche_num["O"]
    assert _count(engine, select(func.count()).select_from(M).where(rome, M.transition_num.is_(False))) == fiche_num["N"]
    assert _count(engine, select(func.count()).select_from(M).where(rome, M.transition_demo.is_(True))) == fiche_demo["O"]
    for value in ("Emploi Vert", "Emploi Brun", "Emploi Blanc", "Emploi stratégique pour la Transition écologique"):
        assert _count(engine, select(func.count()).select_from(M).where(rome, M.transition_eco == value)) \
            == fiche_eco[value]
    assert _count(engine, select(func.count()).select_from(S).where(S.source == "rome",
                                                                     S.transition_eco.is_(True))) == eco_o
    assert _count(engine, select(func.count()).select_from(S).where(S.source == "rome",
                                                                     S.transition_num.is_(True))) == num_o
    for bloc, n in blocs.items():
        assert _count(engine, select(func.count()).select_from(L).where(L.bloc == int(bloc))) == n
    # the built-in requirements survive, and its ROME skills now carry the release's flags
    assert _count(engine, select(func.count()).select_from(db.MetierSkill)) == n_requirements
    assert report.changes["skills"].changed > 0 and report.changes["skills"].added == comp + sav - \
        report.changes["skills"].changed
    # importing the same release again changes nothing
    again = import_release(engine, rome_dir, release=rome_release)
    assert again.unchanged and again.previous_version == rome_release.version
    assert _rome_counts(engine)["fiches"] == counts["fiches"]


def _newer_release(mini: Path, target: Path) -> dict:
    """A copy of the mini release as a newer version: one fiche renamed, one skill gone, one skill's flag
    changed, one appellation added. Returns the codes concerned."""
    shutil.copytree(mini, target)
    for p in list(target.glob("*_v460_*.csv")):
        p.rename(p.with_name(p.name.replace("_v460_", "_v461_")))
    (target / "version.txt").write_text("Numero de version : 61\n\nDate de publication : 18/12/2025\n", "utf-8")
    f = _file(target, "unix_referentiel_code_rome")
    h, rows = read_rows(f)
    rows[0][h.index("libelle_rome")] += " (nouveau libellé)"
    renamed = rows[0][h.index("code_rome")]
    write_rows(f, h, rows)
    lf = _file(target, "unix_liens_rome_referentiels")
    lh, links = read_rows(lf)
    per_skill = Counter(r[3] for r in links if r[1] == "5")
    cf = _file(target, "unix_referentiel_competence")
    ch, comps = read_rows(cf)
    gone = next(r[0] for r in comps if per_skill[r[0]] == 1)  # a compétence linked by one fiche only
    flipped_row = next(r for r in comps if r[0] != gone and r[ch.index("transition_num")] == "N")
    flipped_row[ch.index("transition_num")] = "O"
    write_rows(cf, ch, [r for r in comps if r[0] != gone])
    ah, apps = read_rows(_file(target, "unix_referentiel_appellation"))
    new_app = list(apps[0])
    new_app[ah.index("code_ogr")] = "9999999"
    new_app[ah.index("libelle_appellation_long")] = "Intitulé nouveau / Intitulée nouvelle"
    write_rows(_file(target, "unix_referentiel_appellation"), ah, apps + [new_app])
    links = [r for r in links if r[3] != gone] + [[new_app[ah.index("code_rome")], "2", "", "9999999"]]
    write_rows(lf, lh, links)
    return {"renamed": renamed, "gone": gone, "flipped": flipped_row[0]}


def test_newer_release_updates_in_place_and_reports_changes(engine, mini_release_dir, tmp_path):
    first = import_release(engine, mini_release_dir)
    assert first.changes["metiers"].added == 15 and first.previous_version is None
    before = _rome_counts(engine)
    codes = _newer_release(mini_release_dir, tmp_path / "v461")
    report = import_release(engine, tmp_path / "v461")
    assert report.version == "61" and report.previous_version == "60"
    c = report.changes
    assert (c["metiers"].added, c["metiers"].removed, c["metiers"].changed) == (0, 0, 1)
    assert c["metiers"].examples["changed"] == [codes["renamed"]]
    assert (c["skills"].added, c["skills"].removed, c["skills"].changed) == (0, 1, 1)
    assert c["skills"].examples["removed"] == [codes["gone"]]
    assert (c["appellations"].added, c["appellations"].removed, c["appellations"].changed) == (1, 0, 0)
    assert (c["links"].added, c["links"].removed) == (1, 1)
    after = _rome_counts(engine)
    assert after == {**before, "skills": before["skills"] - 1, "appellations": before["appellations"] + 1,
                     "releases": 2}
    with engine.connect() as conn:
        label = conn.execute(select(db.Metier.label).where(db.Metier.code == codes["renamed"])).scalar_one()
        flag = conn.execute(select(db.Skill.transition_num).where(db.Skill.code == codes["flipped"])).scalar_one()
        gone = conn.execute(select(db.Skill.code).where(db.Skill.code == codes["gone"])).first()
    assert label.endswith("(nouveau libellé)") and flag is True and gone is None


def test_a_skill_gone_from_the_release_but_required_locally_is_kept(engine, mini_release_dir, tmp_path):
    import_release(engine, mini_release_dir)
    codes = _newer_release(mini_release_dir, tmp_path / "v461")
    with db.session_scope(engine) as session:
        session.add(db.Metier(code="LOC01", label="Métier local", source="local"))
        session.flush()
        session.add(db.MetierSkill(metier_code="LOC01", skill_code=codes["gone"], level=2))
    report = import_release(engine, tmp_path / "v461")
    assert (report.changes["skills"].removed, report.changes["skills"].kept) == (0, 1)
    assert _count(engine, select(func.count()).select_from(db.Skill).where(db.Skill.code == codes["gone"])) == 1


def _copy(mini: Path, target: Path) -> Path:
    shutil.copytree(mini, target)
    return target


def test_truncated_links_file_is_refused_whole_and_nothing_is_written(engine, mini_release_dir, tmp_path):
    import_release(engine, mini_release_dir)
    before = _rome_counts(engine)
    bad = _copy(mini_release_dir, tmp_path / "cut")
    links = _file(bad, "unix_liens_rome_referentiels")
    data = links.read_bytes()
    links.write_bytes(data[: len(data) * 6 // 10])  # cut in the middle of a row
    with pytest.raises(RomeReleaseError) as err:
        import_release(engine, bad)
    assert links.name in str(err.value) and "truncated" in str(err.value)
    assert _rome_counts(engine) == before  # the previous release is untouched


def test_links_file_cut_at_a_row_boundary_is_refused(mini_release_dir, tmp_path):
    bad = _copy(mini_release_dir, tmp_path / "cut")
    links = _file(bad, "unix_liens_rome_referentiels")
    h, rows = read_rows(links)
    write_rows(links, h, rows[: len(rows) // 2])
    with pytest.raises(RomeReleaseError, match=r"unix_liens_rome_referentiels_v460_utf8\.csv: \d+ fiche\(s\) "
                                               r"without its own bloc-1 link"):
        read_release(bad)


def test_truncated_skills_file_is_refused(engine, mini_release_dir, tmp_path):
    bad = _copy(mini_release_dir, tmp_path / "cut")
    comp = _file(bad, "unix_referentiel_competence")
    h, rows = read_rows(comp)
    write_rows(comp, h, rows[: len(rows) - 5])
    with pytest.raises(RomeReleaseError) as err:
        import_release(engine, bad)
    assert "unknown in unix_referentiel_competence_v460_utf8.csv" in str(err.value)
    assert _rome_counts(engine) == {"fiches": 0, "skills": 0, "appellations": 0, "links": 0, "releases": 0}


def test_the_full_release_truncated_is_refused(rome_dir, tmp_path):
    bad = tmp_path / "rome"
    shutil.copytree(rome_dir, bad)
    links = _file(bad, "unix_liens_rome_referentiels")
    data = links.read_bytes()
    links.write_bytes(data[: len(data) - 1000])
    with pytest.raises(RomeReleaseError, match="unix_liens_rome_referentiels_v460_utf8.csv"):
        read_release(bad)


def test_missing_file_and_malformed_cells_are_named(mini_release_dir, tmp_path):
    bad = _copy(mini_release_dir, tmp_path / "missing")
    _file(bad, "unix_referentiel_savoir").unlink()
    with pytest.raises(RomeReleaseError, match=r"unix_referentiel_savoir_v\*_utf8\.csv: file not found"):
        read_release(bad)
    bad = _copy(mini_release_dir, tmp_path / "flag")
    f = _file(bad, "unix_referentiel_code_rome")
    h, rows = read_rows(f)
    rows[2][h.index("transition_num")] = "Oui"
    rows[4][h.index("code_rome")] = "K12O1"
    write_rows(f, h, rows)
    with pytest.raises(RomeReleaseError) as err:
        read_release(bad)
    text = str(err.value)
    assert "unix_referentiel_code_rome_v460_utf8.csv row 4, column transition_num: 'Oui' is not one of" in text
    assert "unix_referentiel_code_rome_v460_utf8.csv row 6, column code_rome: 'K12O1' is not a code ROME" in text
    bad = _copy(mini_release_dir, tmp_path / "header")
    f = _file(bad, "unix_referentiel_appellation")
    h, rows = read_rows(f)
    write_rows(f, [c if c != "code_rome" else "coderome" for c in h], rows)
    with pytest.raises(RomeReleaseError, match="unix_referentiel_appellation_v460_utf8.csv: missing column"):
        read_release(bad)
