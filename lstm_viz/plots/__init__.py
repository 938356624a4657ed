"""Pure figure builders, numpy in and a ``go.Figure`` or an HTML/SVG string out; no streamlit, no torch.

One module per concern, each used by the pages that show it:

- :mod:`.colours`: every colour scale and palette (the only place one is defined);
- :mod:`.html`: the template engine, the stylesheet, the visible-whitespace map;
- :mod:`.strips`: the per-step HTML views (token strip, gate strip, probability bars, legends);
- :mod:`.heatmaps`: tokens x units heatmaps and cell-state lines;
- :mod:`.diagram`: the cell diagram with live numbers;
- :mod:`.generation`: written text coloured by probability or surprise;
- :mod:`.classify`: a classifier's running prediction and unit contributions;
- :mod:`.comparison`: RNN versus LSTM (accuracy, gradients, the counting unit);
- :mod:`.training`: loss curves and a corpus's vocabulary.
"""
