"""Notifications: in-app notices and e-mails about new tasks, crises and overdue tasks.

``services`` writes them (inside the caller's transaction), ``mailer`` sends the outbox after
commit and retries in the timer worker's round, ``routes`` shows them.
"""
