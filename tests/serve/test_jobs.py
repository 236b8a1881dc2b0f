"""The job store: one job at a time in order, failures as one line, expiry and cleanup of files."""

from __future__ import annotations

import re
import threading
import time

import pytest

from samplernn.common.errors import UserError
from samplernn.serve.jobs import DONE, FAILED, QUEUED, JobStore, QueueFull


def finish(store: JobStore, job, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while job.state not in (DONE, FAILED):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return job


@pytest.fixture
def store():
    s = JobStore(max_waiting=2, ttl_s=60.0, max_jobs=3)
    yield s
    s.close()


def test_jobs_run_one_at_a_time_in_order() -> None:
    store = JobStore(max_waiting=5)
    running, overlaps, order = [0], [], []

    def work(job):
        running[0] += 1
        overlaps.append(running[0])
        time.sleep(0.02)
        order.append(job.id)
        (job.dir / "out.txt").write_text(job.id)
        job.add_file("out.txt")
        running[0] -= 1
        return {"id": job.id}

    jobs = [store.submit(store.new_job("t"), work) for _ in range(3)]
    for j in jobs:
        finish(store, j)
    assert max(overlaps) == 1 and order == [j.id for j in jobs]
    assert all((j.dir / "out.txt").read_text() == j.id and j.files == {"out.txt"} for j in jobs)
    assert len({j.dir for j in jobs}) == 3
    store.close()


def test_failures_are_one_line_for_the_page(store: JobStore) -> None:
    def mistake(job):
        raise UserError("that note is not known")

    def bug(job):
        raise KeyError("oops")

    a = finish(store, store.submit(store.new_job("takes"), mistake))
    b = finish(store, store.submit(store.new_job("render"), bug))
    assert (a.state, a.message) == (FAILED, "that note is not known")
    assert b.state == FAILED and b.message == "render failed: KeyError: 'oops'"


def test_each_finished_job_is_announced_in_one_line() -> None:
    said: list[str] = []
    store = JobStore(announce=said.append)
    ok = finish(store, store.submit(store.new_job("takes"), lambda job: {}))
    bad = finish(store, store.submit(store.new_job("render"), lambda job: 1 / 0))
    store.close()
    assert said[0].startswith(f"takes job {ok.id}: done in ") and said[0].endswith(" s")
    assert said[1].startswith(f"render job {bad.id}: failed after ")
    assert said[1].endswith("render failed: ZeroDivisionError: division by zero")


def test_a_job_announces_its_run_time_apart_from_its_wait() -> None:
    """A job queued behind a slow one ran in no time: its line said 'done in 0.4 s', the wait
    counted as its run."""
    said: list[str] = []
    store = JobStore(announce=said.append)
    gate = threading.Event()
    slow = store.submit(store.new_job("render"), lambda job: gate.wait(10) and {})
    quick = store.submit(store.new_job("takes"), lambda job: {})
    time.sleep(0.4)
    gate.set()
    finish(store, slow), finish(store, quick)
    store.close()
    took, waited = map(float, re.fullmatch(rf"takes job {quick.id}: done in (\S+) s \((\S+) s queued\)",
                                            said[1]).groups())  # fmt: skip
    assert took < 0.2 <= waited


def test_a_full_queue_refuses_new_jobs_and_removes_their_folder(store: JobStore) -> None:
    gate = threading.Event()
    first = store.submit(store.new_job("t"), lambda job: gate.wait(10) and {})
    while first.state == QUEUED:
        time.sleep(0.01)
    waiting = [store.submit(store.new_job("t"), lambda job: {}) for _ in range(2)]
    refused = store.new_job("t")
    with pytest.raises(QueueFull, match="busy"):
        store.submit(refused, lambda job: {})
    assert not refused.dir.exists() and store.get(refused.id) is None
    gate.set()
    for j in waiting:
        finish(store, j)


def test_old_and_excess_jobs_expire_with_their_files(store: JobStore) -> None:
    jobs = [finish(store, store.submit(store.new_job("t"), lambda job: {})) for _ in range(3)]
    store.expire(now=jobs[0].finished + 30)  # none old yet, and not more than max_jobs
    assert all(store.get(j.id) for j in jobs)
    extra = finish(store, store.submit(store.new_job("t"), lambda job: {}))
    assert store.get(jobs[0].id) is None and not jobs[0].dir.exists()  # the oldest beyond max_jobs
    store.expire(now=extra.finished + 61)
    assert all(store.get(j.id) is None and not j.dir.exists() for j in [*jobs, extra])


def test_a_held_job_keeps_its_files_until_released_though_it_expires(store: JobStore) -> None:
    """A download looks its job up, then reads the file: expiring in between removed the file under it."""
    job = finish(store, store.submit(store.new_job("t"), lambda job: {}))
    assert store.hold(job.id) is job and store.hold(job.id) is job and store.hold("unknown") is None
    store.expire(now=job.finished + 61)
    assert store.get(job.id) is None and store.hold(job.id) is None  # expired: no new lookups
    assert job.dir.is_dir()  # but the two readers still read it
    store.release(job)
    assert job.dir.is_dir()
    store.release(job)
    assert not job.dir.exists()  # the last reader gone: removed
    kept = finish(store, store.submit(store.new_job("t"), lambda job: {}))
    store.hold(kept.id)
    store.release(kept)
    assert store.get(kept.id) is kept and kept.dir.is_dir()  # released before expiring: kept as any job


def test_close_removes_every_file() -> None:
    s = JobStore()
    job = finish(s, s.submit(s.new_job("t"), lambda job: {}))
    assert job.dir.is_dir()
    s.close()
    assert not s.root.exists()


def test_close_stops_a_running_job_at_its_next_report() -> None:
    """Ctrl-C during a render waited for the render to finish: the work now stops at its next
    progress report, and the worker is gone when close() returns."""
    s = JobStore()
    started, reports = threading.Event(), []

    def long_render(job):
        started.set()
        for i in range(60_000):  # ten minutes of reports unless stopped
            job.report(i / 60_000, "generating")
            reports.append(i)
            time.sleep(0.01)
        return {}

    job = s.submit(s.new_job("render"), long_render)
    assert started.wait(10)
    s.close(timeout=10.0)
    assert not s._worker.is_alive() and len(reports) < 60_000
    assert (job.state, job.message) == (FAILED, "the server is shutting down")
    assert not s.root.exists()
