"""Partners as participants, through consent (issue 15 item 2): staff of partner organisations
invited to junge_erwachsene cases read only the consented data categories and record their part
of the plan goals assigned to them."""
