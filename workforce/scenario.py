"""Scenarios: the planner's knobs, as one validated, JSON-serialisable object, saved in the database.

Why: a projection is only worth discussing if anyone can rerun it. A :class:`Scenario` holds every knob the
engine reads (law variant and retirement behaviour, exit propensities, replacement and hiring policy, demand
overlays, payroll parameters, horizon, seed); it is frozen, compares by value, serialises to plain JSON and
refuses invalid values with a :class:`ScenarioError` naming the field. Saved scenarios live in the
``scenarios`` table (name, author, parent scenario, creation date, description, params).

Knobs, in the order the engine applies them (defaults reproduce the fitted behaviour):

``horizon`` (years, 1-30), ``seed``
    Length of the projection and the one seed of the Monte Carlo mode.
``regime``, ``postponement_months``, ``share_at_aod``
    Retirement: law variant of :mod:`workforce.rules` (``pre2023``, ``reform2023``, ``lfss2026``), months by
    which agents postpone their departure, share of eligible agents leaving as soon as they reach the AOD
    (None: as learned). Handed to the retirement model.
``exit_multiplier``, ``exit_multipliers``
    Propensity to leave: every non-retirement exit hazard is multiplied by ``exit_multiplier`` and by the
    motive's own multiplier (keys: the exit motives, e.g. ``{"mutation": 1.5}``).
``replacement_rate``, ``replacement_by_famille``, ``replacement_by_metier``
    Share of each departure whose post is refilled (default 1.0: every permanent post is replaced); a métier's
    own rate beats its famille's, which beats the default.
``hiring_freeze_years``
    No recruitment in these years: an integer N freezes the first N projection years, a list names calendar
    years. Posts vacated during a freeze are cut.
``recruitment_delay_months``
    Months a vacated post stays empty before its replacement arrives (0-24).
``demand_baseline``
    ``"model"`` (the fitted demand baseline, Prophet or its better naive rival per métier) or ``"flat"``
    (demand stays at today's ETP).
``demand_overlays``
    Planner overlays on demand, applied in order, each a dict: ``{"kind": "growth", "scope": "famille",
    "key": "Numérique", "rate": 0.03}`` (annual growth from the first projection year; optional
    ``from_year``/``to_year``), ``{"kind": "target", "scope": "metier", "key": "COL01", "year": 2030,
    "value": 650}`` (headcount reached linearly by ``year``, held after). Scopes: ``all``, ``metier``,
    ``famille``, ``direction``.
``demand_factors``, ``transformation_intensity``
    The hook of the skills module (issue 6): ``{metier_code: {year: factor}}``, a multiplicative factor on the
    métier's demand from that year on (carried forward until the next listed year; 1.0 before the first).
    ``transformation_intensity`` scales them: applied factor = 1 + intensity x (factor - 1).
``point_value``, ``point_growth``, ``indemnitaire_rates``, ``employer_rates``
    Payroll: annual value of the point d'indice (None: the dated table of :mod:`workforce.payroll`), its
    yearly growth over the projection, régime indemnitaire rate by catégorie, employer contribution rates by
    statut group (None: the dated tables).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import pandas as pd

from workforce import rules
from workforce.columns import CATEGORY_CODES, EXIT_MOTIVES  # noqa: F401 - the exit motives the engine knows
from workforce.labels import knob_label, knob_value

# ------------------------------------------------------------------------------------------------ vocabulary

OVERLAY_KINDS = ("growth", "target")
OVERLAY_SCOPES = ("all", "metier", "famille", "direction")
DEMAND_BASELINES = ("model", "flat")
CATEGORIES = CATEGORY_CODES
STATUT_GROUPS = ("fonctionnaire", "contractuel")
MAX_HORIZON = 30
MAX_DELAY_MONTHS = 24
MAX_RATE = 2.0
MAX_MULTIPLIER = 10.0


class ScenarioExists(ValueError):
    """A scenario of this name is already saved (names are unique); ``name`` is the name asked for."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"un scénario nommé « {name} » existe déjà : choisissez un autre nom ou supprimez-le d'abord")


