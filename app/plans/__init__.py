"""Plans that live: the goals of a case (Alltagsbegleitung goals, MBE Förderplan) as rows that
full participants add, change, re-date and close at a review and between reviews, each change
recorded; the case data's ``ziele`` always mirrors the current plan for the later steps."""
