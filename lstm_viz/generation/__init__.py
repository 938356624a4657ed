"""Text generation from a language model.

- :mod:`.generate`: sampling one token at a time (temperature, top-k, greedy, a style);
- :mod:`.autocomplete`: the most likely ways to go on from what has been typed, by beam search.
"""
