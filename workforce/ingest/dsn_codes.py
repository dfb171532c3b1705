"""The DSN code lists the import checks, and how each code maps to a workforce value.

Every list below is the CT2026 enumeration as generated from ``dsn-datatypes-CT2026.xlsx`` by PyPI ``dsn-tools``
0.1.2 (``dsn_tools/enums.py``; block tree in ``dsn_parser.py`` ``BLOCK_HIERARCHY``), checked against the research
notes of ``../shared/reference/dsn.md`` (CT2025.1.3). A value outside its list quarantines the agent. Where a
*mapping* of a code to a workforce value is our choice rather than the cahier technique's, the line says
``[U]`` (assumption) and why; ``[V]`` marks a mapping the cahier technique states.

Glossary: NIR the social security number (never stored); matricule the employer's agent id; statut d'emploi
fonctionnaire / contractuel / stagiaire; catégorie de service sédentaire / active (CNRACL); quotité the share of
full time; motif de rupture the reason a contract ended; suspension a period the contract is suspended
(détachement, disponibilité, congé parental).
"""

from __future__ import annotations

# ------------------------------------------------------------------------------------------ code lists (CT2026)

SEXE = {  # DSN_Sexe
    "01": "masculin",
    "02": "féminin",
}
DECLARATION_NATURE = {  # DSN_Declaration_Nature
    "01": "DSN Mensuelle",
    "04": "Signalement Arrêt de travail",
    "05": "Signalement Reprise suite à arrêt de travail",
    "07": "Signalement Fin du contrat de travail Unique",
    "08": "Signalement Amorçage des données variables",
    "09": "DSN de substitution",
    "10": "Signalement Déclaration préalable à l'embauche",
}
DECLARATION_TYPE = {  # DSN_Declaration_Type
    "01": "déclaration normale",
    "02": "déclaration normale sans individu",
    "03": "déclaration annule et remplace intégral",
    "04": "déclaration annule",
    "05": "annule et remplace sans individu",
}
NATURE_CONTRAT = {  # DSN_NatureContrat
    "01": "Contrat de travail à durée indéterminée de droit privé",
    "02": "Contrat de travail à durée déterminée de droit privé",
    "03": "Contrat  de mission (contrat de travail temporaire)",
    "07": "Contrat à durée indéterminée intermittent",
    "08": "Contrat à durée indéterminée intérimaire",
    "09": "Contrat de travail à durée indéterminée de droit public",
    "10": "Contrat de travail à durée déterminée de droit public",
    "20": "[FP] Détachement d'un agent d'une Fonction Publique donnant lieu à pension (ECP)",
    "21": "[FP] Détachement d'un agent d'une Fonction Publique ne donnant pas lieu à pen...",
    "29": "Convention de stage (hors formation professionnelle)",
    "32": "Contrat d'appui au projet d'entreprise",
    "50": "Nomination dans la fonction publique (par arrêté, par décision,…)",
    "51": "Contrat de mission d'un collaborateur occasionnel du service public (COSP) ou...",
    "52": "[FP] Cumul d'activité à titre accessoire",
    "53": "Contrat d'emploi pénitentiaire",
    "54": "Contrat d'emploi pénitentiaire en apprentissage",
    "60": "Contrat d'engagement éducatif",
    "70": "Contrat de soutien et d'aide par le travail",
    "80": "Mandat social",
    "81": "Mandat d'élu",
    "82": "Contrat de travail à durée indéterminée de Chantier ou d'opération",
    "89": "Volontariat de service civique",
    "90": "Autre nature de contrat, convention, mandat (hors mandat social)",
    "91": "Contrat d'engagement maritime à durée indéterminée",
    "92": "Contrat d'engagement maritime à durée déterminée",
    "93": "Ligne de service",
}
STATUT_EMPLOI = {  # DSN_Statut_Emplois
    "01": "[FP] Fonctionnaire",
    "02": "[FP] Contractuel de la Fonction publique",
    "03": "Statutaire",
    "04": "Non statutaire",
    "06": "Personnel médical hospitalier",
    "07": "Médecin sans statut hospitalier",
    "08": "[FP] Fonctionnaire stagiaire",
    "09": "[FP] Ouvrier d'Etat",
    "10": "[FP] Militaire",
    "11": "[FP] Parcours d'accès aux carrières (Pacte)",
    "12": "[FP] Militaire de réserve",
    "99": "Non concerné",
}
REGIME_VIEILLESSE = {  # DSN_Code_Regime_Base_risque_vieillesse
    "120": "retraite des agents des collectivités locales (CNRACL)",
    "121": "pensions des ouvriers des établissements industriels de l'Etat (FSPOEIE)",
    "122": "pensions civiles et militaires de retraite de l'Etat (SRE)",
    "134": "régime spécial de la branche ferroviaire",
    "135": "régime spécial de la RATP",
    "136": "établissement des invalides de la marine (ENIM)",
    "137": "mineurs ou assimilés (fonds Caisse des Dépôts)",
    "139": "Banque de France",
    "140": "clercs et employés de notaires (CRPCEN)",
    "141": "chambre de commerce et d'industrie de Paris",
    "144": "Assemblée Nationale",
    "145": "Sénat",
    "147": "régime spécial des industries électriques et gazières (CNIEG)",
    "149": "régime des cultes (CAVIMAC)",
    "157": "régime de retraite des avocats (CNBF)",
    "158": "SEITA",
    "159": "Comédie Française",
    "160": "Opéra de Paris",
    "200": "régime général (CNAV)",
    "300": "régime agricole (MSA)",
    "900": "autre régime (réservé Polynésie Française, Nouvelle Calédonie)",
    "904": "principauté de Monaco",
    "905": "Régime général pour la déclaration des individus de Mayotte affiliés à la CSSM",
    "909": "travailleur non assujetti à un régime de base risque vieillesse en France",
    "994": "absence d'affiliation pour le personnel médical hospitalier universitaire",
    "995": "absence d'affiliation pour un fonctionnaire en cumul d'activité à titre acces...",
    "996": "absence d'affiliation pour un expatrié",
    "997": "absence d'affiliation pour un stagiaire hors formation professionnelle",
    "998": "absence d'affiliation pour un élu",
}
CATEGORIE_SERVICE = {  # FPCodeCategorieService
    "01": "[FP] Emploi service sédentaire",
    "02": "[FP] Emploi service actif",
    "03": "[FP] Emploi à plus de 800 heures annuelles dans les réseaux souterrains et le...",
    "04": "[FP] Emploi dans le corps des identificateurs de la Préfecture de Police de P...",
    "05": "[FP] Emploi entre 400 et 529 heures annuelles dans les réseaux souterrains et...",
    "06": "[FP] Emploi entre 530 et 799 heures annuelles dans les réseaux souterrains et...",
    "07": "[FP] Emploi entre 400 et 529 heures annuelles en réseaux souterrains ou ouvra...",
    "08": "[FP] Emploi entre 530 et 799 heures annuelles en réseaux souterrains ou ouvra...",
    "10": "Fonction Capitaine",
    "11": "Fonction Second capitaine",
    "12": "Fonction Chef mécanicien",
    "13": "Fonction Second mécanicien",
    "14": "Fonction Officier chargé du quart à la passerelle",
    "15": "Fonction Officier chargé du quart à la machine",
    "16": "Fonction Officier électrotechnicien / électricien",
    "17": "Marin qualifié Pont",
    "18": "Fonction Matelot dans une équipe de quart",
    "19": "Fonction Matelot sans tâche spécialisée",
    "20": "Marin qualifié Machine",
    "21": "Fonction Mécanicien dans une équipe de quart",
    "22": "Fonction Mécanicien sans tâche spécialisée",
    "23": "Fonction Matelot électrotechnicien / électricien",
    "24": "Fonction Opérateur des radiocommunications à bord d'un navire exploité dans l...",
    "25": "Fonction Cuisinier de navire",
    "26": "Fonction élève machine",
    "27": "Fonction élève pont",
    "28": "Fonction Personnel de préparation ou service des repas pour les gens de mer",
    "29": "Fonction Personnel d'hôtellerie",
    "30": "Fonction Personnel de propreté",
    "31": "Fonction Personnel de restauration",
    "32": "Fonction Personnel de vente",
    "33": "Fonction Personnel pour l'accueil des passagers",
    "34": "Fonction Écrivain de bord",
    "35": "Fonction Médecin",
    "36": "Fonction Infirmier",
    "37": "Fonction Hydrographe",
    "38": "Fonction Pilote maritime",
    "39": "Fonction Capitaine Polyvalent",
    "40": "Fonction Second Polyvalent",
    "41": "Fonction Officier Polyvalent",
    "42": "Fonction Marin qualifié Polyvalent",
    "43": "Fonction Matelot Polyvalent",
    "44": "Fonction Commissaire",
    "45": "Fonction Officier électronicien",
    "46": "Fonction élève autre",
    "47": "Fonction élève polyvalent",
    "48": "Fonction Navigant cultures marines",
    "49": "Fonction Personnel usine navire pêche",
    "50": "Travaux actifs à 100% [Actifs à 100%]",
    "51": "Travaux mixtes non cadre [Actifs Mixtes non cadre]",
    "52": "Travaux actifs en partie cadre [Actifs Mixtes cadre]",
    "53": "Travaux actifs intermittents non cadre [Actifs Intermittents non cadre]",
    "54": "CSS fonction politique (si actif précédemment) [Actifs à 100%]",
    "55": "CSS fonction politique (si actif précédemment) [Actifs Mixtes non cadre]",
    "56": "CSS fonction politique (si actif précédemment) [Actifs Mixtes cadre]",
    "57": "CSS fonction politique (si actif précédemment) [Actifs Intermittents non cadre]",
    "58": "CSS fonction syndicale (si actif précédemment) [Actifs à 100%]",
    "59": "CSS fonction syndicale (si actif précédemment) [Actifs Mixtes non cadre]",
    "60": "CSS fonction syndicale (si actif précédemment) [Actifs Mixtes cadre]",
    "61": "CSS fonction syndicale (si actif précédemment) [Actifs Intermittents non cadre]",
    "62": "Elu CAS SLV (si actif précédemment) [Actifs à 100%]",
    "63": "Elu CAS SLV (si actif précédemment) [Actifs Mixtes non cadre]",
    "64": "Elu CAS SLV (si actif précédemment) [Actifs Mixtes cadre]",
    "65": "Elu CAS SLV (si actif précédemment) [Actifs Intermittents non cadre]",
    "66": "Sédentaire (si actif avant A.T.) [Actifs à 100%]",
    "67": "Sédentaire (si actif avant A.T.) [Actifs Mixtes non cadre]",
    "68": "Sédentaire (si actif avant A.T.) [Actifs Mixtes cadre]",
    "69": "Sédentaire (si actif avant A.T.) [Actifs Intermittents non cadre]",
    "70": "A disposition CCAS encadrement [Actifs à 100%]",
    "71": "A disposition CCAS encadrement [Actifs Mixtes non cadre]",
    "72": "A disposition CCAS encadrement [Actifs Mixtes cadre]",
    "73": "A disposition CCAS encadrement [Actifs Intermittents non cadre]",
    "74": "Services actifs accord 2010 [Actifs sans Prépondérance]",
    "75": "Sédentaire (si actif avant A.T.) accord 2010 [Actifs à 100%]",
    "76": "Sédentaire (si actif avant A.T.) accord 2010 [Actifs Mixtes non cadre]",
    "77": "Sédentaire (si actif avant A.T.) accord 2010 [Actifs Mixtes cadre]",
    "78": "Sédentaire (si actif avant A.T.) accord 2010 [Actifs Intermittents non cadre]",
    "79": "Sédentaire (si actif avant A.T.) accord 2010 [Actifs sans Prépondérance]",
    "80": "Fonction Lamanage",
    "81": "Fonction Pêcheur à pied",
    "82": "Fonction Autre navigant",
    "83": "Pénibilité P0",
    "84": "Pénibilité P1",
    "85": "Pénibilité P2",
    "86": "Pénibilité P3",
}
NATURE_POSTE = {  # NaturePoste
    "01": "[FP] Temps complet",
    "02": "[FP] Temps non complet",
    "03": "Régime VSDL (Week-endiste)",
}
MODALITE_TEMPS = {  # Travail_Modalite
    "10": "Temps plein",
    "20": "Temps partiel",
    "30": "Temps alterné - personnel navigant de l'aéronautique civile",
    "40": "CPA 2004",
    "41": "Temps partiel de droit",
    "42": "Temps partiel de droit pour enfant",
    "99": "Salarié non concerné",
}
UNITE_QUOTITE = {  # DSN_TypeUniteMesure
    "10": "heure",
    "12": "journée",
    "20": "forfait jour",
    "21": "forfait heure",
    "31": "à la pige",
    "32": "à la vacation",
    "33": "à la tâche",
    "34": "au SMIC",
    "35": "à la part",
    "99": "salarié non concerné",
}
MOTIF_RECOURS = {  # DSN_Motifs_Recours
    "01": "Remplacement d'un salarié",
    "02": "Accroissement temporaire de l'activité de l'entreprise",
    "03": "Emplois à caractère saisonnier",
    "04": "Contrat vendanges",
    "05": "Contrat d'usage",
    "06": "Contrat à durée déterminée à objet défini",
    "07": "Remplacement d'un chef d'entreprise (« artisanale, industrielle ou commercial...",
    "08": "Remplacement du chef d'une exploitation agricole (« ou d'une entreprise menti...",
    "09": "Recrutement de personnes sans emploi rencontrant des difficultés sociales et ...",
    "10": "Complément de formation professionnelle au salarié",
    "11": "Formation professionnelle au salarié par la voie de l'apprentissage, en vue d...",
    "12": "Remplacement d'un salarié passé provisoirement à temps partiel",
    "13": "Attente de la suppression définitive du poste du salarié ayant quitté définit...",
    "14": "Contrat de voyage",
    "15": "Recrutement d'un intérimaire en sa qualité de BOETH",
}
MOTIF_RUPTURE = {  # RAC_Rupture_Motif_DSN_phase_1
    "011": "licenciement suite à liquidation judiciaire ou à redressement judiciaire",
    "012": "licenciement suite à fermeture définitive de l'établissement",
    "014": "licenciement pour motif économique",
    "015": "licenciement pour fin de chantier ou d'opération",
    "020": "licenciement pour autre motif",
    "025": "autre fin de contrat pour motif économique",
    "026": "rupture pour motif économique suite à l'acceptation d'un contrat de sécurisat...",
    "031": "fin de contrat à durée déterminée ou fin d'accueil occasionnel",
    "032": "fin de mission d'intérim",
    "033": "rupture anticipée d'un CDD ou d'un contrat de mission en cas d'inaptitude phy...",
    "034": "fin de période d'essai à l'initiative de l'employeur",
    "035": "fin de période d'essai à l'initiative du salarié",
    "036": "rupture anticipée d'un CDD, d'un contrat de professionnalisation, d'un contra...",
    "037": "rupture anticipée d'un CDD, d'un contrat de professionnalisation, d'un contra...",
    "038": "mise à la retraite par l'employeur",
    "039": "départ à la retraite à l'initiative du salarié",
    "043": "rupture conventionnelle",
    "058": "prise d'acte de la rupture de contrat de travail",
    "059": "démission",
    "065": "décès de l'employeur ou internement / conduit à un licenciement autre motif",
    "066": "décès de l'individu",
    "070": "[FP] Révocation suite à abandon de poste",
    "071": "[FP] Révocation suite à sanction pénale",
    "081": "fin de contrat d'apprentissage",
    "082": "résiliation judiciaire du contrat de travail",
    "083": "rupture de contrat de travail ou d'un contrat de mission pour force majeure o...",
    "084": "rupture d'un commun accord du CDD, d'un contrat de professionnalisation, du c...",
    "085": "fin de mandat",
    "086": "licenciement convention CATS",
    "087": "licenciement pour faute grave",
    "088": "licenciement pour faute lourde",
    "089": "licenciement pour force majeure",
    "091": "licenciement pour inaptitude physique d'origine non professionnelle",
    "092": "licenciement pour inaptitude physique d'origine  professionnelle",
    "093": "licenciement suite à décision d'une autorité administrative",
    "094": "rupture anticipée du contrat de travail pour arrêt de tournage",
    "095": "rupture anticipée du contrat de travail ou d'un contrat de mission pour faute...",
    "096": "rupture anticipée du contrat de travail ou d'un contrat de mission pour faute...",
    "097": "rupture anticipée d'un contrat de travail ou d'un contrat de mission suite à ...",
    "098": "retrait d'enfant",
    "099": "Annulation",
    "100": "Mutation au sein du même groupe ou extérieure au groupe pour les secteurs d'a...",
    "110": "Rupture conventionnelle collective",
    "111": "Rupture amiable dans le cadre d'un congé de mobilité",
    "112": "Rupture dans le cadre d'un accord de performance collective",
    "113": "Licenciement pour motif spécifique (Article L. 2254-2 du Code du Travail)",
    "114": "Rupture d'un commun accord pour entrée en PAP",
    "115": "Licenciement au titre des articles 18 et 19 de la loi n° 2017-1339 du 15 sept...",
    "116": "Fin de ligne de service",
    "117": "licenciement pour motif économique suite au refus d'un contrat de sécurisatio...",
    "118": "Fin de contrat d'appui au projet d'entreprise",
    "119": "Fin d'affectation",
    "998": "transfert du contrat de travail sans rupture du contrat vers un autre établis...",
    "999": "fin de relation avec l'employeur (autres que contrat de travail, convention o...",
}
MOTIF_SUSPENSION = {  # Motif_suspension
    "112": "Invalidité catégorie 1",
    "114": "Invalidité catégorie 2",
    "116": "Invalidité catégorie 3",
    "200": "COP (Congés payés)",
    "301": "Congé de Formation Professionnelle",
    "501": "Congé divers non rémunéré",
    "507": "Chômage intempéries",
    "601": "Mobilité (volontaire sécurisée, internationale des alternants, …)",
    "602": "Chômage sans rupture de contrat",
    "603": "Détention provisoire",
    "605": "Congé statutaire",
    "606": "Détachement d'un salarié IEG en France",
    "607": "Congé de présence parentale",
    "608": "CASA-CATS (Cessation d'Activité des Travailleurs Salariés)",
    "609": "CIF (Congé Individuel de Formation)",
    "610": "Projet de Transition Professionnelle (PTP) ou Congé de Reconversion Professio...",
    "611": "Congé de bilan de compétences",
    "612": "Congé de candidat parlementaire ou élu à un mandat local",
    "615": "Congé de formation de cadres et d'animateurs pour la jeunesse",
    "617": "Congé de formation pour les salariés de moins de 25 ans",
    "618": "Congé de formation économique, sociale et syndicale",
    "620": "Congé de mobilité",
    "621": "Congé de participation aux instances d'emploi ou de formation professionnelle",
    "625": "Congé de reclassement",
    "626": "Congé de représentation",
    "627": "Congé de solidarité familiale",
    "628": "Congé de solidarité internationale",
    "630": "Congé d'enseignement ou de recherche",
    "631": "Congé mutualiste de formation",
    "632": "Congé parental d'éducation",
    "633": "Congé pour acquisition de la nationalité",
    "634": "Congé pour catastrophe naturelle",
    "635": "Congé pour création ou reprise d'entreprise",
    "636": "Congé pour enfant malade",
    "637": "Congé pour évènement familial",
    "638": "Congé pour validation des acquis de l'expérience",
    "639": "Congé sabbatique",
    "642": "Convention FNE d'aide au passage à temps partiel",
    "643": "Congé de conversion avec prise en charge par l'Etat",
    "644": "Congé de conversion sans prise en charge par l'Etat",
    "645": "Préretraite progressive",
    "646": "Préretraite d'entreprise sans rupture de contrat de travail",
    "647": "Réduction temps d'emploi",
    "648": "Conventions d'Allocations Spéciales du FNE (ASFNE)",
    "650": "Congé de proche aidant",
    "651": "Congé pour mandat parlementaire",
    "652": "Inaptitude temporaire liée à la grossesse",
    "653": "Maintien de salaire – personnel navigant de l'aéronautique civile",
    "654": "Inactivité temps alterné – personnel navigant de l'aéronautique civile",
    "655": "[FP] Détachement conduisant à pension (ECP)",
    "656": "[FP] Congé pour cessation anticipée d'activité du fait d'une maladie professi...",
    "657": "[FP] Absence concertée de travail",
    "658": "[FP] Congé spécial",
    "659": "[FP] Période d'instruction militaire ou réserve opérationnelle",
    "660": "[FP] Congé avec traitement période d'instruction militaire obligatoire",
    "661": "[FP] Congé organisations de jeunesse",
    "662": "[FP] Congé pour siéger auprès d'une association, d'une mutuelle, d'une instan...",
    "663": "[FP] Congé non rémunéré de 18 jours pour mandats municipaux ou départementaux...",
    "664": "[FP] Congé avec traitement pour période d'activité dans la réserve de sécurit...",
    "665": "[FP] Congé pour période d'activité dans la réserve sanitaire",
    "666": "[FP] Congé pour recherches ou conversions thématiques",
    "667": "[FP] Congé pour raisons opérationnelles et activités privées des sapeurs-pomp...",
    "668": "[FP] Congé pour raisons opérationnelles cotisé des sapeurs-pompiers professio...",
    "669": "[FP] Congé pour difficultés opérationnelles des sapeurs-pompiers professionnels",
    "670": "[FP] Congé pour période d'activité dans la réserve civile de la police",
    "671": "[FP] Exclusion temporaire de fonctions",
    "672": "[FP] Suspension",
    "673": "[FP] Absences irrégulières (service non fait)",
    "674": "[FP] Détachement ne conduisant pas à pension (ENCP)",
    "675": "[FP] Disponibilité",
    "676": "[FP] Disponibilité pour maladie",
    "677": "Disponibilité pour élever un enfant âgé de moins de 12 ans (de moins de 8 ans...",
    "678": "[FP] Position hors cadres",
    "680": "Congé sans solde cotisé",
    "681": "Détachement hors IEG",
    "683": "Potentiel nouveau motif de suspension A",
    "684": "Potentiel nouveau motif de suspension B",
    "685": "Potentiel nouveau motif de suspension C",
    "686": "Contrat suspendu pour expatriation",
    "687": "Potentiel nouveau motif de suspension D",
    "688": "Potentiel nouveau motif de suspension E",
    "998": "Annulation",
}


