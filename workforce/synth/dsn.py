"""The synthetic département as monthly DSN files (déclarations sociales nominatives), for the tests and the demo.

Why: no public DSN of a French public employer exists (dsn.md, Sample files), so the DSN import is checked on
files written from the synthetic truth: each month-end snapshot becomes one envoi holding one déclaration per
direction (each direction an établissement with its own SIRET), every agent an individu with one contract. The
leavers of the month are declared once more with their end of contract (62 block, motif de rupture) or, for a
détachement or a disponibilité, with a suspension (65 block). Every code comes from the lists of
:mod:`workforce.ingest.dsn_codes`. ``directions.csv`` (siret;direction) is written beside the files: the table a
SIRH would give. Names, NIR and addresses are made up, and written so that the tests can check they never reach
the database.

:func:`dsn_frames` gives the month's rows the files hold in the import's canonical columns: the CSV extract of
the same month (:func:`workforce.ingest.sample.write_sirh`) holds the same information, so both imports must
store the same snapshots.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workforce.export_files import write_csv
from workforce.ingest import columns as C
from workforce.ingest import dsn_codes as K

SIREN = "229900017"  # synthetic SIREN of the conseil départemental (not a real one)
RATE_HOURS = 151.67  # quotité de référence: monthly hours of a full-time post
DSN_COLUMNS = (C.AGENT_ID, C.BIRTH_DATE, C.SEX, C.STATUT, C.CATEGORIE, C.METIER_CODE, C.METIER_LABEL, C.DIRECTION,
               C.QUOTITE, C.ENTRY_DATE, C.SERVICE_CATEGORY, C.POSITION, C.INDICE)
"""Snapshot columns a DSN (with the SIRH's direction table) carries; the others (filière, cadre d'emplois, date
d'entrée dans la FP, trimestres, années de service actif) are not DSN rubriques."""

STATUT_CODES = {"titulaire": ("50", "01", "120"), "stagiaire": ("50", "08", "120"),
                "contractuel_permanent": ("10", "02", "200"), "contractuel_non_permanent": ("10", "02", "200")}
"""statut -> (40.007 nature, 40.026 statut d'emploi, 40.020 régime vieillesse). A contractuel non permanent has
motif de recours 02 (accroissement temporaire d'activité), read back by dsn_codes.NON_PERMANENT_RECOURS."""
PCS = {"A": "333a", "B": "451a", "C": "524a"}
"""[U] PCS-ESE of the fonction publique by catégorie (cadres 33, professions intermédiaires 45, employés 52)."""
SERVICE_CODES = {"sedentaire": "01", "active": "02", "insalubre": "03"}
END_CODES = {"droit_commun": "039", "carriere_longue": "039", "categorie_active": "039", "limite_age": "038",
             "invalidite": "038", "demission": "059", "fin_contrat": "031", "licenciement": "020",
             "deces": "066", "mutation": "999"}
SUSPENSION_CODES = {"detachement": "655", "disponibilite": "675"}
SURNAMES = np.array(["MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU",
                     "LAURENT", "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL"])
FIRST_NAMES = np.array(["Marie", "Jean", "Léa", "Éric", "Anne", "Hélène", "Noël", "Chloé", "Jérôme", "Zoé"])
STREETS = np.array(["RUE DES LILAS", "AVENUE JEAN JAURES", "CHEMIN DU MOULIN", "PLACE DE LA MAIRIE"])


def expected_motive(motive: pd.Series, statut: pd.Series) -> pd.Series:
    """The motive a DSN carries back for a synthetic motive: the retirement channels fold into the two
    codes (039 voluntary -> droit_commun, 038 by the employer -> limite_age), a contractuel's mutation (999) is
    unknown."""
    code = motive.map(END_CODES)
    out = code.map(K.EXIT_MOTIVE).where(code.notna(), motive)
    mutation = code == K.OTHER_END
    out[mutation] = np.where(statut[mutation].isin(["titulaire", "stagiaire"]), "mutation", C.UNKNOWN_MOTIVE)
    return out


def dsn_frames(sd, months: int = 12) -> list[tuple[pd.Timestamp, pd.DataFrame, pd.DataFrame]]:
    """(month end, snapshot rows in :data:`DSN_COLUMNS`, leavers of the month with their last row and
    departure_date / departure_motive) for the last ``months`` extracts of the synthetic département."""
    s = sd.snapshots
    dates = sorted(pd.to_datetime(s[C.EXTRACT_DATE]).unique())
    mv = sd.movements[sd.movements["kind"] == "departure"]
    mv_date = pd.to_datetime(mv["movement_date"])
    out = []
    for i in range(len(dates) - months, len(dates)):
        d = pd.Timestamp(dates[i])
        snap = s[pd.to_datetime(s[C.EXTRACT_DATE]) == d]
        prev = s[pd.to_datetime(s[C.EXTRACT_DATE]) == pd.Timestamp(dates[i - 1])] if i > 0 else snap.iloc[:0]
        month_moves = mv[(mv_date > pd.Timestamp(dates[i - 1]) if i > 0 else mv_date > d) & (mv_date <= d)]
        month_moves = month_moves[month_moves[C.AGENT_ID].isin(prev[C.AGENT_ID])
                                  & ~month_moves[C.AGENT_ID].isin(snap[C.AGENT_ID])]
        month_moves = month_moves.drop_duplicates(C.AGENT_ID, keep="last")
        leavers = prev.set_index(C.AGENT_ID).loc[month_moves[C.AGENT_ID]].reset_index().assign(
            **{C.DEPARTURE_DATE: pd.to_datetime(month_moves["movement_date"]).to_numpy(),
               C.DEPARTURE_MOTIVE: month_moves["motive"].to_numpy()})
        out.append((d, snap[list(DSN_COLUMNS)].reset_index(drop=True), leavers))
    return out


def _fmt_date(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values)).dt.strftime("%d%m%Y")


