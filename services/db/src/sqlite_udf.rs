//! The ADQL runtime functions (FUNCTIONS.md) as SQLite scalar functions, registered on every connection.
//!
//! This module holds all of the crate's unsafe code: the FFI calls of libsqlite3-sys. The functions themselves
//! are safe Rust ([`crate::sky`]) behind one trampoline that reads arguments, turns NULL arguments into a NULL
//! result, catches panics (none should happen; a panic must never cross into C) and reports errors through
//! `sqlite3_result_error`, so a bad geometry string is a query error naming the function.
#![allow(unsafe_code)]

use crate::scalar;
use crate::sky::{self, Shape};
use libsqlite3_sys as ffi;
use std::ffi::{CStr, c_int, c_void};

/// A function's result.
enum Out {
    Int(i64),
    Float(f64),
    Text(String),
}

/// Read access to the arguments of one call.
struct Args {
    ctx: *mut ffi::sqlite3_context,
    argv: *mut *mut ffi::sqlite3_value,
    argc: usize,
}

/// Frees a value handed to SQLite with [`Args::keep_prepared`].
unsafe extern "C" fn drop_prepared_polygon(p: *mut c_void) {
    // SAFETY: `p` came from Box::into_raw(Box<sky::Polygon>) in `keep_prepared`, and SQLite calls this once.
    drop(unsafe { Box::from_raw(p.cast::<sky::Polygon>()) });
}

impl Args {
    fn value(&self, i: usize) -> *mut ffi::sqlite3_value {
        // SAFETY: i < argc is checked by every caller through `len()`/the registered arity; argv holds argc
        // valid pointers for the duration of the call (SQLite's contract for xFunc).
        unsafe { *self.argv.add(i) }
    }

    fn len(&self) -> usize {
        self.argc
    }

    fn is_null(&self, i: usize) -> bool {
        // SAFETY: see `value`.
        unsafe { ffi::sqlite3_value_type(self.value(i)) == ffi::SQLITE_NULL }
    }

    fn f64(&self, i: usize) -> Result<f64, String> {
        // SAFETY: see `value`.
        let t = unsafe { ffi::sqlite3_value_type(self.value(i)) };
        match t {
            ffi::SQLITE_INTEGER | ffi::SQLITE_FLOAT => {
                // SAFETY: see `value`.
                Ok(unsafe { ffi::sqlite3_value_double(self.value(i)) })
            }
            _ => {
                let s = self.text(i)?;
                s.trim()
                    .parse()
                    .map_err(|_| format!("argument {} is not a number: '{s}'", i + 1))
            }
        }
    }

    /// The value when it is stored as an integer.
    fn integer(&self, i: usize) -> Option<i64> {
        // SAFETY: see `value`.
        unsafe {
            (ffi::sqlite3_value_type(self.value(i)) == ffi::SQLITE_INTEGER)
                .then(|| ffi::sqlite3_value_int64(self.value(i)))
        }
    }

    fn i64(&self, i: usize) -> Result<i64, String> {
        if let Some(v) = self.integer(i) {
            return Ok(v);
        }
        let v = self.f64(i)?;
        if v.fract() == 0.0 && v.abs() < 9.2e18 {
            Ok(v as i64)
        } else {
            Err(format!("argument {} is not an integer", i + 1))
        }
    }

    fn text(&self, i: usize) -> Result<String, String> {
        // SAFETY: sqlite3_value_text returns a pointer valid until the next call on this value; we copy it out
        // at once. sqlite3_value_bytes must be called after _text (SQLite docs) and gives its length.
        unsafe {
            let p = ffi::sqlite3_value_text(self.value(i));
            if p.is_null() {
                return Ok(String::new());
            }
            let n = ffi::sqlite3_value_bytes(self.value(i)).max(0) as usize;
            let bytes = std::slice::from_raw_parts(p, n);
            Ok(String::from_utf8_lossy(bytes).into_owned())
        }
    }

    fn shape(&self, i: usize) -> Result<Shape, String> {
        Shape::parse(&self.text(i)?)
    }