# ------------------------------------------------------------------------------------------ block tree (CT2026)

BLOCK_PARENT: dict[str, str | None] = {
    # roots: the envoi, each déclaration, the total
    "S10.G00.00": None, "S20.G00.05": None, "S90.G00.90": None,
    "S10.G00.01": "S10.G00.00", "S10.G00.02": "S10.G00.00",
    "S20.G00.07": "S20.G00.05", "S20.G00.08": "S20.G00.05",
    "S21.G00.06": "S20.G00.05", "S21.G00.13": "S21.G00.06", "S21.G00.11": "S21.G00.06",
    "S21.G00.12": "S21.G00.11", "S21.G00.15": "S21.G00.11", "S21.G00.16": "S21.G00.15",
    "S21.G00.82": "S21.G00.11", "S21.G00.20": "S21.G00.11", "S21.G00.55": "S21.G00.20",
    "S21.G00.22": "S21.G00.11", "S21.G00.23": "S21.G00.22", "S21.G00.44": "S21.G00.11",
    "S21.G00.30": "S21.G00.11", "S21.G00.31": "S21.G00.30", "S21.G00.34": "S21.G00.30",
    "S21.G00.40": "S21.G00.30", "S21.G00.41": "S21.G00.40", "S21.G00.45": "S21.G00.40",
    "S21.G00.60": "S21.G00.40", "S21.G00.66": "S21.G00.60", "S21.G00.62": "S21.G00.40",
    "S21.G00.63": "S21.G00.62", "S21.G00.65": "S21.G00.40", "S21.G00.70": "S21.G00.40",
    "S21.G00.73": "S21.G00.70", "S21.G00.71": "S21.G00.40", "S21.G00.72": "S21.G00.71",
    "S21.G00.50": "S21.G00.30", "S21.G00.51": "S21.G00.50", "S21.G00.53": "S21.G00.51",
    "S21.G00.52": "S21.G00.50", "S21.G00.54": "S21.G00.50", "S21.G00.56": "S21.G00.50",
    "S21.G00.58": "S21.G00.50", "S21.G00.78": "S21.G00.50", "S21.G00.79": "S21.G00.78",
    "S21.G00.81": "S21.G00.78", "S21.G00.83": "S21.G00.50", "S21.G00.84": "S21.G00.83",
    "S21.G00.95": "S21.G00.50", "S21.G00.86": "S21.G00.30", "S21.G00.98": "S21.G00.30",
    "S21.G00.85": "S20.G00.05",
    "S89.G00.32": "S20.G00.05", "S89.G00.33": "S89.G00.32", "S89.G00.35": "S89.G00.32",
    "S89.G00.43": "S89.G00.32", "S89.G00.67": "S20.G00.05", "S89.G00.87": "S20.G00.05",
    "S89.G00.88": "S20.G00.05", "S89.G00.89": "S20.G00.05", "S89.G00.91": "S20.G00.05",
    "S89.G00.92": "S89.G00.91", "S89.G00.93": "S89.G00.92", "S89.G00.94": "S89.G00.92",
}
"""Parent of each block (a child belongs to the nearest parent above it, CT2025 L3925-3944); the tree of
dsn-tools' BLOCK_HIERARCHY (CT2026). A block not listed here is an unknown block."""

