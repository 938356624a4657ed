"""Class mode on the pages (Streamlit's AppTest, the classes in a SQLite file under a fresh LSTM_VIZ_HOME): a
teacher starts a class on the Lessons page, a student joins with a code and a nickname, answers, and sees the
reveal; every bad code, nickname and crafted link gets a sentence on the page, never a traceback."""

import pytest

from lstm_viz.classroom.store import ClassStore
from lstm_viz.ui import classmode
from tests.factory import open_app

JOIN, LESSONS = "app_pages/join.py", "app_pages/lessons.py"


@pytest.fixture
def classes(home):
    return ClassStore()  # the same database the pages open: SQLite under the test's LSTM_VIZ_HOME


def _text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [h.value for h in at.header]
    parts += [w.value for w in at.warning] + [s.value for s in at.success] + [i.value for i in at.info]
    return "\n".join(map(str, parts)).replace("**", "")  # as a person reads it, without the bold marks


def _join(at, code: str, nickname: str):
    at.text_input(key="class_code").set_value(code)
    at.text_input(key="class_nickname").set_value(nickname)
    return at.button[0].click().run()  # the form's Join button


@pytest.mark.parametrize(
    ("code", "nickname", "said"),
    [
        ("NOPE", "Ana", "ten letters and digits"),
        ("ABCDE-FGHJK", "Ana", "No class is open with this code"),
        ("", "Ana", "ten letters and digits"),
        ("{code}", "", "Type a nickname"),
        ("{code}", "\u200b\u202e", "Type a nickname"),
        ("{code}", "\ufdfa\ufdfa", "at most 24 characters"),  # two characters that NFKC makes 36
        ("{code}", "Bo", "already called 'Bo'"),
    ],
)
def test_a_bad_code_or_nickname_is_answered_with_a_sentence(classes, code, nickname, said):
    started = classes.start("reading-reviews")
    classes.join(started.code, "Bo")
    at = open_app(JOIN)
    at = _join(at, code.format(code=started.code), nickname)
    assert not at.exception
    assert said in _text(at)
    assert classmode.SEAT not in at.session_state


def test_a_crafted_seat_in_a_link_joins_nobody(classes):
    started = classes.start("reading-reviews")
    at = open_app(JOIN, params={"code": started.code, "seat": "a-guessed-secret"})
    assert not at.exception
    assert "not in this class" in _text(at)
    assert at.text_input(key="class_nickname") is not None  # back at the form


def test_a_teacher_starts_a_class_and_a_student_answers_and_sees_the_reveal(classes):
    teacher = open_app(LESSONS, params={"lesson": "reading-reviews"})
    teacher.button(key="class_start").click().run()
    assert not teacher.exception
    mine = teacher.session_state[classmode.TEACHER]
    assert classmode.SEAT not in teacher.session_state
    code = mine["code"]
    assert f"{code[:5]}-{code[5:]}" in "\n".join(h.proto.body for h in teacher.get("html"))
    other = classes.join(code, "Other")
    student = open_app(JOIN, params={"code": code})
    assert student.text_input(key="class_code").value == code
    student = _join(student, code, "Ana")
    assert not student.exception
    assert "Ana · Reading restaurant reviews" in _text(student) and "stop 1 of 4" in _text(student)
    student.button(key="class_stop-0_option_0").click().run()
    student.button(key="class_send_stop-0").click().run()
    assert "Your answer is in" in _text(student)
    classes.answer(code, other.secret, "stop-0", _question(student), _question(student).options[1])
    assert "Other" not in _text(student)  # no other student's name or answer before the reveal
    teacher.run()
    assert "2 joined · 2 answered this stop" in _text(teacher)
    teacher.button(key="lesson_reveal").click().run()
    assert classes.where(code).revealed
    assert "The class: " in _text(teacher) and not teacher.exception
    student.run()
    assert "The class: " in _text(student) and "Other" not in _text(student)
    assert len(student.get("plotly_chart")) == 1


def _question(at):
    from lstm_viz.lessons.schema import find
    from lstm_viz.ui import lessons

    return lessons.told(find("reading-reviews"), 0, False).ask


def test_a_number_question_takes_the_slider_where_it_stands(classes):
    started = classes.start("writing-shakespeare")  # its first stop asks a number (a share, on a slider)
    student = _join(open_app(JOIN, params={"code": started.code}), started.code, "Ana")
    assert "Send my answer" in [b.label for b in student.button]
    student.button(key="class_send_stop-0").click().run()
    assert not student.exception
    assert "Your answer is in: 50%" in _text(student)
    assert classes.results(started.code, started.teacher)[0]["answer"] == 0.5


def test_a_nickname_is_shown_as_itself_never_as_markup(classes):
    started = classes.start("reading-reviews")
    name = "**B** [x](http://e)<b>$x"
    classes.join(started.code, name)
    at = _join(open_app(JOIN, params={"code": started.code}), started.code, name)
    warning = at.warning[0].value
    assert "already called" in warning and "\\*\\*B\\*\\* \\[x\\]\\(http://e\\)\\<b\\>\\$x" in warning
    at = _join(open_app(JOIN, params={"code": started.code}), started.code, "<i>Ana</i> _x_")
    assert at.caption[0].value.startswith("\\<i\\>Ana\\</i\\> \\_x\\_ · ")


def test_a_visitors_model_is_theirs_and_their_teachers_until_shared(classes, home, monkeypatch):
    """Ana's browser makes a model in class (as the Train page claims one as its run starts): her picker and her
    teacher's offer it, Bo's and a stranger's do not; the teacher shares the class's models, then Bo's does;
    Ana shares it with everyone, then the stranger's does."""
    from lstm_viz.store import owners as owner_store
    from lstm_viz.store import zoo
    from lstm_viz.ui import cache, owners
    from tests.factory import char_card, write_model

    monkeypatch.setattr(owners, "SHARED_TTL_S", 0.0)  # a student's page asks at once whether the class shares
    teacher = open_app(LESSONS, params={"lesson": "reading-reviews"})
    teacher.button(key="class_start").click().run()
    code = teacher.session_state[classmode.TEACHER]["code"]
    ana = _join(open_app(JOIN, params={"code": code}), code, "Ana")
    bo = _join(open_app(JOIN, params={"code": code}), code, "Bo")
    stranger = open_app("app_pages/train.py")

    ana.switch_page("app_pages/train.py").run()
    folder = zoo.user_dir() / "anas-model"
    write_model(folder, char_card(name="anas-model"))
    owner_store.claim(folder, ana.session_state[owners.VISITOR], ana.session_state[classmode.SEAT]["code"])
    cache.refresh_models()  # as the Train page does when a model is made

    def offered(at) -> bool:
        at.switch_page("app_pages/step_through.py").run()
        assert not at.exception
        return "anas-model · character language model" in at.selectbox(key="model").options

    assert offered(ana) and offered(teacher)
    assert not offered(bo) and not offered(stranger)
    teacher.switch_page(LESSONS).run()
    teacher.toggle(key="class_share_models").set_value(True).run()  # in the class controls
    assert classes.where(code).share_models
    assert offered(bo) and not offered(stranger)
    owner_store.share(folder, True)
    assert offered(stranger)
