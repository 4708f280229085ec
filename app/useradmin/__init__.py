"""User administration (admins): create and edit accounts, roles and teams, reset passwords,
deactivate; every change recorded in ``user_admin_event``."""
