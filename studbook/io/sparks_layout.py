"""The SPARKS exchange and moves tables: column names, dBase types and widths.

Source: the real SPARKS -> PM2000/PMx export of the California condor studbook
(``shared/docs/formats-and-validation.md`` 1.2, read off ``exchange.dbf`` and
``moves.dbf``). The same names head the CSV form of the tables (PMx's ``EXCHANGE.CSV``).

dBase types: ``C`` text (right-aligned IDs are trimmed on reading), ``D`` date
(``YYYYMMDD``), ``L`` logical (``T``/``F``), ``N`` number (width, decimals).
"""

from __future__ import annotations

from typing import NamedTuple


class Column(NamedTuple):
    name: str
    type: str  # C, D, L or N
    width: int
    decimals: int = 0


EXCHANGE_COLUMNS: tuple[Column, ...] = (
    Column("STUD_ID", "C", 6), Column("DAM_ID", "C", 6), Column("SIRE_ID", "C", 6),
    Column("BDATE", "D", 8), Column("BIRTH_EST", "C", 1), Column("SEX", "N", 1),
    Column("ID", "N", 5), Column("DID", "N", 5), Column("SID", "N", 5),
    Column("DATEIN", "D", 8), Column("IN_EST", "C", 1), Column("DATEOUT", "D", 8), Column("OUT_EST", "C", 1),
    Column("DEATHDATE", "D", 8), Column("DEATH_EST", "C", 1),
    Column("LOCATION", "C", 9), Column("LOCAL_ID", "C", 6), Column("INSTCODE", "C", 9),
    Column("SOCIALGRP", "C", 16), Column("SELECTED", "L", 1), Column("DEAD", "L", 1),
    Column("DAM_ID_TMP", "C", 6), Column("SIRE_IDTMP", "C", 6),
    Column("INBREED", "N", 8, 4), Column("AGE", "N", 5), Column("KNOWN", "N", 8, 4),
    Column("INBREED_KN", "N", 8, 4), Column("MK", "N", 8, 4), Column("MK_KN", "N", 8, 4),
    Column("KV", "N", 8, 4), Column("KV_KN", "N", 8, 4), Column("VX", "N", 8, 4),
    Column("GU_ALL", "N", 8, 4), Column("GU_DESC", "N", 8, 4), Column("PR_LOST", "N", 8, 4),
    Column("COMMENT", "C", 60),
)

MOVES_COLUMNS: tuple[Column, ...] = (
    Column("STUD_ID", "C", 6), Column("TRAN_CODE", "C", 2), Column("PHYSICAL", "L", 1), Column("OWNER", "L", 1),
    Column("LOCATION", "C", 9), Column("LOCAL_ID", "C", 6), Column("TRAN_DATE", "D", 8),
    Column("TDATE_EST", "C", 1), Column("REM_DATE", "D", 8), Column("RDATE_EST", "C", 1),
    Column("INSTCODE", "C", 9),
)

# Columns 24-35 of the exchange table: outputs of the analysis, -1 = not computed.
ANALYSIS_COLUMNS = tuple(c.name for c in EXCHANGE_COLUMNS[23:35])
NOT_COMPUTED = -1.0

# Columns an import needs (the others may be missing from a hand-made CSV).
EXCHANGE_REQUIRED = ("STUD_ID", "DAM_ID", "SIRE_ID", "BDATE", "SEX")
MOVES_REQUIRED = ("STUD_ID", "TRAN_CODE", "LOCATION", "TRAN_DATE")

# Transaction codes (formats-and-validation.md 1.2; LTF from the AZA event words "go ltf").
EVENT_OF_CODE = {"AA": "birth", "AB": "capture", "AS": "transfer", "BI": "release", "BA": "death", "LTF": "ltf"}
CODE_OF_EVENT = {kind: code for code, kind in EVENT_OF_CODE.items()}

# Estimate codes of BDATE/TRAN_DATE/...: blank exact day, D day estimated, M month known, Y year known.
ESTIMATE_CODES = ("", "D", "M", "Y")

# --- additions for the exporters (``services/export_sparks.py``) ------------------------------

# File names the exporters write (lower case; readers match them case-insensitively).
EXCHANGE_FILE = "exchange"
MOVES_FILE = "moves"

# C fields SPARKS stores right-aligned (``'   123'``, ``' 03588'``); readers trim them.
RIGHT_ALIGNED = ("STUD_ID", "DAM_ID", "SIRE_ID", "DAM_ID_TMP", "SIRE_IDTMP", "LOCAL_ID")

# SEX: 1 male, 0 female, 5 unknown (formats-and-validation.md 1.2).
SEX_CODE = {"M": 1, "F": 0, "U": 5}

# Parent cells other than a studbook ID.
PARENT_WORDS = ("WILD", "UNK", "MULT")

# PMx extra files (docs/export-sparks-pmx-xlsx.md; the PMx layouts are NOT verified against PMx).
PMX_MULT_COLUMNS = ("offspring", "role", "candidate", "probability")  # role S (sire) or D (dam)
PMX_CENSUS_COLUMNS = ("STUD_ID", "SEX", "BDATE", "BIRTH_EST", "LOCATION", "LOCAL_ID", "STATUS", "CENSUS_DATE")