class ScenarioError(ValueError):
    """An invalid scenario value; ``field`` names the knob at fault (dotted path for nested values)."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field} : {message}")


# ------------------------------------------------------------------------------------------------ helpers

def _number(value: Any, name: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise ScenarioError(name, f"doit être un nombre, reçu {value!r}")
    v = float(value)
    if lo is not None and v < lo:
        raise ScenarioError(name, f"doit être au moins {lo:g}, reçu {v:g}")
    if hi is not None and v > hi:
        raise ScenarioError(name, f"doit être au plus {hi:g}, reçu {v:g}")
    return v


def _integer(value: Any, name: str, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ScenarioError(name, f"doit être un nombre entier, reçu {value!r}")
    if lo is not None and value < lo:
        raise ScenarioError(name, f"doit être au moins {lo}, reçu {value}")
    if hi is not None and value > hi:
        raise ScenarioError(name, f"doit être au plus {hi}, reçu {value}")
    return int(value)


def _rate_map(value: Any, name: str, hi: float = MAX_RATE, keys: Iterable[str] | None = None) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise ScenarioError(name, f"doit associer des noms à des nombres, reçu {type(value).__name__}")
    allowed = set(keys) if keys is not None else None
    out = {}
    for k, v in value.items():
        if not isinstance(k, str) or not k:
            raise ScenarioError(name, f"les clés doivent être des textes non vides, reçu {k!r}")
        if allowed is not None and k not in allowed:
            raise ScenarioError(f"{name}.{k}", f"clé inconnue ; clés possibles : {', '.join(sorted(allowed))}")
        out[k] = _number(v, f"{name}.{k}", 0.0, hi)
    return dict(sorted(out.items()))


def _overlay(raw: Any, i: int) -> dict:
    name = f"demand_overlays[{i}]"
    if not isinstance(raw, Mapping):
        raise ScenarioError(name, f"doit être un dictionnaire, reçu {type(raw).__name__}")
    kind = raw.get("kind")
    if kind not in OVERLAY_KINDS:
        raise ScenarioError(f"{name}.kind", f"doit être l'un de {', '.join(OVERLAY_KINDS)}, reçu {kind!r}")
    scope = raw.get("scope", "all")
    if scope not in OVERLAY_SCOPES:
        raise ScenarioError(f"{name}.scope", f"doit être l'un de {', '.join(OVERLAY_SCOPES)}, reçu {scope!r}")
    key = raw.get("key")
    if scope == "all":
        if key not in (None, ""):
            raise ScenarioError(f"{name}.key", "doit être vide quand la portée est 'all' (tout l'employeur)")
        key = None
    elif not isinstance(key, str) or not key:
        raise ScenarioError(f"{name}.key", f"doit nommer le ou la {scope} concerné(e)")
    out: dict[str, Any] = {"kind": kind, "scope": scope, "key": key}
    if kind == "growth":
        allowed = {"kind", "scope", "key", "rate", "from_year", "to_year"}
        out["rate"] = _number(raw.get("rate"), f"{name}.rate", -0.5, 1.0)
        for y in ("from_year", "to_year"):
            if raw.get(y) is not None:
                out[y] = _integer(raw[y], f"{name}.{y}", 1900, 2200)
        if "from_year" in out and "to_year" in out and out["to_year"] < out["from_year"]:
            raise ScenarioError(f"{name}.to_year", "ne doit pas précéder from_year")
    else:
        allowed = {"kind", "scope", "key", "year", "value"}
        out["year"] = _integer(raw.get("year"), f"{name}.year", 1900, 2200)
        out["value"] = _number(raw.get("value"), f"{name}.value", 0.0)
    extra = set(raw) - allowed
    if extra:
        raise ScenarioError(name, f"champ(s) inconnu(s) {', '.join(sorted(extra))} ; champs possibles : {', '.join(sorted(allowed))}")
    return out


def _factors(value: Any) -> dict[str, dict[str, float]]:
    name = "demand_factors"
    if not isinstance(value, Mapping):
        raise ScenarioError(name, f"doit associer à chaque métier {{année: facteur}}, reçu {type(value).__name__}")
    out = {}
    for code, by_year in value.items():
        if not isinstance(code, str) or not code:
            raise ScenarioError(name, f"les clés doivent être des codes métier, reçu {code!r}")
        if not isinstance(by_year, Mapping):
            raise ScenarioError(f"{name}.{code}", "doit associer à chaque année un facteur")
        years = {}
        for y, f in by_year.items():
            try:
                year = int(str(y))
            except ValueError:
                raise ScenarioError(f"{name}.{code}", f"l'année {y!r} n'est pas un nombre entier") from None
            _integer(year, f"{name}.{code}.{y}", 1900, 2200)
            years[str(year)] = _number(f, f"{name}.{code}.{year}", 0.0, MAX_MULTIPLIER)
        out[code] = dict(sorted(years.items()))
    return dict(sorted(out.items()))


# ------------------------------------------------------------------------------------------------ scenario

@dataclass(frozen=True)
class Scenario:
    """Every knob of a projection; see the module docstring for their meaning. Validated on creation."""

    horizon: int = 10
    seed: int = 42
    regime: str = rules.DEFAULT_REGIME
    postponement_months: int = 0
    share_at_aod: float | None = None
    exit_multiplier: float = 1.0
    exit_multipliers: dict = field(default_factory=dict)
    replacement_rate: float = 1.0
    replacement_by_famille: dict = field(default_factory=dict)
    replacement_by_metier: dict = field(default_factory=dict)
    hiring_freeze_years: int | list = 0
    recruitment_delay_months: float = 3.0
    demand_baseline: str = "model"
    demand_overlays: list = field(default_factory=list)
    demand_factors: dict = field(default_factory=dict)
    transformation_intensity: float = 1.0
    point_value: float | None = None
    point_growth: float = 0.0
    indemnitaire_rates: dict | None = None
    employer_rates: dict | None = None

    def __post_init__(self) -> None:
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 (frozen dataclass)
        set_("horizon", _integer(self.horizon, "horizon", 1, MAX_HORIZON))
        set_("seed", _integer(self.seed, "seed", 0, 2**32 - 1))
        if self.regime not in rules.REGIMES:
            raise ScenarioError("regime", f"doit être l'un de {', '.join(rules.REGIMES)}, reçu {self.regime!r}")
        set_("postponement_months", _integer(self.postponement_months, "postponement_months", 0, 120))
        if self.share_at_aod is not None:
            set_("share_at_aod", _number(self.share_at_aod, "share_at_aod", 0.0, 1.0))
        set_("exit_multiplier", _number(self.exit_multiplier, "exit_multiplier", 0.0, MAX_MULTIPLIER))
        set_("exit_multipliers", _rate_map(self.exit_multipliers, "exit_multipliers", MAX_MULTIPLIER, EXIT_MOTIVES))
        set_("replacement_rate", _number(self.replacement_rate, "replacement_rate", 0.0, MAX_RATE))
        set_("replacement_by_famille", _rate_map(self.replacement_by_famille, "replacement_by_famille"))
        set_("replacement_by_metier", _rate_map(self.replacement_by_metier, "replacement_by_metier"))
        freeze = self.hiring_freeze_years
        if isinstance(freeze, (list, tuple)):
            years = sorted({_integer(y, "hiring_freeze_years", 1900, 2200) for y in freeze})
            set_("hiring_freeze_years", years)
        else:
            set_("hiring_freeze_years", _integer(freeze, "hiring_freeze_years", 0, MAX_HORIZON))
        set_("recruitment_delay_months",
             _number(self.recruitment_delay_months, "recruitment_delay_months", 0.0, MAX_DELAY_MONTHS))
        if self.demand_baseline not in DEMAND_BASELINES:
            raise ScenarioError("demand_baseline",
                                f"doit être l'un de {', '.join(DEMAND_BASELINES)}, reçu {self.demand_baseline!r}")
        if not isinstance(self.demand_overlays, (list, tuple)):
            raise ScenarioError("demand_overlays", "doit être une liste de surcouches")
        set_("demand_overlays", [_overlay(o, i) for i, o in enumerate(self.demand_overlays)])
        set_("demand_factors", _factors(self.demand_factors))
        set_("transformation_intensity",
             _number(self.transformation_intensity, "transformation_intensity", 0.0, MAX_MULTIPLIER))
        if self.point_value is not None:
            set_("point_value", _number(self.point_value, "point_value", 1.0, 1000.0))
        set_("point_growth", _number(self.point_growth, "point_growth", -0.2, 0.2))
        if self.indemnitaire_rates is not None:
            set_("indemnitaire_rates", _rate_map(self.indemnitaire_rates, "indemnitaire_rates", 2.0, CATEGORIES))
        if self.employer_rates is not None:
            set_("employer_rates", _rate_map(self.employer_rates, "employer_rates", 2.0, STATUT_GROUPS))

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict:
        """Plain JSON-ready dict (every value a str, number, bool, None, list or dict)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, params: Mapping[str, Any]) -> "Scenario":
        """Build from a dict; an unknown key is refused (a typo must not silently do nothing)."""
        if not isinstance(params, Mapping):
            raise ScenarioError("scenario", f"doit être un dictionnaire, reçu {type(params).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ScenarioError(unknown[0], f"paramètre inconnu ; paramètres possibles : {', '.join(sorted(known))}")
        return cls(**dict(params))

    @classmethod
    def from_json(cls, text: str) -> "Scenario":
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as err:
            raise ScenarioError("scenario", f"JSON invalide : {err}") from None

    def replace(self, **changes) -> "Scenario":
        """A validated copy with some knobs changed."""
        return Scenario.from_dict({**self.to_dict(), **changes})

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON: equal scenarios share it."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    # ------------------------------------------------------------------ referential checks
    def check_codes(self, metiers: Iterable[str] = (), familles: Iterable[str] = (),
                    directions: Iterable[str] = ()) -> "Scenario":
        """Refuse métier, famille and direction names the referential does not know; returns self."""
        metiers, familles, directions = set(metiers), set(familles), set(directions)
        known = {"metier": metiers, "famille": familles, "direction": directions}
        if metiers:
            for code in self.replacement_by_metier:
                if code not in metiers:
                    raise ScenarioError(f"replacement_by_metier.{code}", "code métier inconnu")
            for code in self.demand_factors:
                if code not in metiers:
                    raise ScenarioError(f"demand_factors.{code}", "code métier inconnu")
        if familles:
            for name in self.replacement_by_famille:
                if name not in familles:
                    raise ScenarioError(f"replacement_by_famille.{name}", "famille inconnue")
        for i, o in enumerate(self.demand_overlays):
            pool = known.get(o["scope"])
            if pool and o["key"] not in pool:
                raise ScenarioError(f"demand_overlays[{i}].key", f"{o['scope']} inconnu(e) : {o['key']!r}")
        return self

    def freeze_years(self, first_year: int) -> list[int]:
        """Calendar years without recruitment, for a projection whose first year is ``first_year``."""
        if isinstance(self.hiring_freeze_years, list):
            return list(self.hiring_freeze_years)
        return list(range(first_year, first_year + self.hiring_freeze_years))


def check_against_referential(scenario: Scenario, ref=None) -> Scenario:
    """:meth:`Scenario.check_codes` against the built-in referential (or ``ref``)."""
    if ref is None:
        from workforce.referential import load_builtin

        ref = load_builtin()
    m = ref.metiers
    return scenario.check_codes(m["code"], m["famille"], ref.directions["code"])


def flatten(params: Mapping[str, Any], prefix: str = "", keep_empty: bool = True) -> dict[str, Any]:
    """Nested dict -> {"a.b": value}; lists of dicts become "a[0].b"; empty mappings kept unless told."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out |= flatten(v, key + ".", keep_empty)
        elif isinstance(v, list) and v and all(isinstance(x, Mapping) for x in v):
            for i, x in enumerate(v):
                out |= flatten(x, f"{key}[{i}].", keep_empty)
        elif not keep_empty and isinstance(v, (Mapping, list)) and not v:
            continue
        else:
            out[key] = v
    return out


def diff(a: Scenario, b: Scenario) -> pd.DataFrame:
    """Knobs that differ: frame ``knob, a, b`` (nested knobs dotted), sorted by knob."""
    fa, fb = flatten(a.to_dict(), keep_empty=False), flatten(b.to_dict(), keep_empty=False)
    rows = [{"knob": k, "a": fa.get(k), "b": fb.get(k)} for k in sorted(set(fa) | set(fb))
            if fa.get(k, "<absent>") != fb.get(k, "<absent>")]
    return pd.DataFrame(rows, columns=["knob", "a", "b"])


REFERENCE_NAME = "Référence"
"""What the default hypotheses (``Scenario()``) are called in the files and the note."""


def describe(scenario: Scenario, reference: Scenario | None = None) -> pd.DataFrame:
    """Every knob in French, one row each in the order of :class:`Scenario`: ``Hypothèse``, ``Valeur`` and, when
    ``reference`` is given, ``Référence`` and ``Diffère`` (« oui »/« non »). The « Scénario » sheet of the files and
    the hypotheses of the PDF note: labels and units from :data:`workforce.labels.KNOB_LABELS`."""
    params = scenario.to_dict()
    rows = {"Hypothèse": [knob_label(k) for k in params], "Valeur": [knob_value(k, v) for k, v in params.items()]}
    if reference is not None:
        ref = reference.to_dict()
        rows[REFERENCE_NAME] = [knob_value(k, ref.get(k)) for k in params]
        rows["Diffère"] = ["oui" if params[k] != ref.get(k) else "non" for k in params]
    return pd.DataFrame(rows)


def compare(scenarios: Mapping[str, Scenario]) -> pd.DataFrame:
    """The knobs on which named scenarios differ, in French: ``Hypothèse`` and one column per scenario, values
    with their units (« LFSS 2026 », « 80 % »), not the stored ones (``lfss2026``, ``0.8``)."""
    names = list(scenarios)
    flat = {n: flatten(s.to_dict(), keep_empty=False) for n, s in scenarios.items()}
    knobs = [k for k in dict.fromkeys(k for f in flat.values() for k in f) if not k.startswith("demand_factors.")]
    rows = []
    for k in knobs:
        values = [flat[n].get(k) for n in names]
        if any(v != values[0] for v in values[1:]):
            rows.append({"Hypothèse": knob_label(k), **{n: knob_value(k, v) for n, v in zip(names, values)}})
    return pd.DataFrame(rows, columns=["Hypothèse", *names])


# ------------------------------------------------------------------------------------------------ storage

@dataclass(frozen=True)
class SavedScenario:
    """A scenario as stored: its row in the ``scenarios`` table."""

    id: int
    name: str
    author: str | None
    parent: str | None
    created_at: dt.datetime
    description: str | None
    scenario: Scenario


class ScenarioNotFound(LookupError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"aucun scénario nommé « {name} » (voir `workforce scenario list`)")


REFERENCE_DESCRIPTION = "Hypothèses par défaut (lecture seule) : le point de comparaison de tous les scénarios."


def reference() -> SavedScenario:
    """The « Référence » scenario: the default hypotheses, always there, never stored, read-only (saving or
    deleting that name is refused), the default comparison of the app, the files and the note."""
    return SavedScenario(0, REFERENCE_NAME, None, None, dt.datetime(1970, 1, 1), REFERENCE_DESCRIPTION, Scenario())


class ReferenceReadOnly(ValueError):
    """Saving or deleting under the reference's name."""


def _refuse_reference(name: str, what: str) -> None:
    if isinstance(name, str) and name.strip().casefold() == REFERENCE_NAME.casefold():
        raise ReferenceReadOnly(f"« {REFERENCE_NAME} » est le scénario de référence (hypothèses par défaut, en "
                                f"lecture seule) : il ne peut pas être {what}")


def _row_to_saved(row, parent_name: str | None) -> SavedScenario:
    return SavedScenario(row.id, row.name, row.author, parent_name, row.created_at, row.description,
                         Scenario.from_dict(row.params or {}))


def save(engine, name: str, scenario: Scenario, *, author: str | None = None, parent: str | None = None,
         description: str | None = None, user=None) -> SavedScenario:
    """Store a new scenario (names are unique: a taken name raises :class:`ScenarioExists`). ``user`` (the app's
    :class:`workforce.access.User`) must have the right to edit scenarios; the command line passes none."""
    from sqlalchemy import select

    from workforce import access, db

    if user is not None:
        user.require(access.EDIT_SCENARIOS)
        author = user.name

    if not isinstance(name, str) or not name.strip():
        raise ScenarioError("name", "doit être un texte non vide")
    _refuse_reference(name, "remplacé ; choisissez un autre nom")
    name = name.strip()
    if len(name) > 200:
        raise ScenarioError("name", "doit faire au plus 200 caractères")
    db.init_db(engine)
    with db.session_scope(engine) as s:
        if s.execute(select(db.Scenario.id).where(db.Scenario.name == name)).first():
            raise ScenarioExists(name)
        parent_id = None
        if parent is not None:
            parent_id = s.execute(select(db.Scenario.id).where(db.Scenario.name == parent)).scalar_one_or_none()
            if parent_id is None:
                raise ScenarioNotFound(parent)
        row = db.Scenario(name=name, author=author, parent_id=parent_id, description=description,
                          params=scenario.to_dict())
        s.add(row)
        s.flush()
        db.audit(s, "scenario.create", {"name": name, "parent": parent, "fingerprint": scenario.fingerprint()},
                 actor=author)
        return _row_to_saved(row, parent)


def load(engine, name: str) -> SavedScenario:
    """A saved scenario by name; « Référence » is the default hypotheses (:func:`reference`)."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from workforce import db

    if name == REFERENCE_NAME:
        return reference()

    db.init_db(engine)
    parent = aliased(db.Scenario)
    with db.session_scope(engine) as s:
        found = s.execute(select(db.Scenario, parent.name).outerjoin(parent, db.Scenario.parent_id == parent.id)
                          .where(db.Scenario.name == name)).first()
        if found is None:
            raise ScenarioNotFound(name)
        return _row_to_saved(found[0], found[1])


def list_saved(engine, *, with_reference: bool = False) -> pd.DataFrame:
    """Frame ``name, author, parent, created_at, description, fingerprint``, oldest first; with
    ``with_reference``, the read-only « Référence » first (:func:`reference`)."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from workforce import db

    db.init_db(engine)
    parent = aliased(db.Scenario)
    cols = ["name", "author", "parent", "created_at", "description", "fingerprint"]
    with db.session_scope(engine) as s:
        rows = s.execute(select(db.Scenario, parent.name).outerjoin(parent, db.Scenario.parent_id == parent.id)
                         .order_by(db.Scenario.created_at, db.Scenario.id)).all()
        data = [(r.name, r.author, p, r.created_at, r.description,
                 hashlib.sha256(json.dumps(r.params, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12])
                for r, p in rows]
    if with_reference:
        ref = reference()
        data.insert(0, (ref.name, None, None, None, ref.description,
                        hashlib.sha256(json.dumps(ref.scenario.to_dict(), ensure_ascii=False, sort_keys=True)
                                       .encode()).hexdigest()[:12]))
    return pd.DataFrame(data, columns=cols)


def delete(engine, name: str, actor: str | None = None, *, user=None) -> None:
    """Delete a scenario; its children keep their params and lose their parent link. A ``user`` of the app must
    have the right to edit scenarios and, unless administrator, be the scenario's author."""
    from sqlalchemy import select, update

    from workforce import access, db

    if user is not None:
        user.require(access.EDIT_SCENARIOS)
        actor = user.name
    _refuse_reference(name, "supprimé")
    db.init_db(engine)
    with db.session_scope(engine) as s:
        row = s.execute(select(db.Scenario).where(db.Scenario.name == name)).scalar_one_or_none()
        if row is None:
            raise ScenarioNotFound(name)
        if user is not None and user.role != access.ADMIN and row.author != user.name:
            raise access.AccessDenied(f"accès refusé : le scénario « {name} » est celui de {row.author or 'un autre'}"
                                      " ; seul son auteur ou un administrateur RH peut le supprimer")
        s.execute(update(db.Scenario).where(db.Scenario.parent_id == row.id).values(parent_id=None))
        s.delete(row)
        db.audit(s, "scenario.delete", {"name": name}, actor=actor)
