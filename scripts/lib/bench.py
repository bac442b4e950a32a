"""Reverify's hot paths under load (issue 13): a live `reverify serve` on a temporary database, real
sessions, refresh chains and access tokens made through the HTTP endpoints, wrk driving each scenario,
and one table at the end.

Every wrk script counts the responses it accepts and refuses (scripts/lib/wrk/*.lua): a discovery or
JWKS answer must be 200 with its content, an authorize a 302 carrying a code, a refresh a 200 carrying
the rotated token (which the next request of that chain presents), introspection `"active":true`,
userinfo a 200 with `sub`, a sign-in a 302 to the client with a code. A row with any refused response
or socket error is reported as INVALID rather than as a rate.

Scenarios, in order: discovery, JWKS, authorize with a fresh session, refresh_token grant with rotation
(one chain per connection), introspection, userinfo, password sign-ins against raw Argon2id
verifications at the same parameters (`reverify bench-argon2`), silent authorize and refresh during a
password flood, and webhook delivery (scripts/lib/webhook_bench.py). RSS is read from /proc/PID/status
when the server is idle after setup and again after the load. `--seed N` first fills the database with
N sessions and N refresh tokens (and their grants) in one SQLite transaction, to check the scale target.

`--database postgres://…` runs the servers on PostgreSQL (issue 14), `--instances N` starts N of them on it
with one issuer; every scenario then runs one wrk per instance at once (connections and refresh chains split
between them) and a row adds their rates; its p50/p99 are the worst instance's.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import os
import platform
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "Tests" / "e2e"))
sys.path.insert(0, str(HERE))
import requests  # noqa: E402
from reverify_e2e import PASSWORD, USER_AGENT, Browser, ReverifyServer, code_request_url  # noqa: E402

import webhook_bench  # noqa: E402


@dataclass
class Figure:
    """One wrk run: what it measured and whether every response was a real success."""
    scenario: str
    requests: int
    seconds: float
    ok: int
    bad: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    note: str = ""

    @property
    def valid(self) -> bool:
        return self.bad == 0 and self.socket_errors == 0 and self.ok > 0

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS) or at its peak so far (VmHWM), from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field}")


def wrk_command(script: str, url: str, duration: int, threads: int, connections: int) -> list[str]:
    return ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency", "--timeout", "5s",
            "-s", script, url]


def lua(name: str, workdir: Path) -> str:
    """The scenario's script with the shared counting prelude in front (wrk loads one file)."""
    path = workdir / f"{name}.lua"
    path.write_text((HERE / "wrk" / "common.lua").read_text() + "\n" + (HERE / "wrk" / f"{name}.lua").read_text())
    return str(path)


