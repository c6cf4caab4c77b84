"""Run the app under uvicorn with a listening socket that keeps TCP_NODELAY on accepted
connections.

uvicorn binds the socket for `--workers > 1` with protocol 0, and asyncio only sets TCP_NODELAY
on connections whose socket says IPPROTO_TCP: every response then waits ~40 ms for a delayed
ACK (Nagle). Binding the socket here with IPPROTO_TCP and handing it to uvicorn's supervisor
avoids that; one worker or many behave the same.

    python -m supportdesk.web.server --host 127.0.0.1 --port 8000 --workers 2
"""

from __future__ import annotations

import argparse
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "supportdesk.web.app:create_app"


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_level: str = "info",
    access_log: bool = True,
) -> None:
    """Serve until interrupted. State lives in the database, so workers share nothing."""
    config = uvicorn.Config(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=access_log,
    )
    sock = bind(host, port)
    if workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])


def main() -> None:
    ap = argparse.ArgumentParser(description="Serve the supportdesk API with uvicorn.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--no-access-log", action="store_true")
    args = ap.parse_args()
    serve(args.host, args.port, args.workers, args.log_level, not args.no_access_log)


if __name__ == "__main__":
    main()
