"""Pure Plotly figure builders: numpy in, ``go.Figure`` out. No streamlit, no torch.

Every chart in the app is built here, so pages stay thin and each builder is tested without a
server. Sections are grouped by the page that uses them; shared helpers sit at the top.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

# --- shared helpers -------------------------------------------------------------------------

# --- explorer: Step Through, Gate Heatmaps, Equations ----------------------------------------

# --- generation ------------------------------------------------------------------------------

# --- classification --------------------------------------------------------------------------

# --- RNN versus LSTM -------------------------------------------------------------------------

# --- training --------------------------------------------------------------------------------
