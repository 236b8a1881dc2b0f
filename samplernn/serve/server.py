"""Running the page: load a checkpoint, check the address, serve with uvicorn until interrupted."""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from samplernn.common.errors import UserError
from samplernn.serve.limits import ServeLimits

if TYPE_CHECKING:  # uvicorn is imported when serving, not when the CLI starts
    import uvicorn

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only ('localhost', 127.x.x.x, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port(host: str, port: int) -> None:
    """UserError when (host, port) cannot be listened on: in use, or an address not of this machine."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UserError(f"--host {host}: unknown address ({exc.strerror})") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            in_use = exc.errno == errno.EADDRINUSE
            hint = "try another --port" if in_use else "--host must be an address of this machine"
            raise UserError(f"cannot listen on {host}:{port} ({exc.strerror}); {hint}") from None


def make_server(
    app: object, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, log_level: str = "warning"
) -> uvicorn.Server:
    """A uvicorn.Server for `app` (no access log: the page polls). server.run() blocks until
    server.should_exit is set (or Ctrl-C when run in the main thread). A second Ctrl-C while it
    stops ends the wait for open connections, as uvicorn's does, but not the application's own
    shutdown (the job store's: stop the running job, remove the files), which uvicorn then skipped:
    it ran anyway as the event loop closed, cancelled, and printed a traceback."""
    import uvicorn

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            await super().shutdown(sockets)
            if self.force_exit:
                await self.lifespan.shutdown()

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False)
    return Server(config)


def serve(
    checkpoint: str | Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    device: str = "auto",
    limits: ServeLimits = ServeLimits(),
    announce: Callable[[str], None] = print,
) -> None:
    """Load `checkpoint` on `device` and serve the page at http://host:port/ until Ctrl-C; the
    generated files are removed at shutdown. Raises UserError for a bad checkpoint, device or address,
    and KeyboardInterrupt when stopped (the CLI's "interrupted", status 130)."""
    from samplernn.common.device import resolve_device
    from samplernn.model.checkpoint import load_checkpoint
    from samplernn.serve.app import create_app
    from samplernn.serve.work import model_label

    check_port(host, port)
    ckpt = load_checkpoint(checkpoint, resolve_device(device), needs_notes="serve")
    if not is_loopback(host):
        announce(f"warning: listening on {host}: anyone who can reach this machine can use the page")
    shown = f"[{host}]" if ":" in host else host
    announce(f"serving {Path(checkpoint).name} at http://{shown}:{port}/ (Ctrl-C stops)")
    server = make_server(create_app(ckpt, limits, announce, model_label(checkpoint)), host, port)
    server.run()
    if server.should_exit:  # only a signal sets it here; uvicorn re-raises it, but not every time
        raise KeyboardInterrupt  # (a second Ctrl-C while stopping under load exited 0)
