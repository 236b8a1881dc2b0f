"""Rendering: takes a checkpoint and notes or a MIDI file, gives WAV files (synth, render, demo)."""
