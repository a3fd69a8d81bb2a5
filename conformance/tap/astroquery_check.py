"""astroquery's TapPlus (its own HTTP and SAX code, unmodified) against a running Almagest TAP service.

Usage: python astroquery_check.py http://127.0.0.1:PORT/tap
"""
import sys
import tempfile

from astropy.table import Table
from astroquery.utils.tap.core import TapPlus

URL = sys.argv[1]
tap = TapPlus(url=URL, verbose=False)
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        print(f"FAIL: {what}", flush=True)
        sys.exit(1)
    print(f"ok   {what}", flush=True)


r = tap.launch_job("SELECT TOP 10 hip, ra, dec FROM hip.main ORDER BY hip").get_results()
check(len(r) == 10 and r["hip"][0] == 1, "launch_job (sync): 10 rows")

try:
    tap.launch_job("SELECT syntax error").get_results()
    check(False, "sync error raised")
except Exception as e:  # TapPlus raises HTTPError with the body
    check("line 1" in str(e) or "column" in str(e), f"sync error carries the position: {str(e)[:120]}")

with tempfile.NamedTemporaryFile(suffix=".xml") as f:
    Table({"a": [1, 2], "b": ["x", "y"]}).write(f.name, format="votable", overwrite=True)
    r = tap.launch_job("SELECT * FROM tap_upload.t1", upload_resource=f.name, upload_table_name="t1").get_results()
    check(len(r) == 2 and list(r["b"]) == ["x", "y"], "sync upload through TapPlus")

job = tap.launch_job_async("SELECT TOP 20 hip FROM hip.main ORDER BY hip")
r = job.get_results()
check(len(r) == 20, "launch_job_async: 20 rows")
check(job.get_phase() == "COMPLETED", "async phase COMPLETED (literal uws: prefixes parsed)")
loaded = tap.load_async_job(jobid=job.jobid)
check(loaded is not None and len(loaded.get_results()) == 20, "load_async_job by id")

try:
    tap.launch_job_async("SELECT nope FROM nowhere").get_results()
    check(False, "async error raised")
except Exception as e:
    check("nowhere" in str(e), f"async error message: {str(e)[:120]}")

print(f"astroquery: {checks} checks passed")
