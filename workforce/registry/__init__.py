"""Model registry: versioned artifacts on disk, their records in the database, and the only way to load them.

Layout. Version ``V`` of model ``NAME`` lives in ``<models_dir>/NAME/V/``: the artifact (``model.joblib``, or
``model.json`` for models that serialise to JSON, such as Prophet through ``prophet.serialize``) and
``manifest.json`` (sha256 of the artifact, library versions, data hash, code version, ``get_params()``,
backtest metrics). A version exists for readers only once its row is committed in ``model_versions``; the row
is written after the folder is complete, so a run killed at any moment leaves at worst an unregistered
folder, which nothing loads and the next run removes.

Atomic write. Files are written and fsynced in ``<models_dir>/.staging/<unique>/``, then the folder is renamed
into place (one ``rename`` on the same file system) and the parent folder fsynced.

Loading. joblib (pickle) executes code when it loads, so :func:`load` only opens an artifact that the database
knows, whose sha256 equals both the database record and the manifest, and whose library versions (python
major.minor, numpy, pandas, scikit-learn, prophet, joblib) equal those of the running process. Anything else
raises an :class:`ArtifactError` naming the file and the fix.

Promotion. A new version becomes active when its primary backtest metric is not worse than the active
version's by more than a relative tolerance (``WORKFORCE_PROMOTION_TOLERANCE``, default 0.05 = 5 %); the first
version of a model is always promoted. Insertion, the decision and the switch of the active flag are one
transaction.

Layout: ``store`` (files, hashes, library versions, the lock, errors), ``records`` (what the database knows),
``promotion`` (:func:`register`), ``loading`` (:func:`load`, integrity, rollback, prune).

Writers (training, rollback, prune) take :func:`exclusive`, an ``fcntl.flock`` on
``$WORKFORCE_HOME/train.lock``; the kernel releases it when the holder dies, even under SIGKILL.
"""

import os  # noqa: F401 - tests reach the file system calls through the registry (registry.os.rename)

from workforce import db  # noqa: F401 - likewise registry.db
from workforce.registry.loading import (Loaded, clean_unregistered, integrity, load, load_active, prune, rollback,
                                        unregistered, verify)
from workforce.registry.promotion import Candidate, Decision, gate, register
from workforce.registry.records import Record, latest, next_version, record, records, table
from workforce.registry.store import (ARTIFACT_FILES, DEFAULT_TOLERANCE, DIRECTIONS, FORMATS, LIBRARIES, LOCK_FILE,
                                      MANIFEST, PROMOTED, REJECTED, STAGING, TOLERANCE_ENV, ArtifactAltered,
                                      ArtifactError, ArtifactMissing, ArtifactUnknown, LibraryMismatch, RegistryBusy,
                                      RegistryError, VersionNotFound, default_tolerance, exclusive,
                                      library_mismatches, library_versions, models_dir, sha256_file, write_artifact)

__all__ = [
    "ARTIFACT_FILES", "DEFAULT_TOLERANCE", "DIRECTIONS", "FORMATS", "LIBRARIES", "LOCK_FILE", "MANIFEST", "PROMOTED",
    "REJECTED", "STAGING", "TOLERANCE_ENV", "ArtifactAltered", "ArtifactError", "ArtifactMissing", "ArtifactUnknown",
    "Candidate", "Decision", "LibraryMismatch", "Loaded", "Record", "RegistryBusy", "RegistryError",
    "VersionNotFound", "clean_unregistered", "default_tolerance", "exclusive", "gate", "integrity", "latest",
    "library_mismatches", "library_versions", "load", "load_active", "models_dir", "next_version", "prune",
    "record", "records", "register", "rollback", "sha256_file", "table", "unregistered", "verify", "write_artifact",
]
