"""The version outline names where each step leads, with its condition (shared part of both outlines)."""

from tests.factories import login


def test_outline_shows_next_steps(app):
    c = login(app.test_client(), "prozess")
    page = c.get("/prozessmodelle/alltagsbegleitung/versionen/1").get_data(as_text=True)
    assert "Weiter:" in page and "wenn" in page and 'href="#step-' in page
