"""The access log (issue 14, item 1): every read of social data, append-only.

Who read which case, client, document, journal or export, when, in which role, through which
page or API call, and whether only as a substitute. ``services.record`` is the one door to it.
"""
