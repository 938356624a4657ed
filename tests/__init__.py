"""lstm-viz tests: unit, oracle, AppTest pages; real-browser tests in browser/."""
