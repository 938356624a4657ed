"""A browser stand-in for AppTest: what a component's JavaScript would report (AppTest runs none)."""

from __future__ import annotations

import json

from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1.element_tree import Widget


class BrowserStandIn(Widget):
    """In place of the component: what its JavaScript would report (AppTest runs no JavaScript)."""

    def __init__(self, proto, root, report: dict):
        super().__init__(proto, root)
        self.type = "bidi_component"
        self.report = report

    @property
    def value(self) -> dict:
        return {"view": self.report}

    @property
    def _widget_state(self) -> WidgetState:
        state = WidgetState()
        state.id = self.id
        state.json_value = json.dumps({"view": self.report})
        return state


def _blocks(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _blocks(child)


def components(at) -> list:
    """The page's st.components.v2 components, in page order."""
    return [e for e in _blocks(at.main) if getattr(e, "type", None) == "bidi_component"]


def run_as_reported(at, target, report: dict):
    """Run the page as if the browser had reported ``report`` through the component ``target``."""
    for block in _blocks(at.main):
        for key, child in list(getattr(block, "children", {}).items()):
            if child is target:
                block.children[key] = BrowserStandIn(child.proto, child.root, report)
    return at.run()
