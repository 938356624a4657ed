"""Guided lessons on the shipped models, as data, with every number computed when the lesson runs.

- :mod:`.schema`: a lesson's JSON (stops, each a scene with templates), checked on load;
- :mod:`.context`: what every fact shares (the stop's model, trace, step and chosen unit);
- :mod:`.fit`: whether a fact fits the stop's model (a sentence when it does not);
- :mod:`.facts`: what a stop states, measured on the real model (and said plainly when the model
  does not do what the textbook says);
- :mod:`.questions`: what the student answers, the model's answer, the grading, and the spoiler check;
- :mod:`.render`: the templates filled in, and a lesson as a Markdown handout.
"""
