"""pyvo (unmodified, from PyPI) against a running Almagest TAP service. Exits non-zero on the first failure.

Usage: python pyvo_check.py http://127.0.0.1:PORT/tap
"""
import io
import json
import math
import sys
import warnings

import numpy as np
import pyvo
from astropy.io import ascii as astro_ascii
from astropy.io import fits
from astropy.io.votable import parse_single_table
from astropy.table import Table

URL = sys.argv[1]
svc = pyvo.dal.TAPService(URL)
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        print(f"FAIL: {what}", flush=True)
        sys.exit(1)
    print(f"ok   {what}", flush=True)


def sky_sep(ra1, dec1, ra2, dec2):
    r = np.radians
    s = np.sin((r(dec2) - r(dec1)) / 2) ** 2 + np.cos(r(dec1)) * np.cos(r(dec2)) * np.sin((r(ra2) - r(ra1)) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(s, 0, 1))))


# --- capabilities -------------------------------------------------------------------------------------------
cap = svc.get_tap_capability()
check([l.name for l in cap.languages] == ["ADQL"], "capabilities: one language, ADQL")
adql = cap.get_adql()
check(adql.get_feature("ivo://ivoa.net/std/TAPRegExt#features-adql-sets", "UNION") is not None,
      "capabilities: UNION declared (pyvo compares the feature type case-insensitively)")
check(adql.get_feature("ivo://ivoa.net/std/TAPRegExt#features-adqlgeo", "CONTAINS") is not None,
      "capabilities: CONTAINS declared")
check(svc.maxrec is not None and svc.hardlimit is not None and svc.maxrec <= svc.hardlimit,
      f"capabilities: output limits maxrec={svc.maxrec} hardlimit={svc.hardlimit}")
check(any(m.ivo_id.endswith("upload-inline") for m in svc.upload_methods), "capabilities: inline upload offered")

# --- tables -------------------------------------------------------------------------------------------------
names = list(svc.tables.keys())
check("hip.main" in names and "TAP_SCHEMA.columns" in names, f"tables: {len(names)} tables incl. hip.main")
cols = {c.name: c for c in svc.tables["hip.main"].columns}
check("ra" in cols and cols["ra"].unit == "deg", "tables: hip.main.ra with unit deg")

# --- sync in every format ------------------------------------------------------------------------------------
Q = "SELECT TOP 50 hip, ra, dec, hpmag, b_v FROM hip.main ORDER BY hip"
ref = svc.run_sync(Q).to_table()
check(len(ref) == 50 and list(ref["hip"][:3]) == [1, 2, 3], "sync default format (VOTable BINARY2): 50 rows in order")
check(ref["ra"].unit == "deg", "sync: FIELD unit carried")
for fmt in ["votable", "votable/td", "votable/b", "votable/b2",
            "application/x-votable+xml;serialization=TABLEDATA", "text/xml"]:
    t = svc.run_sync(Q, RESPONSEFORMAT=fmt).to_table()
    check(len(t) == 50 and np.allclose(t["ra"], ref["ra"], rtol=0, atol=0), f"sync RESPONSEFORMAT={fmt}: same values")


def raw(fmt):
    r = svc._session.post(URL + "/sync", data={"LANG": "ADQL", "QUERY": Q, "RESPONSEFORMAT": fmt})
    r.raise_for_status()
    return r


r = raw("csv")
t = astro_ascii.read(r.text, format="csv")
check(r.headers["Content-Type"].startswith("text/csv") and len(t) == 50
      and np.allclose(t["ra"], ref["ra"], rtol=1e-15), "sync CSV: same values, text/csv")
r = raw("tsv")
t = astro_ascii.read(r.text, format="tab")
check(len(t) == 50 and np.allclose(t["dec"], ref["dec"], rtol=1e-15), "sync TSV: same values")
r = raw("json")
doc = r.json()
check(len(doc["data"]) == 50 and math.isclose(doc["data"][0][1], float(ref["ra"][0]), rel_tol=1e-15),
      "sync JSON: same values")
r = raw("fits")
with fits.open(io.BytesIO(r.content)) as h:
    data = h[1].data
    check(len(data) == 50 and np.allclose(data["ra"], ref["ra"], rtol=0), "sync FITS: same values")
r = raw("text/csv")
check(r.headers["Content-Type"].startswith("text/csv"), "asked by MIME type, answered with it")

