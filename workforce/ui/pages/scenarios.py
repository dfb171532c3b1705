"""placeholder"""
import streamlit as st
from workforce.ui import common as C
st.title("Scénarios")
C.unavailable("cette page")