    /// The polygon prepared from argument `i` on an earlier row, when the argument is a constant (SQLite keeps
    /// auxiliary data only for those): a polygon search then parses its polygon once, not once per row.
    fn prepared_polygon(&self, i: usize) -> Option<&sky::Polygon> {
        // SAFETY: ctx is the live context; the pointer, if any, was set by `keep_prepared` for this argument of
        // this function (auxiliary data is per call site and argument, and only adql_in_polygon stores any), and
        // SQLite keeps it alive at least until the end of this call.
        unsafe {
            let p = ffi::sqlite3_get_auxdata(self.ctx, i as c_int);
            p.cast::<sky::Polygon>().as_ref()
        }
    }

    /// Hands a prepared polygon to SQLite for the next rows (it may free it at once; nothing here uses it after).
    fn keep_prepared(&self, i: usize, polygon: sky::Polygon) {
        let p = Box::into_raw(Box::new(polygon));
        // SAFETY: ctx is the live context; ownership of `p` passes to SQLite, which frees it through the
        // destructor exactly once (at once if it will not keep it).
        unsafe {
            ffi::sqlite3_set_auxdata(
                self.ctx,
                i as c_int,
                p.cast::<c_void>(),
                Some(drop_prepared_polygon),
            )
        };
    }
}

type Func = fn(&Args) -> Result<Out, String>;

fn bool_out(b: bool) -> Out {
    Out::Int(b as i64)
}

fn f_point(a: &Args) -> Result<Out, String> {
    Ok(Out::Text(Shape::point(a.f64(0)?, a.f64(1)?)?.to_text()))
}

fn f_circle(a: &Args) -> Result<Out, String> {
    Ok(Out::Text(
        Shape::circle(a.f64(0)?, a.f64(1)?, a.f64(2)?)?.to_text(),
    ))
}