ENVOI, DECLARATION, ENTREPRISE, ETABLISSEMENT, TOTAL = ("S10.G00.00", "S20.G00.05", "S21.G00.06", "S21.G00.11",
                                                        "S90.G00.90")
INDIVIDU, CONTRAT, FIN_CONTRAT, SUSPENSION = "S21.G00.30", "S21.G00.40", "S21.G00.62", "S21.G00.65"

# rubriques checked against a list: (block, rubrique) -> list
CHECKED = {
    (DECLARATION, "001"): DECLARATION_NATURE, (DECLARATION, "002"): DECLARATION_TYPE,
    (INDIVIDU, "005"): SEXE,
    (CONTRAT, "007"): NATURE_CONTRAT, (CONTRAT, "011"): UNITE_QUOTITE, (CONTRAT, "014"): MODALITE_TEMPS,
    (CONTRAT, "020"): REGIME_VIEILLESSE, (CONTRAT, "021"): MOTIF_RECOURS, (CONTRAT, "026"): STATUT_EMPLOI,
    (CONTRAT, "053"): NATURE_POSTE, (CONTRAT, "056"): CATEGORIE_SERVICE,
    (FIN_CONTRAT, "002"): MOTIF_RUPTURE, (SUSPENSION, "001"): MOTIF_SUSPENSION,
}

