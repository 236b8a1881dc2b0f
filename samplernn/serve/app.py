"""The web application of `samplernn serve`: a hand-written page (static/) and a small JSON API.

Why FastAPI (on Starlette, served by uvicorn): maintained, small, typed request bodies with
validation, uploads, static files and a test client (httpx) that drives the whole application
in-process, so the API is tested without a socket. The page is plain HTML, CSS and JavaScript
shipped as package data: nothing is fetched from the internet at run time (FastAPI's own
interactive docs, which load from a CDN, are switched off). Gradio was the other candidate: far
heavier, and its front end loads fonts and scripts from the internet by default.

API (JSON unless said; errors are {"detail": one line} with 4xx, never a traceback):
    GET  /                        the page
    GET  /api/model               sample rate, pitch range, known pitches (a drum model: "drums"
                                  and its kit's pieces by name), limits
    POST /api/takes               {note, velocity, duration, takes, seed?} → a job (202); for a
                                  drum model note is a kit key and a hit lasts the kit's length
    POST /api/render              multipart: file, transpose, clamp, seed? → a job (202)
    GET  /api/jobs/{id}           state (queued/running/done/error), progress 0..1, result
    GET  /api/jobs/{id}/files/{f} a job's WAV or PNG
    GET  /api/pack?take=ID:K&…    the kept takes as a zip "sample pack" (WAVs + takes.json)
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, StrictFloat, StrictInt, StrictStr
from starlette.types import Receive, Scope, Send

from conditioning.pitch import note_name
from samplernn.common.errors import UserError
from samplernn.common.lists import counted
from samplernn.generate.options import GenerationOptions
from samplernn.model.checkpoint import Checkpoint
from samplernn.render.drums import is_drum_model, kit_keys, piece_name
from samplernn.render.midi import RenderOptions
from samplernn.serve.hits import kit_reference, make_hit_takes
from samplernn.serve.jobs import DONE, Job, JobStore, QueueFull
from samplernn.serve.limits import ServeLimits
from samplernn.serve.requests import check_midi, check_render_fields, check_upload_size, take_request
from samplernn.serve.work import LABEL, make_takes, render_file, safe_name

STATIC = Path(__file__).parent / "static"
MEDIA_TYPES = {".wav": "audio/wav", ".png": "image/png"}
MULTIPART_SLACK = 16 * 1024  # form fields and boundaries around an upload


class TakesBody(BaseModel):
    """POST /api/takes: the note (name or MIDI number), velocity, note-on to note-off (s), takes;
    a field left out takes the server's ServeLimits default; an unknown field is refused (422), not
    ignored (a "temperature" the page cannot set would otherwise look accepted)."""

    model_config = ConfigDict(extra="forbid")

    # strict: JSON's true is not note 1 nor velocity 1 (pydantic's lax mode read it so)
    note: StrictStr | StrictInt
    velocity: StrictInt | None = None
    duration: StrictFloat | StrictInt | None = None  # as the others: "1" (a string) is no length
    takes: StrictInt | None = None
    seed: StrictInt | None = None


class NotFound(UserError):
    """An unknown or expired job, or a file the job did not write."""


class HeldFile(FileResponse):
    """A job's file sent with its job held (JobStore.hold), released once sent: the job expiring
    between the lookup and the read no longer removes the file under the response (a 500)."""

    def __init__(self, path: Path, release: Callable[[], None], media_type: str) -> None:
        super().__init__(path, media_type=media_type)
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release()


def create_app(ckpt: Checkpoint, limits: ServeLimits = ServeLimits(),
               announce: Callable[[str], None] | None = None, label: str = LABEL) -> FastAPI:
    """The application for one loaded checkpoint. Its job store (worker thread and temporary
    folder) lives from the application's startup to its shutdown, where its files are removed;
    `announce` gets one line per finished job (JobStore); `label`, the model's name (work.model_label),
    begins or ends the name of every file the page offers."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = JobStore(max_waiting=limits.max_waiting, ttl_s=limits.job_ttl_s,
                                   max_jobs=limits.max_jobs, announce=announce)  # fmt: skip
        try:
            yield
        finally:
            app.state.store.close()

    app = FastAPI(title="samplernn serve", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ckpt, app.state.limits, app.state.label = ckpt, limits, safe_name(label, LABEL)
    app.state.kit = kit_keys(ckpt.stats) if is_drum_model(ckpt) else None
    app.state.kit_reference = kit_reference(ckpt) if app.state.kit else None
    _error_handlers(app)
    app.middleware("http")(upload_size_guard)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    get = partial(app.api_route, methods=["GET", "HEAD"])  # HEAD: GET's answer without its body, as /static's
    get("/", include_in_schema=False)(lambda: FileResponse(STATIC / "index.html"))
    get("/api/model")(model_info)
    app.post("/api/takes", status_code=202)(post_takes)
    app.post("/api/render", status_code=202)(post_render)
    get("/api/jobs/{job_id}")(get_job)
    get("/api/jobs/{job_id}/files/{name}")(get_file)
    get("/api/pack")(get_pack)
    return app


def validation_line(error: dict[str, Any]) -> str:
    """One of a request's validation errors in words: "velocity: Input should be a valid integer";
    a body that is not JSON, or not a JSON object, said as such (pydantic's "1: JSON decode error"
    reads a character position as if it were a field)."""
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":
        why = (error.get("ctx") or {}).get("error")
        at = f" at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
        return "the request body is not valid JSON" + (f" ({why}{at})" if why else "")
    if loc == ("body",):  # the body as a whole
        if error.get("type") == "missing":
            return "the request body is empty: send a JSON object"
        return "the request body must be a JSON object"
    return f"{'.'.join(str(x) for x in loc[1:]) or 'request'}: {error.get('msg', 'invalid')}"


def _error_handlers(app: FastAPI) -> None:
    """Every refusal is {"detail": one line}: user mistakes 400 (404 unknown, 429 busy), malformed
    requests 422, anything unexpected 500 with its one-line reason."""

    def one_line(status: int) -> Any:
        return lambda request, exc: JSONResponse({"detail": str(exc)}, status_code=status)

    app.add_exception_handler(NotFound, one_line(404))
    app.add_exception_handler(QueueFull, one_line(429))
    app.add_exception_handler(UserError, one_line(400))

    def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": "; ".join(map(validation_line, exc.errors()))}, status_code=422)

    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(
        Exception, lambda request, exc: JSONResponse({"detail": f"server error: {exc}"}, status_code=500)
    )


async def upload_size_guard(request: Request, call_next: Any) -> Response:
    """Refuse an upload by its declared length before its body is read (411 without a length,
    400 over ServeLimits.max_upload_bytes); the route checks the bytes it reads as well."""
    if request.method != "POST" or request.url.path != "/api/render":
        return await call_next(request)
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        return JSONResponse({"detail": "an upload must declare its length"}, status_code=411)
    size, limit = int(declared), request.app.state.limits.max_upload_bytes
    if size - MULTIPART_SLACK > limit:  # the request's size, form fields and all, not the file's
        return JSONResponse({"detail": f"the upload is too large ({size / 1024:.0f} KiB with its form "
                                       f"fields; a file may be at most {limit / 1024:.0f} KiB)"},
                            status_code=400)
    return await call_next(request)


def model_info(request: Request) -> dict[str, Any]:
    """What the page needs to offer only what the model can do."""
    ckpt: Checkpoint = request.app.state.ckpt
    kit = request.app.state.kit
    lo, hi = ckpt.pitch_range or (0, 127)
    bank = sorted({p for p, _ in ckpt.stats.tails})
    notes = ([{"pitch": k, "name": piece_name(k), "in_bank": True} for k in kit] if kit else
             [{"pitch": p, "name": note_name(p), "in_bank": p in bank} for p in range(lo, hi + 1)])
    return {
        "sample_rate": ckpt.sample_rate,
        "step": ckpt.step,
        "name": request.app.state.label,  # the model's, as the download names say it
        "drums": kit is not None,
        "pitch_range": [lo, hi],
        "notes": notes,
        "bank_pitches": bank,
        "limits": request.app.state.limits.to_dict(),
    }


def post_takes(body: TakesBody, request: Request) -> dict[str, Any]:
    """Queue takes of one note (validated first: UserError → 400)."""
    state = request.app.state
    lim: ServeLimits = state.limits
    req = take_request(
        body.note,
        lim.default_velocity if body.velocity is None else body.velocity,
        body.duration,
        lim.default_takes if body.takes is None else body.takes,
        body.seed,
        lim,
        state.ckpt.pitch_range,
        state.kit,
    )
    store: JobStore = state.store
    job = store.new_job("takes")
    if state.kit:
        return store.submit(job, lambda j: make_hit_takes(state.ckpt, req, j, state.kit_reference,
                                                          state.label)).to_dict()
    return store.submit(job, lambda j: make_takes(state.ckpt, req, j, state.label)).to_dict()


def _upload_name(filename: str | None) -> str:
    """A safe display and file name for an uploaded file: its base name (safe_name)."""
    return safe_name(Path(filename or "upload.mid").name, "upload.mid")


def post_render(
    request: Request,
    file: Annotated[list[UploadFile], File()],
    transpose: Annotated[int, Form()] = 0,
    clamp: Annotated[bool, Form()] = False,
    seed: Annotated[int | None, Form()] = None,
) -> dict[str, Any]:
    """Queue the render of one uploaded MIDI file, checked first (size, MIDI, length, notes).

    Raises UserError (400) when the form carries more than one file (one render is one piece), or a
    transpose or seed out of bounds (requests.check_render_fields).
    """
    if len(file) != 1:
        raise UserError(f"upload one MIDI file to render, got {len(file)} in one request")
    check_render_fields(transpose, seed)
    (upload,) = file
    state = request.app.state
    limits: ServeLimits = state.limits
    data = upload.file.read(limits.max_upload_bytes + 1)
    name = _upload_name(upload.filename)
    try:
        check_upload_size(len(data), limits)
    except UserError as exc:  # named, as every other refusal of the file ("song.mid: the file is empty")
        raise UserError(f"{name}: {exc}") from None
    store: JobStore = state.store
    job = store.new_job("render")
    try:
        path = job.dir / name
        path.write_bytes(data)
        if state.kit and transpose:
            raise UserError("a drum model's keys are pieces, not pitches: it takes no transpose")
        opts = RenderOptions(transpose=transpose, clamp=clamp, generation=GenerationOptions(seed=seed))
        notes, seconds = check_midi(path, name, opts, limits, state.ckpt.pitch_range, state.kit,
                                    state.ckpt.stats)
        job.stage = f"{counted(notes, 'hit' if state.kit else 'note')}, {seconds:.1f} s of music"
        work = partial(render_file, state.ckpt, path, name, opts, label=state.label)  # work(job)
        return store.submit(job, work).to_dict()
    except Exception:
        store.discard(job)
        raise


def _job(request: Request, job_id: str, hold: bool = False) -> Job:
    """The job `job_id`, held (JobStore.hold: the caller releases it) where `hold`; NotFound if none."""
    store: JobStore = request.app.state.store
    job = store.hold(job_id) if hold else store.get(job_id)
    if job is None:
        raise NotFound(f"no job {job_id!r} (unknown, or expired and its files removed)")
    return job


def get_job(job_id: str, request: Request) -> dict[str, Any]:
    """A job's state, progress and (when done) result."""
    request.app.state.store.expire()
    return _job(request, job_id).to_dict()


def get_file(job_id: str, name: str, request: Request) -> FileResponse:
    """One file a job wrote (only names the job registered: no paths from the request), sent whole
    even if its job expires meanwhile (HeldFile)."""
    job = _job(request, job_id, hold=True)
    release = partial(request.app.state.store.release, job)
    if name not in job.files or not (job.dir / name).is_file():
        release()
        raise NotFound(f"job {job_id} has no file {name!r}")
    return HeldFile(job.dir / name, release, MEDIA_TYPES.get(Path(name).suffix, "application/octet-stream"))


def _kept_take(request: Request, item: str, held: list[Job]) -> tuple[Path, dict[str, Any]]:
    """The WAV of take 'JOB:K' and its entry in takes.json, its job held (added to `held`, for the
    caller to release); NotFound when it is not (or no longer) there."""
    job_id, colon, k = item.partition(":")
    if not (colon and job_id and k.isascii() and k.isdigit()):  # '²' is a digit to str.isdigit
        raise UserError(f"take must be JOB:K (a job's id and a take's number), got {item!r}")
    job = request.app.state.store.hold(job_id)
    if job is not None:
        held.append(job)
    result = (job.result if job is not None else None) or {}
    found = [t for t in result.get("takes", []) if t["take"] == int(k)]  # '01' is take 1
    if job is None or job.state != DONE or not found:
        raise NotFound(f"no take {item!r} (unknown, or expired and its files removed)")
    take = found[0]
    entry = {"file": take["download"], **{f: result[f] for f in ("note", "velocity", "duration")}}
    entry.update((f, v) for f, v in take.items() if f not in ("wav", "png", "download"))
    return job.dir / take["wav"], entry


def unique_names(names: list[str]) -> list[str]:
    """`names` with each repeat made unique by a number before its extension ('F3-v100-0.50s-take2.wav'
    twice: the second 'F3-v100-0.50s-take2-2.wav'): takes of two generations of one note share a
    download name, and a zip must keep both."""
    used: set[str] = set()
    out: list[str] = []
    for name in names:
        stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
        new, k = name, 1
        while new in used or (new != name and new in names):
            k += 1
            new = f"{stem}-{k}{dot}{ext}"
        used.add(new)
        out.append(new)
    return out


def get_pack(request: Request, take: Annotated[list[str], Query()] = ()) -> Response:
    """A zip of the takes named 'JOB:K' (take K of job JOB), each under its download name, with
    takes.json holding their measures; their jobs are held while zipped (JobStore.hold)."""
    limits: ServeLimits = request.app.state.limits
    if not take:
        raise UserError("keep at least one take to download a sample pack")
    if len(take) > limits.max_pack_items:
        raise UserError(f"a sample pack holds at most {limits.max_pack_items} takes, got {len(take)}")
    held: list[Job] = []
    try:
        # the same take twice ('J:1', 'J:01') once; two takes of one name (two jobs' take 2) both
        found = [_kept_take(request, item, held) for item in take]
        by_path = {path.resolve(): (path, entry) for path, entry in found}
        names = unique_names([entry["file"] for _, entry in by_path.values()])
        kept = [(path, {**entry, "file": name})
                for (path, entry), name in zip(by_path.values(), names, strict=True)]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for path, entry in kept:
                zf.write(path, entry["file"])
            zf.writestr("takes.json", json.dumps([e for _, e in kept], indent=2))
    finally:
        for job in held:
            request.app.state.store.release(job)
    headers = {"Content-Disposition": attachment(f"{request.app.state.label}-pack.zip")}
    return Response(buf.getvalue(), media_type="application/zip", headers=headers)


def attachment(name: str) -> str:
    """A Content-Disposition saving the body as `name` (RFC 6266; a name beyond ASCII as UTF-8)."""
    quoted = quote(name)
    return f'attachment; filename="{name}"' if quoted == name else f"attachment; filename*=utf-8''{quoted}"
