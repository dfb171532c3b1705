"""The PDF note de synthèse (issue 16): `workforce report` and the Scénarios page's button call one function and
print the same figures; the note's text, extracted, has its headings, the scenario's name and no English column
name. On the trained demo database of the app tests (built once per session)."""

from __future__ import annotations

import io
import re
import time

import pytest
import typer
from pypdf import PdfReader
from typer.testing import CliRunner

from tests.ui.conftest import SECRET, demo_db, demo_env  # noqa: F401 - the trained demo database
from tests.ui.helpers import app
from workforce import db
from workforce import scenario as sc
from workforce.cli.report import report

pytest.importorskip("workforce.forecast.retirement")

HEADINGS = ("Note de synthèse", "1. Chiffres clés", "2. Hypothèses", "3. Évolution de l'effectif",
            "4. Départs à la retraite", "5. Comparaison avec la référence", "6. Compétences les plus en manque",
            "7. Fiabilité des prévisions", "8. Provenance")
ENGLISH = re.compile(r"\b(headcount|retirements|exits(_\w+)?|hires|vacancies|payroll(_\w+)?|suppressed|"
                     r"metier_code|demand|mobility_(in|out)|year|p10|p90)\b")
NAME = "Gel partiel"
SCENARIO = sc.Scenario(replacement_rate=0.8, hiring_freeze_years=1)


def _cli(*args):
    cli = typer.Typer()
    cli.command()(report)
    return CliRunner().invoke(cli, list(args))


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _figures(text: str) -> list[str]:
    """The lines of the note that carry figures of the run (the production time and the run's clock left out)."""
    return [line for line in text.splitlines() if not re.search(r"[Pp]roduite le|Calculé le", line)]


@pytest.fixture(scope="module")
def saved(demo_db):  # noqa: F811
    engine = db.make_engine(demo_db["url"])
    if NAME not in set(sc.list_saved(engine)["name"]):
        sc.save(engine, NAME, SCENARIO)
    engine.dispose()
    return NAME


@pytest.fixture(scope="module")
def cli_note(saved, demo_db, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("note") / "note.pdf"
    mp = pytest.MonkeyPatch()
    mp.setenv("WORKFORCE_HOME", str(demo_db["home"]))
    mp.setenv("WORKFORCE_DB_URL", demo_db["url"])
    mp.setenv("WORKFORCE_SECRET_KEY", SECRET)
    t0 = time.perf_counter()
    r = _cli("--scenario", saved, "--out", str(out), "--jobs", "1")
    mp.undo()
    assert r.exit_code == 0, r.output
    print(f"workforce report: {time.perf_counter() - t0:.1f} s")
    return out.read_bytes(), r.output


def test_the_note_has_its_headings_the_name_and_no_english(cli_note):
    pdf, output = cli_note
    assert pdf.startswith(b"%PDF") and f"note de synthèse « {NAME} »" in " ".join(output.split())
    text = _text(pdf)
    for heading in HEADINGS:
        assert heading in text, heading
    assert f"scénario « {NAME} »" in text
    assert "Taux de remplacement des départs 80 % 100 %" in text.replace("\u202f", " ")
    assert "P10–P90" in text and "Référence" in text
    assert not ENGLISH.search(text), ENGLISH.search(text)
    assert len(PdfReader(io.BytesIO(pdf)).pages[1].images) == 2  # the headcount and retirement charts


def test_the_command_line_and_the_app_print_the_same_note(cli_note, saved, demo_db):  # noqa: F811
    from workforce.ui import data as D
    from workforce.ui import projections as UP

    url = demo_db["url"]
    t0 = time.perf_counter()
    pdf = UP.note_pdf(url, D.data_version(url), SCENARIO.to_json(), saved)
    print(f"app note: {time.perf_counter() - t0:.1f} s")
    assert _figures(_text(pdf)) == _figures(_text(cli_note[0]))
    assert UP.scenario_name(url, SCENARIO, saved) == saved
    assert UP.scenario_name(url, SCENARIO.replace(seed=1), saved) is None
    assert UP.scenario_name(url, sc.Scenario(), None) == sc.REFERENCE_NAME


def test_the_page_offers_the_note_and_the_command_refuses_bad_input(saved, tmp_path):
    at = app("scenarios")
    assert not at.exception, at.exception
    assert {"sc_download_xlsx", "sc_download_pdf"} <= {b.key for b in at.get("download_button")}
    r = _cli("--scenario", "absent", "--out", str(tmp_path / "n.pdf"))
    assert r.exit_code == 2 and "absent" in r.output
    r = _cli("--out", str(tmp_path / "n.txt"))
    assert r.exit_code == 2 and ".pdf" in r.output
