"""The engine: a model and a text in, a :class:`~lstm_viz.engine.trace.Trace` out (torch and numpy, no I/O).

Read it in this order, each module using only the ones above it:

- :mod:`.cell`: the three cell kinds (LSTM, GRU, vanilla RNN) written as their equations, one step
  at a time, and every name the app uses for their quantities;
- :mod:`.tokenizers`: character and word tokenizers that never drop anything silently;
- :mod:`.network`: ``SequenceModel``, the torch module: embedding, recurrent layers, head;
- :mod:`.record`: how a layer is recorded: torch's fused kernel for the states, then every gate;
- :mod:`.trace`: ``Trace`` and ``LayerTrace``, every gate, cell and hidden value as numpy arrays, and
  ``Clamp``, one unit's quantity held at a value (:mod:`lstm_viz.analysis.intervene` uses it).
"""
