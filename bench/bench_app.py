"""The app in a real headless Chromium on the demo data: first paint of each page and the time a scenario
slider takes to update the figures (expected mode). Prints figures; asserts nothing.

Run after `make demo` (it reads the configured database: WORKFORCE_HOME / WORKFORCE_DB_URL, default ./var),
or point it elsewhere: `python bench/bench_app.py --home /path/to/home`.

Three measures:

* cold: a fresh server for each page, opened directly (the caches are empty; the background warm-up starts with
  the page, so the page computes what it needs itself);
* navigation: one fresh server, the six pages opened in the order of the menu (the warm-up started by the
  first page serves the following ones), then a second visit of each (cached);
* slider: on the scenarios page, the hiring-freeze slider moved one step at a time; time until the headline
  figure shows the new value; plus the engine's own expected-mode run time, in process.

first_paint = the page title is shown; complete = the page script has finished.
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
    return f"  {name:12s} first paint {t['first_paint']:6.2f} s   complete {t['complete']:6.2f} s"


def cold(env: dict[str, str], log_dir: Path) -> None:
    print("\ncold: a fresh server per page, page opened directly")
    for stem in e2e.PAGES:
        with e2e.serve(env, log_path=log_dir / f"cold_{stem}.log") as base, e2e.browser() as page:
            print(_line(stem, e2e.open_page(page, base, stem, timeout=300)), flush=True)


def navigation(env: dict[str, str], log_dir: Path, moves: int) -> None:
    print("\nnavigation: one fresh server, pages in menu order (first visit, then second visit)")
    with e2e.serve(env, log_path=log_dir / "navigation.log") as base, e2e.browser() as page:
        first = {stem: e2e.open_page(page, base, stem, timeout=300) for stem in e2e.PAGES}
        second = {stem: e2e.open_page(page, base, stem, timeout=300) for stem in e2e.PAGES}
        for stem in e2e.PAGES:
            print(_line(stem, first[stem]) + f"   | second visit: first paint {second[stem]['first_paint']:5.2f} s"
                  f", complete {second[stem]['complete']:5.2f} s", flush=True)
        print(f"\nslider: scenarios page, hiring freeze moved {moves} times one step (expected mode)")
        e2e.open_page(page, base, "scenarios", timeout=300)
        times = []
        for i in range(moves):
            before = e2e.metric_value(page, "Effectif fin")
            e2e.move_slider(page, "sc_hiring_freeze", presses=1, right=True)  # 0 -> 1 -> ... -> 5
            after, seconds = e2e.wait_metric_change(page, "Effectif fin", before)
            times.append(seconds)
            print(f"  move {i + 1}: {before} -> {after} in {seconds:.2f} s", flush=True)
        print(f"  median {statistics.median(times):.2f} s, max {max(times):.2f} s")


def engine_run() -> None:
    """The expected-mode run alone, in process (no browser, no page)."""
    import logging

    from workforce.scenario import Scenario
    from workforce.ui import data as D
    from workforce.ui import projections as PJ

    for name in list(logging.root.manager.loggerDict):  # no "no runtime" warnings: this is not a page
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)

    url = D.db_url()
    version = D.data_version(url)
    t0 = time.perf_counter()
    prep = PJ.prepared(url, version, 10)
    t_prep = time.perf_counter() - t0
    if prep is None:
        print("\nengine: no projection (no data)")
        return
    from workforce import projection

    runs = []
    for freeze in range(6):
        t0 = time.perf_counter()
        projection.run(prep, Scenario(hiring_freeze_years=freeze % 4, replacement_rate=0.9 + 0.02 * freeze))
        runs.append(time.perf_counter() - t0)
    print(f"\nengine, in process: prepare {t_prep:.2f} s (once per data and model version, "
          f"{prep.n_agents:,} agents); expected-mode run median {1000 * statistics.median(runs):.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", help="WORKFORCE_HOME of the demo data (default: the configured one, ./var)")
    ap.add_argument("--moves", type=int, default=5, choices=range(1, 6), help="slider moves to time (1-5)")
    ap.add_argument("--skip-cold", action="store_true", help="skip the six fresh-server measures")
    args = ap.parse_args()
    env = _env(args.home)
    ok, where = _has_data(env)
    print(f"bench_app: {where}")
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
    navigation(env, log_dir, args.moves)
    engine_run()


if __name__ == "__main__":
    main()