fn f_polygon(a: &Args) -> Result<Out, String> {
    let coords = (0..a.len())
        .map(|i| a.f64(i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Out::Text(Shape::polygon(&coords)?.to_text()))
}

fn f_box(a: &Args) -> Result<Out, String> {
    let v = sky::box_vertices(a.f64(0)?, a.f64(1)?, a.f64(2)?, a.f64(3)?);
    let coords: Vec<f64> = v.iter().flat_map(|(l, b)| [*l, *b]).collect();
    Ok(Out::Text(Shape::polygon(&coords)?.to_text()))
}

fn f_distance(a: &Args) -> Result<Out, String> {
    Ok(Out::Float(sky::distance(
        a.f64(0)?,
        a.f64(1)?,
        a.f64(2)?,
        a.f64(3)?,
    )))
}

fn f_geom_distance(a: &Args) -> Result<Out, String> {
    match (a.shape(0)?, a.shape(1)?) {
        (Shape::Point(l1, d1), Shape::Point(l2, d2)) => {
            Ok(Out::Float(sky::distance(l1, d1, l2, d2)))
        }
        (s1, s2) => Err(format!(
            "DISTANCE takes two points, not a {} and a {}",
            s1.kind(),
            s2.kind()
        )),
    }
}

fn f_in_circle(a: &Args) -> Result<Out, String> {
    Ok(bool_out(
        sky::distance(a.f64(0)?, a.f64(1)?, a.f64(2)?, a.f64(3)?) <= a.f64(4)?,
    ))
}

fn f_in_polygon(a: &Args) -> Result<Out, String> {
    let (lon, lat) = (a.f64(0)?, a.f64(1)?);
    if let Some(p) = a.prepared_polygon(2) {
        return Ok(bool_out(p.contains(lon, lat)));
    }
    match a.shape(2)? {
        Shape::Polygon(v) => {
            let p = sky::Polygon::new(&v);
            let inside = p.contains(lon, lat);
            a.keep_prepared(2, p);
            Ok(bool_out(inside))
        }
        s => Err(format!(
            "the third argument is a {}, not a polygon",
            s.kind()
        )),
    }
}

fn f_contains(a: &Args) -> Result<Out, String> {
    Ok(bool_out(sky::contains(&a.shape(0)?, &a.shape(1)?)))
}

fn f_intersects(a: &Args) -> Result<Out, String> {
    Ok(bool_out(sky::intersects(&a.shape(0)?, &a.shape(1)?)))
}

fn f_area(a: &Args) -> Result<Out, String> {
    Ok(Out::Float(sky::area(&a.shape(0)?)))
}

fn f_centroid(a: &Args) -> Result<Out, String> {
    let (l, d) = sky::centroid(&a.shape(0)?);
    Ok(Out::Text(Shape::Point(l, d).to_text()))
}

fn f_coord(a: &Args, second: bool) -> Result<Out, String> {
    match a.shape(0)? {
        Shape::Point(l, d) => Ok(Out::Float(if second { d } else { l })),
        s => Err(format!("COORD1/COORD2 take a point, not a {}", s.kind())),
    }
}

fn f_coord1(a: &Args) -> Result<Out, String> {
    f_coord(a, false)
}

fn f_coord2(a: &Args) -> Result<Out, String> {
    f_coord(a, true)
}

fn f_geometry(a: &Args) -> Result<Out, String> {
    let s = a.shape(0)?;
    let kind = a.text(1)?;
    if s.kind() != kind {
        return Err(format!("'{}' is a {}, not a {kind}", a.text(0)?, s.kind()));
    }
    Ok(Out::Text(s.to_text()))
}

/// A cone as the bits of (lon, lat, r) and the index depth.
type ConeKey = (u64, u64, u64, i64);

thread_local! {
    /// The last row's cone and its ranges: a positional join asks for every range of one row in turn.
    static JOIN_CONE: std::cell::RefCell<(ConeKey, Vec<(u64, u64)>)> =
        const { std::cell::RefCell::new(((u64::MAX, 0, 0, -1), Vec::new())) };
}

/// `adql_cone_range(lon, lat, r, depth, k, end)`: bound `end` (0 low, 1 high) of the k-th HEALPix range at `depth`
/// covering the cone; an empty range (2, 1) past the last. Positional joins test the index column against these
/// per row of the other table (adql::sky::join_ranges), which SQLite turns into index range scans.
fn f_cone_range(a: &Args) -> Result<Out, String> {
    let (lon, lat, r, depth) = (a.f64(0)?, a.f64(1)?, a.f64(2)?, a.i64(3)?);
    let (k, end) = (a.i64(4)?, a.i64(5)?);
    if !(0..=29).contains(&depth) {
        return Err(format!("depth {depth} is not in 0..29"));
    }
    let key = (lon.to_bits(), lat.to_bits(), r.to_bits(), depth);
    JOIN_CONE.with(|cell| {
        let mut c = cell.borrow_mut();
        if c.0 != key {
            *c = (key, adql::sky::join_ranges(lon, lat, r, depth as u8));
        }
        let (lo, hi) = usize::try_from(k)
            .ok()
            .and_then(|k| c.1.get(k).copied())
            .unwrap_or((2, 1));
        Ok(Out::Int(if end == 0 { lo } else { hi } as i64))
    })
}

fn f_healpix(a: &Args) -> Result<Out, String> {
    Ok(Out::Int(sky::healpix(a.i64(0)?, a.f64(1)?, a.f64(2)?)?))
}

fn f_like(a: &Args) -> Result<Out, String> {
    Ok(bool_out(scalar::like(&a.text(0)?, &a.text(1)?)))
}

fn f_ilike(a: &Args) -> Result<Out, String> {
    Ok(bool_out(scalar::ilike(&a.text(0)?, &a.text(1)?)))
}

fn f_truncate(a: &Args) -> Result<Out, String> {
    Ok(Out::Float(scalar::truncate(a.f64(0)?, a.i64(1)?)))
}

fn f_round(a: &Args) -> Result<Out, String> {
    let n = a.i64(1)?;
    Ok(Out::Float(match a.integer(0) {
        Some(i) => scalar::round_int(i, n),
        None => scalar::round(a.f64(0)?, n),
    }))
}

fn f_rand(a: &Args) -> Result<Out, String> {
    Ok(Out::Float(scalar::rand(a.i64(0)?)))
}

fn f_hasword(a: &Args) -> Result<Out, String> {
    Ok(bool_out(scalar::has_word(&a.text(0)?, &a.text(1)?)))
}

fn f_hashlist_has(a: &Args) -> Result<Out, String> {
    Ok(bool_out(scalar::hashlist_has(&a.text(0)?, &a.text(1)?)))
}

/// (name, number of arguments (-1: any), function).
type Entry = (&'static CStr, c_int, Func);

const FUNCTIONS: &[Entry] = &[
    (c"adql_point", 2, f_point),
    (c"adql_circle", 3, f_circle),
    (c"adql_polygon", -1, f_polygon),
    (c"adql_box", 4, f_box),
    (c"adql_distance", 4, f_distance),
    (c"adql_geom_distance", 2, f_geom_distance),
    (c"adql_in_circle", 5, f_in_circle),
    (c"adql_in_polygon", 3, f_in_polygon),
    (c"adql_contains", 2, f_contains),
    (c"adql_intersects", 2, f_intersects),
    (c"adql_area", 1, f_area),
    (c"adql_centroid", 1, f_centroid),
    (c"adql_coord1", 1, f_coord1),
    (c"adql_coord2", 1, f_coord2),
    (c"adql_geometry", 2, f_geometry),
    (c"adql_healpix", 3, f_healpix),
    (c"adql_cone_range", 6, f_cone_range),
    (c"ivo_healpix_index", 3, f_healpix),
    (c"adql_like", 2, f_like),
    (c"adql_ilike", 2, f_ilike),
    (c"ivo_nocasematch", 2, f_ilike),
    (c"adql_truncate", 2, f_truncate),
    (c"adql_round", 2, f_round),
    (c"adql_rand", 1, f_rand),
    (c"ivo_hasword", 2, f_hasword),
    (c"ivo_hashlist_has", 2, f_hashlist_has),
];

unsafe extern "C" fn trampoline(
    ctx: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: the user data pointer was set at registration to an element of the 'static `FUNCTIONS`.
    let (name, _, f): Entry = unsafe { *(ffi::sqlite3_user_data(ctx) as *const Entry) };
    let args = Args {
        ctx,
        argv,
        argc: argc.max(0) as usize,
    };
    if (0..args.len()).any(|i| args.is_null(i)) {
        // SAFETY: ctx is the live context of this call.
        unsafe { ffi::sqlite3_result_null(ctx) };
        return;
    }
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&args)))
        .unwrap_or_else(|_| Err("internal error".into()));
    // SAFETY: ctx is the live context; text results and messages are copied by SQLite (SQLITE_TRANSIENT, and
    // sqlite3_result_error always copies).
    unsafe {
        match out {
            Ok(Out::Int(i)) => ffi::sqlite3_result_int64(ctx, i),
            Ok(Out::Float(v)) if v.is_nan() => ffi::sqlite3_result_null(ctx),
            Ok(Out::Float(v)) => ffi::sqlite3_result_double(ctx, v),
            Ok(Out::Text(s)) => ffi::sqlite3_result_text(
                ctx,
                s.as_ptr().cast(),
                s.len() as c_int,
                ffi::SQLITE_TRANSIENT(),
            ),
            Err(msg) => {
                // the function's name first, as PostgreSQL's messages from the same functions start
                let msg = format!("{}: {msg}", name.to_string_lossy());
                ffi::sqlite3_result_error(ctx, msg.as_ptr().cast(), msg.len() as c_int)
            }
        }
    }
}

