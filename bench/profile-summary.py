#!/usr/bin/env python3
"""Summarizes a bench/profile.sh run (artifacts/profile/<users>/): where ChatApi's samples went, by component, and the
runtime's counters per chunk. A sample is attributed to its innermost managed frame, so the native work a managed
call causes (allocation helpers, the GC's work on the allocating thread, syscalls) counts for the code that caused it.
"""
import collections, csv, re, statistics, sys
from pathlib import Path

COMPONENTS = [
    ("GC: the background GC thread", lambda comm, leaf, m: comm.startswith(".NET BGC")),
    ("JIT: still compiling", lambda comm, leaf, m: "libclrjit" in leaf),
    ("the profiler itself (EventPipe)", lambda comm, leaf, m: comm.startswith((".NET EventPipe", "MetricsEventSou", ".NET Counter Po"))),
    ("timers (TimerQueue)", lambda comm, leaf, m: m and "TimerQueue" in m),
    ("model: OpenAI SDK, System.ClientModel", lambda comm, leaf, m: m and ("[OpenAI]" in m or "[System.ClientModel]" in m)),
    ("model: Microsoft.Extensions.AI (adapter, OpenTelemetry and logging clients)", lambda comm, leaf, m: m and "[Microsoft.Extensions.AI" in m),
    ("model: HttpClient", lambda comm, leaf, m: m and ("[System.Net.Http]" in m or "[Microsoft.Extensions.Http]" in m)),
    ("System.Text.Json", lambda comm, leaf, m: m and "[System.Text.Json]" in m),
    ("Redis: StackExchange.Redis", lambda comm, leaf, m: m and ("[StackExchange.Redis]" in m or "[Pipelines.Sockets.Unofficial]" in m)),
    # Kestrel's connections read and write through pipes as Redis' client does: on the in-memory route they are Kestrel's.
    ("System.IO.Pipelines (Kestrel's connections, and Redis' client)", lambda comm, leaf, m: m and "[System.IO.Pipelines]" in m),
    ("ChatApi's own code", lambda comm, leaf, m: m and "[AspireChat." in m),
    ("WebSockets, Kestrel, ASP.NET Core", lambda comm, leaf, m: m and ("[Microsoft.AspNetCore" in m or "[System.Net.WebSockets]" in m)),
    ("sockets (SocketAsyncEngine, NetworkStream)", lambda comm, leaf, m: m and "[System.Net.Sockets]" in m),
    ("telemetry (Activity, metrics, logging)", lambda comm, leaf, m: m and ("System.Diagnostics" in m or "[Microsoft.Extensions.Logging" in m or "[OpenTelemetry" in m)),
    ("thread pool, tasks, async state machines", lambda comm, leaf, m: m and ("System.Threading" in m or "System.Runtime.CompilerServices" in m)),
    ("other managed code", lambda comm, leaf, m: m is not None),
    ("native without a managed frame (idle workers, epoll thread, kernel)", lambda comm, leaf, m: True),
]


def samples(path):
    current = None
    for line in open(path, errors="replace"):
        if not line.strip():
            if current:
                yield current
            current = None
        elif not line[0].isspace():
            current = (line.strip(), [])
        elif current:
            current[1].append(line.strip())
    if current:
        yield current


# Why the kernel ran, from the system call in a kernel sample's stack (the innermost __x64_sys_* frame), else an
# interrupt or a preemption: what the kernel share of the components above was spent on.
SYSCALLS = {
    "sched_yield": "sched_yield: a thread-pool worker spinning before it sleeps",
    "futex": "futex: a thread waking another, or going to sleep",
    "epoll_wait": "epoll_wait: the sockets' event thread waiting and waking",
    "sendto": "send: a socket write (with the loopback receiver's TCP work)",
    "sendmsg": "send: a socket write (with the loopback receiver's TCP work)",
    "write": "send: a socket write (with the loopback receiver's TCP work)",
    "writev": "send: a socket write (with the loopback receiver's TCP work)",
    "recvfrom": "recv: a socket read",
    "recvmsg": "recv: a socket read",
    "read": "recv: a socket read",
    "readv": "recv: a socket read",
}