def _nir(rows: pd.DataFrame, number: np.ndarray) -> pd.Series:
    """A made-up NIR of the right shape (sex, birth year and month, département 99, commune, order)."""
    birth = pd.to_datetime(rows[C.BIRTH_DATE])
    sex = np.where(rows[C.SEX].to_numpy() == "M", "1", "2")
    return (pd.Series(sex) + birth.dt.strftime("%y%m").to_numpy() + "99" + pd.Series(number % 1000).astype(str)
            .str.zfill(3).to_numpy() + pd.Series(number // 1000 % 1000).astype(str).str.zfill(3).to_numpy())


def _individus(rows: pd.DataFrame, month_end: pd.Timestamp, siret_nic: str) -> list[str]:
    """The lines of the individus of one établissement, built column by column (one list a rubrique) and
    interleaved, agent by agent: no loop over agents."""
    n = len(rows)
    if not n:
        return []
    number = rows[C.AGENT_ID].str.extract(r"(\d+)$")[0].fillna("0").astype(int).to_numpy()
    codes = rows[C.STATUT].map(STATUT_CODES)
    q = rows[C.QUOTITE].astype(float).to_numpy()
    part = q < 1 - 1e-9
    dep = rows[C.DEPARTURE_MOTIVE] if C.DEPARTURE_MOTIVE in rows else pd.Series(np.nan, index=rows.index)
    dep_date = rows[C.DEPARTURE_DATE] if C.DEPARTURE_DATE in rows else pd.Series(pd.NaT, index=rows.index)
    end_code = dep.map(END_CODES).where(~dep.isin(list(SUSPENSION_CODES)))
    susp_code = dep.map(SUSPENSION_CODES)
    indice = pd.to_numeric(rows[C.INDICE], errors="coerce")
    cols = {
        "S21.G00.30.001": _nir(rows, number).to_numpy(),
        "S21.G00.30.002": SURNAMES[number % len(SURNAMES)],
        "S21.G00.30.004": FIRST_NAMES[number % len(FIRST_NAMES)],
        "S21.G00.30.005": np.where(rows[C.SEX].to_numpy() == "M", "01", "02"),
        "S21.G00.30.006": _fmt_date(rows[C.BIRTH_DATE]).to_numpy(),
        "S21.G00.30.007": np.full(n, "PARIS"),
        "S21.G00.30.008": pd.Series(number % 90 + 1).astype(str).to_numpy() + " " + STREETS[number % len(STREETS)],
        "S21.G00.30.009": np.full(n, "75012"),
        "S21.G00.30.010": np.full(n, "PARIS"),
        "S21.G00.30.019": rows[C.AGENT_ID].to_numpy(),
        "S21.G00.40.001": _fmt_date(rows[C.ENTRY_DATE]).to_numpy(),
        "S21.G00.40.002": np.full(n, "10"),  # statut conventionnel: agent de la FPT [V]
        "S21.G00.40.004": rows[C.CATEGORIE].map(PCS).to_numpy(),
        "S21.G00.40.006": rows[C.METIER_LABEL].to_numpy(),
        "S21.G00.40.007": codes.str[0].to_numpy(),
        "S21.G00.40.009": pd.Series(number).astype(str).str.zfill(6).radd("C").to_numpy(),
        "S21.G00.40.011": np.full(n, K.HOURS),
        "S21.G00.40.012": np.full(n, f"{RATE_HOURS:.2f}"),
        "S21.G00.40.013": np.char.mod("%.2f", np.round(q * RATE_HOURS, 2)),
        "S21.G00.40.014": np.where(part, "20", "10"),
        "S21.G00.40.020": codes.str[2].to_numpy(),
        "S21.G00.40.021": np.where(rows[C.STATUT].to_numpy() == "contractuel_non_permanent", "02", ""),
        "S21.G00.40.026": codes.str[1].to_numpy(),
        "S21.G00.40.053": np.full(n, "01"),
        "S21.G00.40.055": np.where(part, np.char.mod("%.2f", np.round(q * 100, 2)), ""),
        "S21.G00.40.056": rows[C.SERVICE_CATEGORY].map(SERVICE_CODES).to_numpy(),
        "S21.G00.40.058": indice.map(lambda x: "" if pd.isna(x) else str(int(x))).to_numpy(),
        "S21.G00.62.001": np.where(end_code.notna(), _fmt_date(dep_date).fillna("").to_numpy(), ""),
        "S21.G00.62.002": end_code.fillna("").to_numpy(),
        "S21.G00.65.001": susp_code.fillna("").to_numpy(),
        "S21.G00.65.002": np.where(susp_code.notna(), _fmt_date(dep_date).fillna("").to_numpy(), ""),
        "S21.G00.50.001": np.full(n, month_end.strftime("%d%m%Y")),
        "S21.G00.50.002": np.char.mod("%.2f", np.round(indice.fillna(0).to_numpy() * 4.92 * q, 2)),
    }
    keys = list(cols)
    grid = np.empty((n, len(keys)), dtype=object)
    for j, k in enumerate(keys):
        values = np.asarray(cols[k], dtype=object)
        grid[:, j] = np.where(pd.isna(values) | (values == ""), None, k + ",'" + values.astype(str) + "'")
    flat = grid.ravel()
    return list(flat[flat != None])  # noqa: E711 - object array


def write_month(month_end: pd.Timestamp, snap: pd.DataFrame, leavers: pd.DataFrame,
                sirets: dict[str, str]) -> bytes:
    """One monthly envoi: a déclaration (S20-S21.G00.11) per direction, its individus, the total (S90)."""
    month = month_end.replace(day=1)
    lines = ["S10.G00.00.001,'workforce synth'", "S10.G00.00.002,'workforce'", "S10.G00.00.003,'1'",
             "S10.G00.00.005,'01'", "S10.G00.00.006,'P26V01'", "S10.G00.00.008,'01'",
             f"S10.G00.01.001,'{SIREN}'", "S10.G00.01.002,'00018'", "S10.G00.01.003,'DEPARTEMENT SYNTHETIQUE'",
             "S10.G00.02.002,'SERVICE DE LA PAIE'", "S10.G00.02.004,'paie@departement-synthetique.fr'"]
    both = pd.concat([snap, leavers], ignore_index=True)
    n_decl = 0
    for direction, nic in sorted(sirets.items(), key=lambda kv: kv[1]):
        rows = both[both[C.DIRECTION] == direction].sort_values(C.AGENT_ID, kind="stable")
        n_decl += 1
        lines += ["S20.G00.05.001,'01'", "S20.G00.05.002,'01'", "S20.G00.05.003,'11'",
                  f"S20.G00.05.004,'{n_decl}'", f"S20.G00.05.005,'{month:%d%m%Y}'",
                  f"S20.G00.05.007,'{month_end:%d%m%Y}'", "S20.G00.05.008,'01'", "S20.G00.05.010,'01'",
                  f"S21.G00.06.001,'{SIREN}'", "S21.G00.06.002,'00018'", "S21.G00.06.003,'8411Z'",
                  f"S21.G00.11.001,'{nic}'", "S21.G00.11.002,'8411Z'", "S21.G00.11.003,'HOTEL DU DEPARTEMENT'"]
        lines += _individus(rows.reset_index(drop=True), month_end, nic)
    total = len(lines) + 2
    lines += [f"S90.G00.90.001,'{total}'", f"S90.G00.90.002,'{n_decl}'"]
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1", errors="replace")


def write_dsn(sd, out: str | Path, months: int = 12) -> list[Path]:
    """Write ``months`` monthly DSN files of the synthetic département and ``directions.csv`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frames = dsn_frames(sd, months)
    directions = sorted(set(sd.snapshots[C.DIRECTION].dropna()))
    sirets = {d: f"{i + 1:05d}" for i, d in enumerate(directions)}
    write_csv(pd.DataFrame({"siret": [SIREN + n for n in sirets.values()], "direction": list(sirets)}),
              out / "directions.csv")  # the one CSV writer (formulas neutralised), as every file the tool writes
    paths = []
    for month_end, snap, leavers in frames:
        path = out / f"dsn_{month_end:%Y%m}.dsn"
        path.write_bytes(write_month(month_end, snap, leavers, sirets))
        paths.append(path)
    return paths