# ------------------------------------------------------------------------------------------ mappings

MONTHLY = "01"  # S20.G00.05.001 nature: the DSN mensuelle, the only one read [V]
CANCELLING_TYPES = ("04",)  # S20.G00.05.002: annule [V]
REPLACING_TYPES = ("03", "05")  # annule et remplace [V]

SEX = {"01": "M", "02": "F"}  # [V]

STATUT_TITULAIRE, STATUT_STAGIAIRE = "titulaire", "stagiaire"
STATUT_PERMANENT, STATUT_NON_PERMANENT = "contractuel_permanent", "contractuel_non_permanent"
STATUT_BY_CODE = {"01": STATUT_TITULAIRE, "08": STATUT_STAGIAIRE, "02": STATUT_PERMANENT}
"""40.026 statut d'emploi -> statut [V for the codes]. 02 contractuel is permanent unless the contract says
otherwise (below). Other codes (03 statutaire, 11 PACTE, 99 non concerné, ...) are not an FPT agent's statut:
the agent is quarantined."""
NON_PERMANENT_NATURES = ("10",)
NON_PERMANENT_RECOURS = ("01", "02", "03")
"""[U] A contractuel is « non permanent » when the contract is a CDD de droit public (40.007 = 10) whose motif de
recours (40.021) is a replacement (01), a temporary increase of activity (02) or seasonal work (03); the DSN has no
rubrique for a permanent post (dsn.md, Uncertainties). Every other contractuel is permanent."""
DETACHEMENT_NATURES = ("20", "21")
"""[U] A fonctionnaire détaché *into* the collectivité (40.007 = 20/21) is counted as a titulaire."""

