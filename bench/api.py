#!/usr/bin/env python3
"""API benchmark; runs inside `recotrack sandbox` (see bench/api.sh).

For each size: a database with that many recommendations (owners, teams, evidence, history),
the release service on it, then per endpoint
  1. one request with PostgreSQL logging every statement, to learn the exact SQL it issues;
  2. wrk at CONNECTIONS connections for DURATION seconds against the API;
  3. pgbench running the fewest statements, written by hand, that return the same information
     (MINIMAL below): the honest ceiling, which the targets are on;
  4. pgbench replaying the service's own SQL (one pgbench transaction = one API request's
     statements) at the same concurrency for the same time, as a second ceiling.
Prints requests/s, p50/p99 latency and errors for all three, the ratios API/minimal and
API/own, the p99 the service itself saw (the bound of its latency histogram bucket, from
/metrics), and the service's peak memory (VmHWM). Everything runs on loopback and is removed
afterwards.
"""

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import json

ADMIN = os.environ["RECOTRACK_TEST_DATABASE_URL"]
TEMPLATE = os.environ["RECOTRACK_TEST_TEMPLATE"]
SIZES = [int(s) for s in os.environ.get("SIZES", "1000 100000 1000000").split()]
DURATION = int(os.environ.get("DURATION", "15"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "8"))
# Random reads draw from the first HOT items, in the API and in pgbench alike.
HOT = 100_000
BIN = os.environ["RECOTRACK_BIN"]  # set by bench/api.sh
PASSWORD = "bench-password-not-secret"
WORK = tempfile.mkdtemp(prefix="recotrack-bench-")


def psql(url, sql):
    done = subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url], input=sql, text=True,
                          capture_output=True)
    if done.returncode != 0:
        raise SystemExit("psql failed: " + done.stderr[-2000:])


def psql_value(url, sql):
    return subprocess.run(["psql", "-At", url, "-c", sql], text=True, check=True,
                          capture_output=True).stdout.strip()


