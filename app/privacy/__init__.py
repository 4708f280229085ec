"""Data protection: the record of processing activities (Art. 30 DSGVO) for the role
``datenschutz``, generated from the running configuration (process versions, forms, lanes)."""
