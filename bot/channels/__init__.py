"""Rasa input channels of the assistant (web chat, WeChat), loaded from credentials.yml."""
