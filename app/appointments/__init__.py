"""Appointments of a case (Termine): booked by the case's full participants, shown in the case
view and under "Meine Termine", offered for the process steps that are meetings, remembered by
the timer worker and published to each user's private calendar feed (.ics)."""
