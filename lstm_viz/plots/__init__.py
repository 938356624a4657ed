"""Pure figure builders, numpy in and a ``go.Figure`` or an HTML/SVG string out; no streamlit, no torch.

One module per concern, each used by the pages that show it:

- :mod:`.colours`: every colour scale and palette (the only place one is defined);
- :mod:`.base`: what every Plotly chart shares (font, margins, a token axis);
- :mod:`.html`: the template engine, the stylesheet (its colours as CSS variables), the visible-whitespace map;
- :mod:`.strips`: the per-step HTML views (token strip, gate strip, probability bars, legends);
- :mod:`.wording`: the words of those views, once (the server's templates and the browser's stepper fill them);
- :mod:`.stepper_payload`: what the browser-side stepper needs of a Trace, as JSON-ready data;
- :mod:`.heatmaps`: tokens x units heatmaps and cell-state lines;
- :mod:`.diagram`: the cell diagram with live numbers;
- :mod:`.generation`: written text coloured by probability or surprise;
- :mod:`.classify`: a classifier's running prediction and unit contributions;
- :mod:`.comparison`: RNN versus LSTM (accuracy, gradients, the counting unit);
- :mod:`.lab`: the Neuron Lab's charts;
- :mod:`.classroom`: a class's answers beside the model's, the join link as a QR code;
- :mod:`.png`: a scene as a PNG picture for a handout;
- :mod:`.training`: loss curves and a corpus's vocabulary.
"""
