"""The app in a real headless Chromium on the demo data: first paint and settle time of every page on a fresh
server, and the time from each Scénarios knob (the law variant included) to the redrawn chart. Prints figures,
each with the machine's load average (the machines are shared: timings are noisy); asserts nothing.

Run after `make demo` (it reads the configured database: WORKFORCE_HOME / WORKFORCE_DB_URL, default ./var),
or point it elsewhere: `python bench/bench_app.py --home /path/to/home`.

Measures:

* cold: a fresh server for each page, opened directly. first paint = the page title is shown; settle = the page
  script has finished (every figure drawn);
* knobs: one fresh server, the Scénarios page settled, then every knob of the sidebar moved one step in turn (a
  new value each time, so never a cached projection), then the display widgets of the page (indicator, zoom,
  period, detail level); time from the widget change until the rerun has ended and the browser has painted;
* navigation (``--navigation``): one fresh server, the pages in menu order, first then second visit;
* engine, in process: the preparation and the engine's run for the same knob changes, without page or browser
  (what is left of a knob's time is the app's).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workforce.ui import e2e  # noqa: E402


def load() -> str:
    """The 1-minute load average (2 cores shared with other users: read every figure beside it)."""
    return f"load {os.getloadavg()[0]:4.2f}"


def _env(home: str | None) -> dict[str, str]:
    env = {}
    if home:
        env["WORKFORCE_HOME"] = str(Path(home).resolve())
        if "WORKFORCE_DB_URL" not in os.environ:
            env["WORKFORCE_DB_URL"] = f"sqlite:///{Path(home).resolve() / 'workforce.db'}"
    return env


def _has_data(env: dict[str, str]) -> tuple[bool, str]:
    os.environ.update(env)
    from workforce import db
    from workforce.config import get_settings

    url = get_settings().db_url
    engine = db.make_engine(url)
    db.init_db(engine)
    counts = db.table_counts(engine)
    engine.dispose()
    return counts.get("agent_snapshots", 0) > 0, f"{url} ({counts.get('agent_snapshots', 0):,} snapshot rows, " \
        f"{counts.get('extracts', 0)} extracts, {counts.get('model_versions', 0)} model versions)"


def _line(name: str, t: dict[str, float]) -> str:
    return f"  {name:12s} first paint {t['first_paint']:6.2f} s   settle {t['complete']:6.2f} s"


def cold(env: dict[str, str], log_dir: Path) -> None:
    print("\ncold: a fresh server per page, page opened directly")
    for stem in e2e.PAGES:
        with e2e.serve(env, log_path=log_dir / f"cold_{stem}.log") as base, e2e.browser() as page:
            t = e2e.open_page(page, base, stem, timeout=300)
            print(_line(stem, t) + f"   {load()}" + ("   EXCEPTION SHOWN" if e2e.has_exception(page) else ""),
                  flush=True)


def knob_actions() -> list[tuple[str, str | None, object]]:
    """(what, sidebar expander to open first, action) for every knob of the Scénarios page, then its display
    widgets; each action gives the knob a value not yet projected."""
    from workforce.columns import EXIT_MOTIVES
    from workforce.labels import INDICATOR_LABELS, LEVEL_LABELS, MOTIVE_LABELS, REGIME_LABELS
    from workforce.ui.scenario_form import DEMAND_BASELINE_LABELS

    def slider(key, presses=1):
        return lambda page: e2e.move_slider(page, key, presses=presses)

    retire, others, hires = "Départs à la retraite", "Autres départs", "Recrutements et remplacements"
    demand, payroll, horizon = "Besoins et transformation", "Masse salariale", "Projection"
    knobs = [
        ("law variant: pre2023", retire, lambda page: e2e.choose_option(page, "sc_regime", REGIME_LABELS["pre2023"])),
        ("law variant: reform2023", retire,
         lambda page: e2e.choose_option(page, "sc_regime", REGIME_LABELS["reform2023"])),
        ("law variant: back to lfss2026", retire,
         lambda page: e2e.choose_option(page, "sc_regime", REGIME_LABELS["lfss2026"])),
        ("postponement +1 month", retire, slider("sc_postponement")),
        ("share at AOD: fixed", retire, lambda page: e2e.click_label(page, "sc_share_custom")),
        ("share at AOD +1 %", retire, slider("sc_share_at_aod")),
        ("exit propensity +0.05", others, slider("sc_exit_multiplier")),
        *[(f"exit {MOTIVE_LABELS.get(m, m)} +0.1", others, slider(f"sc_exit_{m}")) for m in EXIT_MOTIVES],
        ("replacement rate +5 %", hires, slider("sc_replacement_rate")),
        ("hiring freeze +1 year", hires, slider("sc_hiring_freeze")),
        ("recruitment delay +1 month", hires, slider("sc_recruitment_delay")),
        ("demand reference: flat", demand,
         lambda page: e2e.click_label(page, "sc_demand_baseline", DEMAND_BASELINE_LABELS["flat"])),
        ("demand growth +0.5 %/yr", demand, slider("sc_demand_growth")),
        ("transformation +0.1", demand, slider("sc_transformation")),
        ("point growth +0.1 %", payroll, slider("sc_point_growth")),
        ("horizon 10 -> 11 years", horizon, slider("sc_horizon")),
        ("horizon 11 -> 12 years", horizon, slider("sc_horizon")),
        ("seed +1", horizon, lambda page: e2e.step_up(page, "sc_seed")),
    ]
    display = [
        ("display: indicator", None,
         lambda page: e2e.choose_option(page, "sc_indicator", INDICATOR_LABELS["retirements"])),
        ("display: zoom", None, lambda page: e2e.click_label(page, "sc_zoom")),
        ("display: period", None, slider("sc_period")),
        ("display: detail level", None, lambda page: e2e.choose_option(page, "sc_level", LEVEL_LABELS["categorie"])),
        ("display: detail indicator", None,
         lambda page: e2e.choose_option(page, "sc_detail_indicator", INDICATOR_LABELS["hires"])),
    ]
    return knobs + display


def knobs(env: dict[str, str], log_dir: Path) -> None:
    print("\nknobs: one fresh server, Scénarios page settled, each knob one step (widget -> chart redrawn)")
    with e2e.serve(env, log_path=log_dir / "knobs.log") as base, e2e.browser(viewport=(1400, 2400)) as page:
        t = e2e.open_page(page, base, "scenarios", timeout=300)
        print(_line("scenarios", t) + f"   {load()}", flush=True)
        times = {}
        for what, expander, action in knob_actions():
            if expander:
                e2e.open_expander(page, expander)
            try:
                seconds = e2e.timed_rerun(page, action, timeout=300)
            except Exception as err:  # noqa: BLE001 - one knob that cannot be driven must not stop the others
                print(f"  {what:34s} not measured: {type(err).__name__}: {str(err).splitlines()[0][:100]}")
                continue
            times[what] = seconds
            flag = "   EXCEPTION SHOWN" if e2e.has_exception(page) else ""
            print(f"  {what:34s} {seconds:6.2f} s   {load()}{flag}", flush=True)
        model = [v for k, v in times.items() if not k.startswith("display")]
        if model:
            print(f"  knobs: median {statistics.median(model):.2f} s, max {max(model):.2f} s "
                  f"({max(times, key=lambda k: times[k] if not k.startswith('display') else -1)})")


def navigation(env: dict[str, str], log_dir: Path) -> None:
    print("\nnavigation: one fresh server, pages in menu order (first visit, then second visit)")
    with e2e.serve(env, log_path=log_dir / "navigation.log") as base, e2e.browser() as page:
        first = {stem: e2e.open_page(page, base, stem, timeout=300) for stem in e2e.PAGES}
        second = {stem: e2e.open_page(page, base, stem, timeout=300) for stem in e2e.PAGES}
        for stem in e2e.PAGES:
            print(_line(stem, first[stem]) + f"   | second visit: first paint {second[stem]['first_paint']:5.2f} s"
                  f", settle {second[stem]['complete']:5.2f} s   {load()}", flush=True)


def engine_run() -> None:
    """The preparation and the engine's run for the knobs' changes, in process (no browser, no page)."""
    import logging

    from workforce import db
    from workforce.config import get_settings
    from workforce.projection import inputs as PI
    from workforce.projection import stored as PS
    from workforce.scenario import Scenario

    for name in list(logging.root.manager.loggerDict):  # no "no runtime" warnings: this is not a page
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)
    engine = db.make_engine(get_settings().db_url)
    print("\nengine, in process (no page, no browser)")
    t0 = time.perf_counter()
    inputs = PI.load(engine)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    prep = PI.prepared(inputs, 10)
    print(f"  inputs read (PI.load) {t_load:.2f} s; prepared (10 years) {time.perf_counter() - t0:.2f} s "
          f"({prep.n_agents:,} agents)   {load()}")
    t0 = time.perf_counter()
    stored = PS.read(engine)
    print(f"  stored inputs read back {time.perf_counter() - t0:.2f} s "
          f"({'found' if stored is not None else 'none: run `workforce train`'})   {load()}")
    steps = [("law variant: pre2023", {"regime": "pre2023"}), ("law variant: reform2023", {"regime": "reform2023"}),
             ("postponement +1 month", {"postponement_months": 1}), ("share at AOD 35 %", {"share_at_aod": 0.35}),
             ("exit propensity 1.05", {"exit_multiplier": 1.05}), ("replacement rate 95 %", {"replacement_rate": 0.95}),
             ("hiring freeze 1", {"hiring_freeze_years": 1}), ("transformation 1.1", {"transformation_intensity": 1.1}),
             ("point growth 0.1 %", {"point_growth": 0.001})]
    for what, change in steps:
        scenario = Scenario().replace(**change)
        t0 = time.perf_counter()
        PI.project_scenario(engine, scenario, inputs=inputs, prepared_engine=prep, record=False)
        print(f"  {what:34s} {1000 * (time.perf_counter() - t0):7.0f} ms   {load()}", flush=True)
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", help="WORKFORCE_HOME of the demo data (default: the configured one, ./var)")
    ap.add_argument("--skip-cold", action="store_true", help="skip the fresh-server page measures")
    ap.add_argument("--skip-knobs", action="store_true", help="skip the knob measures")
    ap.add_argument("--navigation", action="store_true", help="also open every page in menu order, twice")
    ap.add_argument("--skip-engine", action="store_true", help="skip the in-process engine measures")
    args = ap.parse_args()
    env = _env(args.home)
    ok, where = _has_data(env)
    print(f"bench_app: {where}   {load()}")
    if not ok:
        print("no data: run `make demo` first (or --home a folder holding a demo database)")
        return
    if e2e.find_chromium() is None:
        print("chromium not found: apt-get install -y chromium (the Makefile's test target installs it)")
        return
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("the playwright package is missing: pip install -e '.[test]'")
        return
    log_dir = Path(tempfile.mkdtemp(prefix="bench_app_"))
    print(f"server logs in {log_dir}")
    if not args.skip_cold:
        cold(env, log_dir)
    if not args.skip_knobs:
        knobs(env, log_dir)
    if args.navigation:
        navigation(env, log_dir)
    if not args.skip_engine:
        engine_run()


if __name__ == "__main__":
    main()
