"""How a Rasa instance of the production topology is served (``python -m bot.serving``)."""
