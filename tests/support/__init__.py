"""Helpers the tests share: synthetic audio and MIDI, prepared datasets, tiny models."""
