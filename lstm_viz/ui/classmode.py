"""Class mode on the pages: the teacher's class box on the Lessons page, and the student's Join a class page.

The teacher's secret and each student's seat live in their own browser session only (``TEACHER``,
``SEAT``); everything the class shares is in the database (:mod:`lstm_viz.classroom.store`), so students
on another replica of the deployment follow the same class. A student's screen asks the database where the
class is every ``FOLLOW_S`` seconds and redraws when the teacher has moved on or revealed.
"""

from __future__ import annotations

import csv
import io

import streamlit as st

from lstm_viz.classroom import codes
from lstm_viz.classroom.answers import scores
from lstm_viz.classroom.store import ClassError, ClassStore, Unavailable, stop_item
from lstm_viz.classroom.tables import database_url
from lstm_viz.lessons import questions, schema
from lstm_viz.lessons.render import NarratedStop
from lstm_viz.plots import classroom as class_plots
from lstm_viz.plots.html import as_text
from lstm_viz.ui import lessons, predict, state

TEACHER = state.CLASS_TEACHER  # session key: {"code", "secret", "lesson_id", "pushed"} of the class this teacher runs
SEAT = state.CLASS_SEAT  # session key: {"code", "secret", "nickname"} of the class this student joined
SEAT_PARAM = "seat"  # ?code=...&seat=...: the student's own address keeps their seat (a reload, another replica)
JOIN_PAGE = "join"
FOLLOW_S = 1.0  # how often a student's screen asks where the class is
COUNT_S = 1.0  # how often the teacher's counts refresh


@st.cache_resource(show_spinner=False)
def _store(url: str) -> ClassStore:
    return ClassStore(url)


def store() -> ClassStore:
    """The class store of this server (``LSTM_VIZ_DATABASE_URL``, else SQLite under ``LSTM_VIZ_HOME``)."""
    return _store(database_url())


def _say(err: Exception) -> None:
    """A store's refusal or a database that went away, said on the page."""
    icon = ":material/cloud_off:" if isinstance(err, Unavailable) else "⚠️"
    st.warning(as_text(err), icon=icon)


def join_link(code: str) -> str:
    """The address a student opens: this app's Join a class page with the code filled in."""
    address = (st.context.url or "").rstrip("/")
    base = address.rsplit("/", 1)[0] if address.count("/") > 2 else address
    return f"{base}/{JOIN_PAGE}?code={code}"


# --- the teacher --------------------------------------------------------------------------------------
def teaching() -> dict | None:
    return st.session_state.get(TEACHER)


def _start(lesson: schema.Lesson) -> None:
    own = lesson.id == lessons.MY_ID
    try:
        started = store().start(lesson.id, schema.to_json(lesson) if own else None)
    except (ClassError, Unavailable) as err:
        st.session_state["class_error"] = str(err)
        return
    st.session_state[TEACHER] = {"code": started.code, "secret": started.teacher, "lesson_id": lesson.id,
                                 "title": lesson.title, "pushed": None}  # fmt: skip


def _end() -> None:
    mine = teaching()
    if mine:
        try:
            store().end(mine["code"], mine["secret"])
        except ClassError:
            pass  # it had ended already (its retention passed): nothing is left of it either way
        except Unavailable as err:
            st.session_state["class_error"] = str(err)
            return
    st.session_state.pop(TEACHER, None)


def _share_models(code: str, secret: str) -> None:
    try:
        store().share_models(code, secret, bool(st.session_state.get("class_share_models")))
    except (ClassError, Unavailable) as err:
        st.session_state["class_error"] = str(err)


