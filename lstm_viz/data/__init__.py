"""Corpora, splits and synthetic tasks used to train and evaluate the models.

Each training source is a *task data* object with the same small interface, so one training
loop (:mod:`lstm_viz.train`) serves all of them:

- ``tokenizer``, ``task`` ("charlm" | "classify" | "sequence"), ``labels`` (or None),
  ``num_outputs``, ``description``, ``data_sha256``;
- ``batch(batch_size, rng) -> (ids, targets)``: (B, T) long tensors, targets -100 where no
  loss is taken;
- ``evaluate(model, device, full) -> dict`` of held-out metrics (``val_loss`` always).
"""