def rec_id(n):
    return str(uuid.UUID(hashlib.md5(f"rec{n}".encode()).hexdigest()))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate(url, n):
    """n recommendations over 20 reports; 190 contributors in 20 teams own them; a third have
    evidence; every item has the history of how it got where it is."""
    psql(url, f"""
INSERT INTO users (id, email, display_name, role)
SELECT md5('user' || g)::uuid, 'user' || g || '@bench.test', 'User ' || g,
       CASE WHEN g <= 10 THEN 'manager' ELSE 'contributor' END::user_role
FROM generate_series(1, 200) g;
INSERT INTO teams (id, name) SELECT md5('team' || g)::uuid, 'Team ' || g FROM generate_series(1, 20) g;
INSERT INTO team_memberships (team_id, user_id)
SELECT md5('team' || (1 + g % 20))::uuid, md5('user' || g)::uuid FROM generate_series(11, 200) g;
INSERT INTO reports (id, key, title)
SELECT md5('report' || g)::uuid, 'bench-' || g, 'Bench report ' || g FROM generate_series(1, 20) g;
INSERT INTO recommendations (id, report_id, key, ordinal, title, body, themes, priority,
    response, response_changed_at, status, status_changed_at, evidence_stage, evidence_as_of,
    due_date, original_due_date, last_activity_at, created_at)
SELECT md5('rec' || n)::uuid, md5('report' || (1 + n % 20))::uuid, 'bench-' || (1 + n % 20) || '/' || n, n,
       'Recommendation ' || n || ' on ' || t.theme,
       repeat('The text of recommendation ' || n || ' as the report words it. ', 6),
       ARRAY[t.theme], (ARRAY['low', 'medium', 'high', 'critical'])[1 + n % 4]::rec_priority,
       CASE WHEN n % 10 < 7 THEN 'accepted' ELSE 'pending' END::rec_response,
       CASE WHEN n % 10 < 7 THEN now() - interval '300 days' END,
       CASE WHEN n % 10 < 4 THEN 'in_progress' WHEN n % 10 = 4 THEN 'partially_implemented'
            WHEN n % 10 = 5 THEN 'implemented' ELSE 'not_started' END::rec_status,
       now() - interval '200 days',
       CASE WHEN n % 10 = 5 THEN 'verified' WHEN n % 3 = 0 THEN 'claimed' ELSE 'none' END::evidence_stage,
       CASE WHEN n % 10 = 5 THEN date '2026-05-01' END,
       CASE WHEN n % 4 = 0 THEN current_date + (n % 700 - 100) END,
       CASE WHEN n % 4 = 0 THEN current_date + (n % 700 - 100) END,
       now() - (n % 120) * interval '1 day', now() - interval '400 days'
FROM generate_series(1, {n}) n,
     LATERAL (SELECT (ARRAY['trade', 'green', 'finance', 'health', 'digital'])[1 + n % 5] AS theme) t;
INSERT INTO recommendation_owners (id, recommendation_id, user_id, kind)
SELECT md5('own' || n)::uuid, md5('rec' || n)::uuid, md5('user' || (11 + n % 190))::uuid, 'responsible'
FROM generate_series(1, {n}) n;
INSERT INTO recommendation_owners (id, recommendation_id, team_id, kind)
SELECT md5('team-own' || n)::uuid, md5('rec' || n)::uuid, md5('team' || (1 + n % 20))::uuid, 'contributor'
FROM generate_series(3, {n}, 3) n;
INSERT INTO evidence (id, recommendation_id, kind, title, excerpt, source, observed_on,
                      submitted_by, editors, verification, reviewed_by, reviewed_at)
SELECT md5('ev' || n)::uuid, md5('rec' || n)::uuid, 'statement', 'Progress on ' || n,
       'What the progress report says about item ' || n, 'Progress report', date '2026-05-01',
       md5('user' || (11 + n % 190))::uuid, ARRAY[md5('user' || (11 + n % 190))::uuid],
       CASE WHEN n % 10 = 5 THEN 'accepted' ELSE 'pending' END::verification,
       CASE WHEN n % 10 = 5 THEN md5('user1')::uuid END,
       CASE WHEN n % 10 = 5 THEN now() - interval '10 days' END
FROM generate_series(1, {n}) n WHERE n % 3 = 0 OR n % 10 = 5;
-- history_heads follows each inserted event (a trigger).
INSERT INTO history_events (recommendation_id, seq, kind, actor_kind, at, field, before, after, prev_hash, hash)
SELECT md5('rec' || n)::uuid, 1, 'created', 'system', now() - interval '400 days', NULL, NULL,
       jsonb_build_object('key', 'bench/' || n), repeat('0', 64), md5('h1' || n) || md5('h1' || n)
FROM generate_series(1, {n}) n;
INSERT INTO history_events (recommendation_id, seq, kind, actor_kind, actor_id, at, field, before, after, prev_hash, hash)
SELECT md5('rec' || n)::uuid, 2, 'transition', 'user', md5('user1')::uuid, now() - interval '300 days',
       'response', '"pending"', '"accepted"', md5('h1' || n) || md5('h1' || n), md5('h2' || n) || md5('h2' || n)
FROM generate_series(1, {n}) n WHERE n % 10 < 7;
INSERT INTO history_events (recommendation_id, seq, kind, actor_kind, actor_id, at, field, before, after, prev_hash, hash)
SELECT md5('rec' || n)::uuid, 3, 'transition', 'user', md5('user' || (11 + n % 190))::uuid,
       now() - interval '200 days', 'status', '"not_started"',
       to_jsonb(CASE WHEN n % 10 < 4 THEN 'in_progress' WHEN n % 10 = 4 THEN 'partially_implemented'
                     ELSE 'implemented' END),
       md5('h2' || n) || md5('h2' || n), md5('h3' || n) || md5('h3' || n)
FROM generate_series(1, {n}) n WHERE n % 10 < 6;
""")
    subprocess.run(["vacuumdb", "-q", "--analyze", url], check=True)


