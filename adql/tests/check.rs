//! Checker behaviour a user sees: names resolved under ADQL's case rules, every unknown name reported at once
//! with suggestions, output column metadata and names.
#![allow(clippy::unwrap_used)]

mod common;

fn check(q: &str) -> Result<adql::CheckedQuery, adql::AdqlError> {
    adql::check(&adql::parse(q).unwrap(), &common::fixture())
}

#[test]
fn unknown_column_gets_position_and_suggestion() {
    let e = check("SELECT rra FROM hip.main").unwrap_err().to_string();
    assert_eq!(
        e,
        "line 1, column 8: no column 'rra' in hip.main; did you mean 'ra'?"
    );
}

#[test]
fn all_unknown_names_are_reported_together() {
    let e = check("SELECT rra, hpmg FROM hip.main WHERE pxl > 1").unwrap_err();
    assert_eq!(e.problems.len(), 3, "{e}");
    let t = e.to_string();
    assert!(
        t.contains("'rra'")
            && t.contains("'hpmg'")
            && t.contains("'pxl'")
            && t.contains("'hpmag'")
            && t.contains("'plx'"),
        "{t}"
    );
}

#[test]
fn unknown_table_suggests_close_names() {
    let e = check("SELECT * FROM hip.mian").unwrap_err().to_string();
    assert!(
        e.contains("no table 'hip.mian'") && e.contains("hip.main"),
        "{e}"
    );
    let e = check("SELECT * FROM dr3_g11").unwrap_err().to_string();
    assert!(e.contains("gaia.dr3_g10"), "{e}");
}

#[test]
fn case_rules() {
    assert!(check("SELECT RA, Dec FROM HIP.MAIN").is_ok());
    assert!(check("SELECT \"ra\" FROM hip.main").is_ok());
    assert!(
        check("SELECT \"RA\" FROM hip.main").is_err(),
        "delimited identifiers are exact"
    );
    assert!(check("SELECT \"Weird Name\" FROM demo.obs").is_ok());
    assert!(check("SELECT \"weird name\" FROM demo.obs").is_err());
}

#[test]
fn ambiguous_and_qualified_columns() {
    let e = check("SELECT ra FROM hip.main, gaia.dr3_g10")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("ambiguous") && e.contains("hip.main") && e.contains("gaia.dr3_g10"),
        "{e}"
    );
    assert!(check("SELECT h.ra, gaia.dr3_g10.ra FROM hip.main AS h, gaia.dr3_g10").is_ok());
    let e = check("SELECT hip.main.ra FROM hip.main AS h")
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a table or alias"), "{e}");
}

#[test]
fn output_metadata_follows_columns_and_expressions() {
    let c = check("SELECT ra, hip, plx * 2, COUNT(*) AS n, DISTANCE(POINT(ra, dec), POINT(1, 2)) AS d, POINT(ra, dec), IN_UNIT(plx, 'arcsec') FROM hip.main GROUP BY ra, hip, plx, dec").unwrap();
    let cols: Vec<_> = c
        .columns
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.datatype.as_str(),
                c.arraysize.as_deref(),
                c.xtype.as_deref(),
                c.unit.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        cols,
        vec![
            ("ra", "double", None, None, Some("deg")),
            ("hip", "int", None, None, None),
            ("col3", "double", None, None, None),
            ("n", "long", None, None, None),
            ("d", "double", None, None, Some("deg")),
            ("point", "double", Some("2"), Some("point"), None),
            ("in_unit", "double", None, None, Some("arcsec")),
        ]
    );
    assert_eq!(c.columns[0].ucd.as_deref(), Some("pos.eq.ra;meta.main"));
    assert_eq!(c.columns[0].description.as_deref(), Some("the ra"));
}

#[test]
fn duplicate_names_are_renamed_with_a_warning_or_refused() {
    let c = check("SELECT h.ra, g.ra FROM hip.main AS h, gaia.dr3_g10 AS g").unwrap();
    assert_eq!(c.columns[1].name, "ra_2");
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].contains("ra_2"));
    let e = check("SELECT ra AS x, dec AS x FROM hip.main")
        .unwrap_err()
        .to_string();
    assert!(e.contains("two output columns are called 'x'"), "{e}");
}

