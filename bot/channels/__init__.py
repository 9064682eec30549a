"""Rasa input channels of the assistant (WeChat, web widget)."""
