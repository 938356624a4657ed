"""Analyses over Traces and models: equation terms, unit statistics, contributions, gradient flow.

Numpy and torch only (never streamlit). Sections are grouped by the question they answer.
"""

from __future__ import annotations

import numpy as np

# --- equations: the terms of each dot product ------------------------------------------------

# --- unit statistics and ordering ------------------------------------------------------------

# --- classification: per-unit contributions to the decision ----------------------------------

# --- gradient flow: RNN versus LSTM ----------------------------------------------------------
