"""Directory login (LDAP / Active Directory, OpenID Connect): accounts created on first login,
teams and roles from the directory's groups through an admin-edited mapping table."""
