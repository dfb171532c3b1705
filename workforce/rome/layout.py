"""The layout of a ROME 4.0 release: its files, the columns read from each, the codes of its links and flags.

Also the one error every reading and import problem raises (`RomeReleaseError`).
"""

from __future__ import annotations

from typing import Sequence

# file stems of a release (the version suffix changes) and the columns this package needs from each
FICHES_STEM = "unix_referentiel_code_rome"
APPELLATIONS_STEM = "unix_referentiel_appellation"
COMPETENCES_STEM = "unix_referentiel_competence"
SAVOIRS_STEM = "unix_referentiel_savoir"
LINKS_STEM = "unix_liens_rome_referentiels"
DOMAINS_STEM = "unix_cr_gd_dp"
CONTEXTS_STEM = "unix_referentiel_contexte_travail"

REQUIRED_COLUMNS = {
    FICHES_STEM: ("code_rome", "code_ogr", "libelle_rome", "transition_eco", "transition_num", "transition_demo",
                  "emploi_reglemente", "emploi_cadre", "code_rome_parent"),
    APPELLATIONS_STEM: ("code_ogr", "libelle_appellation_long", "libelle_appellation_court", "code_rome",
                        "transition_eco", "transition_num", "transition_demo", "classification", "peu_usite"),
    COMPETENCES_STEM: ("code_ogr", "nature", "libelle_competence", "code_ogr_macro_comp", "cat_comp", "sous_cat_comp",
                       "transition_eco", "transition_num"),
    SAVOIRS_STEM: ("code_ogr_savoir", "libelle_savoir", "categorie_savoir", "sous_categorie_savoir",
                   "transition_eco", "transition_num"),
    LINKS_STEM: ("code_rome", "code_compo_bloc", "code_rubrique", "code_ogr"),
    DOMAINS_STEM: ("code_rome", "code_grand_domaine", "libelle_grand_domaine", "code_domaine_professionel",
                   "libelle_domaine_professionel"),
    CONTEXTS_STEM: ("code_ogr", "libelle_cont_travail"),
}

# bloc of a link: what the code_ogr of the link designates
BLOC_FICHE, BLOC_APPELLATION, BLOC_SKILL, BLOC_CONTEXT = 1, 2, 5, 6
RUBRIQUES = {"": None, "1": 1, "2": 2, "3": 3}  # 1 savoir-faire, 2 savoir-être professionnel, 3 savoirs

ECO_FLAGS = ("Emploi Vert", "Emploi stratégique pour la Transition écologique", "Emploi Brun", "Emploi Blanc")
YES_NO = {"O": True, "N": False, "": None}
CODE_ROME_RE = r"^[A-Z]\d{4}$"
CODE_OGR_RE = r"^\d+$"

SHOWN_PROBLEMS = 30


class RomeReleaseError(ValueError):
    """A ROME release that cannot be imported: every problem, one line each, naming file, row and column."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        shown = self.problems[:SHOWN_PROBLEMS]
        more = len(self.problems) - len(shown)
        super().__init__("\n".join(shown + ([f"... and {more} more problem(s)"] if more > 0 else [])))
