"""``lesson``: the shipped lessons on the command line, as a list or as a Markdown handout with their numbers.

    python -m lstm_viz lesson --list --json     # [{"id": ..., "title": ...}, ...]
    python -m lstm_viz lesson change-of-subject > handout.md
"""

from __future__ import annotations

import json

from lstm_viz.lessons import render, schema
from lstm_viz.store import zoo


def add_parser(sub) -> None:
    p = sub.add_parser("lesson", help="list the lessons, or print one as a Markdown handout with its numbers")
    p.add_argument("id", nargs="?", help="the lesson to print (see --list)")
    p.add_argument("--list", action="store_true", help="list the lessons")
    p.add_argument("--json", action="store_true", help="with --list: print [{id, title}, ...]")
    p.set_defaults(func=lesson)


def lesson(args) -> int:
    if args.list or not args.id:
        found = schema.shipped()
        if args.json:
            print(json.dumps([{"id": x.id, "title": x.title} for x in found]))
        else:
            for x in found:
                print(f"{x.id:<24} {x.title}")
        return 0
    loaded = {}

    def load(name: str):
        if name not in loaded:
            loaded[name] = zoo.load(name)
        return loaded[name]

    print(render.handout(schema.find(args.id), load))
    return 0