def results_csv(rows: list[dict]) -> bytes:
    """The class's answers as CSV: nickname, question, answer, right (a nickname is text, never a formula)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["nickname", "question", "answer", "right"])
    for row in rows:
        name = row["nickname"]
        if name[:1] in "=+-@\t\r":  # a spreadsheet would run it as a formula
            name = "'" + name
        writer.writerow([name, row["item"], row["answer"], "yes" if row["right"] else "no"])
    return out.getvalue().encode("utf-8")


@st.fragment(run_every=COUNT_S)
def _counts(code: str, secret: str) -> None:
    item = ((teaching() or {}).get("pushed") or ("stop-0",))[0]
    try:
        joined, answered = store().counts(code, secret, item)
    except (ClassError, Unavailable) as err:
        _say(err)
        return
    st.markdown(f"**{joined}** joined · **{answered}** answered this stop")


def teacher_box(lesson: schema.Lesson, presenting: bool, first_stop: bool = True) -> None:
    """Start a class on this lesson, or show the running class's code, QR code, link and counts (on a slide
    past the first stop, one line: the code and the counts, leaving the room to the lesson)."""
    if err := st.session_state.pop("class_error", None):
        st.warning(as_text(err), icon="⚠️")
    mine = teaching()
    if mine is None:
        if not presenting:
            st.button("Start a class with this lesson", key="class_start", on_click=_start, args=(lesson,),
                      icon=":material/groups:",
                      help="Your students join on their own devices with a code and a nickname, answer each "
                           "question, and see the class's answers beside the model's when you reveal.")  # fmt: skip
        return
    link = join_link(mine["code"])
    if presenting and not first_stop:
        cols = st.columns([2, 3], vertical_alignment="center")
        cols[0].markdown(f"Join: **{link.split('?')[0]}** · code **{codes.show_code(mine['code'])}**")
        with cols[1]:
            _counts(mine["code"], mine["secret"])
        return
    with st.container(border=True):
        cols = st.columns([1, 2.2], vertical_alignment="center")
        cols[0].image(class_plots.qr_png(link), caption="Scan to join", width=220)
        with cols[1]:
            st.markdown(f"Join at **{link.split('?')[0]}** with the code")
            st.html(f'<div class="lv-join-code" style="font-size:2.6rem;font-weight:700;letter-spacing:0.12em">'
                    f"{codes.show_code(mine['code'])}</div>")  # fmt: skip
            _counts(mine["code"], mine["secret"])
        if lesson.id != mine["lesson_id"]:
            st.info(f"Your class is on the lesson “{mine['title']}”: pick it again to go on, or end the class.")
        if not presenting:
            with st.expander("Class controls"):
                st.code(link, language=None)
                try:
                    rows = store().results(mine["code"], mine["secret"])
                except (ClassError, Unavailable) as err:
                    _say(err)
                    rows = []
                if lesson.quiz_start is not None and lesson.id == mine["lesson_id"]:
                    quiz_results(lesson, rows)
                st.download_button("Answers (CSV)", results_csv(rows), f"class-{mine['code']}.csv", "text/csv",
                                   key="class_csv", icon=":material/download:")  # fmt: skip
                st.toggle("Show the students' models to the whole class", key="class_share_models",
                          on_change=_share_models, args=(mine["code"], mine["secret"]),
                          help="A model a student trains or uploads during the class is theirs and yours to see; "
                               "on, every student of the class sees it too.")  # fmt: skip
                st.button("End the class (deletes its answers)", key="class_end", on_click=_end,
                          icon=":material/stop_circle:")  # fmt: skip


def quiz_results(lesson: schema.Lesson, rows: list[dict]) -> None:
    titles = [stop.title for stop in lesson.stops[lesson.quiz_start :]]
    per_question, per_name = scores(titles, [stop_item(k) for k in range(lesson.quiz_start, len(lesson.stops))], rows)
    st.markdown(f"**The quiz** ({len(per_question)} questions): right answers per question, then per nickname.")
    st.dataframe(per_question, hide_index=True)
    if per_name:
        st.dataframe(per_name, hide_index=True)
    else:
        st.caption("No one has answered a quiz question yet.")


def sync(lesson: schema.Lesson, index: int, revealed_now: bool) -> None:
    """Move the class to the stop the teacher shows, and reveal it when the teacher does."""
    mine = teaching()
    if mine is None or lesson.id != mine["lesson_id"]:
        return
    now = (stop_item(index), bool(revealed_now))
    if mine.get("pushed") == now:
        return
    try:
        if (mine.get("pushed") or (None, None))[0] != now[0] or not now[1]:
            store().show(mine["code"], mine["secret"], now[0])
        if now[1]:
            store().reveal(mine["code"], mine["secret"])
    except ClassError:
        st.session_state.pop(TEACHER, None)
        st.warning("The class has ended (its retention passed); start a new one.", icon="⚠️")
        return
    except Unavailable as err:
        _say(err)
        return
    mine["pushed"] = now


def class_answers(told: NarratedStop, index: int, mine_value=None, seat: dict | None = None) -> None:
    """The class's answers to this stop beside the model's (the teacher's, or a student's after the reveal)."""
    if told.ask is None:
        return
    who = seat or teaching()
    if who is None:
        return
    try:
        tally = store().tally(who["code"], stop_item(index), told.ask,
                              teacher=None if seat else who["secret"])  # fmt: skip
    except (ClassError, Unavailable) as err:
        _say(err)
        return
    if not tally.answered:
        st.caption("No one in the class answered this question.")
        return
    from lstm_viz.classroom.answers import bar_of

    mine = None if mine_value is None else bar_of(told.ask, mine_value)
    st.markdown(f"**The class:** {tally.right} of {tally.answered} answered as the model does.")
    st.caption("How many gave each answer; the orange, outlined bar is the model's answer.")
    st.plotly_chart(class_plots.answers_figure(list(tally.labels), list(tally.counts), tally.model_bar, mine),
                    key=f"class_answers_{index}")  # fmt: skip


# --- a student ----------------------------------------------------------------------------------------
def seat() -> dict | None:
    return st.session_state.get(SEAT)


def _join() -> None:
    try:
        taken = store().join(st.session_state.get("class_code", ""), st.session_state.get("class_nickname", ""))
        code = codes.read_code(st.session_state.get("class_code", ""))
    except (ValueError, Unavailable) as err:
        st.session_state["class_error"] = str(err)
        return
    st.session_state[SEAT] = {"code": code, "secret": taken.secret, "nickname": taken.nickname}
    st.query_params.update({"code": code, SEAT_PARAM: taken.secret})


def _leave() -> None:
    st.session_state.pop(SEAT, None)
    st.query_params.pop(SEAT_PARAM, None)


def seat_from_link() -> None:
    """A student's address holds their seat: a reload, or a replica that went away, keeps them in the class."""
    code, secret = st.query_params.get("code"), st.query_params.get(SEAT_PARAM)
    if seat() is not None or not code or not secret:
        return
    try:
        held = store().rejoin(code, secret[:100])
    except (ValueError, Unavailable) as err:
        st.query_params.pop(SEAT_PARAM, None)
        st.session_state["class_error"] = f"{err}"
        return
    st.session_state[SEAT] = {"code": codes.read_code(code), "secret": held.secret, "nickname": held.nickname}


