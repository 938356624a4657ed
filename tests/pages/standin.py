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
