"""Analyses over Traces and models (numpy and torch only, never streamlit), one module per question:

- :mod:`.equations`: one unit at one step, each gate's dot products split into their terms;
- :mod:`.search`: finding the units that do something (at a moment, on a selection, for a feature), and
  unit orderings (similarity, variance, mean, saturation);
- :mod:`.features`: features of a text, one number per token;
- :mod:`.counting`: the counting units of a brackets model (the unit whose cell follows the depth), found once;
- :mod:`.export`: a whole Trace as CSV or JSON;
- :mod:`.expectation`: what a character model expected next, for typed and generated text;
- :mod:`.contributions`: each unit's share of a classifier's decision;
- :mod:`.gradients`: how far the error reaches back through time, RNN versus LSTM;
- :mod:`.connectivity`: how much each earlier token drives the prediction at one step;
- :mod:`.memory`: RNN, LSTM and GRU on the memory task;
- :mod:`.agreement`: whether a word model makes "his"/"her" agree with its subject;
- :mod:`.intervene`: "what if": hold one unit's quantity at a value and see what the model does instead
  (traced twice, before and after, and written on with the clamp held).
"""
