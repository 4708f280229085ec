"""The form builder's pages without JavaScript: build a form row by row, see the preview (the
real form class through the task page's macros), save versions, problems next to the inputs."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.auth.models import User
from app.engine.models import ProcessModel
from app.extensions import db
from app.formbuilder.models import FormDefinitionVersion
from app.modeler import services as modeler


def _inputs(html: str) -> dict[str, str]:
    """The editor's text inputs and selected options, as a browser would post them back."""
    data = {}
    for name, value in re.findall(r'<input[^>]*type="(?:text|hidden)"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        data[name] = value
    for name in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html):
        data[name[0]] = name[1]
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body) or re.search(r'<option value="([^"]*)"', body)
        data[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = body.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
    for name in re.findall(r'<input type="checkbox"[^>]*name="([^"]+)" value="y" checked', html):
        data[name] = "y"
    return data


def test_build_a_form_without_javascript(ctx, login_as):
    browser = login_as("prozess")
    assert "Formulare" in browser.get("/formulare").get_data(as_text=True)
    page = browser.get("/formulare/neu").get_data(as_text=True)
    assert page.count("<h1>") == 1
    data = {**_inputs(page), "key": "probe.kontakt", "title_de": "Kontakt", "new_type": "number", "action": "add"}
    page = browser.post("/formulare/neu", data=data).get_data(as_text=True)
    assert 'name="f-0-name" value="feld_1"' in page
    data = {**_inputs(page), "new_type": "choice", "action": "add"}
    page = browser.post("/formulare/neu", data=data).get_data(as_text=True)
    data = {**_inputs(page), "f-0-label_de": "Anzahl Kinder", "f-0-max": "9", "f-1-label_de": "Dringlichkeit",
            "f-1-choices": "normal | normal\nhoch | hoch | high", "action": "up:f-1"}
    page = browser.post("/formulare/neu", data=data).get_data(as_text=True)
    # moved up: the choice is field 1 now; the preview renders the real form
    assert 'name="f-0-label_de" value="Dringlichkeit"' in page
    preview = page.split('id="builder-preview"')[1]
    assert 'name="vorschau-dringlichkeit"' not in preview  # names are feld_1/feld_2 until renamed
    assert 'type="radio"' in preview and "Anzahl Kinder" in preview and 'name="vorschau-feld_1"' in preview

    # a bad definition: German messages next to the inputs, 422, nothing saved
    bad = {**_inputs(page), "f-1-name": "Status!", "f-0-label_de": "", "action": "save"}
    response = browser.post("/formulare/neu", data=bad)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'id="f-1-name-error"' in text and "nicht zulässig" in text
    assert 'id="f-0-label_de-error"' in text and "Bitte eine Beschriftung angeben." in text
    assert 'href="#f-1-name"' in text
    assert db.session.scalar(select(func.count(FormDefinitionVersion.id))) == 0

    saved = browser.post("/formulare/neu", data={**_inputs(page), "comment": "erste Fassung", "action": "save"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/formulare/probe.kontakt")
    page = browser.get("/formulare/probe.kontakt").get_data(as_text=True)
    assert "erste Fassung" in page and 'name="vorschau-feld_1"' in page
    # saving the same content makes no new version; a change does
    browser.post("/formulare/probe.kontakt", data={**_inputs(page), "action": "save"})
    browser.post("/formulare/probe.kontakt", data={**_inputs(page), "f-0-label_de": "Eilt?", "action": "save"})
    assert db.session.scalar(select(func.count(FormDefinitionVersion.id))) == 2
    # the modeler's form list offers the builder form with its title
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "alltagsbegleitung"))
    owner = db.session.scalar(select(User).where(User.username == "prozess"))
    draft = modeler.create_draft(model, owner)
    db.session.commit()
    modeler_page = browser.get(f"/prozessmodelle/alltagsbegleitung/entwuerfe/{draft.id}").get_data(as_text=True)
    assert "Kontakt (Formular-Baukasten)" in modeler_page
    fragment = browser.post("/formulare/vorschau", data={**_inputs(page), "f-0-label_de": "Neu beschriftet"})
    assert fragment.status_code == 200 and "Neu beschriftet" in fragment.get_data(as_text=True)


def test_repeating_group_rows(ctx, login_as):
    browser = login_as("prozess")
    page = browser.get("/formulare/neu").get_data(as_text=True)
    base = {**_inputs(page), "key": "probe.gruppe", "title_de": "Gruppe"}
    page = browser.post("/formulare/neu", data={**base, "new_type": "group", "action": "add"}).get_data(as_text=True)
    assert 'name="f-0-s-0-name" value="eintrag"' in page
    page = browser.post("/formulare/neu", data={**_inputs(page), "action": "addsub:f-0"}).get_data(as_text=True)
    assert 'name="f-0-s-1-name" value="feld_1"' in page
    page = browser.post("/formulare/neu", data={**_inputs(page), "f-0-min_entries": "2",
                                                "action": "down:f-0-s-0"}).get_data(as_text=True)
    assert 'name="f-0-s-0-name" value="feld_1"' in page and 'name="f-0-s-1-name" value="eintrag"' in page
    preview = page.split('id="builder-preview"')[1]
    assert 'name="vorschau-feld_1-1-eintrag"' in preview  # two entries (minimum 2), both rendered
    page = browser.post("/formulare/neu", data={**_inputs(page), "action": "remove:f-0-s-0"}).get_data(as_text=True)
    assert 'name="f-0-s-1-name"' not in page and 'name="f-0-s-0-name" value="eintrag"' in page
