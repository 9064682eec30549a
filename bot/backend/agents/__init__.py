"""Hotline agents: accounts (service), console sessions (sessions), audit log (audit)."""
