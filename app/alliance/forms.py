"""The period of the alliance figures: whole calendar months, like every person-level statistic."""

from __future__ import annotations

from app.alliance.figures import FROM_FIRST, TO_LAST
from app.mbe.forms import StatisticsForm


class FiguresForm(StatisticsForm):
    from_first_message = FROM_FIRST
    to_last_message = TO_LAST
