"""Fault injection on 127.0.0.1: a TCP proxy that passes, refuses, or loses answers."""
