"""Extensions of the sales domain (srm)."""
