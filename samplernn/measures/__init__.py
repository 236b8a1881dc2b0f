"""Sound measures on audio arrays (numpy, no torch): pitch (pYIN), envelope extent and length,
level, spectra and timbre distances (sound.py); the noise floor between harmonics (noise.py).
Shared by training (checkpoint choice), evaluate and serve.
"""
