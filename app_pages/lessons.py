"""Lessons: guided tours of the classic LSTM examples on the real models, every number computed as the lesson runs.

Pick a lesson, go through its stops (← →), predict before you reveal (space), present it on a projector,
download it as a handout. A teacher's own scenes (saved from the explorer pages) make a lesson too.
"""

import streamlit as st

from lstm_viz.lessons import render, schema
from lstm_viz.ui import cache, classmode, downloads, lessons, predict, state

top = st.columns([3, 1.6], vertical_alignment="bottom")
with top[1]:
    presenting = lessons.presentation()
if not presenting:  # the page title, left out in presentation mode (a slide needs the room)
    top[0].title("Lessons")
# The address bar is read once, on the page's first run in a session: after that it only echoes what this
# page wrote there, and reading it again would undo the teacher's next pick in the lesson box.
first_run = not st.session_state.get("lesson_link_read")
st.session_state["lesson_link_read"] = True
lessons.open_linked(first_run)  # a link that carries a teacher's own lesson
shipped = schema.shipped()
mine = lessons.my_lesson()
choices = [*shipped, *([mine] if mine else [])]
by_id = {lesson.id: lesson for lesson in choices}
linked = st.query_params.get("lesson")
if first_run and linked in by_id:  # a link opens its lesson, at its stop
    st.session_state["lesson_id"] = st.session_state["lesson_for"] = linked
    st.session_state["lesson_stop"], why = state.link_position(
        st.query_params.get("stop", "1"), "stop", len(by_id[linked].stops)
    )
    if why:
        st.warning(why, icon="⚠️")
elif first_run and linked:
    st.warning(f"The link names no lesson I have ({state.short(linked, 40)!r}); pick one below.", icon="⚠️")
if st.session_state.get("lesson_id") not in by_id:
    st.session_state["lesson_id"] = choices[0].id
# the whole width: a lesson's title is long, and a projector at 1024 pixels would cut it short
lesson = by_id[
    st.selectbox(
        "Lesson",
        list(by_id),
        key="lesson_id",
        format_func=lambda i: by_id[i].title,
        on_change=lessons.picked,
        **lessons.KEEP,
    )
]
lessons.release_keyboard()  # after a pick, → and space go to the lesson, not to the box
if not presenting:
    st.caption(lesson.summary)


def _move(delta: int, count: int) -> None:
    st.session_state["lesson_stop"] = min(max(st.session_state.get("lesson_stop", 0) + delta, 0), count - 1)
    st.session_state[predict.PHASE] = predict.SETTING


def _next(count: int, has_question: bool, at: tuple) -> None:
    if not predict.forward(has_question, presenting, at):
        _move(1, count)


count = len(lesson.stops)
if st.session_state.get("lesson_for") != lesson.id:
    st.session_state["lesson_for"], st.session_state["lesson_stop"] = lesson.id, 0
index = min(st.session_state.get("lesson_stop", 0), count - 1)
at = (lesson.id, index)
lessons.show_in_address_bar(lesson, index)  # so a link (or a reload) opens it again
own = lesson.id == lessons.MY_ID
try:
    if lessons.is_told(lesson, index, own):
        told = lessons.told(lesson, index, own)
    else:
        with st.spinner("Computing this stop on the model…"):
            told = lessons.told(lesson, index, own)
except ValueError as err:
    st.error(f"This stop cannot be shown: {err}", icon="🚫")
    st.stop()
show_setting, show_question, show_reveal = predict.parts(bool(told.question), presenting, at)
classmode.sync(lesson, index, show_reveal and bool(told.question))
classmode.teacher_box(lesson, presenting, first_stop=index == 0)
nav = st.columns([1.4, 1.2, 3], vertical_alignment="center")
nav[0].button(
    "Previous",
    key="lesson_prev",
    on_click=_move,
    args=(-1, count),
    shortcut="Left",
    icon=":material/chevron_left:",
    disabled=index == 0,
    help="keyboard: ←",
)
nav[1].button(
    "Next",
    key="lesson_next",
    on_click=_next,
    args=(count, bool(told.question), at),
    shortcut="Right",
    icon=":material/chevron_right:",
    disabled=index == count - 1 and not (presenting and show_setting and told.question and not show_reveal),
    help="keyboard: →",
)
nav[2].markdown(f"**{lesson.place(index)}**")
st.header(told.stop.title)
if show_setting:
    st.markdown(told.narration)
    predict.setting(told, show_reveal)
if show_question:
    predict.ask(told, at, key=f"lesson_{lesson.id}_{index}", presenting=presenting)
    if not show_reveal and st.button(
        "Reveal the answer", key="lesson_reveal", shortcut="Space", help="keyboard: space", type="primary"
    ):
        predict.reveal(at)
        st.rerun()
if not show_reveal and presenting and show_setting and told.question:
    st.caption("→ for the question")
if show_reveal:
    if told.question and classmode.teaching():  # the class answered, not the teacher
        st.markdown(told.answer)
        classmode.class_answers(told, index)
    elif told.question:
        predict.verdict(told, at)
    lessons.scene(told, key=f"lesson_{lesson.id}_{index}")
cols = st.columns(3)
if show_reveal and cols[0].button(
    "Open in Step Through", key="lesson_open", icon=":material/footprint:", help="This scene, to explore it yourself."
):
    lessons.open_in_step_through(told)
downloads.download(
    cols[1], "Handout (Markdown)", lambda: render.handout(lesson, cache.load_model), f"{lesson.id}.md",
    key="lesson_handout", icon="description",
)  # fmt: skip
if show_reveal:
    downloads.download(
        cols[2], "Picture (PNG)", lambda: lessons.scene_png(told), f"{lesson.id}-{index + 1}.png", key="lesson_png",
        icon="image", tip="This scene as a picture, for a slide or a handout.",
    )  # fmt: skip
if lesson.sources and not presenting:
    st.caption("Sources: " + "; ".join(lesson.sources))
lessons.compute_ahead(lesson, index, own)  # the next stop, while the class looks at this one

if not presenting:
    st.divider()
    st.subheader("Your own lesson")
    st.caption(
        "On Step Through, Gate Heatmaps, Equations or the Neuron Lab, open **Share this view** and add the view "
        "as a scene. Your scenes make a lesson you can reorder, share as a link, export and import."
    )
    lessons.edit_my_lesson(mine)
