"""Flask commands: `flask init-db` and `flask share-address`."""

from __future__ import annotations

import socket
import subprocess

import click
from flask import Flask
from flask_migrate import upgrade


def lan_addresses() -> list[str]:
    """Return this machine's non-loopback IPv4 addresses (no traffic is sent)."""
    found: set[str] = set()
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        found.update(str(i[4][0]) for i in infos)
    except OSError:
        pass
    if not any(not a.startswith("127.") for a in found):
        # Linux hosts often map their own name to 127.0.1.1; ask the system.
        try:
            out = subprocess.run(
                ["hostname", "-I"], capture_output=True, text=True, timeout=2
            ).stdout
            found.update(a for a in out.split() if "." in a)
        except (OSError, subprocess.SubprocessError):
            pass
    return sorted(a for a in found if not a.startswith("127."))


def register(app: Flask) -> None:
    """Add Baithak's commands to the app's CLI."""

    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or upgrade the database schema and the global room."""
        from .services.rooms import ensure_global_room

        upgrade()
        room = ensure_global_room()
        click.echo(f"Database ready; global room: {room.name}")

    @app.cli.command("share-address")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000)
    def share_address(host: str, port: int) -> None:
        """Print the address people should open in their browsers."""
        if host in ("0.0.0.0", "::"):
            addresses = lan_addresses() or ["<this computer's IP address>"]
            for address in addresses:
                click.echo(f"Students on this network: open http://{address}:{port}/")
        else:
            click.echo(f"Open http://{host}:{port}/ (only this computer can reach it)")
