"""How many simultaneous SIP calls with audio aicall holds, against SIPp's own caller.

    .venv/bin/python bench/sip.py [--calls 400] [--cps 50] [--hold 30] [--no-reference]
                                  [--no-prewarm] [--personalized] [--edge kamailio|direct]

One SIPp callee (uas, `-rtp_echo`) on 127.0.0.1 answers everything. Phase 1: the SIP
carrier places `--calls` calls at `--cps`, each playing a `--hold`-second G.711 prompt (the
Vietnamese script rendered by espeak-ng, repeated) before hanging up; the callee echoes the
audio back, so RTP flows both ways on every call. Phase 2, in the same run: SIPp's own uac
places the same calls with audio (a 7 s G.711 pcap played four times) against the same
callee. While every call is up, the bench samples CPU (from /proc/<pid>/stat) of the media
workers, the carrier's own process and SIPp, the workers' PSS, and the kernel's UDP counters
(packets and receive-buffer drops). A call fails unless it was answered, ended NORMAL
CLEARING, and lasted the whole prompt. Everything binds 127.0.0.1 and stops by itself.

`--edge kamailio` (the default, as in production) sends every call through the SIP edge, a
Kamailio on free loopback ports: the workers' INVITEs, ACKs and BYEs pass through it (the
callee returns its Record-Route), RTP does not; its CPU is reported beside the workers'.
`--edge direct` lets each worker call the callee itself.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("AICALL_DATA_DIR", str(ROOT / "var" / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aicall.settings")

import django  # noqa: E402

django.setup()

from aicall.speech.clips import default_engine, wav_seconds  # noqa: E402
from aicall.speech.espeak import to_telephone_wav  # noqa: E402
from aicall.telephony import base  # noqa: E402
from aicall.telephony.base import CallRequest, TrunkConfig  # noqa: E402
from aicall.telephony.edge import EdgeSupervisor  # noqa: E402
from aicall.telephony.edge.config import EdgeSettings, EdgeTrunk  # noqa: E402
from aicall.telephony.sip.carrier import SipCarrier  # noqa: E402

PERSONAL = (
    "Xin chào anh Nguyễn Văn Khách {i}, đơn hàng DH{i} trị giá 1.250.000 đồng sẽ được giao "
    "ngày 26/11/2026. Bấm phím 1 để xác nhận."
)
HERE = Path(__file__).resolve().parent
TICKS = os.sysconf("SC_CLK_TCK")
SCRIPT = (
    "Kính chào quý khách, đơn hàng số 2611 trị giá 1.250.000 đồng sẽ được giao ngày "
    "26/11/2026. Bấm phím 1 để xác nhận, bấm phím 2 để nghe lại."
)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_media_port() -> int:
    for _ in range(500):
        port = random.randrange(20000, 60000, 2)
        try:
            for i in range(4):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                    sock.bind(("127.0.0.1", port + i))
            return port
        except OSError:
            continue
    raise RuntimeError("no free media port")


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def udp_counters() -> dict[str, int]:
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()]
    header, values = [line for line in lines if line[0] == "Udp:"][:2]
    return dict(zip(header[1:], map(int, values[1:]), strict=True))


def socket_drops(ports: set[int]) -> int:
    """Receive-buffer drops, since they were opened, of the UDP sockets bound to these
    local ports (/proc/net/udp's last column): tells whose socket lost packets."""
    total = 0
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) in ports:
            total += int(fields[-1])
    return total


class CpuWindow:
    """CPU used by a set of processes between start() and stop(), in % of one core."""

    def start(self, pids: list[int]) -> None:
        self.pids = list(pids)
        self.t0 = time.monotonic()
        self.ticks0 = {pid: cpu_ticks(pid) for pid in self.pids}
        self.udp0 = udp_counters()

    def stop(self) -> tuple[float, dict[str, int]]:
        seconds = time.monotonic() - self.t0
        used = sum(max(0, cpu_ticks(pid) - self.ticks0[pid]) for pid in self.pids)
        udp1 = udp_counters()
        udp = {k: (udp1[k] - self.udp0[k]) for k in ("InDatagrams", "RcvbufErrors", "InErrors")}
        udp["per_second"] = int(udp["InDatagrams"] / seconds)
        return 100.0 * used / TICKS / seconds, udp


