"""placeholder"""
import streamlit as st
from workforce.ui import common as C
st.title("Compétences")
C.unavailable("cette page")
