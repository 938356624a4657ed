"""lstm-viz: run small, really trained LSTMs one token at a time and look at every gate.

The public API lives in :mod:`lstm_viz.zoo` (``zoo.load(name).trace(text)``); see docs/architecture.md.
The core never imports streamlit; :mod:`lstm_viz.ui` is the only part that does.
"""

__version__ = "0.1.0"