def start_callee(port: int, media_port: int, workdir: Path, edge: bool) -> subprocess.Popen:
    scenario = "sipp_callee_edge.xml" if edge else "sipp_callee.xml"
    return subprocess.Popen(
        [
            "sipp", "-sf", str(HERE / scenario), "-i", "127.0.0.1", "-mi", "127.0.0.1",
            "-p", str(port), "-mp", str(media_port), "-rtp_echo", "-nostdin",
            "-timeout", "900s", "-max_socket", "4096"
        ],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def prompt_file(hold: float, workdir: Path) -> tuple[Path, float]:
    """The rendered script repeated to last `hold` seconds (the campaign's uploaded audio)."""
    spoken = default_engine().render(SCRIPT)
    repeats = max(1, math.ceil(hold / wav_seconds(spoken)))
    raw = workdir / "prompt-raw.wav"
    subprocess.run(["sox", str(spoken), str(raw), "repeat", str(repeats - 1)], check=True)
    path = workdir / "prompt.wav"
    to_telephone_wav(raw, path, "trim", "0", str(hold))
    return path, wav_seconds(path)


def bench_edge(callee_port: int, workdir: Path) -> EdgeSupervisor:
    """A Kamailio edge on free loopback ports whose one trunk (id 1) is the callee."""
    settings = EdgeSettings(
        address="127.0.0.1",
        port=free_udp_port(),
        local_port=free_udp_port(),
        run_dir=workdir / "edge",
    )
    trunk = EdgeTrunk(id=1, proxy=f"sip:127.0.0.1:{callee_port}")
    return EdgeSupervisor(settings, lambda: [trunk])


async def aicall_phase(
    args, callee_port: int, prompt: Path, prompt_seconds: float, callee_media: int = 0
) -> dict:
    workers_needed = math.ceil(args.calls / 4)
    edge = bench_edge(callee_port, Path(tempfile.mkdtemp(prefix="aicall-edge-")))
    carrier = SipCarrier(
        bind_address="127.0.0.1",
        max_workers=workers_needed + 5,
        min_workers=workers_needed if args.prewarm else 1,
        idle_seconds=600,
        edge=edge if args.edge == "kamailio" else None,
    )
    began = time.monotonic()
    await carrier.start()
    warm_seconds = time.monotonic() - began
    trunk = TrunkConfig(name="bench", proxy=f"sip:127.0.0.1:{callee_port}", trunk_id=1)
    answered_at: list[float] = []
    window = CpuWindow()
    own = CpuWindow()
    edge_window = CpuWindow()

    async def one(i: int) -> base.CallOutcome:
        request = CallRequest(
            call_id=i, attempt=1, callee_e164=f"+8490{i:07d}", caller_id="02873001234",
            script_text="", audio_path=str(prompt), trunk=trunk, ring_timeout_seconds=30,
        )  # fmt: skip
        if args.personalized:
            # Every call's script differs (the contact's name and order): rendered per call,
            # then the menu holds the call until the prompt's length has passed.
            request.audio_path = ""
            request.script_text = PERSONAL.format(i=i)
            request.ivr_menu = {
                "timeout_seconds": int(prompt_seconds - 9),
                "keys": {"9": {"action": "hangup"}},
            }
        return await carrier.place_call(request, lambda: answered_at.append(time.monotonic()))

    edge_ramp = CpuWindow()
    edge_ramp.start(carrier.edge_pids())  # the edge relays every INVITE while calls start
    start = time.monotonic()
    # Speech rendering runs in short-lived espeak-ng/sox children, reaped during the ramp;
    # the media workers are still running, so they are not in these counters yet.
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    tasks = []
    for i in range(args.calls):
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(max(0.0, start + (i + 1) / args.cps - time.monotonic()))
    # Every call is up once the last one is answered: measure until the first ends.
    while len(answered_at) < args.calls and time.monotonic() - start < args.calls / args.cps + 20:
        await asyncio.sleep(0.05)
    full_at = time.monotonic()
    edge_ramp_cpu, _ = edge_ramp.stop()
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    self1 = resource.getrusage(resource.RUSAGE_SELF)
    render_cpu = (children1.ru_utime + children1.ru_stime) - (
        children0.ru_utime + children0.ru_stime
    )
    ramp_self_cpu = (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)
    measure = max(3.0, min(args.window, prompt_seconds - (full_at - start) - 2))
    window.start(carrier.worker_pids())
    own.start([os.getpid()])
    edge_window.start(carrier.edge_pids())
    await asyncio.sleep(measure)
    concurrent = carrier.channels_in_use()
    workers_cpu, udp = window.stop()
    own_cpu, _ = own.stop()
    edge_cpu, _ = edge_window.stop()
    pids = carrier.worker_pids()
    edge_processes = len(carrier.edge_pids())
    # Kamailio's shared memory (transactions, dispatcher, registrations) with every call up.
    shm = edge.rpc("core.shmmem") if carrier.edge else {}
    pss_total_mb = sum(pss_kb(pid) for pid in pids) / 1024
    outcomes = await asyncio.gather(*tasks)
    drops = {
        "edge": socket_drops({edge.edge.port, edge.edge.local_port}) if carrier.edge else 0,
        "callee_sip": socket_drops({callee_port}),
        "callee_rtp": socket_drops({callee_media + i for i in range(4)}),
    }
    await carrier.stop()
    ok = [
        o
        for o in outcomes
        if o.answered
        and o.hangup_cause == base.NORMAL_CLEARING
        and o.duration_seconds
        >= (prompt_seconds - 9 if args.personalized else prompt_seconds) - 0.5
    ]
    setup = sorted(o.answered_after_seconds or 0 for o in outcomes if o.answered)
    span = (max(answered_at) - min(answered_at)) if len(answered_at) > 1 else 0
    return {
        "calls": args.calls,
        "failed": args.calls - len(ok),
        "concurrent": concurrent,
        "workers": len(pids),
        "warm_seconds": warm_seconds,
        "setup_cps": (len(answered_at) - 1) / span if span else 0.0,
        "setup_p50_ms": 1000 * setup[len(setup) // 2] if setup else 0,
        "setup_p95_ms": 1000 * setup[int(len(setup) * 0.95) - 1] if setup else 0,
        "workers_cpu": workers_cpu,
        "carrier_cpu": own_cpu,
        "edge_cpu": edge_cpu,
        "edge_ramp_cpu": edge_ramp_cpu,
        "edge_processes": edge_processes,
        "edge_shm_mb": (shm.get("max_used", 0) / 2**20, shm.get("total", 0) / 2**20),
        "render_ms_per_call": 1000 * render_cpu / args.calls,
        "ramp_carrier_ms_per_call": 1000 * ramp_self_cpu / args.calls,
        "pss_mb": pss_total_mb,
        "udp": udp,
        "drops": drops,
        "causes": sorted({o.hangup_cause for o in outcomes if o not in ok}),
        "short": sorted(round(o.duration_seconds, 1) for o in outcomes if o not in ok)[:5],
    }


def sipp_phase(args, callee_port: int, workdir: Path) -> dict:
    hold = 4 * 7.05
    stats = workdir / "uac"
    stats.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [
            "sipp", f"127.0.0.1:{callee_port}", "-sf", str(HERE / "sipp_caller.xml"),
            "-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", str(free_udp_port()),
            "-mp", str(free_media_port()), "-r", str(args.cps), "-m", str(args.calls),
            "-l", str(args.calls), "-nostdin", "-timeout", "300s", "-trace_stat", "-fd", "1",
            "-max_socket", "4096",
        ],
        cwd=stats, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(args.calls / args.cps + 2)
    window = CpuWindow()
    window.start([proc.pid])
    time.sleep(max(3.0, min(args.window, hold - args.calls / args.cps - 4)))
    cpu, udp = window.stop()
    code = proc.wait(300)
    failed = None
    for csv in stats.glob("*_.csv"):
        last = csv.read_text().strip().splitlines()
        head, row = last[0].split(";"), last[-1].split(";")
        failed = int(row[head.index("FailedCall(C)")])
    return {"exit": code, "cpu": cpu, "udp": udp, "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--cps", type=float, default=50)
    parser.add_argument("--hold", type=float, default=30)
    parser.add_argument("--window", type=float, default=10, help="seconds of CPU sampling")
    parser.add_argument("--no-prewarm", dest="prewarm", action="store_false")
    parser.add_argument(
        "--personalized",
        action="store_true",
        help="a different script per call (rendered by espeak-ng as the call is placed)",
    )
    parser.add_argument("--no-reference", dest="reference", action="store_false")
    parser.add_argument(
        "--edge",
        choices=["kamailio", "direct"],
        default="kamailio",
        help="through the Kamailio SIP edge (default) or each worker straight to the callee",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="aicall-bench-"))
    callee_port = free_udp_port()
    callee_media = free_media_port()
    callee = start_callee(callee_port, callee_media, workdir, args.edge == "kamailio")
    try:
        prompt, prompt_seconds = prompt_file(args.hold, workdir)
        callee_cpu = CpuWindow()
        callee_cpu.start([callee.pid])
        ours = asyncio.run(aicall_phase(args, callee_port, prompt, prompt_seconds, callee_media))
        ref = sipp_phase(args, callee_port, workdir) if args.reference else None
    finally:
        callee.kill()
        callee.wait()
    per_call = (ours["workers_cpu"] + ours["carrier_cpu"] + ours["edge_cpu"]) / max(
        1, ours["concurrent"]
    )
    what = (
        "a personalised script each, then the menu's wait"
        if args.personalized
        else "the same prompt"
    )
    print(f"aicall SIP carrier: {ours['calls']} calls at {args.cps:g}/s, {what}, "
          f"{prompt_seconds:.0f} s a call (G.711, echoed back by SIPp)")  # fmt: skip
    print(f"  simultaneous calls with audio   {ours['concurrent']}")
    print(f"  failed calls                    {ours['failed']} {ours['causes'] or ''} "
          f"{ours['short'] or ''}")  # fmt: skip
    p50, p95 = ours["setup_p50_ms"], ours["setup_p95_ms"]
    print(f"  call setup rate                 {ours['setup_cps']:.1f} calls/s "
          f"(INVITE->200 p50 {p50:.0f} ms, p95 {p95:.0f} ms)")  # fmt: skip
    print(f"  media workers                   {ours['workers']} (started in "
          f"{ours['warm_seconds']:.1f} s)")  # fmt: skip
    print(f"  CPU, media workers              {ours['workers_cpu']:.0f}% of one core")
    print(f"  CPU, carrier (dialer side)      {ours['carrier_cpu']:.0f}% of one core")
    if args.edge == "kamailio":
        print(f"  CPU, SIP edge (Kamailio)        {ours['edge_cpu']:.1f}% of one core "
              f"while calls are up, {ours['edge_ramp_cpu']:.1f}% while they start "
              f"({ours['edge_processes']} processes, SIP only)")  # fmt: skip
        used, total = ours["edge_shm_mb"]
        print(f"  SIP edge shared memory          {used:.1f} MB at most of {total:.0f} MB")
    print(f"  CPU per call                    {per_call:.3f}% of one core")
    print(f"  CPU per call placed (carrier)   {ours['ramp_carrier_ms_per_call']:.1f} ms, "
          f"speech rendering {ours['render_ms_per_call']:.1f} ms")  # fmt: skip
    print(f"  media workers' PSS total        {ours['pss_mb']:.0f} MB")
    print(f"  UDP datagrams/s on loopback     {ours['udp']['per_second']} "
          f"(receive-buffer drops {ours['udp']['RcvbufErrors']})")  # fmt: skip
    drops = ours["drops"]
    print(f"  receive-buffer drops by socket  SIP edge {drops['edge']}, callee SIP "
          f"{drops['callee_sip']}, callee RTP {drops['callee_rtp']}")  # fmt: skip
    if ref:
        ref_per_call = ref["cpu"] / max(1, args.calls)
        print(f"SIPp uac reference: {args.calls} calls at {args.cps:g}/s, G.711 pcap audio")
        print(f"  failed calls                    {ref['failed']} (exit {ref['exit']})")
        print(f"  CPU, SIPp                       {ref['cpu']:.0f}% of one core")
        print(f"  CPU per call                    {ref_per_call:.3f}% of one core")
        print(f"  UDP datagrams/s on loopback     {ref['udp']['per_second']} "
              f"(receive-buffer drops {ref['udp']['RcvbufErrors']})")  # fmt: skip
        if ref_per_call:
            print(f"aicall / SIPp CPU per call        {per_call / ref_per_call:.1f}x")


if __name__ == "__main__":
    main()