# --- MAXREC / TOP interplay -----------------------------------------------------------------------------------
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    res = svc.run_sync("SELECT hip FROM hip.main", maxrec=7)
    check(len(res) == 7 and res.query_status == "OVERFLOW", "MAXREC=7 < rows: 7 rows and OVERFLOW")
res = svc.run_sync("SELECT TOP 3 hip FROM hip.main", maxrec=10)
check(len(res) == 3 and res.query_status == "OK", "TOP 3 with MAXREC=10: 3 rows, no overflow")
# pyvo does not send maxrec=0 (it is falsy), so ask directly
r = svc._session.post(URL + "/sync", data={"LANG": "ADQL", "QUERY": "SELECT hip FROM hip.main", "MAXREC": "0"})
vt = parse_single_table(io.BytesIO(r.content))
check(len(vt.array) == 0 and [f.name for f in vt.fields] == ["hip"] and b'value="OVERFLOW"' in r.content,
      "MAXREC=0: metadata only, with OVERFLOW")

# --- errors ---------------------------------------------------------------------------------------------------
try:
    svc.run_sync("SELECT rra FROM hip.main")
    check(False, "unknown column rejected")
except pyvo.dal.DALQueryError as e:
    check("rra" in str(e) and "ra" in str(e), f"unknown column: clear message ({e})")
try:
    svc.run_sync("SELECT TOP 5 ra FROM hip.main LIMIT 5")
    check(False, "LIMIT rejected")
except pyvo.dal.DALQueryError as e:
    check("LIMIT" in str(e) or "limit" in str(e), f"LIMIT is not ADQL: {e}")

# --- cone search against a brute-force check --------------------------------------------------------------------
cone = svc.run_sync("SELECT hip, ra, dec FROM hip.main WHERE 1=CONTAINS(POINT('ICRS', ra, dec), "
                    "CIRCLE('ICRS', 56.75, 24.12, 2))", maxrec=100000).to_table()
band = svc.run_sync("SELECT hip, ra, dec FROM hip.main WHERE dec BETWEEN 21.5 AND 26.5 AND ra BETWEEN 52 AND 62",
                    maxrec=100000).to_table()
brute = set(band["hip"][sky_sep(band["ra"], band["dec"], 56.75, 24.12) <= 2])
check(set(cone["hip"]) == brute and len(brute) > 20, f"cone around the Pleiades: {len(brute)} stars, same as brute force")

# --- uploads ---------------------------------------------------------------------------------------------------
up = Table({"id": [1, 2, 3], "ra": [56.75, 83.82, 0.5], "dec": [24.12, -5.39, 89.0],
            "name": ["Pleiades", "Orion ☉ nebula", "near pole"]})
res = svc.run_sync("SELECT * FROM TAP_UPLOAD.t1", uploads={"t1": up}).to_table()
check(list(res["id"]) == [1, 2, 3] and list(res["name"]) == list(up["name"]), "upload round trip incl. unicode")
res = svc.run_sync("SELECT t.id, COUNT(*) AS n FROM TAP_UPLOAD.t1 AS t JOIN hip.main AS h "
                   "ON 1=CONTAINS(POINT(h.ra, h.dec), CIRCLE(t.ra, t.dec, 1)) GROUP BY t.id ORDER BY t.id",
                   uploads={"t1": up}).to_table()
check(len(res) >= 2 and res["n"][0] > 0, "upload joined with hip.main by position")

# --- async --------------------------------------------------------------------------------------------------------
res = svc.run_async("SELECT TOP 100 hip, ra, dec FROM hip.main ORDER BY hip")
check(len(res) == 100, "run_async: 100 rows")
job = svc.submit_job("SELECT TOP 1 hip FROM hip.main")
check(job.phase == "PENDING", "submit_job: PENDING")
job.run()
job.wait()
check(job.phase == "COMPLETED" and len(job.fetch_result()) == 1, "job run/wait/fetch_result")
check(svc.get_job(job.job_id).phase == "COMPLETED", "get_job by id")
job.delete()
try:
    svc.run_async("SELECT nonsense FROM nowhere")
    check(False, "async error raised")
except pyvo.dal.DALQueryError as e:
    check("nowhere" in str(e), f"async error message: {e}")

print(f"pyvo: {checks} checks passed")