SERVICE_CATEGORY = {"01": "sedentaire", "02": "active", "03": "insalubre", "05": "insalubre", "06": "insalubre",
                    "07": "insalubre", "08": "insalubre"}
"""40.056 catégorie de service -> service_category: 01 sédentaire, 02 actif [V]; 03-08 (underground networks,
with or without active service) -> insalubre [U: the CNRACL's « insalubre » age rules are the closest we have].
Codes 10 and above are maritime functions: not an FPT agent, quarantined. Missing: sédentaire, as in a CSV."""

REGIME_LABEL = {"120": "CNRACL", "200": "CNAV"}
"""40.020 régime de base vieillesse, kept in the snapshot's extras as ``regime_vieillesse`` (the code for the
others) [V codes]."""

HOURS = "10"  # 40.011 unité de mesure: heure [V]

# 62.002 motif de rupture -> departure motive (workforce.columns)
RETIREMENT_BY_EMPLOYER, RETIREMENT_BY_AGENT = "038", "039"
CANCELLED_END = "099"  # annulation: cancels a declared end [V]
OTHER_END = "999"  # fin de relation autre que contrat de travail [V]
EXIT_MOTIVE = {
    "038": "limite_age",  # [U] mise à la retraite par l'employeur: at the age limit, or for invalidity
    "039": "droit_commun",  # [U] départ volontaire: the DSN cannot tell carrière longue or active service apart
    "059": "demission",
    "031": "fin_contrat", "032": "fin_contrat", "034": "fin_contrat", "035": "fin_contrat", "036": "fin_contrat",
    "037": "fin_contrat", "084": "fin_contrat",
    "014": "licenciement", "020": "licenciement", "070": "licenciement", "071": "licenciement",
    "087": "licenciement", "088": "licenciement", "091": "licenciement", "092": "licenciement",
    "066": "deces",
    "043": "autre",  # rupture conventionnelle [D dsn.md]
}
"""Motif de rupture -> motive [codes V CT2026; mapping D, dsn.md]. Any other valid code: ``autre``."""
MUTATION_NATURES = ("50",)
"""[U] 999 on a nomination (40.007 = 50) is read as a mutation: a titulaire's relation with the collectivité ends
without a contract to break (dsn.md: which code FPT payroll tools use for a mutation is unverified). On any other
nature 999 is ``inconnu``."""

