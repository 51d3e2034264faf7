"""How many simultaneous SIP calls with audio aicall holds, against SIPp's own caller.

    .venv/bin/python bench/sip.py [--calls 400] [--cps 50] [--hold 40] [--window 25]
                                  [--no-reference] [--no-prewarm] [--personalized]
                                  [--edge kamailio|direct] [--no-wake]
                                  [--echoes 4] [--before DIR --phases before,now]

One SIPp callee (uas) on 127.0.0.1 answers everything; its SDP sends each call's RTP to one
of `--echoes` echo processes (bench/rtp_echo.py), which send every packet back and count
them. Phase 1: the SIP carrier places `--calls` calls at `--cps`, each playing a
`--hold`-second G.711 prompt (the Vietnamese script rendered by espeak-ng, repeated) before
hanging up, so RTP flows both ways on every call. Last phase, in the same run: SIPp's own uac
places the same calls with audio (a 7 s G.711 pcap played four times) against the same
callee. While every call is up, the bench samples CPU (from /proc/<pid>/stat) of the media
workers, the carrier's own process and SIPp, the workers' PSS, the packets echoed and the
kernel's UDP counters (packets and receive-buffer drops). A call fails unless it was
answered, ended NORMAL CLEARING, and lasted the whole prompt. Everything binds 127.0.0.1 and
stops by itself.

The setup rate is the slope of the answers over time (a least-squares fit of answer n at
time t_n), beside the fewest and most answers in any whole second of the ramp: calls are
offered at exactly `--cps`, so a carrier that keeps up answers at `--cps` and one that
falls behind answers slower; first-to-last alone would count one retransmitted INVITE
among 400 as a slower rate.

`--before DIR --phases before,now` also runs the media workers of another checkout (its
`src`, e.g. a `git worktree` of an older commit) in the same run, direct to the callee,
with the same carrier, callee and echo: CPU per call and per echoed packet side by side.

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

from rtp_echo import EchoPool  # noqa: E402

from aicall.speech.clips import default_engine, wav_seconds  # noqa: E402
from aicall.speech.espeak import to_telephone_wav  # noqa: E402
from aicall.telephony import base  # noqa: E402
from aicall.telephony.base import CallRequest, TrunkConfig  # noqa: E402
from aicall.telephony.edge import EdgeSupervisor  # noqa: E402
from aicall.telephony.edge.config import EdgeSettings, EdgeTrunk  # noqa: E402
from aicall.telephony.sip.carrier import SipCarrier  # noqa: E402
from aicall.telephony.sip.pool import RTP_PORTS_PER_WORKER, WorkerPool  # noqa: E402

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


def machine_busy_ticks() -> int:
    """CPU ticks the whole machine spent busy (every core; /proc/stat's first line)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


class CpuWindow:
    """CPU used by a set of processes between start() and stop(), in % of one core."""

    def start(self, pids: list[int]) -> None:
        self.pids = list(pids)
        self.t0 = time.monotonic()
        self.ticks0 = {pid: cpu_ticks(pid) for pid in self.pids}
        self.udp0 = udp_counters()
        self.machine0 = machine_busy_ticks()

    def stop(self) -> tuple[float, dict[str, int]]:
        seconds = time.monotonic() - self.t0
        used = sum(max(0, cpu_ticks(pid) - self.ticks0[pid]) for pid in self.pids)
        udp1 = udp_counters()
        udp = {k: (udp1[k] - self.udp0[k]) for k in ("InDatagrams", "RcvbufErrors", "InErrors")}
        udp["per_second"] = int(udp["InDatagrams"] / seconds)
        self.machine = 100.0 * (machine_busy_ticks() - self.machine0) / TICKS / seconds
        return 100.0 * used / TICKS / seconds, udp


def start_callee(
    port: int, media_port: int, workdir: Path, edge: bool, echoes: EchoPool
) -> subprocess.Popen:
    scenario = "sipp_callee_edge.xml" if edge else "sipp_callee.xml"
    inf = workdir / "echo-ports.csv"
    echoes.injection_file(inf)
    return subprocess.Popen(
        [
            "sipp", "-sf", str(HERE / scenario), "-i", "127.0.0.1", "-mi", "127.0.0.1",
            "-p", str(port), "-mp", str(media_port), "-inf", str(inf), "-nostdin",
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


def setup_rate(answered: list[float]) -> tuple[float, int, int]:
    """Answers per second as the least-squares slope of answer n over its time, and the
    fewest and most answers in a whole second between the first answer and the last."""
    times = sorted(answered)
    n = len(times)
    if n < 2:
        return 0.0, n, n
    mean_t, mean_i = sum(times) / n, (n - 1) / 2
    var = sum((t - mean_t) ** 2 for t in times)
    cov = sum((t - mean_t) * (i - mean_i) for i, t in enumerate(times))
    seconds = int(times[-1] - times[0])
    buckets = [0] * max(1, seconds)
    for t in times:
        k = int(t - times[0])
        if k < seconds:
            buckets[k] += 1
    return (cov / var if var else 0.0), min(buckets), max(buckets)


async def aicall_phase(
    args,
    callee_port: int,
    prompt: Path,
    prompt_seconds: float,
    callee_media: int,
    callee_pid: int,
    echoes: EchoPool,
    edge_mode: str,
    worker_src: Path | None = None,
) -> dict:
    workers_needed = math.ceil(args.calls / 4)
    edge = bench_edge(callee_port, Path(tempfile.mkdtemp(prefix="aicall-edge-")))
    carrier = SipCarrier(
        bind_address="127.0.0.1",
        max_workers=workers_needed + 5,
        min_workers=workers_needed if args.prewarm else 1,
        idle_seconds=600,
        edge=edge if edge_mode == "kamailio" else None,
    )
    if worker_src is not None:
        # The workers of another checkout: `python -m aicall.telephony.sip.worker` finds
        # its package first on PYTHONPATH; the carrier and its commands stay this one's.
        carrier.pool.worker_env["PYTHONPATH"] = str(worker_src)
    rtp_low = carrier.pool.rtp_port_base
    rtp_ports = set(range(rtp_low, rtp_low + RTP_PORTS_PER_WORKER * (workers_needed + 5)))
    echo_drops0 = socket_drops(set(echoes.ports))
    began = time.monotonic()
    await carrier.start()
    warm_seconds = time.monotonic() - began
    trunk = TrunkConfig(name="bench", proxy=f"sip:127.0.0.1:{callee_port}", trunk_id=1)
    answered_at: list[float] = []
    offered_at: dict[int, float] = {}
    latency: list[float] = []
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

        def answered() -> None:
            now = time.monotonic()
            answered_at.append(now)
            latency.append(now - offered_at[i])  # carrier side: from place_call to answer

        offered_at[i] = time.monotonic()
        return await carrier.place_call(request, answered)

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
    phones = CpuWindow()
    phones.start([callee_pid, *echoes.pids()])
    edge_window.start(carrier.edge_pids())
    echoed0, worker_drops0 = echoes.echoed(), socket_drops(rtp_ports)
    await asyncio.sleep(measure)
    concurrent = carrier.channels_in_use()
    workers_cpu, udp = window.stop()
    phones_cpu, _ = phones.stop()
    echoed = (echoes.echoed() - echoed0) / (time.monotonic() - window.t0)
    worker_drops = socket_drops(rtp_ports) - worker_drops0
    own_cpu, _ = own.stop()
    edge_cpu, _ = edge_window.stop()
    # Everything else on the machine in the same window (other engineers' work, the kernel's
    # softirq for loopback): the figures above are only comparable when this stays small.
    others_cpu = max(0.0, window.machine - workers_cpu - own_cpu - edge_cpu - phones_cpu)
    pids = carrier.worker_pids()
    edge_processes = len(carrier.edge_pids())
    # Kamailio's shared memory (transactions, dispatcher, registrations) with every call up.
    shm = edge.rpc("core.shmmem") if carrier.edge else {}
    pss_total_mb = sum(pss_kb(pid) for pid in pids) / 1024
    outcomes = await asyncio.gather(*tasks)
    drops = {
        "edge": socket_drops({edge.edge.port, edge.edge.local_port}) if carrier.edge else 0,
        "callee_sip": socket_drops({callee_port}),
        "echo": socket_drops(set(echoes.ports)) - echo_drops0,
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
    slope, fewest, most = setup_rate(answered_at)
    latency.sort()
    return {
        "calls": args.calls,
        "failed": args.calls - len(ok),
        "concurrent": concurrent,
        "workers": len(pids),
        "warm_seconds": warm_seconds,
        "first_to_last_cps": (len(answered_at) - 1) / span if span else 0.0,
        "setup_cps": slope,
        "second_fewest": fewest,
        "second_most": most,
        "placed_p50_ms": 1000 * latency[len(latency) // 2] if latency else 0,
        "placed_p95_ms": 1000 * latency[int(len(latency) * 0.95) - 1] if latency else 0,
        "placed_max_ms": 1000 * latency[-1] if latency else 0,
        "echoed_per_second": echoed,
        "phones_cpu": phones_cpu,
        "others_cpu": others_cpu,
        "machine_cpu": window.machine,
        "worker_rtp_drops": worker_drops,
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


def report(args, ours: dict, prompt_seconds: float, label: str, edge_mode: str) -> float:
    per_call = (ours["workers_cpu"] + ours["carrier_cpu"] + ours["edge_cpu"]) / max(
        1, ours["concurrent"]
    )
    what = (
        "a personalised script each, then the menu's wait"
        if args.personalized
        else "the same prompt"
    )
    route = "through the SIP edge" if edge_mode == "kamailio" else "direct"
    print(f"aicall SIP carrier ({label} workers, {route}): {ours['calls']} calls at "
          f"{args.cps:g}/s, {what}, {prompt_seconds:.0f} s a call (G.711, echoed)")  # fmt: skip
    print(f"  simultaneous calls with audio   {ours['concurrent']}")
    print(f"  failed calls                    {ours['failed']} {ours['causes'] or ''} "
          f"{ours['short'] or ''}")  # fmt: skip
    print(f"  call setup rate                 {ours['setup_cps']:.1f} answers/s (each whole "
          f"second {ours['second_fewest']}-{ours['second_most']}; first to last answer "
          f"{ours['first_to_last_cps']:.1f}/s)")  # fmt: skip
    print(f"  INVITE->200 (in the worker)     p50 {ours['setup_p50_ms']:.0f} ms, "
          f"p95 {ours['setup_p95_ms']:.0f} ms")  # fmt: skip
    print(f"  place_call->answer (carrier)    p50 {ours['placed_p50_ms']:.0f} ms, "
          f"p95 {ours['placed_p95_ms']:.0f} ms, max {ours['placed_max_ms']:.0f} ms")  # fmt: skip
    print(f"  media workers                   {ours['workers']} (started in "
          f"{ours['warm_seconds']:.1f} s)")  # fmt: skip
    print(f"  CPU, media workers              {ours['workers_cpu']:.0f}% of one core")
    print(f"  CPU, carrier (dialer side)      {ours['carrier_cpu']:.0f}% of one core")
    if edge_mode == "kamailio":
        print(f"  CPU, SIP edge (Kamailio)        {ours['edge_cpu']:.1f}% of one core "
              f"while calls are up, {ours['edge_ramp_cpu']:.1f}% while they start "
              f"({ours['edge_processes']} processes, SIP only)")  # fmt: skip
        used, total = ours["edge_shm_mb"]
        print(f"  SIP edge shared memory          {used:.1f} MB at most of {total:.0f} MB")
    print(f"  CPU per call                    {per_call:.3f}% of one core")
    print(f"  CPU, the phones (SIPp, echoes)  {ours['phones_cpu']:.0f}%; the rest of the machine "
          f"{ours['others_cpu']:.0f}% (machine busy {ours['machine_cpu']:.0f}% "
          f"of {100 * (os.cpu_count() or 1)}%)")  # fmt: skip
    echoed = ours["echoed_per_second"]
    per_call_rtp = echoed / max(1, ours["concurrent"])
    print(f"  RTP echoed back                 {echoed:.0f} packets/s ({per_call_rtp:.1f} a "
          f"call of 50; workers' sockets dropped {ours['worker_rtp_drops']})")  # fmt: skip
    if echoed:
        print(f"  workers' CPU per 1000 packets/s {1000 * ours['workers_cpu'] / echoed:.2f}% "
              "of one core (each packet sent and received)")  # fmt: skip
    print(f"  CPU per call placed (carrier)   {ours['ramp_carrier_ms_per_call']:.1f} ms, "
          f"speech rendering {ours['render_ms_per_call']:.1f} ms")  # fmt: skip
    print(f"  media workers' PSS total        {ours['pss_mb']:.0f} MB")
    print(f"  UDP datagrams/s on loopback     {ours['udp']['per_second']} "
          f"(receive-buffer drops {ours['udp']['RcvbufErrors']})")  # fmt: skip
    drops = ours["drops"]
    print(f"  receive-buffer drops by socket  SIP edge {drops['edge']}, callee SIP "
          f"{drops['callee_sip']}, RTP echo {drops['echo']}")  # fmt: skip
    return per_call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--cps", type=float, default=50)
    parser.add_argument("--hold", type=float, default=40)
    parser.add_argument("--window", type=float, default=25, help="seconds of CPU sampling")
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
    parser.add_argument("--echoes", type=int, default=4, help="RTP echo processes")
    parser.add_argument(
        "--phases",
        default="now",
        help="comma-separated aicall phases in order: now (this checkout), before (--before)",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout whose media workers the 'before' phases run (always direct)",
    )
    parser.add_argument(
        "--no-wake",
        dest="wake",
        action="store_false",
        help="do not wake a worker after a command (it reads it at its next 100 ms poll)",
    )
    args = parser.parse_args()
    if not args.wake:
        WorkerPool.wake = lambda self, worker: None  # type: ignore[method-assign]
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    if any(p not in ("now", "before") for p in phases) or (
        "before" in phases and args.before is None
    ):
        parser.error("--phases takes now and before; before needs --before DIR")
    workdir = Path(tempfile.mkdtemp(prefix="aicall-bench-"))
    callee_port = free_udp_port()
    callee_media = free_media_port()
    echoes = EchoPool(args.echoes)
    callee = start_callee(callee_port, callee_media, workdir, args.edge == "kamailio", echoes)
    results = []
    try:
        prompt, prompt_seconds = prompt_file(args.hold, workdir)
        for phase in phases:
            edge_mode = args.edge if phase == "now" else "direct"
            src = (args.before / "src").resolve() if phase == "before" else None
            ours = asyncio.run(
                aicall_phase(
                    args, callee_port, prompt, prompt_seconds, callee_media, callee.pid, echoes,
                    edge_mode, src,
                )
            )  # fmt: skip
            label = "this checkout's" if phase == "now" else f"{args.before}'s"
            results.append((phase, report(args, ours, prompt_seconds, label, edge_mode), ours))
            sys.stdout.flush()
        ref = sipp_phase(args, callee_port, workdir) if args.reference else None
    finally:
        callee.kill()
        callee.wait()
        echoes.stop()
    if len(results) > 1:
        rows = []
        for phase, per_call, ours in results:
            per_kpps = 1000 * ours["workers_cpu"] / max(1, ours["echoed_per_second"])
            rows.append(f"{phase} {per_call:.3f}% ({per_kpps:.2f}% per 1000 packets/s)")
        print("CPU per call, phase by phase: " + ", ".join(rows))
    if ref:
        per_call = results[-1][1] if results else 0.0
        ref_per_call = ref["cpu"] / max(1, args.calls)
        print(f"SIPp uac reference: {args.calls} calls at {args.cps:g}/s, G.711 pcap audio")
        print(f"  failed calls                    {ref['failed']} (exit {ref['exit']})")
        print(f"  CPU, SIPp                       {ref['cpu']:.0f}% of one core")
        print(f"  CPU per call                    {ref_per_call:.3f}% of one core")
        print(f"  UDP datagrams/s on loopback     {ref['udp']['per_second']} "
              f"(receive-buffer drops {ref['udp']['RcvbufErrors']})")  # fmt: skip
        if ref_per_call and per_call:
            print(f"aicall / SIPp CPU per call        {per_call / ref_per_call:.1f}x")


if __name__ == "__main__":
    main()
