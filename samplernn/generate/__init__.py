"""Generation engines: take a checkpoint's model and per-sample conditioning, give audio samples."""
