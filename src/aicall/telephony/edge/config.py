"""The SIP edge's configuration: a Kamailio cfg (sockets, routing) and its data files.

The cfg holds only what needs a restart to change (addresses, ports, timers); the trunks
live in files Kamailio reloads while calls go on: `dispatcher.list` (each trunk a dispatcher
set: its proxy then its failover targets, pinged with OPTIONS) and the db_text table
`db/uacreg` (the trunks that register). Both are rendered here from `EdgeTrunk`s, plain
data, so the supervisor, the CLI and the tests share one renderer.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).with_name("kamailio.cfg.tpl")
MODULE_DIRS = ("/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/kamailio/modules")
# The uac_reg timer: a registration is refreshed when it has less than this + 3 s left.
REG_TIMER_SECONDS = 5
UACREG_COLUMNS = (
    "id(int,auto) l_uuid(string) l_username(string) l_domain(string) r_username(string) "
    "r_domain(string) realm(string) auth_username(string) auth_password(string) "
    "auth_ha1(string) auth_proxy(string) expires(int) flags(int) reg_delay(int) "
    "contact_addr(string) socket(string)"
)


@dataclass(frozen=True)
class EdgeSettings:
    """Where the edge listens, from settings.AICALL (AICALL_SIP_EDGE_*)."""

    address: str  # the IP bound towards trunks
    port: int = 5060
    advertise: str = ""  # public IP (or IP:port) behind NAT, written in Via/Record-Route
    local_port: int = 5090  # the loopback socket the workers send to
    run_dir: Path = Path("var/sip-edge")
    binary: str = "kamailio"
    ping_interval_seconds: int = 10
    fr_timer_ms: int = 4000
    # UDP worker processes per socket. Kamailio needs little CPU, but beside a hundred busy
    # media workers the kernel shares the cores per process: with 2 it was starved at
    # 50 calls/s on 2 cores (its sockets dropped INVITEs, setups took seconds).
    children: int = 8
    tcp_children: int = 2
    # SO_RCVBUF asked for each UDP socket (Kamailio stops at net.core.rmem_max).
    udp_buffer_bytes: int = 4 * 1024 * 1024
    debug: int = 1

    @classmethod
    def from_settings(cls, conf: dict[str, Any], **overrides: Any) -> EdgeSettings:
        values: dict[str, Any] = {
            "address": conf.get("SIP_EDGE_ADDRESS") or default_address(),
            "port": int(conf.get("SIP_EDGE_PORT", 5060)),
            "advertise": conf.get("SIP_EDGE_ADVERTISE", ""),
            "local_port": int(conf.get("SIP_EDGE_LOCAL_PORT", 5090)),
            "run_dir": Path(conf.get("SIP_EDGE_RUN_DIR", "var/sip-edge")),
            "binary": conf.get("SIP_EDGE_BINARY", "kamailio"),
        }
        values.update(overrides)
        return cls(**values)

    @property
    def public_host(self) -> str:
        """host:port the trunks see (the advertised address behind NAT)."""
        if self.advertise:
            return self.advertise if ":" in self.advertise else f"{self.advertise}:{self.port}"
        return f"{self.address}:{self.port}"

    @property
    def rpc_socket(self) -> Path:
        return self.run_dir / "rpc.sock"

    @property
    def cfg_path(self) -> Path:
        return self.run_dir / "kamailio.cfg"

    def route_for(self, trunk_id: int, transport: str = "udp") -> str:
        """The preloaded Route a worker's INVITE for this trunk carries to the edge."""
        uri = f"sip:127.0.0.1:{self.local_port};lr;aicall-trunk={int(trunk_id)}"
        return uri + ";transport=tcp" if transport == "tcp" else uri


