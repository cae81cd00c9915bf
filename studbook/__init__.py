"""studbook: an open captive-breeding studbook manager.

Records (SQL), pedigree analysis (kinship, mean kinship, gene diversity, founder
statistics, gene drop) and breeding decisions, on any OS.
"""

__version__ = "0.1.0"
