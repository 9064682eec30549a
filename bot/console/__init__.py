"""The hotline agent console: sign-in, call assistance, requests and chat handoffs."""
