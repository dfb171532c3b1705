"""The scenario knobs as sidebar widgets (stable keys), and the way back from a saved scenario to the widgets.

Every knob of :class:`workforce.scenario.Scenario` the planner plays with has one widget here, grouped and
explained in plain French. Knobs a widget cannot show (a replacement rate by famille, a list of frozen years,
several demand overlays...) are kept from the loaded scenario and listed, never dropped silently.
"""

from __future__ import annotations

import streamlit as st

from workforce import rules
from workforce.columns import EXIT_MOTIVES
from workforce.labels import DEMAND_BASELINE_LABELS, KNOB_LABELS, knob_label  # noqa: F401 - the pages read SF.knob_label
from workforce.ui import common as C

LOADED_EXTRA = "sc_loaded_extra"  # knobs of the loaded scenario that no widget shows
LOADED_NAME = "sc_loaded_name"

DEFAULTS = {
    "sc_regime": rules.DEFAULT_REGIME, "sc_postponement": 0, "sc_share_custom": False, "sc_share_at_aod": 35,
    "sc_exit_multiplier": 1.0, **{f"sc_exit_{m}": 1.0 for m in EXIT_MOTIVES},
    "sc_replacement_rate": 100, "sc_hiring_freeze": 0, "sc_recruitment_delay": 3, "sc_demand_baseline": "model",
    "sc_demand_growth": 0.0, "sc_transformation": 1.0, "sc_point_growth": 0.0, "sc_horizon": 10, "sc_seed": 42,
}


def init_state() -> None:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


def _single_growth(overlays: list) -> tuple[float | None, list]:
    """The rate of a lone 'all' growth overlay (what the slider shows) and the overlays it cannot show."""
    if len(overlays) == 1 and overlays[0]["kind"] == "growth" and overlays[0]["scope"] == "all" \
            and "from_year" not in overlays[0] and "to_year" not in overlays[0]:
        return overlays[0]["rate"], []
    return None, list(overlays)


def load_into_widgets(scenario, name: str | None = None) -> None:
    """Set every widget to the scenario's values (call from a button callback, before widgets render)."""
    s = scenario
    state = st.session_state
    state["sc_regime"] = s.regime
    state["sc_postponement"] = int(s.postponement_months)
    state["sc_share_custom"] = s.share_at_aod is not None
    state["sc_share_at_aod"] = int(round(100 * (s.share_at_aod if s.share_at_aod is not None else 0.35)))
    state["sc_exit_multiplier"] = float(s.exit_multiplier)
    for m in EXIT_MOTIVES:
        state[f"sc_exit_{m}"] = float(s.exit_multipliers.get(m, 1.0))
    state["sc_replacement_rate"] = int(round(100 * s.replacement_rate))
    extra: dict = {}
    if isinstance(s.hiring_freeze_years, list):
        extra["hiring_freeze_years"] = list(s.hiring_freeze_years)
        state["sc_hiring_freeze"] = 0
    else:
        state["sc_hiring_freeze"] = int(s.hiring_freeze_years)
    state["sc_recruitment_delay"] = int(round(s.recruitment_delay_months))
    state["sc_demand_baseline"] = s.demand_baseline
    rate, rest = _single_growth(s.demand_overlays)
    state["sc_demand_growth"] = round(100 * rate, 1) if rate is not None else 0.0
    if rest:
        extra["demand_overlays"] = rest
    state["sc_transformation"] = float(s.transformation_intensity)
    state["sc_point_growth"] = round(100 * s.point_growth, 1)
    state["sc_horizon"] = int(s.horizon)
    state["sc_seed"] = int(s.seed)
    for knob in ("replacement_by_famille", "replacement_by_metier", "demand_factors", "point_value",
                 "indemnitaire_rates", "employer_rates"):
        value = getattr(s, knob)
        if value:
            extra[knob] = value
    state[LOADED_EXTRA] = extra
    state[LOADED_NAME] = name


def reset_widgets() -> None:
    for key, value in DEFAULTS.items():
        st.session_state[key] = value
    st.session_state[LOADED_EXTRA] = {}
    st.session_state[LOADED_NAME] = None


