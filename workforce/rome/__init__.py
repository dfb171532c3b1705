"""The ROME 4.0 of France Travail: read and check a release, import it into the database, match job titles.

The ROME (Répertoire Opérationnel des Métiers et des Emplois) is the public taxonomy of jobs: 1,584 fiches
métier (code ROME such as ``K1302``), their appellations (13,000 job titles), and about 33,000 compétences
and savoirs (each with a ``code_ogr``), linked fiche by fiche. France Travail publishes it as a folder of CSV
files whose names carry a version suffix (``unix_referentiel_code_rome_v460_utf8.csv``); this package reads
any such release, so a newer one is imported the same way.

Vocabulary of the release:

- fiche: a ROME métier (``code_rome``), flagged for the ecological (``transition_eco``: Emploi Vert,
  Emploi stratégique pour la Transition écologique, Emploi Brun, Emploi Blanc), digital (``transition_num``)
  and demographic (``transition_demo``) transitions;
- appellation: a job title attached to one fiche;
- compétence (savoir-faire or savoir-être professionnel, some grouped as macro-compétences) and savoir
  (knowledge), each flagged for the ecological and digital transitions ("O"/"N");
- link (``unix_liens_rome_referentiels``): fiche -> item, by bloc: 1 the fiche itself, 2 an appellation,
  5 a compétence (rubrique 1 savoir-faire, 2 savoir-être) or a savoir (rubrique 3), 6 a contexte de travail.

One job per module: `layout` (the files, columns and codes of a release, `RomeReleaseError`); `release`
(``read_release``: every file read and checked, then the tables of a `RomeRelease`), with `checks` (the
consistency checks, each problem naming file, row and column) and `rows` (the files as the database's rows);
`importer` (``import_release`` writes the whole release in one transaction, updating in place what an earlier
release left, and reports what changed); `queries` (``load_appellations``, from the database or a folder);
`titles` (``match_titles`` suggests ROME fiches for local job labels; it never changes anything).

Row numbers in messages are the file's line numbers as a spreadsheet shows them: the header is row 1.
"""

from workforce.rome.importer import EXAMPLES, RomeImportReport, TableChanges, import_release
from workforce.rome.layout import (APPELLATIONS_STEM, BLOC_APPELLATION, BLOC_CONTEXT, BLOC_FICHE, BLOC_SKILL,
                                   CODE_OGR_RE, CODE_ROME_RE, COMPETENCES_STEM, CONTEXTS_STEM, DOMAINS_STEM,
                                   ECO_FLAGS, FICHES_STEM, LINKS_STEM, REQUIRED_COLUMNS, RUBRIQUES, SAVOIRS_STEM,
                                   SHOWN_PROBLEMS, YES_NO, RomeReleaseError)
from workforce.rome.queries import load_appellations
from workforce.rome.release import RomeRelease, fiche_skills_from_links, read_release
from workforce.rome.titles import TitleMatcher, fold, gender_forms, match_titles

__all__ = [
    "APPELLATIONS_STEM", "BLOC_APPELLATION", "BLOC_CONTEXT", "BLOC_FICHE", "BLOC_SKILL", "CODE_OGR_RE",
    "CODE_ROME_RE", "COMPETENCES_STEM", "CONTEXTS_STEM", "DOMAINS_STEM", "ECO_FLAGS", "EXAMPLES", "FICHES_STEM",
    "LINKS_STEM", "REQUIRED_COLUMNS", "RUBRIQUES", "SAVOIRS_STEM", "SHOWN_PROBLEMS", "YES_NO", "RomeImportReport",
    "RomeRelease", "RomeReleaseError", "TableChanges", "TitleMatcher", "fiche_skills_from_links", "fold",
    "gender_forms", "import_release", "load_appellations", "match_titles", "read_release",
]
