"""Runs Kamailio as the SIP edge: restarts it when it dies, keeps it in step with the trunks.

One thread per edge. It writes the cfg and the data files, starts `kamailio -DD -E -f cfg`
(foreground, logs to `kamailio.log` in the run directory), and then, while it runs:
- every `sync_seconds` reads the trunk table and, when a trunk changed, rewrites the data
  files and reloads them over RPC (`dispatcher.reload`, `uac.reg_refresh`, `uac.reg_remove`):
  calls in progress are untouched, Kamailio keeps no call state of its own (record-route);
- every `poll_seconds` reads the registrations and the targets' health over RPC and hands
  them to `on_status` when they changed;
- retries a failed registration after 5 s, then 10, 20, … up to 5 minutes (uac_reg itself
  would give up, or retry at one fixed interval);
- moves a registration whose registrar did not answer (408) or answered 5xx to the trunk's
  next target at once (its calls then go to that target first), and starts the back-off
  only once every target failed.
A Kamailio that exits is started again after 0.5 s, doubling to 30 s while it keeps dying
(reset after a minute up). INVITEs the workers retransmit meanwhile reach the new one.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from aicall.telephony.edge import rpc
from aicall.telephony.edge.config import (
    EdgeSettings,
    EdgeTrunk,
    host_port,
    render_uacreg,
    write_files,
)
from aicall.telephony.edge.status import FAILED, REGISTERED, TrunkStatus, parse_codes, read_status

log = logging.getLogger("aicall.sip.edge")

FIRST_RESTART_SECONDS = 0.5
MAX_RESTART_SECONDS = 30.0
HEALTHY_AFTER_SECONDS = 60.0
FIRST_REREGISTER_SECONDS = 5.0
MAX_REREGISTER_SECONDS = 300.0
STOP_GRACE_SECONDS = 5.0

StatusCallback = Callable[[dict[int, TrunkStatus]], None]


class EdgeSupervisor:
    """Keeps one Kamailio running for `edge`, fed by `load_trunks()` (a list of EdgeTrunk)."""

    def __init__(
        self,
        edge: EdgeSettings,
        load_trunks: Callable[[], list[EdgeTrunk]],
        *,
        on_status: StatusCallback | None = None,
        poll_seconds: float = 1.0,
        sync_seconds: float = 5.0,
        spawn: bool = True,
    ) -> None:
        self.edge = edge
        self.load_trunks = load_trunks
        self.on_status = on_status
        self.poll_seconds = poll_seconds
        self.sync_seconds = sync_seconds
        # False: Kamailio runs as a system service on our cfg; we only feed and watch it.
        self.spawn = spawn
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self.status: dict[int, TrunkStatus] = {}
        self.trunks: list[EdgeTrunk] = []
        self._rows: dict[str, str] = {}  # registering trunk uuid -> its uacreg row
        self._retry: dict[str, tuple[float, float]] = {}  # uuid -> (due at, next delay)
        self._registrar: dict[int, int] = {}  # trunk id -> target index holding the registration
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="sip-edge", daemon=True)

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        self.trunks = self._load()
        write_files(self.edge, self.trunks)
        self._rows = _rows(self.trunks, self.edge)
        self._thread.start()

    def wait_ready(self, timeout: float = 15.0) -> bool:
        """True once Kamailio answers RPC (it has bound its sockets)."""
        return self._ready.wait(timeout)

    def stop(self) -> None:
        self._stopping.set()
        if self.spawn:
            self._terminate()
        if self._thread.is_alive():
            self._thread.join(STOP_GRACE_SECONDS + 5)

    def pids(self) -> list[int]:
        """Kamailio's processes (the main one and the children it forked), for CPU figures."""
        if self.process is None or self.process.poll() is not None:
            return []
        return _descendants(self.process.pid)

    def trunk_status(self, trunk_id: int) -> TrunkStatus | None:
        return self.status.get(trunk_id)

    def rpc(self, method: str, *params: Any) -> Any:
        return rpc.call(self.edge.rpc_socket, method, *params)

    # -- the supervising thread ------------------------------------------------------------

    def _run(self) -> None:
        if not self.spawn:
            while not self._stopping.is_set():
                self._watch()
                self._ready.clear()
            return
        delay = FIRST_RESTART_SECONDS
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                self._spawn()
            except OSError as exc:
                log.error("cannot start the SIP edge (%s): %s", self.edge.binary, exc)
            else:
                self._watch()
            if self._stopping.is_set():
                return
            self._ready.clear()
            self._kill_orphans()
            if time.monotonic() - started > HEALTHY_AFTER_SECONDS:
                delay = FIRST_RESTART_SECONDS
            code = self.process.poll() if self.process else None
            log.warning("SIP edge exited (%s); restarting in %.1f s", code, delay)
            self._stopping.wait(delay)
            delay = min(delay * 2, MAX_RESTART_SECONDS)
            self.restarts += 1

    def _spawn(self) -> None:
        logfile = open(self.edge.run_dir / "kamailio.log", "ab")  # noqa: SIM115 - child keeps it
        try:
            self.process = subprocess.Popen(
                [*_raised_priority(), self.edge.binary, "-DD", "-E", "-f", str(self.edge.cfg_path)],
                stdin=subprocess.DEVNULL,
                stdout=logfile,
                stderr=logfile,
                cwd=self.edge.run_dir,
                start_new_session=True,  # a Ctrl-C on the dialer's terminal is ours to handle
            )
        finally:
            logfile.close()
        # A fresh Kamailio loads every registration from the table: no retries pending.
        self._retry.clear()

    def _kill_orphans(self) -> None:
        """Kill what is left of a Kamailio whose main process died.

        Its children outlive it (seen: 12 of 13 still alive 2 s after a SIGKILL of the main
        process) and keep the SIP and RPC sockets bound: a new Kamailio binds the same ports
        (SO_REUSEADDR) and the registrar's answers to its REGISTER went to the orphans, so
        the trunk stayed "failed (408)" after the restart. The group is the dead main's pid
        (start_new_session).
        """
        if self.process is None:
            return
        group = self.process.pid
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline and _group_alive(group):
            time.sleep(0.05)

    def _alive(self) -> bool:
        return not self.spawn or (self.process is not None and self.process.poll() is None)

    def _watch(self) -> None:
        last_sync = time.monotonic()
        while not self._stopping.is_set() and self._alive():
            if not self._ready.is_set():
                try:
                    self.rpc("core.uptime")
                    self._ready.set()
                    pid = self.process.pid if self.process else "external"
                    log.info("SIP edge up on %s (pid %s)", self.edge.public_host, pid)
                except rpc.EdgeRpcError:
                    self._stopping.wait(0.1)
                    continue
            if time.monotonic() - last_sync >= self.sync_seconds:
                last_sync = time.monotonic()
                self._guarded(self.sync)
            self._guarded(self.poll)
            self._stopping.wait(self.poll_seconds)

    def _guarded(self, step: Callable[[], None]) -> None:
        try:
            step()
        except rpc.EdgeRpcError as exc:
            log.debug("SIP edge RPC: %s", exc)
        except Exception:
            log.exception("SIP edge supervisor step failed")

    def _terminate(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            self._kill_orphans()

    # -- keeping Kamailio in step ----------------------------------------------------------

    def sync(self) -> None:
        """Reload what changed in the trunk table; nothing is reloaded when nothing changed."""
        with self._lock:
            trunks = self._load()
            changed = write_files(self.edge, trunks)
            if changed["dispatcher"]:
                self.rpc("dispatcher.reload")
                log.info("SIP edge: trunk targets reloaded")
            rows = _rows(trunks, self.edge)
            for uuid in self._rows.keys() - rows.keys():
                self.rpc("uac.reg_remove", uuid)
            for uuid, row in rows.items():
                if self._rows.get(uuid) != row:
                    self.rpc("uac.reg_refresh", uuid)
                    self._retry.pop(uuid, None)
            self._rows = rows
            self.trunks = trunks

    def _load(self) -> list[EdgeTrunk]:
        """The trunk table, each registering trunk with the target its registration is on."""
        trunks = []
        for trunk in self.load_trunks():
            index = self._registrar.get(trunk.id, 0)
            if not trunk.register or index >= len(trunk.proxies):
                index = 0
            trunks.append(replace(trunk, registrar_index=index) if index else trunk)
        return trunks

    def _fail_over_registration(self, trunk: EdgeTrunk, code: int | None) -> bool:
        """Move a registration the registrar did not take (408: no answer, 5xx) to the
        trunk's next target, registering there at once (calls then go there first).

        False when it was the last target (or the code is the registrar's verdict, such as
        403): the back-off starts, and its retry begins again from the proxy.
        """
        index = trunk.registrar_index + 1
        if index >= len(trunk.proxies) or not (code == 408 or (code or 0) >= 500):
            return False
        self._registrar[trunk.id] = index
        log.warning(
            "trunk %s: registrar %s did not take the registration (%s); trying %s",
            trunk.id,
            trunk.registrar_target,
            code,
            host_port(trunk.proxies[index]),
        )
        kept = self._retry.get(trunk.uuid)
        self.sync()  # the row's next hop and the call order changed: reloaded, sent now
        if kept is not None:
            self._retry[trunk.uuid] = (0.0, kept[1])  # the back-off keeps growing per round
        return True

    def poll(self) -> None:
        registrations = self.rpc("uac.reg_dump") if self._rows else []
        codes = parse_codes(self.rpc("htable.dump", "regcode")) if self._rows else {}
        dispatcher = self.rpc("dispatcher.list")
        status = read_status(self.trunks, registrations, codes, dispatcher)
        self._schedule_reregistration(status)
        if status != self.status:
            self.status = status
            if self.on_status is not None:
                self.on_status(status)

    def _schedule_reregistration(self, status: dict[int, TrunkStatus]) -> None:
        now = time.monotonic()
        for trunk in self.trunks:
            if not trunk.register:
                continue
            state = status.get(trunk.id)
            if state is None:
                continue
            if state.registration == REGISTERED:
                self._retry.pop(trunk.uuid, None)
            elif state.registration == FAILED:
                due, delay = self._retry.get(trunk.uuid, (0.0, FIRST_REREGISTER_SECONDS))
                if not due and self._fail_over_registration(trunk, state.code):
                    continue
                if not due:
                    self._retry[trunk.uuid] = (now + delay, delay)
                    log.warning(
                        "trunk %s: registration failed (%s); again in %.0f s",
                        trunk.id,
                        state.code,
                        delay,
                    )
                elif now >= due:
                    if self._registrar.pop(trunk.id, 0):
                        self.sync()  # back to the proxy: the changed row is reloaded and sent
                    else:
                        self.rpc("uac.reg_refresh", trunk.uuid)
                    # Keep the record's next delay; `due` 0 arms it again on the next failure.
                    self._retry[trunk.uuid] = (0.0, min(delay * 2, MAX_REREGISTER_SECONDS))


EDGE_NICE = -5


def _raised_priority() -> list[str]:
    """`nice -n -5`, to put Kamailio ahead of the media workers for the CPU.

    It needs ~5% of a core at 50 new calls/s, but beside a hundred busy workers an equal
    share left its relays waiting in the run queue (setups up to seconds while direct calls
    took 0.1 s). `nice` execs Kamailio (same pid, its children inherit the priority); without
    CAP_SYS_NICE it only warns and runs it as is.
    """
    path = shutil.which("nice")
    return [path, "-n", str(EDGE_NICE)] if path else []


def _rows(trunks: list[EdgeTrunk], edge: EdgeSettings) -> dict[str, str]:
    lines = render_uacreg(trunks, edge).splitlines()[1:]
    registering = [t for t in sorted(trunks, key=lambda t: t.id) if t.register]
    return {t.uuid: line for t, line in zip(registering, lines, strict=True)}


def _group_alive(group: int) -> bool:
    """True while a process of the group is still running (zombies waiting for init: not)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid pgrp ...; comm may hold spaces, so split after ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(group) and fields[0] != "Z":
            return True
    return False


def _descendants(pid: int) -> list[int]:
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                found.extend(int(p) for p in task.read_text().split())
            except OSError:
                continue
    return found