#[test]
fn types_are_checked() {
    for (q, needle) in [
        ("SELECT name + 1 FROM hip.main", "arithmetic needs numbers"),
        ("SELECT hip || 'x' FROM hip.main", "|| joins strings"),
        ("SELECT hip FROM hip.main WHERE name > 3", "cannot compare"),
        (
            "SELECT hip FROM hip.main WHERE COUNT(*) > 3",
            "set function",
        ),
        ("SELECT ra, COUNT(*) FROM hip.main", "neither grouped"),
        ("SELECT IN_UNIT(hip, 'deg') FROM hip.main", "unit is known"),
        (
            "SELECT IN_UNIT(plx, 'km') FROM hip.main",
            "different things",
        ),
        (
            "SELECT DISTANCE(s_region, POINT(1, 2)) FROM demo.obs",
            "POINT",
        ),
        ("SELECT POINT('GALACTIC', 1, 2) FROM hip.main", "GALACTIC"),
        ("SELECT nosuch(ra) FROM hip.main", "unknown function"),
        ("SELECT ivo_hasword(name) FROM hip.main", "takes 2 argument"),
        (
            "SELECT hip FROM hip.main UNION SELECT ra, dec FROM hip.main",
            "same number",
        ),
    ] {
        let e = check(q).unwrap_err().to_string();
        assert!(e.contains(needle), "{q}: {e}");
    }
}

#[test]
fn order_by_names_positions_and_expressions() {
    assert!(check("SELECT ra AS r FROM hip.main ORDER BY r").is_ok());
    assert!(check("SELECT ra FROM hip.main ORDER BY 1, dec DESC").is_ok());
    assert!(
        check("SELECT ra FROM hip.main ORDER BY 2")
            .unwrap_err()
            .to_string()
            .contains("1 output columns")
    );
    assert!(
        check("SELECT ra FROM hip.main UNION SELECT ra FROM gaia.dr3_g10 ORDER BY dec").is_err()
    );
}

#[test]
fn constant_geometry_and_literal_casts_are_checked_before_running() {
    for (q, needle) in [
        (
            "SELECT POINT(10, 95) FROM hip.main",
            "line 1, column 8: POINT: latitude 95 is outside [-90, 90]",
        ),
        (
            "SELECT hip FROM hip.main WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(10, 20, -1))",
            "radius of a CIRCLE",
        ),
        (
            "SELECT hip FROM hip.main WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(10, 20, 0))",
            "(0, 180]",
        ),
        ("SELECT BOX(10, 20, -2, 1) FROM hip.main", "sizes of a BOX"),
        (
            "SELECT POLYGON(0, 0, 1, 91, 2, 0) FROM hip.main",
            "latitude 91",
        ),
        (
            "SELECT CAST('1 AS 2 3' AS CIRCLE) FROM hip.main",
            "'AS' is not a number",
        ),
        (
            "SELECT CAST('1 2' AS CIRCLE) FROM hip.main",
            "DALI writes a point as 2 numbers",
        ),
        (
            "SELECT CAST('1 2 3 4 5' AS POLYGON) FROM hip.main",
            "is not a POLYGON",
        ),
        (
            "SELECT CAST('abc' AS INTEGER) FROM hip.main",
            "'abc' is not an integer",
        ),
        (
            "SELECT CAST('1.5' AS SMALLINT) FROM hip.main",
            "not an integer",
        ),
        (
            "SELECT CAST('70000' AS SMALLINT) FROM hip.main",
            "out of the range",
        ),
        (
            "SELECT CAST('nan' AS DOUBLE PRECISION) FROM hip.main",
            "not a number",
        ),
    ] {
        let e = check(q).unwrap_err().to_string();
        assert!(e.contains(needle), "{q}: {e}");
    }
    // the same values are fine when they are valid, or not constant
    for q in [
        "SELECT POINT(10, -90), CIRCLE(0, 0, 180), BOX(0, 0, 0, 360), CAST(' 1 2 3 ' AS CIRCLE) FROM hip.main",
        "SELECT CAST('-12' AS SMALLINT), CAST('1.5e3' AS REAL), CAST(' 2 ' AS BIGINT) FROM hip.main",
        "SELECT CIRCLE(ra, dec, plx - 100), POINT(ra, dec + 100) FROM hip.main",
    ] {
        check(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    }
}

#[test]
fn a_set_function_of_outer_columns_only_is_refused_in_a_subquery() {
    // found by the fuzzer: SQL would make AVG(h.plx) an aggregate of the outer query, inside its WHERE
    let e = check(
        "SELECT hip FROM hip.main AS h WHERE h.hip IN (SELECT AVG(h.plx) FROM gaia.dr3_g10 WHERE phot_g_mean_mag > 1)",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("AVG") && e.contains("enclosing query"), "{e}");
    // with a column of its own FROM it is an ordinary correlated subquery
    assert!(
        check("SELECT hip FROM hip.main AS h WHERE h.plx > (SELECT AVG(g.phot_g_mean_mag + 0 * h.plx) FROM gaia.dr3_g10 AS g)")
            .is_ok()
    );
}