def kernel_reason(frames):
    for frame in frames:
        if "kallsyms" not in frame:
            break
        match = re.search(r"__x64_sys_(\w+)", frame)
        if match:
            return SYSCALLS.get(match.group(1), "other system calls")
    return "no system call: interrupts, preemption, page faults"


def main(folder):
    folder = Path(folder)
    counts, kernel, total = collections.Counter(), collections.Counter(), 0
    reasons = collections.Counter()
    for comm, frames in samples(folder / "perf.script"):
        if not frames:
            continue
        total += 1
        leaf = frames[0]
        managed = next((f for f in frames if "[JIT]" in f or "/tmp/perf-" in f), None)
        name = next(n for n, rule in COMPONENTS if rule(comm, leaf, managed))
        counts[name] += 1
        in_kernel = "kallsyms" in leaf or "[k]" in leaf
        kernel[name] += in_kernel
        if in_kernel:
            reasons[kernel_reason(frames)] += 1

    run = (folder / "run.txt").read_text()
    # The runs that closed after the perf window: their chunk rate and ChatApi's CPU per chunk.
    after = run.split("perf window done", 1)[-1]
    rates = [float(r.replace(",", "")) for r in re.findall(r"chunks \d+ \(([\d,]+)/s\)", after)]
    per_chunk = [float(x) for x in re.findall(r"CPU per chunk ([\d.]+) µs", after)]
    chunks_per_second = statistics.median(rates) if rates else float("nan")
    microseconds = statistics.median(per_chunk) if per_chunk else float("nan")
    print(f"{total} samples; ChatApi {microseconds:.1f} µs of CPU per chunk at {chunks_per_second:,.0f} chunks/s (median of the runs after the perf window)")
    print()
    print("| component | share of ChatApi's samples | of which kernel | µs per chunk |")
    print("|---|---:|---:|---:|")
    for name, count in counts.most_common():
        print(f"| {name} | {100 * count / total:.1f}% | {100 * kernel[name] / total:.1f}% | {microseconds * count / total:.1f} |")

    print()
    print("| the kernel's samples, by why it ran | share of ChatApi's samples | µs per chunk |")
    print("|---|---:|---:|")
    for reason, count in reasons.most_common():
        print(f"| {reason} | {100 * count / total:.1f}% | {microseconds * count / total:.1f} |")

    counters = folder / "counters.csv"
    if not counters.exists():
        return
    values = collections.defaultdict(list)
    for row in list(csv.reader(open(counters)))[1:]:
        if len(row) == 5 and row[4]:
            values[row[2]].append(float(row[4]))
    mean = {k: statistics.mean(v) for k, v in values.items()}

    def rate(prefix):
        return sum(v for k, v in mean.items() if k.startswith(prefix))

    print()
    print("| runtime counter (dotnet-counters, its own window) | value | per chunk |")
    print("|---|---:|---:|")
    for label, key, scale in [
        ("thread-pool work items completed /s", "dotnet.thread_pool.work_item.count", 1),
        ("bytes allocated /s", "dotnet.gc.heap.total_allocated", 1),
        ("gen0 collections /s", "dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen0]", 1000),
        ("gen1 collections /s", "dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen1]", 1000),
        ("gen2 collections /s", "dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen2]", 1000),
        ("lock contentions /s", "dotnet.monitor.lock_contentions", 1),
    ]:
        value = rate(key)
        unit = " per 1,000 chunks" if scale == 1000 else ""
        print(f"| {label} | {value:,.1f} | {scale * value / chunks_per_second:,.3f}{unit} |")
    for label, key in [
        ("active timers", "dotnet.timer.count"),
        ("thread-pool threads", "dotnet.thread_pool.thread.count"),
        ("gen2 heap after the last GC (MB)", "dotnet.gc.last_collection.heap.size (By)[gc.heap.generation=gen2]"),
        ("GC-committed memory (MB)", "dotnet.gc.last_collection.memory.committed_size"),
        ("processors the runtime sees", "dotnet.process.cpu.count"),
    ]:
        value = rate(key)
        value = value / 1e6 if "(MB)" in label else value
        print(f"| {label} | {value:,.1f} | |")


if __name__ == "__main__":
    main(sys.argv[1])
