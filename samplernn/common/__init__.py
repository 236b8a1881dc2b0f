"""Shared by every stage: errors, atomic files, audio I/O, device choice, progress, plots."""
