"""Webhook delivery benchmark: a live `reverify serve`, a local Standard Webhooks receiver that verifies
every request, and four measurements.

1. Drain throughput: N `webhook.test` events are committed while the server is down, then the server
   starts; events/s from the first receipt to the last. This is the worker's delivery capacity to one
   endpoint (events to one endpoint go one after another, in order).
2. Live burst: M events committed by the CLI (another process, one transaction each) as fast as it can
   while the server delivers; events/s and commit-to-receipt latency, which in a burst is mostly queueing.
3. Latency of server-originated events: sign-ins on the hosted pages, one after another; each commits
   `authentication.succeeded` and `session.created` and wakes the worker in-process.
4. Latency of events committed by another process at an idle server (the CLI): bounded by the poll interval.

"Commit" is `outbox_events.enqueued_at_ms`, the wall clock read inside the transaction that writes the
event, just before it commits; "receipt" is the receiver's wall clock when the request body has been read.
Both clocks are this machine's, so the difference is honest to about a millisecond.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Tests" / "e2e"))
from reverify_e2e import Browser, Receiver, ReverifyServer, code_request_url  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def commit_times(server: ReverifyServer, ids: set[str]) -> dict[str, int]:
    with sqlite3.connect(server.db, timeout=10) as db:
        rows = db.execute("SELECT id, enqueued_at_ms FROM outbox_events").fetchall()
    return {i: t for i, t in rows if i in ids}


def first_receipts(receiver: Receiver, ids: set[str]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for d in receiver.snapshot():
        if d.webhook_id in ids and 200 <= d.status < 300 and d.webhook_id not in seen:
            seen[d.webhook_id] = d.received_ms
    return seen


def wait_for(receiver: Receiver, predicate, timeout: float, what: str) -> None:
    """Checks every 20 ms, not on every delivery: `Receiver.wait_for` re-evaluates on each one, which at
    thousands of deliveries a second takes the receiver's own CPU (and GIL) and slows what is measured."""
    deadline = time.monotonic() + timeout
    while not predicate(receiver.snapshot()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def summary(label: str, latencies: list[float]) -> str:
    return (f"{label}: n={len(latencies)}  p50={percentile(latencies, 50):.1f} ms  "
            f"p99={percentile(latencies, 99):.1f} ms  max={max(latencies):.1f} ms")


def measure(args: argparse.Namespace) -> dict:
    """Runs the four measurements, printing each; returns the figures scripts/lib/bench.py tabulates."""
    import os
    os.environ["REVERIFY_BIN"] = args.bin
    workdir = Path(tempfile.mkdtemp(prefix="reverify-bench-"))
    poll = ("--webhook-poll-interval", args.poll) if args.poll else ()
    server = ReverifyServer(workdir, extra_args=(*poll, "--log-level", "warning"), database=getattr(args, "database", None))
    figures: dict = {}
    server.cli("migrate")
    receiver = Receiver().start()
    failures = 0
    try:
        endpoint = server.add_webhook_endpoint(receiver)

        # 1. Drain throughput: the backlog is committed before the worker starts.
        backlog = set(server.cli_json("webhooks", "test", endpoint["id"], "--count", str(args.events)))
        server.start()
        wait_for(receiver, lambda ds: backlog <= {d.webhook_id for d in ds if 200 <= d.status < 300}, 600, "the backlog")
        receipts = first_receipts(receiver, backlog)
        span_ms = max(receipts.values()) - min(receipts.values())
        figures["drain_per_s"] = len(backlog) / (span_ms / 1000)
        print(f"drain: {len(backlog)} queued events delivered in {span_ms / 1000:.2f} s "
              f"= {len(backlog) / (span_ms / 1000):.0f} events/s (first to last receipt, one endpoint)")

        # 2. Live burst from another process while the worker delivers
        before = {d.webhook_id for d in receiver.snapshot()}
        started = time.time()
        burst = subprocess.run(
            [args.bin, "webhooks", "test", endpoint["id"], "--count", str(args.burst), "--database", server.db],
            capture_output=True, text=True, check=True)
        ids = set(burst.stdout.split())
        enqueue_s = time.time() - started
        wait_for(receiver, lambda ds: ids <= {d.webhook_id for d in ds if 200 <= d.status < 300}, 600, "the burst")
        commits, receipts = commit_times(server, ids), first_receipts(receiver, ids)
        span_ms = max(receipts.values()) - min(commits.values())
        print(f"live burst: {len(ids)} events committed by the CLI in {enqueue_s:.2f} s "
              f"({len(ids) / enqueue_s:.0f}/s) while delivering; all received {span_ms / 1000:.2f} s after the "
              f"first commit = {len(ids) / (span_ms / 1000):.0f} events/s")
        figures["burst_per_s"] = len(ids) / (span_ms / 1000)
        figures["burst_latencies"] = [receipts[i] - commits[i] for i in ids]
        print("  " + summary("burst commit-to-receipt latency", figures["burst_latencies"]))
        assert not (ids & before)

        # 2. Server-originated events (sign-ins on the hosted pages)
        user = server.create_user("bench")
        client = server.create_client(name="Bench RP")
        before = {d.webhook_id for d in receiver.snapshot()}
        for _ in range(args.signins):
            Browser(server).sign_in(code_request_url(server, client), user)
            time.sleep(0.05)
        wait_for(receiver, lambda ds: len({d.webhook_id for d in ds} - before) >= 2 * args.signins, 60, "sign-in events")
        signin_ids = {d.webhook_id for d in receiver.snapshot()} - before
        commits, receipts = commit_times(server, signin_ids), first_receipts(receiver, signin_ids)
        figures["in_process_latencies"] = [receipts[i] - commits[i] for i in signin_ids]
        print("  " + summary(f"in-process latency ({args.signins} sign-ins, 2 events each)",
                             figures["in_process_latencies"]))

        # 3. Events committed by another process at an idle server
        idle_ids: set[str] = set()
        for _ in range(args.idle):
            [event_id] = server.cli_json("webhooks", "test", endpoint["id"])
            idle_ids.add(event_id)
            wait_for(receiver, lambda ds: event_id in {d.webhook_id for d in ds}, 30, "an idle event")
        commits, receipts = commit_times(server, idle_ids), first_receipts(receiver, idle_ids)
        figures["cross_process_latencies"] = [receipts[i] - commits[i] for i in idle_ids]
        print("  " + summary(f"cross-process latency at idle (poll {args.poll or 'default'})",
                             figures["cross_process_latencies"]))

        failures = sum(not d.verified for d in receiver.snapshot())
        duplicates = len(receiver.snapshot()) - len({d.webhook_id for d in receiver.snapshot()})
        print(f"  all {len(receiver.snapshot())} requests verified with standardwebhooks: {failures == 0}; "
              f"duplicates: {duplicates}")
        figures["unverified"] = failures
        figures["duplicates"] = duplicates
    finally:
        server.stop()
        receiver.stop()
    return figures


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=int, default=2000, help="events in the drain (throughput) run")
    parser.add_argument("--burst", type=int, default=1000, help="events in the live burst")
    parser.add_argument("--signins", type=int, default=30, help="sign-ins for the in-process latency run")
    parser.add_argument("--idle", type=int, default=20, help="single CLI events for the cross-process latency run")
    parser.add_argument("--poll", default=None, help="the worker's --webhook-poll-interval (default: the server's)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="the reverify binary")
    arguments(parser)
    args = parser.parse_args()
    args.bin = str(Path(args.bin).resolve())  # the server runs in its own temporary folder
    figures = measure(args)
    return 1 if figures.get("unverified") else 0


if __name__ == "__main__":
    sys.exit(main())
