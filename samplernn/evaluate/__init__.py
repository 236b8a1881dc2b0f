"""Evaluation: takes a checkpoint and a dataset, gives a report (NLL, sound measures, tables, PNG)."""
