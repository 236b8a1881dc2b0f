"""The dataset-dir contract: manifest.csv (manifest.py) and the folder with its dataset.json
(dataset.py), each with its reader and writer; then quantised audio and TBPTT batches for training.
"""
