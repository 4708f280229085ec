"""The right of access (Art. 15 DSGVO, issue 14 item 5): everything held about a person as one ZIP.

For an MBE client (``app.mbe.models.Client``) the export holds the master data and every case of
the client; for a case without a client record (Alltagsbegleitung: the family is only in the case
data) the one case. The ZIP has a printable German summary (``auskunft.html``), the same content
machine-readable (``auskunft.json``) and the case documents (``dokumente/``). Who may export is in
``access.py``; what goes in, in ``content.py``; the ZIP, in ``archive.py``; ``services.py`` is the
one door the page and the API call, and logs the export (one access log row).
"""
