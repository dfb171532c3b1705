"""How close a generated (or imported) département comes to the published facts of the fonction publique
territoriale (../shared/reference/fpt-facts.md §3-4): each figure measured, beside its target range."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.columns import RETIREMENT_MOTIVES
from workforce.synth.params import SyntheticDepartement

# (label, low, high) per figure of fpt-facts §3-4, measured on the last snapshot or over the history
CALIBRATION_TARGETS = {
    "categorie_A": ("Catégorie A (%)", 23, 27), "categorie_B": ("Catégorie B (%)", 18, 22),
    "categorie_C": ("Catégorie C (%)", 52, 58),
    "filiere_technique": ("Filière technique (%)", 42, 48),
    "filiere_administrative": ("Filière administrative (%)", 25, 31),
    "filiere_sociale": ("Filières sociale et médico-sociale (%)", 19, 25),
    "filiere_culturelle": ("Filière culturelle (%)", 2, 4),
    "women": ("Femmes (%)", 60, 65), "mean_age": ("Âge moyen", 46, 47.5),
    "age_50": ("50 ans et plus (%)", 43, 52), "age_55": ("55 ans et plus (%)", 25, 28),
    "contractuels": ("Contractuels (%)", 19, 23), "active": ("Catégorie active (%)", 0.5, 5),
    "exit_rate": ("Taux de sortie annuel (%)", 8, 12.5),
    "retirement_share_fonct": ("Part de la retraite dans les sorties de fonctionnaires (%)", 40, 56),
    "mean_retirement_age": ("Âge moyen de départ à la retraite", 61.5, 63.5),
}


def calibration_measures(snapshots: pd.DataFrame, movements: pd.DataFrame) -> dict[str, float]:
    """The calibration figures measured on generated (or imported) data."""
    last_date = snapshots["extract_date"].max()
    last = snapshots[snapshots["extract_date"] == last_date]
    age = (pd.Timestamp(last_date) - pd.to_datetime(last["birth_date"])).dt.days / 365.25
    pct = lambda mask: 100.0 * float(np.mean(mask))  # noqa: E731
    fil = last["filiere"]
    out = {f"categorie_{c}": pct(last["categorie"] == c) for c in "ABC"}
    out |= {
        "filiere_technique": pct(fil == "technique"), "filiere_administrative": pct(fil == "administrative"),
        "filiere_sociale": pct(fil.isin(["sociale", "medico-sociale", "medico-technique"])),
        "filiere_culturelle": pct(fil == "culturelle"),
        "women": pct(last["sex"] == "F"), "mean_age": float(age.mean()),
        "age_50": pct(age >= 50), "age_55": pct(age >= 55),
        "contractuels": pct(last["statut"].str.startswith("contractuel")),
        "active": pct(last["service_category"] == "active"),
    }
    counts = snapshots.groupby("extract_date").size()
    years = max(len(counts) / 12.0, 1e-9)
    dep = movements[movements["kind"] == "departure"]
    out["exit_rate"] = 100.0 * len(dep) / years / counts.mean()
    # statut at departure, from the last snapshot each departing agent appears in
    status = snapshots.drop_duplicates("agent_id", keep="last").set_index("agent_id")["statut"]
    fonct = dep["agent_id"].map(status).isin(["titulaire", "stagiaire"])
    retired = dep["motive"].isin(RETIREMENT_MOTIVES)
    out["retirement_share_fonct"] = pct(retired[fonct]) if fonct.any() else float("nan")
    births = snapshots.drop_duplicates("agent_id", keep="last").set_index("agent_id")["birth_date"]
    ret = dep[retired]
    ages = (pd.to_datetime(ret["movement_date"]) - pd.to_datetime(ret["agent_id"].map(births))).dt.days / 365.25
    out["mean_retirement_age"] = float(ages.mean())
    return out


def calibration_table(sd: SyntheticDepartement) -> pd.DataFrame:
    measured = calibration_measures(sd.snapshots, sd.movements)
    rows = [
        {"indicateur": label, "cible_min": lo, "cible_max": hi, "mesure": round(measured[key], 2),
         "ok": bool(lo <= measured[key] <= hi)}
        for key, (label, lo, hi) in CALIBRATION_TARGETS.items()
    ]
    return pd.DataFrame(rows, index=list(CALIBRATION_TARGETS))
