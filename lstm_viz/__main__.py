"""``python -m lstm_viz``: the command line (see :mod:`lstm_viz.cli`)."""

import sys

from lstm_viz.cli import main

sys.exit(main())
