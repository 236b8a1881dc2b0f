"""`samplernn serve`: a local web page to audition, curate and download takes of a note and to
render uploaded MIDI files (app.py: the routes; jobs.py: the one-at-a-time work queue; requests.py:
validation; work.py: what a job does; ranking.py: how takes are ordered; static/: the page)."""
