"""workforce: jobs-and-skills forecasting (GPEEC) for French public employers.

Glossary (French domain words kept as such in code and data):

métier
    A job as the employer names it (agent d'entretien des collèges, puéricultrice...), coded locally and
    mapped to one or more ROME 4.0 fiches.
famille
    A group of related métiers (Routes et infrastructures, Enfance et famille...).
filière
    The statutory branch of the fonction publique territoriale (administrative, technique, sociale,
    médico-sociale, culturelle, sportive, animation...).
catégorie
    The statutory level: A (conception, management), B (application), C (execution).
statut
    titulaire, stagiaire (fonctionnaires), contractuel permanent or non permanent.
direction
    An organisational unit of the collectivité (Direction des routes, DRH...).
service category
    sédentaire, active or insalubre in the CNRACL sense: it sets the retirement ages.
AOD
    Âge d'ouverture des droits, the legal minimum retirement age.
limite d'âge
    The age at which a fonctionnaire must leave.
ETP
    Équivalent temps plein: the quotité of an agent (1.0 full time).
"""

__version__ = "0.1.0"
