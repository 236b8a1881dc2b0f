"""Training: takes a prepared dataset dir, gives a run dir (checkpoints, metrics.jsonl, loss.png)."""
