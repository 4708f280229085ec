"""Retention after closing: the period of each process, legal holds, the daily erasure run and
the supervisors' list of upcoming erasures. The erasure itself is ``app.erasure.services.erase_case``."""
