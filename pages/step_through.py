"""step_through page (placeholder while the explorer is being built)."""

import streamlit as st

st.title("step_through")
st.info("This page is being built.")
