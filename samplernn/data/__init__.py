"""The dataset-dir contract:
takes a prepared dataset dir, gives note records, quantised audio and TBPTT batches.
"""
