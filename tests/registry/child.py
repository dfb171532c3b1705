"""A second process for the registry tests: ``python -m tests.registry.child MODE DB_URL MARKER``.

``lock``     holds the registry lock, writes MARKER, sleeps.
``fit``      trains the toy model; killed while fitting.
``staged``   killed after the artifact is written in the staging folder, before its rename.
``renamed``  killed after the rename, inside the database transaction that registers and promotes it.
``quiet``    runs `workforce train --quiet ARGS...` (MARKER: the arguments joined by commas, or -) with a noisy toy step: what a
             library prints (this process or a worker process) must not reach cron.
Each mode writes MARKER when it reaches its point, then sleeps until killed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.registry.fakes import constant_step
from workforce import db, registry, train


def _pause(marker: Path) -> None:
    marker.write_text("here")
    time.sleep(120)


def main(mode: str, url: str, marker: Path) -> None:
    engine = db.make_engine(url)
    if mode == "quiet":
        import os

        from workforce.cli import app

        def noisy(data, ctx):
            os.write(2, b"INFO chatter from a library\n")
            subprocess.run([sys.executable, "-c", "print('worker chatter')"], check=True)
            return constant_step("toy").fit(data, ctx)

        train.runner.default_steps = lambda: [train.Step("toy", noisy)]
        os.environ["WORKFORCE_DB_URL"] = url
        app(["train", "--quiet", *[a for a in str(marker).split(",") if a != "-"]], standalone_mode=True)
        return
    if mode == "lock":
        with registry.exclusive():
            _pause(marker)
        return
    if mode == "staged":
        real = registry.os.rename

        def rename(src, dst):
            if registry.STAGING in str(src):
                _pause(marker)
            return real(src, dst)

        registry.os.rename = rename
    elif mode == "renamed":
        real_audit = registry.db.audit

        def audit(session, action, detail=None, actor=None):
            session.flush()  # the new row and the switch of the active flag are in the open transaction
            _pause(marker)
            return real_audit(session, action, detail, actor)

        registry.db.audit = audit
    step = constant_step("toy", metric=0.5, value=0.2, marker=marker if mode == "fit" else None,
                         sleep=120 if mode == "fit" else 0)
    train.run(engine, steps=[step], force=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
