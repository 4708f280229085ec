"""Erasing the personal data of a case while its anonymous statistics facts stay (issue 14,
items 3 and 4): used by the retention run and by a withdrawal of consent."""