class Service:
    def __init__(self, url):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(
            os.environ,
            RECOTRACK__DATABASE__URL=url,
            RECOTRACK__SERVER__PORT=str(self.port),
            RECOTRACK__SERVER__BASE_URL=self.base,
            RECOTRACK__AUTH__JWT_SECRET="bench-secret-bench-secret-bench-secret-0",
            RECOTRACK__HISTORY__KEY="bench-history-key-bench-history-key-00",
            RECOTRACK__AUTH__ACCESS_TTL_SECS="14400",
            RECOTRACK__LOG__FILTER="warn",
            RECOTRACK__EMAIL__OUTBOX_DIR=os.path.join(WORK, "outbox"),
            RECOTRACK__DIGEST__ENABLED="false",
            # Like the digest scheduler, the webhook sender is background work: polling once a
            # second, its claim would be captured as if a request had sent it (it was, as 5 of the
            # 10 statements once counted for a transition). No endpoint is registered here, so it
            # has nothing to send anyway.
            RECOTRACK__WEBHOOKS__ENABLED="false",
            # Callers are kept for the longest the service allows, so the captured statements are
            # a steady state's (with the default 5 s, one request in thousands reads the caller).
            RECOTRACK__AUTH__CALLER_CACHE_SECS="60",
            RECOTRACK_USER_PASSWORD=PASSWORD,
            # One client sends everything here; the per-client write limit would stop it.
            RECOTRACK__SERVER__WRITES_PER_MINUTE="0",
        )
        self.log = open(os.path.join(WORK, "service.log"), "a")
        self.proc = subprocess.Popen([BIN, "serve"], env=self.env, stdout=self.log, stderr=self.log)
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(self.base + "/readyz", timeout=2)
                break
            except Exception:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise SystemExit("the service did not become ready; see " + self.log.name)
                time.sleep(0.2)
        email = f"bench-{self.port}@bench.test"
        subprocess.run([BIN, "user", "create", "--email", email, "--name", "Bench manager",
                        "--role", "manager"], env=self.env, check=True, capture_output=True)
        reply = self.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
        self.token = json.loads(reply)["access_token"]

    def call(self, method, path, body=None, headers=None):
        request = urllib.request.Request(self.base + path, method=method,
                                         data=json.dumps(body).encode() if body else None)
        request.add_header("Content-Type", "application/json")
        if getattr(self, "token", None):
            request.add_header("Authorization", "Bearer " + self.token)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def peak_rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()


BUCKET = re.compile(r'^recotrack_http_request_duration_seconds_bucket\{le="([^"]+)",method="(\w+)",route="([^"]+)"\} (\d+)$', re.M)


def service_buckets(service):
    """The service's own latency histogram: {(method, route): [(upper bound s, count), ...]}."""
    text = urllib.request.urlopen(service.base + "/metrics", timeout=10).read().decode()
    out = {}
    for le, method, route, n in BUCKET.findall(text):
        bound = float("inf") if le == "+Inf" else float(le)
        out.setdefault((method, route), []).append((bound, int(n)))
    return out


def service_p99(before, after):
    """The bucket bound under which 99% of the requests of the busiest route fell between two
    scrapes, in ms: the service's own view, next to the load generator's."""
    best = None
    for key, buckets in after.items():
        prior = dict(before.get(key, []))
        diffs = sorted((b, n - prior.get(b, 0)) for b, n in buckets)
        total = diffs[-1][1] if diffs else 0
        if best is None or total > best[0]:
            best = (total, diffs)
    if not best or best[0] == 0:
        return float("nan")
    total, diffs = best
    for bound, n in diffs:
        if n >= 0.99 * total:
            return bound * 1000
    return float("inf")


def server_log():
    return os.path.join(psql_value(ADMIN, "SHOW data_directory"), "server.log")


STATEMENT = re.compile(r"LOG:  (?:execute [^:]+|statement): (.*)$")
PARAMS = re.compile(r"DETAIL:  [Pp]arameters: (.*)$")
PARAM = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|NULL)")


def capture(db, request):
    """The statements `request()` makes the service send, with their parameters inlined."""
    log = server_log()
    start = os.path.getsize(log)
    psql(ADMIN, "ALTER SYSTEM SET log_statement = 'all'; SELECT pg_reload_conf();")
    time.sleep(0.5)
    request()
    psql(ADMIN, "ALTER SYSTEM RESET log_statement; SELECT pg_reload_conf();")
    time.sleep(0.5)
    with open(log, errors="replace") as f:
        f.seek(start)
        lines = f.read().splitlines()
    statements = []
    for line in lines:
        if line.startswith("\t") and statements:
            statements[-1][0] += " " + line.strip()
            continue
        if f"[{db}]" not in line and "ALTER SYSTEM" in line:
            continue
        m = STATEMENT.search(line)
        if m:
            if "pg_reload_conf" in m.group(1) or "ALTER SYSTEM" in m.group(1):
                continue
            statements.append([m.group(1), {}])
            continue
        m = PARAMS.search(line)
        if m and statements:
            statements[-1][1] = {int(k): v for k, v in PARAM.findall(m.group(1))}
    out = []
    for sql, params in statements:
        for k in sorted(params, reverse=True):
            sql = re.sub(rf"\${k}(?!\d)", lambda _m, v=params[k]: v, sql)
        out.append(sql.strip().rstrip(";"))
    return out


