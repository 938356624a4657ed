"""equations page (placeholder while the explorer is being built)."""

import streamlit as st

st.title("equations")
st.info("This page is being built.")
