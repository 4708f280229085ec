"""The whole Alltagsbegleitung through the web pages, as each role, for each outcome."""

from __future__ import annotations

import pytest

from tests.flows import complete_web, instance, open_task, start_case_web, valid_data


def _run_until_abschluss(login_as):
    fb36, k201 = login_as("fb36"), login_as("k201")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung").status_code == 302
    assert complete_web(k201, case_id, "vermittlung").status_code == 302
    assert complete_web(fb36, case_id, "vorgespraech").status_code == 302
    volunteer = login_as("ehrenamt1")
    assert complete_web(volunteer, case_id, "rueckmeldung").status_code == 302
    for _ in range(2):
        assert complete_web(k201, case_id, "zwischengespraech").status_code == 302
    done = valid_data("zwischengespraech", abschluss_einleiten=True)
    assert complete_web(k201, case_id, "zwischengespraech", done).status_code == 302
    return fb36, k201, case_id


@pytest.mark.parametrize("outcome, shown", [("beenden", "Einsatz beenden"),
                                            ("ueberleiten", "In andere Maßnahme überleiten")])
def test_case_ends_with_outcome(app, login_as, outcome, shown):
    fb36, _k201, case_id = _run_until_abschluss(login_as)
    data = valid_data("abschluss", ergebnis=outcome)
    if outcome == "ueberleiten":
        data["folgemassnahme"] = "Sozialpädagogische Familienhilfe"
    assert complete_web(fb36, case_id, "abschluss", data).status_code == 302
    case = instance(app, case_id)
    assert case.status == "completed"
    assert case.outcome == outcome
    assert open_task(app, case_id, "rueckmeldung") is None
    page = fb36.get(f"/faelle/{case_id}").data.decode()
    assert "abgeschlossen" in page and f"Ergebnis: {shown}" in page


def test_fortfuehren_returns_to_running_assignment(app, login_as):
    fb36, k201, case_id = _run_until_abschluss(login_as)
    data = valid_data("abschluss", ergebnis="fortfuehren", neues_ende="2099-01-31")
    assert complete_web(fb36, case_id, "abschluss", data).status_code == 302
    case = instance(app, case_id)
    assert case.status == "running"
    assert open_task(app, case_id, "zwischengespraech") is not None
    assert open_task(app, case_id, "abschluss") is None


def test_fortfuehren_sets_new_end_date_that_stale_branches_do_not_revert(app, login_as):
    fb36, _k201, case_id = _run_until_abschluss(login_as)
    data = valid_data("abschluss", ergebnis="fortfuehren", neues_ende="2099-01-31")
    assert complete_web(fb36, case_id, "abschluss", data).status_code == 302
    assert instance(app, case_id).data["ende"] == "2099-01-31"
    volunteer = login_as("ehrenamt1")
    assert complete_web(volunteer, case_id, "rueckmeldung").status_code == 302
    assert instance(app, case_id).data["ende"] == "2099-01-31"
    assert "31.01.2099" in fb36.get(f"/faelle/{case_id}").data.decode()
