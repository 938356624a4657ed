"""Real-browser tests: playwright driving Debian Chromium against streamlit run app.py."""
