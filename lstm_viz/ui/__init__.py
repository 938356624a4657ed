"""The only streamlit-aware part of the package: caching, session state and the widgets pages share.

- :mod:`.pages`: the app's pages in navigation order;
- :mod:`.cache`: models (``st.cache_resource``), traces, the model list and its refresh, repeated measurements;
- :mod:`.state`: the shared session-state keys, deep-link parsing and clamping, ``open_in``, ``KEEP``;
- :mod:`.picker`: the model picker and a model page's opening;
- :mod:`.sidebar`: the explorer pages' sidebar (model, text, layer, training step) and its ``Selection``;
- :mod:`.controls`: the step and unit controls;
- :mod:`.display`: what several pages draw alike (a titled chart, value boxes, the model's output);
- :mod:`.diagram`: the cell diagram filled with one unit's numbers;
- :mod:`.clicks`: a clicked heatmap cell as the shared step and unit;
- :mod:`.sharing`: the view's link and a scene for your own lesson;
- :mod:`.downloads`: download buttons;
- :mod:`.cards`: model cards on the page, and a styled model's style check;
- :mod:`.training_run`: the Train page's run id, kept in the URL;
- :mod:`.latex`: each kind's equations as LaTeX with numbers;
- :mod:`.stepper`: the Step Through component that steps in the browser;
- :mod:`.frame_stepper`: a view stepped in the browser from frames the server writes by chunk (the protocol);
- :mod:`.equation_stepper`: the Equations page's numbers, stepped and typeset in the browser;
- :mod:`.moment_stepper`: the Neuron Lab's ranking at a step, stepped in the browser;
- :mod:`.heatmap_view`: Gate Heatmaps' heatmap on a canvas in the browser (hover, click, the current step and unit);
- :mod:`.katex`: KaTeX (vendored, MIT) loaded into the page, for typesetting in the browser;
- :mod:`.lessons`: the Lessons page's parts (a stop on screen, presentation mode, your own lesson);
- :mod:`.predict`: a lesson stop as predict-then-reveal (the setting, the question answered, the reveal);
- :mod:`.owners`: whose models a visitor sees (their own, their class's, everyone's);
- :mod:`.classmode`: class mode (the teacher's class box on the Lessons page, a student's Join a class page).
"""