@dataclass(frozen=True)
class EdgeTrunk:
    """A trunk as the edge needs it (plain data; `from_trunk` reads a Trunk row)."""

    id: int
    proxy: str
    transport: str = "udp"
    failover_proxies: tuple[str, ...] = ()
    register: bool = False
    username: str = ""
    auth_username: str = ""
    password: str = field(default="", repr=False)
    realm: str = ""
    register_expiry_seconds: int = 300
    # Which of the targets (proxy, then failover targets) takes the registration; calls go
    # to that one first. Moved on by the supervisor when a registrar does not answer.
    registrar_index: int = 0

    @classmethod
    def from_trunk(cls, trunk: Any) -> EdgeTrunk:
        return cls(
            id=trunk.pk,
            proxy=trunk.proxy,
            transport=trunk.transport,
            failover_proxies=tuple(trunk.failover_proxies or ()),
            register=trunk.register,
            username=trunk.username,
            auth_username=trunk.auth_username,
            password=trunk.password,
            realm=trunk.realm,
            register_expiry_seconds=trunk.register_expiry_seconds,
        )

    @property
    def targets(self) -> list[str]:
        """The proxy then the failover targets, as dispatcher destinations."""
        return [dispatcher_uri(t, self.transport) for t in (self.proxy, *self.failover_proxies)]

    @property
    def registrar(self) -> str:
        """host[:port] of the proxy: the domain of the AOR (the same on every registrar)."""
        return host_port(self.proxy)

    @property
    def proxies(self) -> tuple[str, ...]:
        return (self.proxy, *self.failover_proxies)

    @property
    def registrar_target(self) -> str:
        """host[:port] the REGISTERs are sent to: the proxy, or the failover target that
        took over the registration."""
        proxies = self.proxies
        return host_port(proxies[self.registrar_index % len(proxies)])

    @property
    def call_order(self) -> list[int]:
        """Indexes of the targets in the order calls try them: the registrar's first."""
        count = len(self.proxies)
        first = self.registrar_index % count if self.register else 0
        return [first, *(i for i in range(count) if i != first)]

    @property
    def aor(self) -> str:
        """The To URI of the edge's REGISTERs (`sip:username@registrar`)."""
        return f"sip:{self.username}@{self.registrar}"

    @property
    def uuid(self) -> str:
        return f"trunk{self.id}"


def default_address() -> str:
    """The IP of the interface the default route leaves by (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("192.0.2.1", 5060))  # TEST-NET-1: only selects a route
            return str(sock.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def host_port(proxy: str) -> str:
    """`sip:user@HOST:PORT;params` -> `HOST:PORT`."""
    value = proxy.strip()
    for prefix in ("sips:", "sip:"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    return value.split(";", 1)[0].split("@")[-1]


def dispatcher_uri(proxy: str, transport: str) -> str:
    uri = f"sip:{host_port(proxy)}"
    return uri + ";transport=tcp" if transport == "tcp" else uri


def module_dir() -> str:
    for candidate in MODULE_DIRS:
        if Path(candidate, "tm.so").exists():
            return candidate
    return MODULE_DIRS[0]


def render_cfg(edge: EdgeSettings) -> str:
    """The Kamailio cfg for these sockets (trunks are in the data files)."""
    advertise = f" advertise {edge.public_host}" if edge.advertise else ""
    alias_host = edge.public_host.rsplit(":", 1)[0]
    values = {
        "DEBUG": str(edge.debug),
        "CHILDREN": str(edge.children),
        "TCP_CHILDREN": str(edge.tcp_children),
        "MAXBUFFER": str(edge.udp_buffer_bytes),
        "RUN_DIR": str(edge.run_dir.resolve()),
        "BIND": edge.address,
        "PORT": str(edge.port),
        "ADVERTISE": advertise,
        "LOOP_PORT": str(edge.local_port),
        "ALIAS": edge.public_host,
        "ALIAS_HOST": alias_host,
        "MODULE_DIR": module_dir(),
        "FR_TIMER_MS": str(edge.fr_timer_ms),
        "PING_INTERVAL": str(edge.ping_interval_seconds),
        "CONTACT_ADDR": edge.public_host,
        "REG_TIMER": str(REG_TIMER_SECONDS),
    }
    text = TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    return text


def render_dispatcher(trunks: list[EdgeTrunk], edge: EdgeSettings) -> str:
    """One dispatcher set per trunk (set id = trunk id), targets in priority order."""
    lines = ["# setid destination flags priority attrs (generated by aicall)"]
    for trunk in sorted(trunks, key=lambda t: t.id):
        targets = trunk.targets
        for rank, index in enumerate(trunk.call_order):
            proto = "tcp" if trunk.transport == "tcp" else "udp"
            sock = f"{proto}:{edge.address}:{edge.port}"
            # Higher priority first with algorithm 8: the proxy (or the target that holds the
            # registration), then each failover target.
            priority = len(targets) - rank
            lines.append(
                f"{trunk.id} {targets[index]} 0 {priority} socket={sock};duid={trunk.uuid}-{index}"
            )
    return "\n".join(lines) + "\n"


def _dbtext(value: str) -> str:
    """A db_text string field: `\\`, `:` and line breaks escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(":", "\\:")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )


