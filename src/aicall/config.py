"""Configuration read from the environment, shared by settings and the command line."""

import os
import secrets
from pathlib import Path


def data_dir() -> Path:
    path = Path(os.environ.get("AICALL_DATA_DIR", "./var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def signing_secret() -> str:
    """AICALL_SECRET, or one generated once and kept in the data dir.

    Every process (web, dialers) must agree on it, so a generated one is written to disk with
    O_EXCL: two processes starting at once cannot each keep a different secret.
    """
    configured = os.environ.get("AICALL_SECRET")
    if configured:
        return configured
    path = data_dir() / "secret.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
