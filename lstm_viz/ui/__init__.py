"""The only streamlit-aware part of the package: caching, session state and shared widgets.

- :mod:`lstm_viz.ui.cache`: models (``st.cache_resource``), traces, the model list and its refresh;
- :mod:`lstm_viz.ui.state`: the shared session-state keys, deep-link parsing and clamping,
  ``open_in`` for "step through this" buttons;
- :mod:`lstm_viz.ui.widgets`: the model picker, the shared sidebar, the step and unit controls.
"""
