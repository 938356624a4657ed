"""Analyses over Traces and models (numpy and torch only, never streamlit), one module per question:

- :mod:`.equations`: one unit at one step, each gate's dot products split into their terms;
- :mod:`.units`: unit orderings, saturation, the unit that tracks a known feature;
- :mod:`.export`: a whole Trace as CSV or JSON;
- :mod:`.expectation`: what a character model expected next, for typed and generated text;
- :mod:`.contributions`: each unit's share of a classifier's decision;
- :mod:`.gradients`: how far the error reaches back through time, RNN versus LSTM.
"""
