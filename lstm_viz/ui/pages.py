"""The app's pages: file, title, icon and section, in navigation order (app.py builds ``st.navigation`` from it).

Other code names a page by these paths (``st.switch_page``, ``st.page_link``, ``state.open_in``).
"""

from __future__ import annotations

HOME = "app_pages/home.py"
STEP_THROUGH = "app_pages/step_through.py"
HEATMAPS = "app_pages/heatmaps.py"
EQUATIONS = "app_pages/equations.py"
NEURON_LAB = "app_pages/neuron_lab.py"
LESSONS = "app_pages/lessons.py"
GENERATE = "app_pages/generate.py"
CLASSIFY = "app_pages/classify.py"
RNN_VS_LSTM = "app_pages/rnn_vs_lstm.py"
TRAIN = "app_pages/train.py"
JOIN = "app_pages/join.py"

# (section, path, title, icon)
PAGES = (
    ("Explore", HOME, "Home", ":material/home:"),
    ("Explore", STEP_THROUGH, "Step Through", ":material/footprint:"),
    ("Explore", HEATMAPS, "Gate Heatmaps", ":material/grid_on:"),
    ("Explore", EQUATIONS, "Equations", ":material/function:"),
    ("Explore", NEURON_LAB, "Neuron Lab", ":material/biotech:"),
    ("Explore", LESSONS, "Lessons", ":material/school:"),
    ("Models", GENERATE, "Generate", ":material/edit_note:"),
    ("Models", CLASSIFY, "Classify", ":material/label:"),
    ("Models", RNN_VS_LSTM, "RNN vs LSTM", ":material/compare_arrows:"),
    ("Models", TRAIN, "Train", ":material/model_training:"),
    ("Class", JOIN, "Join a class", ":material/groups:"),
)


# Pages reached by a link rather than the sidebar: a student opens Join a class from the teacher's link or QR
# code (or from Home), and the sidebar keeps its room for the explorer's controls.
HIDDEN = {JOIN}


def url_path(path: str) -> str:
    """The page's address: ``app_pages/step_through.py`` -> ``step_through`` (the home page is "")."""
    return "" if path == HOME else path.rsplit("/", 1)[-1].removesuffix(".py")

# Tabs of the pages whose tabs are lazy (only the open one runs): key in st.session_state -> the tabs' labels.
# A test or a link opens a tab by setting the key to its label.
TABS = {
    "lab_tab": ("A moment", "A selection", "A feature", "Saturation", "What if?", "Memory connectivity"),
    "rvl_tab": (
        "1 · Who learns", "2 · Why: the gradient", "3 · Step by step", "4 · A counting cell", "5 · Train them now",
    ),  # fmt: skip
    "gen_tab": ("Write", "Compare temperatures", "What the model expected", "Autocomplete"),
}
