//! Checker behaviour a user sees: names resolved under ADQL's case rules, every unknown name reported at once
//! with suggestions, output column metadata and names.

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
