"""The only streamlit-aware part of the package: caching, session state and shared widgets.

- :mod:`.pages`: the app's pages in navigation order;
- :mod:`.cache`: models (``st.cache_resource``), traces, the model list and its refresh;
- :mod:`.state`: the shared session-state keys, deep-link parsing and clamping, ``open_in``;
- :mod:`.widgets`: the model picker, the shared sidebar, the step and unit controls;
- :mod:`.cards`: model cards on the page;
- :mod:`.latex`: each kind's equations as LaTeX with numbers;
- :mod:`.stepper`: the Step Through component that steps in the browser;
- :mod:`.lessons`: the Lessons page's parts (a stop on screen, presentation mode, your own lesson).
"""
