"""Figures for the alliance (Bündniskerngruppe, seed 003 "Gemeinsam klappt's"): anonymous,
masked figures over the young adults' case management (process ``junge_erwachsene``) — the
target group by residence status and benefits system, the share who received an offer of
training or employment (the seed's aim), transitions between legal systems, the time from
intake to the first such offer, and the outcomes of closed cases."""
