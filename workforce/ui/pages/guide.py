"""Comment lire ces prévisions: what each model does and where it stops, in plain French, with how far its
forecasts of the past were from what happened (the same sentences as « Fiabilité des prévisions »)."""

from __future__ import annotations

import streamlit as st

st.title("Comment lire ces prévisions")  # painted first: a fresh server then imports the library (seconds)

from workforce import access as A
from workforce.reliability import MODEL_GUIDE, MODEL_LABELS
from workforce.ui import auth
from workforce.ui import data as D
from workforce.ui import models as M
from workforce.ui import warmup as W

auth.require(A.VIEW_GUIDE)

url, version = W.open_page()

st.markdown(
    "Les chiffres de l'application sont des **valeurs attendues** : la moyenne de ce qui arriverait si l'on "
    "rejouait de nombreuses fois les années à venir avec les mêmes probabilités. Une valeur attendue n'est pas une "
    "certitude : c'est pourquoi les graphiques peuvent montrer une **bande P10–P90**.")
st.markdown(
    "- **La bande P10–P90** : dans 8 cas sur 10, la valeur réelle devrait tomber dans la bande ; 1 fois sur 10 "
    "au-dessous, 1 fois sur 10 au-dessus. Elle tient compte du hasard des décisions individuelles et de "
    "l'incertitude des modèles eux-mêmes, élargie d'après les erreurs des prévisions passées.\n"
    "- **Le droit** : les âges de départ suivent la variante du droit choisie (réforme de 2023 ou LFSS 2026), "
    "génération par génération et selon la catégorie de service (sédentaire ou active).\n"
    "- **Le secret statistique** : un groupe de moins de 5 agents n'est jamais affiché, ni aucune case qui "
    "permettrait de le retrouver par soustraction (« — » ou « < 5 »).\n"
    "- **Les agents présents et les recrutés** : la page Départs à la retraite ne compte que les agents présents "
    "aujourd'hui ; la page Scénarios y ajoute ceux qui seront recrutés pendant la projection.")

st.subheader("Les modèles")
for name, (what, limits) in MODEL_GUIDE.items():
    with st.container(border=True):
        st.markdown(f"**{MODEL_LABELS.get(name, name)}**")
        st.markdown(f"*Ce qu'il fait.* {what}")
        st.markdown(f"*Ses limites.* {limits}")

mv = D.model_versions(url, version)
active = mv[mv["active"]] if mv is not None and len(mv) else None
if active is None or active.empty:
    st.info("Aucun modèle entraîné pour l'instant : les prévisions appliquent le droit et des taux de référence "
            "documentés. Le service informatique lance `workforce train`.")
else:
    M.render_reliability(active, key="guide_reliability")
