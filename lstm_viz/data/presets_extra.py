"""Presets contributed by the task modules (sentiment, authors, synthetic tasks).

Each task module defines its data class; this file registers its presets so that
:mod:`lstm_viz.presets` stays one short table.
"""
