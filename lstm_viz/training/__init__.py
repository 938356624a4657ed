"""Training: one loop for every task, the recipes it runs and the ways it is launched.

- :mod:`.presets`: the named recipes (``presets.toml``) and the one way to override them;
- :mod:`.runspec`: one run specified once (a preset or your own text, a name, the overrides);
- :mod:`.train`: the training loop, evaluation and the saved card;
- :mod:`.resume`: the resume state of a long run, to continue it exactly;
- :mod:`.distributed`: one model trained by several processes under torchrun;
- :mod:`.compact`: a trained model's weights stored as float16, its card measured again on them;
- :mod:`.jobs`: background training jobs for the Train page, a few per server.
"""
