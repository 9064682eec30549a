"""Agent accounts, their sessions and the append-only log of what they did."""
