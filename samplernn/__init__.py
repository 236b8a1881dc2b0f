"""Conditional SampleRNN synthesizer toolkit."""

__version__ = "0.1.0"
