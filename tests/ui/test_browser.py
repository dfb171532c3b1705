"""The whole app in a real headless Chromium (Debian's, driven by Playwright): every page opens without an
error and is screenshot to tests/artifacts/, a scenario slider changes a figure, the skill-gap export downloads
with its French header. Timings are printed (never asserted)."""

from __future__ import annotations

import pytest

from tests.ui.helpers import REPO
from workforce.ui import e2e

ARTIFACTS = REPO / "tests" / "artifacts"

pytest.importorskip("playwright", reason="the PyPI package playwright is missing: pip install -e '.[test]'")
if e2e.find_chromium() is None:
    pytest.skip("chromium not found (/usr/bin/chromium): `apt-get install -y chromium`, or `make test` which "
                "installs it", allow_module_level=True)


@pytest.fixture(scope="module")
def server(demo_db):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = {"WORKFORCE_HOME": str(demo_db["home"]), "WORKFORCE_DB_URL": demo_db["url"],
           "WORKFORCE_SECRET_KEY": "test-key-not-secret-but-32-bytes-long"}
    with e2e.serve(env, log_path=ARTIFACTS / "streamlit.log") as base:
        yield base


def _first_page_png(pdf_path, png_path) -> None:
    """The PDF's first page as an image beside the pages' screenshots (Chromium headless shows no PDF viewer)."""
    pdfium = pytest.importorskip("pypdfium2")
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        assert len(doc) >= 2
        page = doc[0]
        text = page.get_textpage().get_text_range()
        assert "Note de synthèse" in text or "note de synthèse" in text.lower()
        page.render(scale=1.5).to_pil().save(str(png_path))
    finally:
        doc.close()


def test_app_in_chromium(server):
    timings = {}
    with e2e.browser(viewport=(1400, 2400)) as page:
        for stem in e2e.PAGES:
            timings[stem] = e2e.open_page(page, server, stem)
            assert not e2e.has_exception(page), f"{stem}: an exception is shown"
            page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
            if stem == "scenarios":
                before = e2e.metric_value(page, "Effectif fin")
                e2e.move_slider(page, "sc_hiring_freeze", presses=2)
                after, seconds = e2e.wait_metric_change(page, "Effectif fin", before)
                assert after != before
                timings["slider"] = {"change": seconds}
                page.screenshot(path=str(ARTIFACTS / "scenarios_freeze.png"), full_page=True)
                with page.expect_download(timeout=300_000) as info:  # the note de synthèse of this scenario
                    page.get_by_role("button", name="Note de synthèse (PDF)").first.click()
                pdf = info.value
                assert pdf.suggested_filename.endswith(".pdf")
                _first_page_png(pdf.path(), ARTIFACTS / "note_de_synthese_p1.png")
            if stem == "data":  # the upload widget speaks French (its English words hidden by a style rule)
                page.wait_for_function(
                    """() => { const p = document.querySelector('[data-testid=stFileUploaderDropzone] button p');
                               return p && getComputedStyle(p, '::after').content.includes('Choisir un fichier'); }""",
                    timeout=30_000)
                label = page.locator("[data-testid=stFileUploaderDropzone] button p")
                assert label.evaluate("p => getComputedStyle(p).fontSize") == "0px"
            if stem == "skills":
                with page.expect_download(timeout=120_000) as info:
                    page.locator(".st-key-sk_download_gaps_csv button").click()
                download = info.value
                assert download.suggested_filename.endswith(".csv")
                header = open(download.path(), encoding="utf-8-sig").readline().strip()
                assert header.startswith("Année;Code direction;Direction;Code compétence;Compétence;")
                assert "Écart (ETP)" in header
    print("\nbrowser timings (s):")
    for name, t in timings.items():
        print(f"  {name:12s} " + "  ".join(f"{k} {v:.2f}" for k, v in t.items()))
