"""Whose a model made in the app is (lstm_viz/store/owners.py): its visitor's, their class's, or everyone's."""

from lstm_viz.classroom.codes import digest
from lstm_viz.store import owners

ANA, BO = digest("ana"), digest("bo")


def test_a_model_is_its_visitors_until_shared(tmp_path):
    owners.claim(tmp_path, ANA)
    assert owners.visible(tmp_path, False, ANA, None, None)
    assert not owners.visible(tmp_path, False, BO, None, None)
    assert owners.is_mine(tmp_path, ANA) and not owners.is_mine(tmp_path, BO)
    owners.share(tmp_path, True)
    assert owners.visible(tmp_path, False, BO, None, None) and not owners.is_mine(tmp_path, BO)
    owners.share(tmp_path, False)
    assert not owners.visible(tmp_path, False, BO, None, None)


def test_a_students_model_is_seen_by_the_teacher_and_by_the_class_when_shared(tmp_path):
    owners.claim(tmp_path, ANA, "ABCDEFGHJK")
    assert owners.visible(tmp_path, False, BO, "ABCDEFGHJK", None)  # Bo teaches the class
    assert not owners.visible(tmp_path, False, BO, "ZZZZZZZZZZ", None)  # another class's teacher
    assert owners.visible(tmp_path, False, BO, None, "ABCDEFGHJK")  # the teacher shared the class's models
    assert not owners.visible(tmp_path, False, BO, None, None)


def test_models_without_an_owner_are_everyones_and_a_hostile_owner_file_is_ignored(tmp_path):
    assert owners.visible(tmp_path, False, BO, None, None) and owners.is_mine(tmp_path, BO)
    assert owners.visible(tmp_path, True, BO, None, None)
    for hostile in (b"x" * 10_000, b"[]", b'{"visitor": "../../etc"}', b'{"visitor": 5}', b"\xff\xfe"):
        (tmp_path / owners.OWNER).write_bytes(hostile)
        assert owners.read(tmp_path) is None
    (tmp_path / owners.OWNER).write_text(f'{{"visitor": "{ANA}", "class": "<b>", "shared": "yes"}}')
    assert owners.read(tmp_path) == {"visitor": ANA, "class": None, "shared": False}


def test_the_browsers_secret_is_read_under_the_cookies_changing_mask():
    from lstm_viz.ui.owners import browser_secret

    one = browser_secret("2|25f6ba92|4378a9254ecd78c38a91f903b85a49ec|1796623490")
    again = browser_secret("2|b147242d|d7c9379ada7ce67c1e2067bc2cebd753|1796623490")  # the same browser, reloaded
    assert one == again and len(one) == 32
    assert browser_secret("2|25f6ba92|4378a9254ecd78c38a91f903b85a49ec|1") != browser_secret(
        "2|25f6ba93|4378a9254ecd78c38a91f903b85a49ec|1"
    )
    for hostile in (None, "", "2|zz|yy|1", "2||00|1", "x" * 1000, "1|2|3"):
        assert browser_secret(hostile) is None
