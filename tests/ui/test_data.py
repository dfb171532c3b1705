"""Données et modèles: the list of models; an upload imports the sample extract with its quality report."""

from __future__ import annotations

from tests.ui.helpers import REPO, app, copy_demo_db, has_model, texts

SAMPLE = REPO / "data" / "samples" / "extraction_sirh_2025-06-30.csv"


def test_data_page_lists_models(demo_db):
    at = app("data")
    assert not at.exception
    assert at.title[0].value == "Données et modèles"
    assert at.file_uploader(key="data_upload") is not None
    if has_model(demo_db, "retirement"):
        assert any(m.label == "Dernier réentraînement" for m in at.metric)
        assert at.selectbox(key="data_model_detail").value is not None
        # « Fiabilité des prévisions »: every active model said in plain French, its choice against its baseline
        shown = texts(at)
        assert "Fiabilité des prévisions" in shown
        assert shown.count("Modèle retenu :") >= 5, shown
        for jargon in ("MASE", "Gain de Brier", "Log-vraisemblance", "brier_skill"):
            assert jargon not in shown, jargon
    else:
        assert "workforce train" in texts(at)
    assert "synthétique" in texts(at).lower()


def test_upload_imports_the_sample(demo_db, tmp_path, monkeypatch):
    # on a copy of the demo database: the import must not change what the other tests see
    monkeypatch.setenv("WORKFORCE_DB_URL", copy_demo_db(demo_db, tmp_path / "copy.db"))
    at = app("data")
    at.file_uploader(key="data_upload").set_value((SAMPLE.name, SAMPLE.read_bytes(), "text/csv"))
    at.selectbox(key="data_mapping").set_value("sirh")
    at.button[0].click()  # the form's submit button
    at.run()
    assert not at.exception
    success = " ".join(s.value for s in at.success)
    assert "importée" in success, texts(at)
    # rows read = stored + quarantined, on screen
    assert "lignes lues" in success
    assert "Importer une extraction RH" in texts(at)
    imports = [d.value for d in at.dataframe if "Date d'extraction" in d.value.columns]
    assert imports and "30/06/2025" in set(imports[0]["Date d'extraction"])
    # the same file again: a no-op
    at.file_uploader(key="data_upload").set_value((SAMPLE.name, SAMPLE.read_bytes(), "text/csv"))
    at.button[0].click()
    at.run()
    assert "déjà importé" in texts(at)