def parse(scenario: str, output: str, note: str = "") -> Figure:
    match = re.search(r"^BENCH (.*)$", output, re.M)
    if not match:
        raise RuntimeError(f"wrk printed no summary for {scenario}:\n{output}")
    f = {k: int(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    return Figure(scenario, f["requests"], f["duration_us"] / 1e6, f["ok"], f["bad"], f["socket_errors"],
                  f["p50_us"] / 1000, f["p99_us"] / 1000, note)


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.workdir = Path(tempfile.mkdtemp(prefix="reverify-bench-"))
        os.environ["REVERIFY_BIN"] = args.bin
        first = ReverifyServer(self.workdir / "i0", extra_args=("--log-level", args.log_level), database=args.database)
        self.servers = [first] + [
            ReverifyServer(self.workdir / f"i{n}", extra_args=("--log-level", args.log_level), database=args.database,
                           issuer=first.issuer)
            for n in range(1, args.instances)]
        #: The instance the CLI, the browser and the token set-up talk to.
        self.server = first
        self.figures: list[Figure] = []
        self.extra: dict[str, str] = {}

    # -- setup --------------------------------------------------------------------------------

    def prepare(self) -> None:
        s = self.server
        s.cli("migrate")
        self.client = s.create_client(name="Bench RP")
        self.users = [s.create_user(f"bench{i}") for i in range(max(self.args.signin_clients, 1))]
        if self.args.seed:
            started = time.monotonic()
            seed(s.db, self.args.seed, self.client.client_id)
            self.extra["seed"] = f"{self.args.seed:,} sessions + refresh tokens in {time.monotonic() - started:.1f} s"
            print(f"==> seeded {self.extra['seed']}", flush=True)
        for instance in self.servers:
            instance.start()
        self.browser = Browser(s)
        self.browser.sign_in(code_request_url(s, self.client), self.users[0])
        self.cookies = "; ".join(f"{c.name}={c.value}" for c in self.browser.http.cookies)
        self.basic = "Basic " + base64.b64encode(
            f"{urllib.parse.quote(self.client.client_id, safe='')}:{urllib.parse.quote(self.client.client_secret, safe='')}"
            .encode()).decode()

    def authorize_path(self, scope: str = "openid email profile") -> str:
        query = urllib.parse.urlencode({
            "client_id": self.client.client_id, "redirect_uri": self.client.redirect_uri, "response_type": "code",
            "scope": scope, "state": "bench-state", "nonce": "bench-nonce"})
        return "/oauth2/authorize?" + query

    def tokens(self) -> dict:
        """A real code flow with the signed-in browser: authorize -> code -> token response."""
        r = self.browser.http.get(self.server.base_url + self.authorize_path("openid email profile offline_access"),
                                  allow_redirects=False, timeout=30)
        assert r.status_code == 302, r.text
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)["code"][0]
        t = requests.post(self.server.base_url + "/oauth2/token",
                          data={"grant_type": "authorization_code", "code": code, "redirect_uri": self.client.redirect_uri},
                          headers={"Authorization": self.basic, "User-Agent": USER_AGENT}, timeout=30)
        assert t.status_code == 200, t.text
        return t.json()

    # -- running wrk --------------------------------------------------------------------------

    def env(self, **values: str) -> dict[str, str]:
        return {**os.environ, "BENCH_USER_AGENT": USER_AGENT, **values}

    def start_wrk(self, scenario: str, script: str, env: dict[str, str], threads: int, connections: int,
                  duration: int | None = None) -> list[subprocess.Popen]:
        """One wrk per instance, the connections (and refresh chains: a chain rotates on one connection only)
        shared out between them."""
        count = len(self.servers)
        chains = env.get("BENCH_TOKENS", "").split(",") if "BENCH_TOKENS" in env else None
        # Written once: rewriting the file while an earlier wrk still reads it would hand that one an empty script.
        script_path = lua(script, self.workdir)
        processes = []
        for index, instance in enumerate(self.servers):
            share = max(1, connections // count)
            own = dict(env)
            if chains is not None:
                own["BENCH_TOKENS"] = ",".join(chains[index::count])
                share = len(chains[index::count])
            command = wrk_command(script_path, instance.base_url, duration or self.args.duration,
                                  max(1, min(threads, share)), share)
            processes.append(subprocess.Popen(command, env=own, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                              text=True))
        return processes

    @staticmethod
    def collect(scenario: str, processes: list[subprocess.Popen], note: str = "") -> Figure:
        """The instances' figures as one: rates add up, latencies are the worst instance's."""
        parts = [parse(scenario, process.communicate()[0]) for process in processes]
        return Figure(scenario, sum(f.requests for f in parts), max(f.seconds for f in parts), sum(f.ok for f in parts),
                      sum(f.bad for f in parts), sum(f.socket_errors for f in parts), max(f.p50_ms for f in parts),
                      max(f.p99_ms for f in parts), note)

    def run(self, scenario: str, script: str, env: dict[str, str], threads: int, connections: int,
            note: str = "", duration: int | None = None, record: bool = True) -> Figure:
        seconds = duration or self.args.duration
        print(f"==> {scenario} ({threads} threads, {connections} connections, {seconds} s)", flush=True)
        processes = self.start_wrk(scenario, script, env, threads, connections, duration=seconds)
        profiler = self.profile(scenario)
        figure = self.collect(scenario, processes, note)
        if profiler:
            profiler.wait()
        if record:
            self.figures.append(figure)
        print(f"    {'%.0f/s' % figure.rate if figure.valid else 'INVALID'}  p50 {figure.p50_ms:.2f} ms  "
              f"p99 {figure.p99_ms:.2f} ms  ok {figure.ok}  bad {figure.bad}  socket errors {figure.socket_errors}",
              flush=True)
        return figure

    def profile(self, scenario: str) -> subprocess.Popen | None:
        """With --perf, samples the server's call stacks while the scenario runs (`perf report -i FILE`)."""
        if not self.args.perf:
            return None
        name = re.sub(r"[^a-z0-9]+", "-", scenario.lower()).strip("-")
        output = self.workdir / f"perf-{name}.data"
        print(f"    perf record -> {output}", flush=True)
        return subprocess.Popen(
            ["perf", "record", "-F", "499", "-g", "-p", str(self.server.process.pid), "-o", str(output), "--",
             "sleep", str(max(1, self.args.duration - 1))], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def fixed(self, scenario: str, path: str, *, method: str = "GET", headers: dict[str, str] | None = None,
              body: str = "", status: int = 200, body_has: str = "", location_has: str = "",
              connections: int = 16) -> Figure:
        values = {"BENCH_METHOD": method, "BENCH_PATH": path, "BENCH_STATUS": str(status),
                  "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in {"User-Agent": USER_AGENT, **(headers or {})}.items())}
        if body:
            values["BENCH_BODY"] = body
        if body_has:
            values["BENCH_BODY_HAS"] = body_has
        if location_has:
            values["BENCH_LOCATION_HAS"] = location_has
        return self.run(scenario, "fixed", self.env(**values), 2, connections)

    # -- scenarios ----------------------------------------------------------------------------

    def refresh_env(self) -> dict[str, str]:
        chains = [self.tokens()["refresh_token"] for _ in range(self.args.chains)]
        return self.env(BENCH_PATH="/oauth2/token", BENCH_AUTHORIZATION=self.basic, BENCH_TOKENS=",".join(chains))

    def signin_env(self) -> dict[str, str]:
        return self.env(
            BENCH_PATH=self.authorize_path(), BENCH_EMAILS=",".join(u.email for u in self.users),
            BENCH_PASSWORD=urllib.parse.quote_plus(PASSWORD), BENCH_REDIRECT_URI=self.client.redirect_uri)

    def scenarios(self) -> None:
        only = set(self.args.only.split(",")) if self.args.only else None

        def wanted(name: str) -> bool:
            return only is None or name in only

        if wanted("discovery"):
            self.fixed("discovery", "/.well-known/openid-configuration", body_has='"issuer"', connections=32)
        if wanted("jwks"):
            self.fixed("jwks", "/.well-known/jwks.json", body_has='"keys"', connections=32)
        if wanted("authorize"):
            self.fixed("authorize (fresh session -> 302 + code)", self.authorize_path(),
                       headers={"Cookie": self.cookies}, status=302, location_has="code=")
        if wanted("refresh"):
            self.run(f"refresh_token grant ({self.args.chains} rotating chains)", "refresh", self.refresh_env(),
                     self.args.chains, self.args.chains)
        if wanted("introspection") or wanted("userinfo"):
            access = self.tokens()["access_token"]
            if wanted("introspection"):
                self.fixed("introspection (access token)", "/oauth2/introspect", method="POST",
                           headers={"Authorization": self.basic, "Content-Type": "application/x-www-form-urlencoded"},
                           body="token=" + access, body_has='"active":true')
            if wanted("userinfo"):
                self.fixed("userinfo (Bearer)", "/oauth2/userinfo", headers={"Authorization": "Bearer " + access},
                           body_has='"sub":')
        if wanted("signin"):
            self.signins()
        if wanted("flood"):
            self.flood()
        self.extra["rss_after_load"] = f"{rss_mib(self.server.process.pid):.1f} MiB"
        self.extra["rss_peak"] = f"{rss_mib(self.server.process.pid, 'VmHWM'):.1f} MiB"

    def signins(self) -> None:
        """Password sign-ins against raw Argon2id at the same parameters, measured in turns (raw, sign-ins, raw,
        sign-ins, …, raw): raw verifications on this shared machine drift by half within minutes, so each
        sign-in slice is compared with the raw figures just before and after it, and the row shows the median
        of those ratios."""
        n = self.args.signin_clients
        rounds = max(1, self.args.signin_rounds)
        seconds = max(2, self.args.duration // rounds)
        turns = [self.argon2(seconds)]
        slices = []
        for _ in range(rounds):
            slices.append(self.run(f"password sign-ins ({n} clients)", "signin", self.signin_env(), n, n,
                                   duration=seconds, record=False))
            turns.append(self.argon2(seconds))
        figure = Figure(f"password sign-ins ({n} clients)", sum(f.requests for f in slices),
                        sum(f.seconds for f in slices), sum(f.ok for f in slices), sum(f.bad for f in slices),
                        sum(f.socket_errors for f in slices), max(f.p50_ms for f in slices),
                        max(f.p99_ms for f in slices))
        if all(turns):
            raws = [turn["verifications_per_second"] for turn in turns]
            ratios = sorted(f.rate / ((before + after) / 2) for f, before, after in zip(slices, raws, raws[1:]))
            figure.note = (f"raw Argon2id {min(raws):.1f}–{max(raws):.1f}/s; median of {rounds} bracketed ratios "
                           f"{100 * ratios[len(ratios) // 2]:.0f}% ({', '.join(f'{100 * r:.0f}%' for r in ratios)})")
            print(f"    {figure.note}", flush=True)
            first = turns[0]
            self.extra["argon2"] = (f"raw Argon2id m={first['memory_kib']} KiB t={first['iterations']} "
                                    f"p={first['parallelism']}: {', '.join(f'{raw:.1f}' for raw in raws)}/s on "
                                    f"{first['threads']} threads")
        self.figures.append(figure)

    def argon2(self, seconds: int) -> dict | None:
        """Raw Argon2id verifications/s at the server's parameters on its hashing pool, one thread per core, with
        those parameters (`reverify bench-argon2`'s JSON)."""
        binary = self.args.argon2_bin or self.args.bin
        result = subprocess.run([binary, "bench-argon2", "--seconds", str(seconds)], capture_output=True, text=True)
        if result.returncode != 0:
            print(f"    (no raw Argon2id figure: {result.stderr.strip()[:200]})")
            return None
        return json.loads(result.stdout)

    def flood(self) -> None:
        """Silent authorize and refresh while a password flood keeps Argon2id busy (their p99 is the figure)."""
        n = self.args.signin_clients
        refresh_env = self.refresh_env()
        print(f"==> during a password flood ({n} clients): authorize and refresh ({self.args.duration} s)", flush=True)
        authorize_env = self.env(BENCH_METHOD="GET", BENCH_PATH=self.authorize_path(), BENCH_STATUS="302",
                                 BENCH_LOCATION_HAS="code=",
                                 BENCH_HEADERS=f"User-Agent: {USER_AGENT}\nCookie: {self.cookies}")
        processes = [
            ("password flood: sign-ins", self.start_wrk("flood", "signin", self.signin_env(), n, n)),
            ("password flood: authorize", self.start_wrk("flood", "fixed", authorize_env, 2, 8)),
            ("password flood: refresh", self.start_wrk("flood", "refresh", refresh_env, self.args.chains,
                                                       self.args.chains)),
        ]
        for scenario, process in processes:
            figure = self.collect(scenario, process)
            self.figures.append(figure)
            print(f"    {scenario}: {'%.0f/s' % figure.rate if figure.valid else 'INVALID'}  p99 {figure.p99_ms:.2f} ms  "
                  f"bad {figure.bad}", flush=True)

    def webhooks(self) -> dict | None:
        if self.args.only and "webhooks" not in self.args.only.split(","):
            return None
        print("==> webhooks (scripts/lib/webhook_bench.py)", flush=True)
        return webhook_bench.measure(argparse.Namespace(
            bin=self.args.bin, events=self.args.webhook_events, burst=self.args.webhook_events // 2,
            signins=self.args.webhook_signins, idle=self.args.webhook_idle, poll=None, database=self.args.database))

    # -- report -------------------------------------------------------------------------------

    def table(self, hooks: dict | None) -> str:
        lines = [
            f"Reverify bench, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
            f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), {self.args.duration} s per scenario, "
            f"{self.store_description()}"
            + (f", seeded: {self.extra['seed']}" if "seed" in self.extra else ""),
            "",
            "| scenario | rate | p50 | p99 | errors | note |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for f in self.figures:
            rate = f"{f.rate:,.0f}/s" if f.valid else "INVALID"
            if f.valid and f.rate < 100:
                rate = f"{f.rate:,.1f}/s"
            lines.append(f"| {f.scenario} | {rate} | {f.p50_ms:.2f} ms | {f.p99_ms:.2f} ms | {f.bad + f.socket_errors} | {f.note} |")
        if hooks:
            def pct(values: list[float], p: float) -> str:
                return f"{webhook_bench.percentile(values, p):.1f} ms"
            lines.append(f"| webhooks: drain of {self.args.webhook_events} queued events | {hooks['drain_per_s']:,.0f}/s | | | "
                         f"{hooks['unverified'] + hooks['duplicates']} | one endpoint |")
            lines.append(f"| webhooks: burst committed by the CLI | {hooks['burst_per_s']:,.0f}/s | "
                         f"{pct(hooks['burst_latencies'], 50)} | {pct(hooks['burst_latencies'], 99)} | | commit to receipt |")
            lines.append(f"| webhooks: sign-in events (this process) | | {pct(hooks['in_process_latencies'], 50)} | "
                         f"{pct(hooks['in_process_latencies'], 99)} | | commit to receipt |")
            lines.append(f"| webhooks: CLI events at idle (another process) | | {pct(hooks['cross_process_latencies'], 50)} | "
                         f"{pct(hooks['cross_process_latencies'], 99)} | | commit to receipt |")
        lines.append(f"| RSS idle / after load / peak | {self.extra.get('rss_idle', '?')} / {self.extra.get('rss_after_load', '?')} / "
                     f"{self.extra.get('rss_peak', '?')} | | | | VmRSS, VmHWM |")
        if "argon2" in self.extra:
            lines.append("")
            lines.append(self.extra["argon2"])
        return "\n".join(lines)

    def store_description(self) -> str:
        if not self.args.database:
            return "SQLite"
        version = subprocess.run(["psql", self.args.database, "-Atc", "SHOW server_version"], capture_output=True,
                                 text=True).stdout.strip()
        return f"PostgreSQL {version or '?'}, {self.args.instances} instance{'s' if self.args.instances > 1 else ''}"

    def main(self) -> int:
        try:
            self.prepare()
            # Idle means idle: the setup's sign-ins leave Argon2id blocks, unmapped after 5 to 10 s unused.
            time.sleep(11)
            self.extra["rss_idle"] = f"{rss_mib(self.server.process.pid):.1f} MiB"
            self.scenarios()
        finally:
            for instance in self.servers:
                instance.stop()
        hooks = self.webhooks()
        print()
        print(self.table(hooks))
        return 0 if all(f.valid for f in self.figures) else 1


def seed(db_path: str, n: int, client_id: str) -> None:
    """N live sessions, each with a grant and a refresh token, spread over N/10 users: one transaction,
    prepared statements (executemany), the schema's own indexes maintained as rows go in."""
    now = int(time.time())
    users = max(1, n // 10)
    db = sqlite3.connect(db_path, timeout=30)
    try:
        db.execute("PRAGMA synchronous = OFF")
        with db:
            db.executemany(
                "INSERT INTO users (id, email, created_at, updated_at) VALUES (?, ?, ?, ?)",
                ((f"usr_seed{i:09d}", f"seed{i}@seed.example", now, now) for i in range(users)))
            db.executemany(
                "INSERT INTO sessions (id, secret_hash, user_id, created_at, auth_time, amr, acr, last_seen_at, "
                "idle_expires_at, expires_at) VALUES (?, ?, ?, ?, ?, '[\"pwd\"]', 'urn:reverify:acr:1fa', ?, ?, ?)",
                ((f"ses_seed{i:09d}", hashlib.sha256(b"s%d" % i).hexdigest(), f"usr_seed{i % users:09d}", now, now, now,
                  now + 28_800, now + 604_800) for i in range(n)))
            db.executemany(
                "INSERT INTO grants (id, client_id, user_id, session_id, scope, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                ((f"gnt_seed{i:09d}", client_id, f"usr_seed{i % users:09d}", f"ses_seed{i:09d}", "openid email", now)
                 for i in range(n)))
            db.executemany(
                "INSERT INTO refresh_tokens (token_hash, grant_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                ((hashlib.sha256(b"r%d" % i).hexdigest(), f"gnt_seed{i:09d}", now, now + 1_209_600) for i in range(n)))
    finally:
        db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="the reverify binary")
    parser.add_argument("--argon2-bin", help="binary with `bench-argon2` for the raw figure (default: --bin)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--chains", type=int, default=8, help="refresh chains (one wrk connection each)")
    parser.add_argument("--signin-clients", type=int, default=6, help="concurrent password sign-ins")
    parser.add_argument("--signin-rounds", type=int, default=3,
                        help="turns of raw Argon2id and sign-ins the sign-in row is measured in (--duration split)")
    parser.add_argument("--seed", type=int, default=0, help="fill the database with N sessions and N refresh tokens first")
    parser.add_argument("--only", help="comma-separated subset: discovery,jwks,authorize,refresh,introspection,"
                                       "userinfo,signin,flood,webhooks")
    parser.add_argument("--perf", action="store_true", help="record a perf profile of the server during each wrk scenario")
    parser.add_argument("--log-level", default="warning", help="the server's --log-level (info logs every request)")
    parser.add_argument("--webhook-events", type=int, default=2000, help="events in the webhook drain")
    parser.add_argument("--webhook-signins", type=int, default=30, help="sign-ins for in-process webhook latency")
    parser.add_argument("--webhook-idle", type=int, default=20, help="CLI events for cross-process webhook latency")
    parser.add_argument("--database", help="postgres://… to run on PostgreSQL (default: a temporary SQLite file)")
    parser.add_argument("--instances", type=int, default=1, help="servers on the database (PostgreSQL only)")
    args = parser.parse_args()
    if args.instances > 1 and not args.database:
        parser.error("--instances needs --database postgres://… (SQLite is one machine's store)")
    if args.seed and args.database:
        parser.error("--seed fills a SQLite file; it does not apply to --database")
    # The server runs in its temporary folder: a relative path would no longer name the binary.
    args.bin = str(Path(args.bin).resolve())
    return Bench(args).main()


if __name__ == "__main__":
    sys.exit(main())
