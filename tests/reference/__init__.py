"""Plain, obviously-correct twins of the fast genetics algorithms (tests only)."""
