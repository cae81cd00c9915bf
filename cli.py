#!/usr/bin/env python3
"""Shim: ``python cli.py ARGS`` behaves exactly like ``studbook ARGS``."""

from studbook.cli import main

if __name__ == "__main__":
    main()
