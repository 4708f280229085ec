"""The offers catalogue of the municipal integration management (seed 003, issue 15 item 3):
offers of the partners in the directory with their target conditions, matching for a young
adult's case (ranked with reasons, excluded ones with the reason) and the gap report
("Förderlücken": needs that no accessible offer covers, by residence status)."""
