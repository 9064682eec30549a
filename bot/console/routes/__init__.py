"""HTTP endpoints of the console: pages, session, calls, requests, handoffs."""
