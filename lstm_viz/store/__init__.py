"""The model store: checked models in, checked models out (the checkpoint format of docs/architecture.md).

- :mod:`.card`: ``card.json`` read as hostile until checked;
- :mod:`.checkpoint`: ``model.safetensors`` + ``card.json`` saved and loaded, every field validated;
- :mod:`.zoo`: the registry: the shipped models and the user's own, listed by name, loaded once
  (``from lstm_viz import zoo`` is the public API);
- :mod:`.usermodels`: install an uploaded model, export one as a zip, delete one;
- :mod:`.history`: the checkpoints a run kept along the way ("gates over training");
- :mod:`.reservation`: a new model's folder, claimed by the run that will write it;
- :mod:`.owners`: whose a model made in the app is (its visitor's, its class's, or everyone's);
- :mod:`.examples`: the texts a model opens with and the classifiers' sample texts.
"""
