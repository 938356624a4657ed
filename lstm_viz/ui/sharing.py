"""Sharing a view: the address bar kept as a link to it, the link to copy, and a scene for your own lesson."""

from __future__ import annotations

import streamlit as st

from lstm_viz.ui import lessons, state

SCENE_PAGES = ("step_through", "heatmaps", "equations", "neuron_lab")  # views a lesson of your own can show


def share_box(page: str, where=st) -> None:
    """Write the view into the address bar, and offer the link to copy (or say why the text is not in it)."""
    fits = state.sync_query_params(page)
    link, _ = state.share_link(page)
    with where.popover("Share this view", icon=":material/link:"):
        if fits:
            st.caption("Anyone who opens this link sees this view: the same model, text and settings.")
        else:
            st.warning(
                f"This text is too long to share in a link: a link holds up to {state.MAX_LINK_CHARS:,} characters "
                "once encoded (about 2,000 plain letters, fewer with accents or emoji). The link below has "
                "everything except the text.",
                icon=":material/link_off:",
            )
        st.code(link, language=None, wrap_lines=True)
        if page in SCENE_PAGES:
            title = st.text_input("Save this view as a scene of your lesson", key=f"{page}_scene_title",
                                  placeholder="a name for the scene")  # fmt: skip
            if st.button("Add to my lesson", key=f"{page}_scene_add", icon=":material/playlist_add:"):
                lessons.add_scene(page, title)  # says whether it was added, or why not
