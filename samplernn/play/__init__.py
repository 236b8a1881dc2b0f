"""Play a model: MIDI events (a keyboard, or a file in simulated real time) → the streaming engine's
voices → audio (a sound card, or a WAV file). events.py reads them, keyboard.py turns them into
notes (sustain pedal, transposition, range), session.py runs the engine block by block, devices.py
wraps python-rtmidi and sounddevice with one-line errors."""
