"""How a Rasa instance is served: the production topology and every process's speed changes."""
