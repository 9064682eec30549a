"""Pure parsers of what people type (mobile, resident ID, districts, Chinese dates, half
days, names, the choices of each request kind).

Shared by the action server and the console, which import them from here and never from
each other: `answers` (the common answers), `dates` (Chinese dates and numerals) and
`services` (the answers particular to a request kind).
"""
