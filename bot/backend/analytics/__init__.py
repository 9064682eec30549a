"""Figures for supervisors, fed by Rasa's event stream (the consumer) and the backend's tables."""
