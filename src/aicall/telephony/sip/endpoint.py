"""A media worker's PJSIP endpoint and its accounts: the configuration that fits 400+ calls
on 2 cores, the SIP transports, and one pjsua account per trunk and From identity.

Poll mode (`threadCnt=0`, `mainThreadOnly`): every SIP callback runs on the worker's one
thread inside `libHandleEvents`; RTP runs on one native media thread (`hasIoqueue`) and
never wakes Python. The lean media setup (8 kHz clock, only G.711 + telephone-event, no
echo canceller, no VAD, log level 0) halves the CPU of PJSIP's defaults.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pjsua2 as pj

MAX_CALLS = 4


def _realm(trunk: dict[str, Any]) -> str:
    """The only digest realm the trunk's password answers: the configured one, else the
    proxy's host name. Never "*": any peer on the call path could otherwise challenge with
    a realm of its own and collect a response computed with the trunk's password."""
    realm = trunk.get("realm") or ""
    if realm:
        return realm
    host = str(trunk.get("host", ""))
    return host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]


class Endpoint:
    """The process's one pjsua endpoint, started, with UDP and TCP on `bind`:`port`."""

    def __init__(self, bind: str, port: int, rtp_port: int = 0, rtp_range: int = 0):
        self.bind = bind
        self.rtp_port = rtp_port
        self.rtp_range = rtp_range
        # pjlib logs a banner at the default level before our log config applies.
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        try:
            self.ep = pj.Endpoint()
            self.ep.libCreate()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.maxCalls = MAX_CALLS
        cfg.uaConfig.userAgent = "aicall"
        # Log level 0 saves ~10% CPU; AICALL_SIP_LOG_LEVEL=5 shows every SIP message.
        log_level = int(os.environ.get("AICALL_SIP_LOG_LEVEL", "0"))
        cfg.logConfig.level = log_level
        cfg.logConfig.consoleLevel = log_level
        med = cfg.medConfig
        med.clockRate = 8000
        med.sndClockRate = 8000
        med.channelCount = 1
        med.ecTailLen = 0
        med.noVad = True
        med.hasIoqueue = True
        med.threadCnt = 1
        self.ep.libInit(cfg)
        # Behind NAT the trunk must see the public address in Via, Contact and SDP.
        self.public_address = os.environ.get("AICALL_SIP_PUBLIC_ADDRESS", "")
        # Behind the SIP edge only RTP faces the trunk: Via and Contact keep the local
        # address, which the edge (on this host) reaches without a hairpin through the NAT.
        self.behind_edge = os.environ.get("AICALL_SIP_BEHIND_EDGE") == "1"
        sip_public = "" if self.behind_edge else self.public_address
        tcfg = pj.TransportConfig()
        tcfg.port = port
        tcfg.boundAddress = bind
        tcfg.publicAddress = sip_public
        self.udp_id = self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
        self.port = self.ep.transportGetInfo(self.udp_id).localName.rsplit(":", 1)[-1]
        tcp_cfg = pj.TransportConfig()
        tcp_cfg.port = int(self.port)
        tcp_cfg.boundAddress = bind
        tcp_cfg.publicAddress = sip_public
        try:
            self.tcp_id = self.ep.transportCreate(pj.PJSIP_TRANSPORT_TCP, tcp_cfg)
        except pj.Error:
            self.tcp_id = -1
        self.ep.libStart()
        # setNullDev, not setNoDev: without a device nothing clocks the bridge, no audio flows.
        self.ep.audDevManager().setNullDev()
        for codec in self.ep.codecEnum2():
            name = codec.codecId
            priority = 255 if name.startswith("PCMU/8000") else 254
            if not name.startswith(("PCMU/8000", "PCMA/8000")):
                priority = 0
            self.ep.codecSetPriority(name, priority)
        self.accounts: dict[str, Any] = {}
        self.account_users: dict[str, int] = {}

    def account_for(self, cmd: dict[str, Any]) -> tuple[str, Any]:
        """The account placing this call (its trunk, credentials and From), made if needed;
        the caller counts it in use (`account_users`) until the call ends."""
        trunk = cmd["trunk"]
        # From (display name, caller ID in the trunk's format) comes checked from the carrier.
        from_uri = cmd.get("from") or f"sip:{cmd['caller_id'] or 'anonymous'}@{trunk['host']}"
        key = json.dumps([trunk, from_uri], sort_keys=True)
        account = self.accounts.get(key)
        if account is not None:
            return key, account
        # pjsua holds 8 accounts; drop idle ones (another trunk or caller ID) first.
        for old_key in [k for k, n in self.account_users.items() if n == 0]:
            self.accounts.pop(old_key).shutdown()
            del self.account_users[old_key]
        acfg = pj.AccountConfig()
        acfg.idUri = from_uri
        acfg.regConfig.registrarUri = ""
        acfg.regConfig.registerOnAdd = False
        if trunk.get("username"):
            acfg.sipConfig.authCreds.append(
                pj.AuthCredInfo("digest", _realm(trunk), trunk["username"], 0, trunk["password"])
            )
        if trunk.get("outbound_proxy"):
            # Through the SIP edge: a preloaded Route to its loopback socket names the trunk.
            acfg.sipConfig.proxies.append(trunk["outbound_proxy"])
        acfg.sipConfig.transportId = self.tcp_id if trunk.get("transport") == "tcp" else self.udp_id
        acfg.mediaConfig.transportConfig.boundAddress = self.bind
        acfg.mediaConfig.transportConfig.publicAddress = self.public_address
        acfg.mediaConfig.srtpUse = pj.PJMEDIA_SRTP_DISABLED  # G.711 in clear, as trunks expect
        if self.rtp_port:
            acfg.mediaConfig.transportConfig.port = self.rtp_port
            acfg.mediaConfig.transportConfig.portRange = self.rtp_range
        account = pj.Account()
        account.create(acfg)
        self.accounts[key] = account
        self.account_users[key] = 0
        return key, account

    def release(self, key: str | None) -> None:
        """A call on this account ended."""
        if key in self.account_users:
            self.account_users[key] -= 1

    def destroy(self) -> None:
        """Shut the accounts down and destroy the library (every Call must be gone)."""
        for account in self.accounts.values():
            account.shutdown()
        self.accounts.clear()
        self.ep.libDestroy()
