#!/usr/bin/env python3
"""Login-flood benchmark; runs inside `recotrack sandbox` (see bench/login_flood.sh).

Phase 1 (quiet): READERS threads read a page of ten items as one signed-in user for DURATION
seconds. Phase 2 (flooded): the same readers, while FLOODERS threads send failed sign-ins for
random unknown accounts, each on a new connection from another 127.0.x.y address. Prints the
readers' request rate and p50/p99 in both phases, the flood's rate and its answers (401: the
password was checked; 429: refused before any hashing), and the target: flooded p99 <= 3 x quiet.
"""

import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

ADMIN = os.environ["RECOTRACK_TEST_DATABASE_URL"]
TEMPLATE = os.environ["RECOTRACK_TEST_TEMPLATE"]
DURATION = int(os.environ.get("DURATION", "20"))
READERS = int(os.environ.get("READERS", "2"))
FLOODERS = int(os.environ.get("FLOODERS", "8"))
# Failed sign-ins per second, all flooders together; 0 sends as fast as they can (on the same two
# cores as the service, the flooding client then competes with it for the CPU).
FLOOD_RATE = float(os.environ.get("FLOOD_RATE", "50"))
BIN = os.environ.get("RECOTRACK_BIN", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "..", "target", "release", "recotrack"))
PASSWORD = "bench-password-not-secret"
WORK = tempfile.mkdtemp(prefix="recotrack-flood-")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def request(port, method, path, body=None, token=None, source="127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def main():
    db = "flood_" + str(os.getpid())
    subprocess.run(["psql", "-q", ADMIN, "-c", f"CREATE DATABASE {db} TEMPLATE {TEMPLATE}"], check=True)
    url = ADMIN.rsplit("/", 1)[0] + "/" + db
    port = free_port()
    env = dict(os.environ,
               RECOTRACK__DATABASE__URL=url,
               RECOTRACK__SERVER__PORT=str(port),
               RECOTRACK__AUTH__JWT_SECRET="bench-secret-bench-secret-bench-secret-0",
               RECOTRACK__HISTORY__KEY="bench-history-key-bench-history-key-00",
               RECOTRACK__AUTH__ACCESS_TTL_SECS="14400",
               RECOTRACK__LOG__FILTER="warn",
               RECOTRACK__EMAIL__OUTBOX_DIR=os.path.join(WORK, "outbox"),
               RECOTRACK__DIGEST__ENABLED="false",
               RECOTRACK__SEED__ON_START="false",
               RECOTRACK__SERVER__WRITES_PER_MINUTE="0",
               RECOTRACK_USER_PASSWORD=PASSWORD)
    log = open(os.path.join(WORK, "service.log"), "a")
    service = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=log)
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except Exception:
                if time.time() > deadline or service.poll() is not None:
                    raise SystemExit("the service did not become ready; see " + log.name)
                time.sleep(0.2)
        subprocess.run([BIN, "user", "create", "--email", "reader@bench.test", "--name", "Reader",
                        "--role", "manager"], env=env, check=True, capture_output=True)
        status, body = request(port, "POST", "/api/v1/auth/login",
                               {"email": "reader@bench.test", "password": PASSWORD})
        assert status == 200, body
        token = json.loads(body)["access_token"]
        status, body = request(port, "POST", "/api/v1/reports", {"key": "flood", "title": "Flood"}, token)
        report = json.loads(body)["id"]
        for n in range(30):
            request(port, "POST", "/api/v1/recommendations",
                    {"report_id": report, "title": f"Item {n}", "body": "Text " * 40}, token)

        def read(stop, latencies, errors):
            # One kept-alive connection, as a dashboard keeps it; reconnect if it breaks.
            conn = None
            headers = {"authorization": "Bearer " + token}
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    conn.request("GET", "/api/v1/recommendations?limit=10", headers=headers)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                except OSError as e:
                    status = type(e).__name__
                    conn = None
                latencies.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    errors.append(status)
            if conn is not None:
                conn.close()

        def flood(stop, answers, worker):
            n = 0
            interval = FLOODERS / FLOOD_RATE if FLOOD_RATE > 0 else 0
            next_at = time.perf_counter()
            while not stop.is_set():
                if interval:
                    next_at += interval
                    time.sleep(max(0.0, next_at - time.perf_counter()))
                n += 1
                source = f"127.0.{1 + (worker * 37 + n) % 250}.{1 + n % 250}"
                email = f"nobody-{worker}-{n}-{random.randrange(10**9)}@flood.test"
                try:
                    status, _ = request(port, "POST", "/api/v1/auth/login",
                                        {"email": email, "password": "wrong guess wrong guess"},
                                        source=source)
                except OSError:
                    status = "refused connection"
                answers[status] = answers.get(status, 0) + 1

        def phase(flooders):
            stop = threading.Event()
            latencies, errors, answers = [], [], {}
            threads = [threading.Thread(target=read, args=(stop, latencies, errors)) for _ in range(READERS)]
            threads += [threading.Thread(target=flood, args=(stop, answers, w)) for w in range(flooders)]
            for t in threads:
                t.start()
            time.sleep(DURATION)
            stop.set()
            for t in threads:
                t.join()
            return latencies, errors, answers

        quiet, quiet_errors, _ = phase(0)
        flooded, flooded_errors, answers = phase(FLOODERS)
        q50, q99 = percentile(quiet, 50), percentile(quiet, 99)
        f50, f99 = percentile(flooded, 50), percentile(flooded, 99)
        attempts = sum(answers.values())
        print(f"reader, quiet:   {len(quiet) / DURATION:7.0f} req/s  p50 {q50:6.2f} ms  p99 {q99:6.2f} ms  errors {len(quiet_errors)}")
        print(f"reader, flooded: {len(flooded) / DURATION:7.0f} req/s  p50 {f50:6.2f} ms  p99 {f99:6.2f} ms  errors {len(flooded_errors)}")
        print(f"flood: {attempts / DURATION:.0f} failed sign-ins/s (asked: {FLOOD_RATE or 'unbounded'}) from {FLOODERS} threads on rotating 127.0.x.y addresses; answers {answers}")
        ratio = f99 / q99 if q99 else float("nan")
        verdict = "met" if ratio <= 3 else "MISSED"
        print(f"flooded p99 / quiet p99 = {ratio:.2f} (target <= 3: {verdict})")
    finally:
        service.terminate()
        service.wait(timeout=60)
        log.close()
        subprocess.run(["psql", "-q", ADMIN, "-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=False)
        if not os.environ.get("KEEP"):
            shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
