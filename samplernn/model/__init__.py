"""The model:
takes a ModelConfig, gives the SampleRNN modules, quantisation, NLL and self-contained checkpoints.
"""