/// Registers every runtime function on a connection.
///
/// # Safety
/// `db` must be a valid, open SQLite connection handle not used concurrently during the call (sqlx's
/// `LockedSqliteHandle` guarantees both).
pub unsafe fn register(db: *mut ffi::sqlite3) -> Result<(), String> {
    for entry in FUNCTIONS {
        let (name, nargs, _) = entry;
        let flags = ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC | ffi::SQLITE_INNOCUOUS;
        // SAFETY: db is valid (caller's contract); name is a NUL-terminated 'static string; the user data points
        // to a 'static entry that outlives the connection.
        let rc = unsafe {
            ffi::sqlite3_create_function_v2(
                db,
                name.as_ptr(),
                *nargs,
                flags,
                entry as *const Entry as *mut c_void,
                Some(trampoline),
                None,
                None,
                None,
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(format!(
                "registering {}: SQLite error {rc}",
                name.to_string_lossy()
            ));
        }
    }
    Ok(())
}

/// Interrupts whatever the connection is running (thread-safe per SQLite's documentation).
///
/// # Safety
/// `db` must be a connection handle that stays open during the call.
pub unsafe fn interrupt(db: *mut ffi::sqlite3) {
    // SAFETY: caller's contract.
    unsafe { ffi::sqlite3_interrupt(db) }
}