def render_uacreg(trunks: list[EdgeTrunk], edge: EdgeSettings) -> str:
    """The uac_reg table: one row per trunk that registers.

    With a realm given, only the HA1 hash of the password is written (it answers that realm
    and nothing else); without one, the password itself (any realm) in a 0600 file.
    """
    rows = [UACREG_COLUMNS]
    for trunk in sorted(trunks, key=lambda t: t.id):
        if not trunk.register:
            continue
        auth_user = trunk.auth_username or trunk.username
        ha1 = ""
        password = trunk.password
        if trunk.realm:
            ha1 = hashlib.md5(  # noqa: S324 - digest HA1 is MD5 by definition
                f"{auth_user}:{trunk.realm}:{trunk.password}".encode()
            ).hexdigest()
            password = ""
        proto = "tcp" if trunk.transport == "tcp" else "udp"
        # The next hop of the REGISTERs; the AOR's domain stays the proxy's.
        auth_proxy = f"sip:{trunk.registrar_target}" + (";transport=tcp" if proto == "tcp" else "")
        fields = [
            str(trunk.id),
            trunk.uuid,
            trunk.uuid,
            edge.public_host.rsplit(":", 1)[0],
            trunk.username,
            trunk.registrar,
            trunk.realm,
            auth_user,
            password,
            ha1,
            auth_proxy,
            str(trunk.register_expiry_seconds),
            "0",
            "0",
            edge.public_host,
            f"{proto}:{edge.address}:{edge.port}",
        ]
        rows.append(":".join(_dbtext(f) for f in fields))
    return "\n".join(rows) + "\n"


def write_files(edge: EdgeSettings, trunks: list[EdgeTrunk]) -> dict[str, bool]:
    """Write the cfg and the data files; which of them changed (for the reload)."""
    edge.run_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(edge.run_dir, 0o700)
    db = edge.run_dir / "db"
    db.mkdir(exist_ok=True)
    changed = {
        "cfg": _write(edge.cfg_path, render_cfg(edge)),
        "dispatcher": _write(edge.run_dir / "dispatcher.list", render_dispatcher(trunks, edge)),
        "uacreg": _write(db / "uacreg", render_uacreg(trunks, edge)),
    }
    _write(db / "version", "id(int,auto) table_name(string) table_version(int)\n1:uacreg:5\n")
    return changed


def _write(path: Path, text: str) -> bool:
    if path.exists() and path.read_text() == text:
        return False
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    if path.exists():
        # db_text reloads a table only when its mtime (in whole seconds) grew.
        mtime = max(int(time.time()), int(path.stat().st_mtime) + 1)
        os.utime(tmp, (mtime, mtime))
    os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    return True