def sidebar() -> dict:
    """Draw the knobs in the sidebar; return the scenario's parameters (a dict for ``Scenario.from_dict``)."""
    init_state()
    sb = st.sidebar
    sb.header("Hypothèses du scénario")
    sb.caption("Chaque curseur recalcule aussitôt la projection (valeurs attendues). Les valeurs par défaut "
               "reproduisent les comportements observés.")
    loaded = st.session_state.get(LOADED_NAME)
    if loaded:
        sb.info(f"Scénario chargé : « {loaded} » (les modifications ne sont pas enregistrées tant que vous ne "
                "l'enregistrez pas sous un nom).")

    with sb.expander("Départs à la retraite", expanded=True):
        st.selectbox("Droit applicable", list(rules.REGIMES), format_func=C.REGIME_LABELS.get, key="sc_regime",
                     help="Variante de la loi pour l'âge légal de départ (AOD) et la limite d'âge.")
        st.slider("Report des départs (mois)", 0, 36, key="sc_postponement",
                  help="Les agents partent en moyenne ce nombre de mois plus tard que ce qui a été observé "
                       "(par exemple pour une surcote ou un maintien en activité).")
        st.toggle("Fixer la part des départs dès l'âge légal", key="sc_share_custom",
                  help="Sinon, la part observée dans l'historique est utilisée.")
        st.slider("Part des agents partant dès l'âge légal (%)", 0, 100, key="sc_share_at_aod",
                  disabled=not st.session_state["sc_share_custom"])

    with sb.expander("Autres départs (mutations, démissions, fins de contrat…)"):
        st.slider("Propension à partir (×)", 0.0, 3.0, step=0.05, key="sc_exit_multiplier",
                  help="Multiplie tous les départs autres que la retraite : 1 = comme observé, 1,5 = moitié plus.")
        st.caption("Par motif (multiplie en plus le précédent) :")
        for m in EXIT_MOTIVES:
            st.slider(C.MOTIVE_LABELS.get(m, "Autres motifs"), 0.0, 3.0, step=0.1, key=f"sc_exit_{m}")

    with sb.expander("Recrutements et remplacements", expanded=True):
        st.slider("Taux de remplacement des départs (%)", 0, 150, step=5, key="sc_replacement_rate",
                  help="100 % : chaque poste libéré est pourvu à nouveau ; 80 % : un départ sur cinq n'est pas "
                       "remplacé ; au-delà de 100 %, des postes sont créés.")
        st.slider("Gel des recrutements (premières années)", 0, 5, key="sc_hiring_freeze",
                  help="Aucun recrutement pendant ces années ; les postes libérés pendant le gel sont supprimés.")
        st.slider("Délai de recrutement (mois)", 0, 24, key="sc_recruitment_delay",
                  help="Durée pendant laquelle un poste libéré reste vacant avant l'arrivée du remplaçant.")

    with sb.expander("Besoins et transformation des métiers"):
        st.radio("Référence du besoin", ["model", "flat"], key="sc_demand_baseline",
                 format_func=DEMAND_BASELINE_LABELS.get)
        st.slider("Croissance annuelle du besoin (%/an)", -5.0, 5.0, step=0.5, key="sc_demand_growth",
                  help="S'ajoute à la référence pour tous les métiers.")
        st.slider("Intensité de la transformation des métiers", 0.0, 2.0, step=0.1, key="sc_transformation",
                  help="0 : aucune transformation ; 1 : hypothèse centrale (transitions numérique, écologique, "
                       "démographique) ; 2 : deux fois plus rapide.")

    with sb.expander("Masse salariale"):
        st.slider("Revalorisation annuelle du point d'indice (%)", -2.0, 5.0, step=0.1, key="sc_point_growth")

    with sb.expander("Projection"):
        st.slider("Horizon (années)", 1, 30, key="sc_horizon")
        st.number_input("Graine des simulations", min_value=0, max_value=2**31 - 1, step=1, key="sc_seed",
                        help="Même graine, mêmes données, même scénario : mêmes chiffres.")

    state = st.session_state
    params = {
        "horizon": int(state["sc_horizon"]), "seed": int(state["sc_seed"]), "regime": state["sc_regime"],
        "postponement_months": int(state["sc_postponement"]),
        "share_at_aod": (state["sc_share_at_aod"] / 100.0) if state["sc_share_custom"] else None,
        "exit_multiplier": float(state["sc_exit_multiplier"]),
        "exit_multipliers": {m: float(state[f"sc_exit_{m}"]) for m in EXIT_MOTIVES
                             if abs(float(state[f"sc_exit_{m}"]) - 1.0) > 1e-9},
        "replacement_rate": state["sc_replacement_rate"] / 100.0,
        "hiring_freeze_years": int(state["sc_hiring_freeze"]),
        "recruitment_delay_months": float(state["sc_recruitment_delay"]),
        "demand_baseline": state["sc_demand_baseline"],
        "demand_overlays": ([{"kind": "growth", "scope": "all", "key": None,
                              "rate": float(state["sc_demand_growth"]) / 100.0}]
                            if abs(float(state["sc_demand_growth"])) > 1e-9 else []),
        "transformation_intensity": float(state["sc_transformation"]),
        "point_growth": float(state["sc_point_growth"]) / 100.0,
    }
    extra = dict(state.get(LOADED_EXTRA) or {})
    if "hiring_freeze_years" in extra and params["hiring_freeze_years"] == 0:
        params["hiring_freeze_years"] = extra.pop("hiring_freeze_years")
    else:
        extra.pop("hiring_freeze_years", None)
    if "demand_overlays" in extra:
        params["demand_overlays"] = list(extra.pop("demand_overlays")) + params["demand_overlays"]
    params.update(extra)
    shown = [k for k in (state.get(LOADED_EXTRA) or {}) if k != "demand_factors"]
    if shown:
        sb.caption("Hypothèses détaillées du scénario chargé, gardées telles quelles : "
                   + ", ".join(knob_label(k).lower() for k in shown) + ".")
    return params
