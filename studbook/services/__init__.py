"""Services: the only code that mixes the database session with domain logic.

Each service takes an open ``Session`` (the caller owns the transaction), may
flush, never commits, and returns plain data for the CLI to render.
"""
