"""Chat conversations handed from the bot to a person, and back."""
