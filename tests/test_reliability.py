"""The plain-French account of each model's backtest: figures from the metrics, the choice against the baseline,
the table by horizon, and no jargon."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from workforce import reliability as R
from workforce.cli import app

JARGON = re.compile(r"MASE|Brier|log-?loss|deviance|brier_skill", re.I)


def test_retirement_sentences_carry_the_figures_and_the_choice():
    metrics = {"cutoff": 2024.0, "observed": 194.0, "predicted": 174.0, "brier_skill": 0.12}
    text = R.sentences("retirement", metrics)
    assert "jusqu'à fin 2024" in text[0] and "174" in text[0] and "194" in text[0] and "en 2025" in text[0]
    assert "-10,3\u202f%" in text[0]
    assert "meilleure" in text[1] and "12,0\u202f%" in text[1]
    assert text[-1].startswith("Modèle retenu : le modèle complet")
    assert not any(JARGON.search(t) for t in text)


def test_a_baseline_that_won_is_said_with_its_reason():
    fallback = {"code": "pooled_exits", "label": "hasards de départ groupés, un taux par statut et par motif",
                "reason": "le modèle complet perd contre le modèle groupé au backtest de 2025"}
    text = R.sentences("exits", {"cutoff": 2024, "observed": 50, "predicted": 48, "brier_skill": -0.02}, fallback)
    assert "moins bonne" in text[1]
    assert text[-1] == ("Modèle retenu : la référence plus simple, hasards de départ groupés, un taux par statut et "
                        "par motif, car le modèle complet perd contre le modèle groupé au backtest de 2025.")


def test_no_backtest_is_said_plainly():
    text = R.sentences("demand", {"mase_chosen": float("nan")}, {"code": "naive_demand", "reason": "historique de 12 mois < 48"})
    assert text[0].startswith("Pas de backtest") and "demande naïve" in text[-1]


def test_demand_compares_with_naive_and_gives_the_coverage():
    text = R.sentences("demand", {"mase_chosen": 0.8, "mase_naive": 1.1, "coverage_conformal_chosen": 0.78})
    assert "0,80" in text[0] and "1,10" in text[0] and "78,0\u202f%" in text[1]
    assert not any(JARGON.search(t) for t in text)


def test_by_horizon_aggregates_the_totals():
    rows = [{"cutoff": c, "horizon": h, "by": "total", "observed": 100.0, "predicted": p, "covered": cov}
            for c, h, p, cov in [(2020, 1, 90.0, True), (2021, 1, 110.0, False), (2020, 2, 120.0, True)]]
    rows.append({"cutoff": 2020, "horizon": 1, "by": "categorie", "observed": 5.0, "predicted": 50.0,
                 "covered": False})
    table = R.by_horizon({"backtest": rows})
    assert table["Horizon"].tolist() == ["T+1", "T+2"]
    assert table["Prévisions"].tolist() == ["2", "1"]
    assert table["Dans la bande 80 %"].tolist()[0].startswith("50,0")
    assert table["Écart relatif moyen"].tolist()[1].startswith("20,0")
    assert R.by_horizon({}) is None


def test_models_show_prints_the_reliability(engine, monkeypatch):
    from tests.registry.fakes import add_extract, constant_step, engine_url
    from workforce import registry, train

    add_extract(engine)
    train.run(engine, steps=[constant_step("retirement", metric=0.1, direction="max")])
    monkeypatch.setenv("WORKFORCE_DB_URL", engine_url(engine))
    res = CliRunner().invoke(app, ["models", "show", "retirement"])
    assert res.exit_code == 0, res.output
    assert "fiabilité :" in res.output and "Modèle retenu : le modèle complet" in res.output
    assert registry.record(engine, "retirement").active


def test_demand_horizons_are_months():
    rows = [{"horizon": h, "observed": 10.0, "predicted": 11.0, "covered": True} for h in (1, 2, 12)]
    assert R.by_horizon({"backtest": rows}, "demand")["Horizon"].tolist() == ["M+1", "M+2", "M+12"]
    assert R.by_horizon({"backtest": rows}, "retirement")["Horizon"].tolist() == ["T+1", "T+2", "T+12"]
    assert R.METRIC_LABELS["mase_select_ets"] == "Erreur du lissage exponentiel (origines de choix)"
