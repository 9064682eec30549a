"""Ownership-proof failures counted in the database, so guessing stops on every instance."""
