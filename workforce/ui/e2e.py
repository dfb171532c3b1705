"""Drive the app in a real headless Chromium: start `streamlit run app.py`, open pages, move sliders, time them.

Used by the browser test (tests/ui/test_browser.py) and the benchmark (bench/bench_app.py). Chromium is
Debian's (`apt-get install chromium`, /usr/bin/chromium) driven by the PyPI package `playwright`; never
`playwright install`, which downloads a browser.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from workforce.config import env_text

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "app.py"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PAGES = {  # url path -> French title
    "dashboard": "Tableau de bord", "retirements": "Départs à la retraite", "scenarios": "Scénarios",
    "skills": "Compétences", "metiers": "Métiers et transformations", "data": "Données et modèles",
    "audit": "Journal d'audit", "guide": "Comment lire ces prévisions",
}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def find_chromium() -> str | None:
    """``WORKFORCE_CHROMIUM``, else Debian's /usr/bin/chromium, else a chromium on the PATH."""
    for candidate in (env_text("WORKFORCE_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(env: dict[str, str] | None = None, port: int | None = None, timeout: float = 90.0,
          log_path: Path | None = None, secrets: Path | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """`streamlit run app.py` headless on a free port of the loopback; yields the base URL (``host`` names it:
    ``localhost`` for a login, whose redirect URI must match); stops the server (by its pid). ``secrets``: a
    secrets file (its ``[auth]`` section turns the login on)."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true", "--server.port",
           str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", *(["--secrets.files", str(secrets)] if secrets else [])]
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://{host}:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {proc.returncode} (log: {log_path})")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not answer on {base} within {timeout:.0f} s")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log_path:
            log.close()


@contextmanager
def browser(chromium: str | None = None, viewport=(1400, 1000)):
    """A Playwright page in headless Chromium (Debian's binary, the arguments DESIGN.md gives)."""
    from playwright.sync_api import sync_playwright

    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError("chromium not found: apt-get install -y chromium (or set WORKFORCE_CHROMIUM)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            context = b.new_context(viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True,
                                    locale="fr-FR")
            yield context.new_page()
        finally:
            b.close()


def wait_idle(page, timeout: float = 120.0) -> None:
    """Until the script run is over (Streamlit marks its root element)."""
    page.wait_for_selector(IDLE, timeout=timeout * 1000)


def open_page(page, base: str, stem: str, timeout: float = 120.0) -> dict[str, float]:
    """Open a page; returns ``first_paint`` (its title shown) and ``complete`` (script finished), in seconds."""
    url = base if stem == "dashboard" else f"{base}/{stem}"
    t0 = time.perf_counter()
    page.goto(url)
    page.get_by_role("heading", name=PAGES[stem], exact=True).first.wait_for(timeout=timeout * 1000)
    t_paint = time.perf_counter() - t0
    # the run may not have started when the title of a cached page shows: let it start, then wait for its end
    page.wait_for_timeout(200)
    wait_idle(page, timeout)
    return {"first_paint": t_paint, "complete": time.perf_counter() - t0}


def metric_value(page, label_start: str, timeout: float = 30.0) -> str:
    """The displayed value of the metric whose label starts with ``label_start`` (waits for it to show)."""
    t0 = time.perf_counter()
    while True:
        for m in page.locator('[data-testid="stMetric"]').all():
            try:
                label = m.locator('[data-testid="stMetricLabel"]').inner_text(timeout=2000).strip()
                if label.startswith(label_start):
                    return m.locator('[data-testid="stMetricValue"]').inner_text(timeout=2000).strip()
            except Exception:  # noqa: BLE001 - the element was replaced by a rerun: look again
                continue
        if time.perf_counter() - t0 > timeout:
            raise LookupError(f"no metric {label_start!r} on the page")
        page.wait_for_timeout(50)


def move_slider(page, key: str, presses: int = 1, right: bool = True) -> None:
    """Move the slider of widget ``key`` by ``presses`` steps with the keyboard (as a user would)."""
    thumb = page.locator(f".st-key-{key} input[type='range']").first
    thumb.focus()
    for _ in range(presses):
        thumb.press("ArrowRight" if right else "ArrowLeft")


def wait_metric_change(page, label_start: str, before: str, timeout: float = 60.0) -> tuple[str, float]:
    """Wait until the metric shows another value than ``before``; returns it and the seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            now = metric_value(page, label_start, timeout=0)
        except LookupError:
            now = before
        if now != before:
            wait_idle(page, timeout)
            return metric_value(page, label_start), time.perf_counter() - t0
        page.wait_for_timeout(25)
    raise TimeoutError(f"metric {label_start!r} still {before!r} after {timeout:.0f} s")


WATCH_RUN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__wfRun = {started: false, done: false};
  if (window.__wfObserver) window.__wfObserver.disconnect();
  window.__wfObserver = new MutationObserver(() => {
    const state = app.getAttribute('data-test-script-state');
    if (state === 'running' || state === 'rerunRequested') { window.__wfRun.started = true; window.__wfRun.done = false; }
    else if (window.__wfRun.started && state === 'notRunning') { window.__wfRun.done = true; }
  });
  window.__wfObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
"""Watch the app's script state: a rerun started by the next action, then its end (the browser's own record, so a
rerun shorter than a poll is not missed)."""


def timed_rerun(page, action, timeout: float = 120.0) -> float:
    """Seconds from ``action(page)`` (a widget change) until the rerun it starts has finished and the browser has
    painted the result (two animation frames after the script's end: Vega draws the chart in between)."""
    page.evaluate(WATCH_RUN)
    t0 = time.perf_counter()
    action(page)
    page.wait_for_function("() => window.__wfRun.done", timeout=timeout * 1000, polling="raf")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return time.perf_counter() - t0


def choose_option(page, key: str, label: str) -> None:
    """Pick ``label`` in the select box of widget ``key``."""
    page.locator(f".st-key-{key}").get_by_role("combobox").first.click()
    page.get_by_role("option", name=label, exact=True).first.click()


def click_label(page, key: str, label: str | None = None) -> None:
    """Click a toggle (``label`` None) or a radio option of widget ``key``."""
    where = page.locator(f".st-key-{key} label")
    (where.filter(has_text=label) if label else where).first.click()


def step_up(page, key: str) -> None:
    """The "+" button of the number input ``key``."""
    page.locator(f".st-key-{key} [data-testid='stNumberInputStepUp']").first.click()


def open_expander(page, title_start: str) -> None:
    """Open the sidebar expander whose title starts with ``title_start`` (a no-op when it is open)."""
    details = page.locator("[data-testid='stSidebar'] details", has_text=title_start).first
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()
        page.wait_for_timeout(100)


def has_exception(page) -> bool:
    return page.locator('[data-testid="stException"]').count() > 0
