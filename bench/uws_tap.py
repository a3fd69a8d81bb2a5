#!/usr/bin/env python3
"""TAP /async over real HTTP: job submissions per second and POST -> COMPLETED latency of a trivial query.

Usage: bench/uws_tap.py TAP_URL [JOBS]     (stdlib only; prints Markdown rows for BENCHMARKS.md)

- submissions/s: JOBS sequential POST /async (LANG, QUERY, no PHASE) answered 303; then the same with 4 threads.
- POST -> COMPLETED: POST with PHASE=RUN, then GET job?WAIT=30&PHASE=<current> until the phase is final
  (UWS 1.1 blocking WAIT, as STILTS does it); median and 95th percentile of 200 jobs.
Every created job is deleted afterwards.
"""
import http.client
import statistics
import sys
import threading
import time
import urllib.parse
import re

TAP = sys.argv[1].rstrip("/")
JOBS = int(sys.argv[2]) if len(sys.argv) > 2 else 500
u = urllib.parse.urlparse(TAP)
HOST, PORT, BASE = u.hostname, u.port or 80, u.path


def conn():
    return http.client.HTTPConnection(HOST, PORT, timeout=60)


def post(c, path, params):
    body = urllib.parse.urlencode(params)
    c.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    return r.status, r.getheader("Location")


def get(c, path):
    c.request("GET", path)
    r = c.getresponse()
    return r.status, r.read().decode()


def job_path(location):
    return urllib.parse.urlparse(location).path


created = []
lock = threading.Lock()


def submit(n):
    c = conn()
    for _ in range(n):
        st, loc = post(c, BASE + "/async", {"LANG": "ADQL", "QUERY": "SELECT TOP 1 table_name FROM TAP_SCHEMA.tables"})
        assert st == 303, st
        with lock:
            created.append(job_path(loc))


t = time.perf_counter()
submit(JOBS)
seq = JOBS / (time.perf_counter() - t)
threads = [threading.Thread(target=submit, args=(JOBS // 4,)) for _ in range(4)]
t = time.perf_counter()
for th in threads:
    th.start()
for th in threads:
    th.join()
par = (JOBS // 4 * 4) / (time.perf_counter() - t)

lat = []
c = conn()
for _ in range(200):
    t = time.perf_counter()
    st, loc = post(c, BASE + "/async", {"LANG": "ADQL", "QUERY": "SELECT TOP 1 table_name FROM TAP_SCHEMA.tables", "PHASE": "RUN"})
    assert st == 303, st
    path = job_path(loc)
    phase = "QUEUED"
    while phase in ("PENDING", "QUEUED", "EXECUTING"):
        st, doc = get(c, f"{path}/phase")
        phase = doc.strip()
        if phase in ("QUEUED", "EXECUTING"):
            st, doc = get(c, f"{path}?WAIT=30&PHASE={phase}")
            m = re.search(r"<uws:phase>(\w+)</uws:phase>", doc)
            phase = m.group(1) if m else phase
    lat.append((time.perf_counter() - t) * 1000)
    assert phase == "COMPLETED", phase
    created.append(path)

for p in created:
    c.request("DELETE", p)
    c.getresponse().read()

lat.sort()
print(f"| submissions (POST /async, 303), 1 client | {JOBS} jobs | {seq:.0f} jobs/s |")
print(f"| submissions, 4 clients | {JOBS // 4 * 4} jobs | {par:.0f} jobs/s |")
print(f"| POST PHASE=RUN -> COMPLETED (`SELECT TOP 1 table_name FROM TAP_SCHEMA.tables`), median | 200 jobs | {statistics.median(lat):.1f} ms |")
print(f"| same, 95th percentile | 200 jobs | {lat[int(len(lat) * 0.95)]:.1f} ms |")