def join_form() -> None:
    """The code (filled in from the link) and a nickname; nothing else is asked."""
    if err := st.session_state.pop("class_error", None):
        st.warning(as_text(err), icon="⚠️")
    if "class_code" not in st.session_state:
        st.session_state["class_code"] = state.short(st.query_params.get("code", ""), 20)
    with st.form("class_join"):
        st.text_input("Join code", key="class_code", max_chars=20, placeholder="ABCDE-FGHJK")
        st.text_input("Your nickname", key="class_nickname", max_chars=codes.NICKNAME_MAX,
                      help="Any name your teacher will recognise. Nothing else is asked or kept.")  # fmt: skip
        st.form_submit_button("Join", on_click=_join, type="primary", icon=":material/login:")


@st.fragment(run_every=FOLLOW_S)
def follow(shown: tuple) -> None:
    """Redraw the page when the class has moved on or the teacher revealed (asked every FOLLOW_S seconds)."""
    mine = seat()
    if mine is None:
        return
    try:
        place = store().where(mine["code"])
    except ClassError:
        st.rerun(scope="app")
    except Unavailable as err:
        _say(err)
        return
    if (place.item, place.revealed) != shown:
        st.rerun(scope="app")


def _lesson_of(place) -> schema.Lesson:
    if place.lesson is not None:
        return schema.parse(place.lesson, "the class's lesson")
    return schema.find(place.lesson_id)


def _send(code: str, secret: str, item: str, q: questions.Question, at: tuple) -> None:
    value = predict.picked(at)
    if value is None and q.kind == "number":  # the slider where it stands: its middle is an answer too
        shown = st.session_state.get(f"class_{item}_number")
        value = None if shown is None else shown / (100 if q.spec.endswith("%") else 1)
    if value is None:
        st.session_state["class_error"] = "Pick your answer first, then send it."
        return
    try:
        store().answer(code, secret, item, q, value)
    except (ValueError, Unavailable) as err:
        st.session_state["class_error"] = str(err)


def student_stop() -> None:
    """The stop the class is on: the setting and question until the reveal, then the answer and the class's."""
    mine = seat()
    try:
        place = store().where(mine["code"])
    except ClassError as err:
        st.info(f"{err}", icon=":material/door_open:")
        st.button("Join another class", on_click=_leave)
        return
    except Unavailable as err:
        _say(err)
        follow((None, None))
        return
    shown = (place.item, place.revealed)
    follow(shown)
    lesson = _lesson_of(place)
    index = int(place.item.split("-")[1]) if place.item.startswith("stop-") else 0
    index = min(max(index, 0), len(lesson.stops) - 1)
    st.caption(f"{as_text(mine['nickname'])} · {lesson.title} · {lesson.place(index).lower()}")
    try:
        told = lessons.told(lesson, index, lesson.id == lessons.MY_ID)
    except ValueError as err:
        st.error(f"This stop cannot be shown: {err}", icon="🚫")
        return
    st.header(told.stop.title)
    at = ("class", mine["code"], place.item)
    if err := st.session_state.pop("class_error", None):
        st.warning(as_text(err), icon="⚠️")
    if not place.revealed or told.ask is None:
        st.markdown(told.narration)
        predict.setting(told, False)
    if told.ask is None:
        st.caption("No question at this stop: look at the projector.")
        if place.revealed:
            st.markdown(told.answer)
        return
    try:
        given = store().my_answer(mine["code"], mine["secret"], place.item)
    except (ClassError, Unavailable) as err:
        _say(err)
        given = None
    if not place.revealed:
        predict.ask(told, at, key=f"class_{place.item}")
        st.button("Send my answer", key=f"class_send_{place.item}", type="primary", icon=":material/send:",
                  on_click=_send, args=(mine["code"], mine["secret"], place.item, told.ask, at))  # fmt: skip
        if given is not None:
            st.success(f"Your answer is in: {told.ask.show(given)}. You can change it until your teacher reveals.",
                       icon=":material/check:")  # fmt: skip
        else:
            st.caption("Your teacher reveals the model's answer when the class has answered.")
        return
    right, said = questions.grade(told.ask, given)
    box = st.success if right else st.info if right is None else st.warning
    box(said, icon=":material/check_circle:" if right else ":material/lightbulb:")
    st.markdown(told.answer)
    class_answers(told, index, given, seat=mine)
