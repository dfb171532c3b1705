"""Reading a ROME release back: from the database when one was imported there, else from a release folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import select

from workforce import db
from workforce.referential import find_rome_dir
from workforce.rome.release import read_release


def load_appellations(engine=None, rome_dir: str | Path | None = None) -> pd.DataFrame:
    """Appellations with their fiche: ``code, label, code_rome, fiche_label``.

    From the database when a release was imported there, else read from ``rome_dir`` (or the default
    ROME folder). Raises ``LookupError`` when neither holds a release.
    """
    if engine is not None and rome_dir is None:
        db.init_db(engine)
        frame = db.read_frame(engine, select(db.RomeAppellation.code, db.RomeAppellation.label,
                                             db.RomeAppellation.code_rome, db.Metier.label.label("fiche_label"))
                              .join(db.Metier, db.Metier.code == db.RomeAppellation.code_rome))
        if len(frame):
            return frame
    folder = find_rome_dir(rome_dir)
    if folder is None:
        raise LookupError("no ROME release in the database nor on disk: run `workforce referential import-rome "
                          "DOSSIER` or set WORKFORCE_ROME_DIR")
    rel = read_release(folder)
    labels = rel.fiches.set_index("code")["label"]
    app = rel.appellations
    return pd.DataFrame({"code": app["code"], "label": app["label"], "code_rome": app["code_rome"],
                         "fiche_label": app["code_rome"].map(labels).to_numpy()})
