"""Cross-check with astropy (run by `cargo test -p formats --test astropy -- --ignored`).

usage: astropy_check.py DIR

1. Reads the files our writers put in DIR (sample_{td,b,b2}.vot, sample.fits, sample.csv) with astropy and
   checks the values a user would see.
2. Writes tables with astropy into DIR (astropy_{td,b,b2}.vot, astropy.fits) for our readers to read back.
Exits non-zero with a message on the first mismatch.
"""
import math
import sys
import warnings

import numpy as np
from astropy.io import fits, votable
from astropy.table import Table

d = sys.argv[1]
failures = []


def check(what, got, want):
    same = got == want
    if isinstance(want, float) and isinstance(got, (float, np.floating)):
        same = (math.isnan(want) and math.isnan(got)) or abs(got - want) <= 1e-6 * max(1.0, abs(want))
    if not same:
        failures.append(f"{what}: got {got!r}, want {want!r}")


def masked(col, i):
    return bool(np.ma.getmaskarray(col)[i].all()) if np.ndim(np.ma.getmaskarray(col)[i]) else bool(np.ma.getmaskarray(col)[i])


for name in ["sample_td.vot", "sample_b.vot", "sample_b2.vot"]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", votable.exceptions.VOTableSpecWarning)
        vt = votable.parse(f"{d}/{name}", verify="exception")
    res = vt.resources[0]
    check(f"{name} resource type", res.type, "results")
    status = [i for i in res.infos if i.name == "QUERY_STATUS"]
    check(f"{name} first QUERY_STATUS", status[0].value, "OK")
    t = res.tables[0].to_table()
    check(f"{name} columns", t.colnames[:3], ["id", "ra", "mag"])
    check(f"{name} ra unit", str(t["ra"].unit), "deg")
    check(f"{name} id[0]", int(t["id"][0]), 1)
    check(f"{name} ra[0]", float(t["ra"][0]), 10.684708)
    check(f"{name} mag[0]", float(t["mag"][0]), 3.44)
    check(f"{name} flag[0]", bool(t["flag"][0]), True)
    check(f"{name} count[0]", int(t["count"][0]), 2147483647)
    check(f"{name} name[0]", str(t["name"][0]), 'M 31 <Andromeda> & "co"')
    check(f"{name} code[1]", str(t["code"][1]), "TOOL")
    check(f"{name} uname[0]", str(t["uname"][0]), "Andrómeda ★")
    check(f"{name} obs_time[0]", str(t["obs_time"][0]), "2024-01-02T03:04:05.5")
    check(f"{name} pos[0]", [float(x) for x in t["pos"][0]], [10.684708, 41.26875])
    check(f"{name} region[1] length", len(t["region"][1]), 8)
    check(f"{name} flux[1][2]", float(t["flux"][1][2]), 3.4e38)
    check(f"{name} mag[1] is +inf", math.isinf(float(t["mag"][1])), True)
    for col in ["ra", "mag", "flag", "count", "pos"]:
        check(f"{name} {col}[2] is null", masked(t[col], 2), True)
    check(f"{name} name[2] is empty", str(t["name"][2]), "")
    check(f"{name} id[2] not null", masked(t["id"], 2), False)

t = Table.read(f"{d}/sample.fits", hdu=1)
check("fits columns", t.colnames[:3], ["id", "ra", "mag"])
check("fits ra unit", str(t["ra"].unit), "deg")
check("fits id[0]", int(t["id"][0]), 1)
check("fits n[0]", int(t["n"][0]), -32767)
check("fits tiny[0]", int(t["tiny"][0]), 254)
check("fits count[0]", int(t["count"][0]), 2147483647)
check("fits name[0]", str(t["name"][0]), 'M 31 <Andromeda> & "co"')
check("fits code[1]", str(t["code"][1]), "TOOL")
check("fits pos[0]", [float(x) for x in t["pos"][0]], [10.684708, 41.26875])
check("fits region[1] length", len(t["region"][1]), 8)
check("fits n[2] is null", masked(t["n"], 2), True)
check("fits count[2] is null", masked(t["count"], 2), True)
check("fits ra[2] is nan", math.isnan(float(t["ra"][2])), True)
with fits.open(f"{d}/sample.fits") as h:
    check("fits QSTATUS", h[1].header["QSTATUS"], "OK")
    check("fits TUCD2", h[1].header["TUCD2"], "pos.eq.ra;meta.main")

t = Table.read(f"{d}/sample.csv", format="ascii.csv")
check("csv id", list(t["id"]), [1, 2, 3])
check("csv name[1]", str(t["name"][1]), 'tab\there, newline\nthere, comma, "quote", bell\x07')
check("csv ra[0]", float(t["ra"][0]), 10.684708)

# Tables written by astropy, for our readers.
t = Table()
t["id"] = np.array([1, 2, 3], dtype=np.int32)
t["ra"] = np.array([10.5, np.nan, -3.25])
t["ra"].unit = "deg"
t["mag"] = np.array([1.5, 2.5, 3.5], dtype=np.float32)
t["name"] = ["alpha", "béta", ""]
t["flag"] = [True, False, True]
t["vec"] = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
t["id"] = np.ma.masked_array(t["id"], mask=[False, True, False])
for fmt, name in [("tabledata", "td"), ("binary", "b"), ("binary2", "b2")]:
    vt = votable.from_table(t)
    vt.resources[0].tables[0].format = fmt
    vt.resources[0].tables[0].fields[0].values.null = -1
    vt.to_xml(f"{d}/astropy_{name}.vot")
t["name"] = ["alpha", "beta", ""]  # FITS text is ASCII
t.write(f"{d}/astropy.fits", overwrite=True)

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("astropy agrees")