DETACHEMENT_OUT = ("655", "674")  # [FP] détachement ECP / ENCP [V]
DISPONIBILITE = ("675", "676", "677")  # [FP] disponibilité [V]
CONGE_PARENTAL = "632"  # [V]
HORS_CADRES = "678"  # [V]
LEAVING_SUSPENSIONS = {**dict.fromkeys(DETACHEMENT_OUT, "detachement"), **dict.fromkeys(DISPONIBILITE, "disponibilite")}
"""[U] A détachement or disponibilité running at the end of the month takes the agent out of the collectivité's
workforce, as the CSV path counts it (the agent leaves the snapshot, with that motive)."""
POSITION_SUSPENSIONS = {CONGE_PARENTAL: "conge_parental", HORS_CADRES: "hors_cadres"}
"""Suspensions that keep the agent in the snapshot, in another position [U]; every other suspension (illness,
leave...) leaves the position « activité »."""

PCS_CATEGORY = {"3": "A", "2": "A", "4": "B", "5": "C", "6": "C"}
"""[U] Catégorie hiérarchique from the first digit of the PCS-ESE (40.004) when no NET code gives it: cadres
(3) A, professions intermédiaires (4) B, employés and ouvriers (5, 6) C. The PCS of the fonction publique follow
the catégories closely (33 cadres de la FP, 45 professions intermédiaires de la FP, 52 employés de la FP) but not
exactly; a NET code with a catégorie wins."""
NET_CATEGORY_PREFIX = ("A", "B", "C")
"""[U] A complément PCS-ESE (40.005) whose first character is A, B or C is read as a NET code carrying the
catégorie; the structure of the NET table (DGCL, NET2024) was not read (dsn.md, Uncertainties)."""
