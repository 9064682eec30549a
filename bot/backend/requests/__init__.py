"""Service requests: numbering, lifecycle, audit events and idempotent creation."""
