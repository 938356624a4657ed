"""The only streamlit-aware part of the package: caching, session state and shared widgets.

- :mod:`lstm_viz.ui.cache`: models (``st.cache_resource``), traces (``st.cache_data``), the
  model list and its refresh;
- :mod:`lstm_viz.ui.state`: the shared session-state keys, deep-link parsing and clamping,
  ``open_in`` for "step through this" buttons;
- :mod:`lstm_viz.ui.widgets`: the model picker, the shared sidebar, the token strip.
"""


def require_navigation() -> None:
    """Make a first visit to a deep link (``/step_through?...``) run app.py, not the bare page.

    A ``pages/`` folder beside app.py makes Streamlit start in its old "pages directory" mode
    until app.py has called ``st.navigation`` once; in that mode a first request for
    ``/step_through`` runs pages/step_through.py on its own (no page config, no shared state,
    the folder's file list as navigation). Every page imports this package, so the first such
    run switches the mode off and reruns, and app.py's ``st.navigation`` takes over. (Pages
    still call ``state.init()`` themselves, so a page run on its own, as AppTest does, works.)
    """
    try:
        import streamlit as st
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    except ImportError:  # a different Streamlit: nothing to fix
        return
    if PagesManager.uses_pages_directory and get_script_run_ctx(suppress_warning=True) is not None:
        PagesManager.uses_pages_directory = False
        st.rerun()


require_navigation()