def pgbench_script(statements, item, draw):
    """The statements as a pgbench script; the captured item becomes one drawn by `draw` (pgbench
    lines setting :n), as wrk draws them. diesel's one-off type lookups are left out: a
    long-lived connection caches them."""
    lines = list(draw) if item else []
    for sql in statements:
        # The caller cache's listener polls on a connection of its own, outside any request.
        if sql.startswith('SELECT "pg_type"."oid"') or sql == "SELECT 1":
            continue
        if item:
            sql = sql.replace("'{" + item + "}'", "ARRAY[md5('rec' || :n)::uuid]")
            sql = sql.replace("'" + item + "'", "md5('rec' || :n)::uuid")
        lines.append(sql + ";")
    return "\n".join(lines) + "\n"


OWNERS = """(SELECT coalesce(json_agg(json_build_object('kind', o.kind, 'user_id', o.user_id,
  'team_id', o.team_id, 'name', coalesce(u.display_name, t.name)) ORDER BY o.created_at, o.id), '[]')
  FROM recommendation_owners o LEFT JOIN users u ON u.id = o.user_id LEFT JOIN teams t ON t.id = o.team_id
  WHERE o.recommendation_id = r.id)""".replace("\n", " ")

# The least a database must do for each answer, by hand: one statement for an item with its
# owners and report key; one for a page of 51 with owners; for a transition, the lock and one
# statement that updates the row and appends its history event (the head follows by trigger,
# as in the service). The stats summary has no cheaper form than its one statement.
MINIMAL = {
    "get one": [
        "SELECT r.*, rep.key AS report_key, " + OWNERS + " AS owners FROM recommendations r "
        "JOIN reports rep ON rep.id = r.report_id WHERE r.id = md5('rec' || :n)::uuid;",
    ],
    "list 50 by status": [
        "SELECT r.*, rep.key AS report_key, " + OWNERS + " AS owners FROM recommendations r "
        "JOIN reports rep ON rep.id = r.report_id WHERE r.status = 'in_progress' "
        "ORDER BY r.key LIMIT 51;",
    ],
    "transition": [
        "BEGIN;",
        "SELECT r.version, h.seq, h.hash FROM recommendations r LEFT JOIN history_heads h "
        "ON h.recommendation_id = r.id WHERE r.id = md5('rec' || :n)::uuid FOR UPDATE OF r;",
        "WITH u AS (UPDATE recommendations SET status = CASE WHEN status = 'in_progress' "
        "THEN 'partially_implemented'::rec_status ELSE 'in_progress'::rec_status END, "
        "status_changed_at = now(), last_activity_at = now(), updated_at = now(), "
        "version = version + 1 WHERE id = md5('rec' || :n)::uuid RETURNING *) "
        "INSERT INTO history_events (recommendation_id, seq, kind, actor_kind, actor_id, at, field, "
        "before, after, prev_hash, hash, key_id) SELECT u.id, h.seq + 1, 'transition', 'user', "
        "md5('user1')::uuid, now(), 'status', '\"in_progress\"', '\"partially_implemented\"', h.hash, "
        "md5(h.hash) || md5(h.hash || 'x'), '0123456789abcdef' FROM u JOIN history_heads h "
        "ON h.recommendation_id = u.id;",
        "COMMIT;",
    ],
}


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_pgbench(url, script_text, name):
    path = os.path.join(WORK, name + ".sql")
    with open(path, "w") as f:
        f.write(script_text)
    logdir = os.path.join(WORK, "pgbench-" + name)
    shutil.rmtree(logdir, ignore_errors=True)
    os.makedirs(logdir)
    result = subprocess.run(
        ["pgbench", "-n", "-M", "prepared", "-c", str(CONNECTIONS), "-j", "2", "-T", str(DURATION),
         "-f", path, "-l", "--log-prefix", os.path.join(logdir, "tx"), url],
        text=True, capture_output=True, cwd=logdir)
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)
    tps = float(re.search(r"tps = ([\d.]+)", result.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    latencies = []
    for log in os.listdir(logdir):
        with open(os.path.join(logdir, log)) as f:
            for line in f:
                fields = line.split()
                latencies.append(int(fields[2]) / 1000.0)
    return {"rps": tps, "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "errors": int(failed.group(1)) if failed else 0}


def wrk_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


WRK_THREADS = 2


def run_wrk(service, path, lua=None, args=(), duration=None, threads=WRK_THREADS):
    # Two threads drive the connections: more would only take CPU from the service on 2 cores.
    cmd = ["wrk", "-t", str(threads), "-c", str(CONNECTIONS), "-d", f"{duration or DURATION}s", "--latency", "--timeout", "10s",
           "-H", "Authorization: Bearer " + service.token]
    if lua:
        cmd += ["-s", lua]
    cmd.append(service.base + path)
    if args:
        cmd += ["--", *args]
    done = subprocess.run(cmd, text=True, capture_output=True, check=True)
    if done.stderr:
        print("   wrk: " + done.stderr.strip().splitlines()[0][:300], flush=True)
    out = done.stdout
    pct = dict((p, wrk_ms(v, u)) for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": pct.get("50", float("nan")), "p99": pct.get("99", float("nan")), "errors": errors}


GET_LUA = """
local ids = {}
local n = 0
local token = nil
setup = function(thread) thread:set("tid", n); n = n + 1 end
init = function(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  math.randomseed(os.time() * 100 + tid)
end
request = function()
  return wrk.format("GET", "/api/v1/recommendations/" .. ids[math.random(#ids)])
end
"""

# One connection per thread, so each response belongs to the thread's last request. Each
# thread toggles its own items between in_progress and partially_implemented with If-Match.
TRANSITION_LUA = """
local n = 0
setup = function(thread) thread:set("tid", n); n = n + 1 end
init = function(args)
  items, versions, statuses = {}, {}, {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % tonumber(args[2]) == tid then
      items[#items + 1] = line; versions[line] = "1"; statuses[line] = "in_progress"
    end
    i = i + 1
  end
  cur = 0
end
request = function()
  cur = cur % #items + 1
  local id = items[cur]
  local to = statuses[id] == "in_progress" and "partially_implemented" or "in_progress"
  pending_id, pending_to = id, to
  return wrk.format("POST", "/api/v1/recommendations/" .. id .. "/transitions",
    {["Authorization"] = wrk.headers["Authorization"], ["Content-Type"] = "application/json",
     ["If-Match"] = '"' .. versions[id] .. '"'},
    '{"axis":"status","to":"' .. to .. '"}')
end
response = function(status, headers, body)
  if status ~= 200 and not warned then
    warned = true
    io.stderr:write("transition answered " .. status .. ": " .. body .. "\\n")
  end
  if status == 200 then
    local tag = headers["ETag"] or headers["etag"] or ""
    versions[pending_id] = string.match(tag, '"(%d+)') or versions[pending_id]
    statuses[pending_id] = pending_to
  end
end
"""


def main():
    for name, text in [("get.lua", GET_LUA), ("transition.lua", TRANSITION_LUA)]:
        with open(os.path.join(WORK, name), "w") as f:
            f.write(text)
    results = []
    for size in SIZES:
        db = f"bench_{size}_{os.getpid()}"
        url = ADMIN.rsplit("/", 1)[0] + "/" + db
        psql(ADMIN, f"CREATE DATABASE {db} TEMPLATE {TEMPLATE}")
        try:
            started = time.time()
            print(f"\n== {size:,} items: generating ...", flush=True)
            generate(url, size)
            print(f"   generated in {time.time() - started:.0f} s", flush=True)
            service = Service(url)
            try:
                hot = min(size, HOT)
                ids = os.path.join(WORK, "ids.txt")
                with open(ids, "w") as f:
                    f.write("\n".join(rec_id(n) for n in range(1, hot + 1)) + "\n")
                # Items the transition load toggles: in progress (n % 10 < 4), never item 1,
                # which the capture moves.
                moving = os.path.join(WORK, "moving.txt")
                with open(moving, "w") as f:
                    f.write("\n".join(rec_id(n) for n in range(2, hot + 1) if n % 10 in (2, 3)) + "\n")
                probe = rec_id(1)
                any_item = [f"\\set n random(1, {hot})"]
                # In pgbench as in wrk, transitions move in-progress items (n % 10 in 2, 3).
                moving_item = [f"\\set k random(1, {hot // 10 - 1})", "\\set n 10 * :k + 2 + :k % 2"]
                endpoints = [
                    ("get one", lambda: service.call("GET", f"/api/v1/recommendations/{probe}"),
                     probe, lambda: run_wrk(service, "/", os.path.join(WORK, "get.lua"), [ids])),
                    ("list 50 by status",
                     lambda: service.call("GET", "/api/v1/recommendations?status=in_progress&limit=50"),
                     None, lambda: run_wrk(service, "/api/v1/recommendations?status=in_progress&limit=50")),
                    ("transition",
                     lambda: service.call("POST", f"/api/v1/recommendations/{probe}/transitions",
                                          {"axis": "status", "to": "partially_implemented"},
                                          {"If-Match": '"1"'}),
                     probe, lambda: run_wrk(service, "/", os.path.join(WORK, "transition.lua"),
                                            [moving, str(CONNECTIONS)], threads=CONNECTIONS)),
                    ("stats summary", lambda: service.call("GET", "/api/v1/stats/summary"),
                     None, lambda: run_wrk(service, "/api/v1/stats/summary")),
                ]
                # Warm the pool and the service's threads, unmeasured, as pgbench connects first.
                run_wrk(service, "/", os.path.join(WORK, "get.lua"), [ids], duration=3)
                for name, probe_request, item, load in endpoints:
                    statements = capture(db, probe_request)
                    before = service_buckets(service)
                    draw = any_item
                    if name == "transition":
                        statements = transition_replay(statements, item)
                        draw = moving_item
                    script = pgbench_script(statements, item, draw)
                    api = load()
                    api["service_p99"] = service_p99(before, service_buckets(service))
                    ceiling = run_pgbench(url, script, name.replace(" ", "_"))
                    least = None
                    if name in MINIMAL:
                        least_script = "\n".join(list(draw if item else []) + MINIMAL[name]) + "\n"
                        least = run_pgbench(url, least_script, "minimal_" + name.replace(" ", "_"))
                    sent = len([s for s in statements if s != "SELECT 1"])
                    results.append((size, name, sent, api, ceiling, least))
                    report_line(size, name, sent, api, ceiling, least)
                memory = service.peak_rss_mb()
                print(f"   service peak memory (VmHWM) at {size:,} items: {memory:.0f} MB", flush=True)
            finally:
                service.stop()
        finally:
            psql(ADMIN, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    print("\nsummary (API requests/s over pgbench transactions/s: of the fewest statements written by "
          "hand (min), and of the service's own statements (own))")
    header = (f"{'items':>9} {'endpoint':<18} {'stmts':>5} {'API rps':>8} {'p50 ms':>7} {'p99 ms':>7} {'svc p99':>8} {'err':>4} "
              f"{'min tps':>8} {'min p99':>7} {'/min':>5} {'own tps':>8} {'own p99':>7} {'/own':>5}")
    print(header)
    for size, name, n, api, pg, least in results:
        least_tps = f"{least['rps']:>8.0f} {least['p99']:>7.2f} {api['rps'] / least['rps']:>5.2f}" if least else f"{'-':>8} {'-':>7} {'-':>5}"
        print(f"{size:>9,} {name:<18} {n:>5} {api['rps']:>8.0f} {api['p50']:>7.2f} {api['p99']:>7.2f} {api['service_p99']:>8g} "
              f"{api['errors']:>4} {least_tps} {pg['rps']:>8.0f} {pg['p99']:>7.2f} {api['rps'] / pg['rps']:>5.2f}")
    if os.environ.get("KEEP"):
        print(f"scripts and logs kept in {WORK}")
    else:
        shutil.rmtree(WORK, ignore_errors=True)


def transition_replay(statements, item):
    """A status transition writes what pgbench cannot repeat verbatim: the next history `seq`
    and the version the change was based on. Those become expressions over the current row, so
    each replayed transaction does the same work as the API's."""
    out = []
    for sql in statements:
        sql = re.sub(r"(INSERT INTO \"history_events\".*VALUES \(\s*'" + re.escape(item) + r"'\s*,\s*)'(\d+)'",
                     lambda m: m.group(1) + "(SELECT coalesce(max(seq), 0) + 1 FROM history_events WHERE recommendation_id = '" + item + "')",
                     sql)
        out.append(sql)
    return out


def report_line(size, name, n, api, pg, least):
    ratio = api["rps"] / pg["rps"] if pg["rps"] else float("nan")
    if least:
        print(f"   {name:<18} minimal SQL by hand {least['rps']:8.0f} tx/s p99 {least['p99']:6.2f} ms "
              f"errors {least['errors']} | API/minimal {api['rps'] / least['rps']:.2f}", flush=True)
    print(f"   {name:<18} API {api['rps']:8.0f} req/s p50 {api['p50']:6.2f} ms p99 {api['p99']:6.2f} ms "
          f"(service: p99 <= {api['service_p99']:g} ms) "
          f"errors {api['errors']:3} | pgbench ({n} statements) {pg['rps']:8.0f} tx/s p99 {pg['p99']:6.2f} ms "
          f"| ratio {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
