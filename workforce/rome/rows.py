"""A checked release's files turned into the database's rows: métiers (fiches), skills (compétences and
savoirs), appellations and links, codes as text and the "O"/"N" flags as booleans (None when empty)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.rome.layout import RUBRIQUES, YES_NO


def _flag(col: pd.Series) -> pd.Series:
    return col.map(YES_NO).astype(object)


def _none_if_empty(col: pd.Series) -> pd.Series:
    return col.where(col != "", None).astype(object)


def fiche_rows(f: pd.DataFrame, d: pd.DataFrame) -> pd.DataFrame:
    dom = d.drop_duplicates("code_rome").set_index("code_rome").reindex(f["code_rome"])
    attributes = [
        {"code_ogr": ogr, "grand_domaine": gd, "grand_domaine_label": gdl, "domaine_professionnel": dp,
         "emploi_reglemente": bool(reg == "O") if reg else None, "emploi_cadre": bool(cad == "O") if cad else None,
         "code_rome_parent": parent or None}
        for ogr, gd, gdl, dp, reg, cad, parent in zip(
            f["code_ogr"], dom["code_grand_domaine"], dom["libelle_grand_domaine"],
            dom["code_domaine_professionel"], f["emploi_reglemente"], f["emploi_cadre"], f["code_rome_parent"])
    ]
    return pd.DataFrame({
        "code": f["code_rome"].to_numpy(), "label": f["libelle_rome"].to_numpy(), "source": "rome",
        "famille": dom["libelle_domaine_professionel"].to_numpy(), "rome_codes": f["code_rome"].to_numpy(),
        "transition_eco": _none_if_empty(f["transition_eco"]).to_numpy(),
        "transition_num": _flag(f["transition_num"]).to_numpy(),
        "transition_demo": _flag(f["transition_demo"]).to_numpy(), "attributes": attributes,
    })


def _category(*parts: pd.Series) -> pd.Series:
    out = parts[0]
    for p in parts[1:]:
        out = out.str.cat(p, sep=" / ").str.strip(" /")
    return _none_if_empty(out)


def skill_rows(c: pd.DataFrame, s: pd.DataFrame) -> pd.DataFrame:
    macro = np.where(c["nature"].str.startswith("Macro"), "Macro-compétence", "")
    comp = pd.DataFrame({
        "code": c["code_ogr"], "label": c["libelle_competence"],
        "kind": np.where(c["cat_comp"].str.startswith("Savoir-être"), "savoir_etre", "competence"),
        "source": "rome", "category": _category(pd.Series(macro, index=c.index), c["cat_comp"], c["sous_cat_comp"]),
        "transition_eco": _flag(c["transition_eco"]), "transition_num": _flag(c["transition_num"]),
        "macro_code": _none_if_empty(c["code_ogr_macro_comp"]),
    })
    sav = pd.DataFrame({
        "code": s["code_ogr_savoir"], "label": s["libelle_savoir"], "kind": "savoir", "source": "rome",
        "category": _category(s["categorie_savoir"], s["sous_categorie_savoir"]),
        "transition_eco": _flag(s["transition_eco"]), "transition_num": _flag(s["transition_num"]),
        "macro_code": None,
    })
    return pd.concat([comp, sav], ignore_index=True)


def appellation_rows(a: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "code": a["code_ogr"], "label": a["libelle_appellation_long"],
        "short_label": _none_if_empty(a["libelle_appellation_court"]), "code_rome": a["code_rome"],
        "transition_eco": _none_if_empty(a["transition_eco"]), "transition_num": _flag(a["transition_num"]),
        "transition_demo": _flag(a["transition_demo"]), "classification": _none_if_empty(a["classification"]),
        "rarely_used": _flag(a["peu_usite"]),
    }).reset_index(drop=True)


def link_rows(l: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "code_rome": l["code_rome"].to_numpy(), "bloc": l["code_compo_bloc"].astype("int64").to_numpy(),
        "rubrique": pd.array(l["code_rubrique"].map(RUBRIQUES), dtype="Int64"), "code_ogr": l["code_ogr"].to_numpy(),
    })
