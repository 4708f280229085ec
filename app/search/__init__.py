"""Finding a case: by reference number, name or date of birth, among the cases the user may see.

The name searched is the case's title (the family name of an Alltagsbegleitung case, the client of
an MBE case with consent) in search form (``process_instance.search_name``, kept in step with the
title here); on PostgreSQL a trigram index also finds names with a typo ("Amadi" → "Ahmadi").
"""
