"""Extensions of the tenant system."""
