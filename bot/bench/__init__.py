"""``make bench``: Yucai against stock Rasa and an echo server, measured in one run.

The harness (``python -m bot.bench``) starts every reference itself, drives it
over HTTP on 127.0.0.1 and writes a table, JSON and a plot under
``var/bench/``. It is an operator's tool, not a test: nothing here asserts a
speed, and no serving code imports it. README, "Performance (make bench)",
says how to read what it prints.
"""
