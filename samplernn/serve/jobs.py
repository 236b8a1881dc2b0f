"""Jobs: work the page asks for (takes of a note, a MIDI render), run one at a time by a single
worker thread, each writing only into its own folder under one temporary root.

Generation is CPU-bound and the model is shared, so one job runs at a time and the others wait in
a bounded queue; the page polls a job's state and progress. Finished jobs expire after a while
(their folders removed), and closing the store removes the whole root.
"""

from __future__ import annotations

import logging
import queue
import shutil
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samplernn.common.errors import UserError

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "error"

# What a job does: work(job) writes into job.dir, reports through job.report and returns the
# result (JSON values) the page shows. A UserError's message is shown as it is.
Work = Callable[["Job"], dict[str, Any]]


class QueueFull(UserError):
    """Too many jobs are waiting; the request is refused, not queued."""


class ShuttingDown(UserError):
    """Raised inside a running job's work at its next progress report once the store closes, so
    that Ctrl-C ends the server within a report's time, not after the whole render."""


@dataclass
class Job:
    """One piece of work and its state. `files` are the names under `dir` the page may fetch."""

    id: str
    kind: str
    dir: Path
    state: str = QUEUED
    progress: float = 0.0  # 0..1
    stage: str = "waiting"
    message: str | None = None
    result: dict[str, Any] | None = None
    files: set[str] = field(default_factory=set)
    created: float = field(default_factory=time.monotonic)
    finished: float | None = None
    stop: threading.Event = field(default_factory=threading.Event, repr=False)  # set: store closing

    def report(self, fraction: float, stage: str | None = None) -> None:
        """Progress from the work: `fraction` of the job done (clipped to 0..1), and its stage.
        Raises ShuttingDown once the store is closing (the work stops there)."""
        if self.stop.is_set():
            raise ShuttingDown("the server is shutting down")
        self.progress = min(max(float(fraction), 0.0), 1.0)
        if stage is not None:
            self.stage = stage

    def add_file(self, name: str) -> Path:
        """Register `name` as a file the page may fetch; returns its path in the job's folder."""
        self.files.add(name)
        return self.dir / name

    def to_dict(self) -> dict[str, Any]:
        """The job as the page sees it."""
        return {"id": self.id, "kind": self.kind, "state": self.state, "progress": self.progress,
                "stage": self.stage, "message": self.message, "result": self.result}  # fmt: skip


class JobStore:
    """Jobs by id, their folders under one temporary root, and the worker that runs them in order.

    submit() is safe from any thread. Raises QueueFull when `max_waiting` jobs already wait.
    """

    def __init__(self, *, max_waiting: int = 8, ttl_s: float = 3600.0, max_jobs: int = 64,
                 announce: Callable[[str], None] | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="samplernn-serve-"))
        self.announce = announce  # one line per finished job (the serve command's terminal)
        self.max_waiting, self.ttl_s, self.max_jobs = max_waiting, ttl_s, max_jobs
        self._jobs: dict[str, Job] = {}
        self._held: Counter[str] = Counter()  # jobs whose files are being read (hold): kept till released
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[Job, Work] | None] = queue.Queue()
        self._closing = threading.Event()
        self._worker = threading.Thread(target=self._run, name="samplernn-serve-worker", daemon=True)
        self._worker.start()

    def new_job(self, kind: str) -> Job:
        """A job with a fresh folder, not yet queued (its request can still be refused)."""
        self.expire()
        job_id = uuid.uuid4().hex[:12]
        job = Job(job_id, kind, self.root / job_id, stop=self._closing)
        job.dir.mkdir()
        return job

    def submit(self, job: Job, work: Work) -> Job:
        """Queue `job` to run `work`; QueueFull (the job's folder removed) when too many wait."""
        with self._lock:
            waiting = sum(j.state == QUEUED for j in self._jobs.values())
            if waiting >= self.max_waiting:
                shutil.rmtree(job.dir, ignore_errors=True)
                raise QueueFull(f"the server is busy ({waiting} jobs waiting); try again in a moment")
            self._jobs[job.id] = job
        self._queue.put((job, work))
        return job

    def discard(self, job: Job) -> None:
        """Forget a job that was never submitted (its request was refused) and remove its folder."""
        shutil.rmtree(job.dir, ignore_errors=True)

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None (unknown or expired)."""
        with self._lock:
            return self._jobs.get(job_id)

    def hold(self, job_id: str) -> Job | None:
        """The job with this id (None: unknown or expired), its folder kept until release(job) even
        if it expires meanwhile: a file looked up is still there to be read. Safe from any thread."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._held[job_id] += 1
            return job

    def release(self, job: Job) -> None:
        """End one hold() of `job`; its folder is removed now if it expired while held."""
        with self._lock:
            self._held[job.id] -= 1
            if self._held[job.id] > 0:
                return
            del self._held[job.id]
            expired = job.id not in self._jobs
        if expired:
            shutil.rmtree(job.dir, ignore_errors=True)

    def expire(self, now: float | None = None) -> None:
        """Remove finished jobs older than the ttl, then the oldest finished ones beyond max_jobs (the
        folder of one held, see hold, once it is released)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            done = sorted(
                (j for j in self._jobs.values() if j.finished is not None), key=lambda j: j.finished
            )
            old = [j for j in done if now - j.finished > self.ttl_s]
            excess = len(self._jobs) - len(old) - self.max_jobs
            old += [j for j in done if j not in old][: max(0, excess)]
            for j in old:
                del self._jobs[j.id]
            old = [j for j in old if j.id not in self._held]
        for j in old:
            shutil.rmtree(j.dir, ignore_errors=True)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker (the running job at its next progress report, ShuttingDown; waiting at
        most `timeout` s; waiting jobs are dropped) and remove the root."""
        self._closing.set()
        self._queue.put(None)
        self._worker.join(timeout)
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            job, work = item
            job.state, job.stage = RUNNING, "starting"
            started = time.monotonic()
            state, message = self._attempt(job, work)
            job.finished, job.message = time.monotonic(), message
            if state == DONE:
                job.progress, job.stage = 1.0, "done"
            self.expire()  # keeps at most max_jobs finished, this one counted
            if self.announce is not None:
                self.announce(_finished_line(job, state, started))
            job.state = state  # last: a poller that sees the final state sees everything else

    def _attempt(self, job: Job, work: Work) -> tuple[str, str | None]:
        """Run `work` for `job`: (DONE, None), or (FAILED, the one line the page shows)."""
        try:
            if self._closing.is_set():
                raise ShuttingDown("the server is shutting down")
            job.result = work(job)
            return DONE, None
        except UserError as exc:
            return FAILED, str(exc)
        except Exception as exc:  # the page gets one line; the server log the traceback
            log.exception("job %s (%s) failed", job.id, job.kind)
            return FAILED, f"{job.kind} failed: {type(exc).__name__}: {exc}"


def _finished_line(job: Job, state: str, started: float) -> str:
    """The terminal's line for a finished job: how long it ran (not counting the time it waited
    behind other jobs, which is said apart: a 1-s render queued behind a long one is no slow render)."""
    took, waited = job.finished - started, started - job.created
    queued = f" ({waited:.1f} s queued)" if waited >= 0.05 else ""
    if state == DONE:
        return f"{job.kind} job {job.id}: done in {took:.1f} s{queued}"
    return f"{job.kind} job {job.id}: failed after {took:.1f} s{queued}: {job.message}"
