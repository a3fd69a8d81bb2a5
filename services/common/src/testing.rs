//! Test helpers shared by the service crates (compiled only with the `testing` feature or in this crate's tests).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The directory of the official XSDs (`../shared/ivoa/xsd` beside the repository), if present.
pub fn xsd_dir() -> Option<PathBuf> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .map(|a| a.join("../shared/ivoa/xsd"))
        .find(|p| p.join("catalog.xml").exists())
}

/// Validates `doc` against the official schema `xsd` (a file name in the XSD directory) with `xmllint --nonet`.
/// Panics with xmllint's message when the document is invalid; prints a notice and returns when xmllint or the
/// schemas are missing (CI installs both, so the check runs there).
pub fn xmllint(doc: &str, xsd: &str) {
    xmllint_all(doc, &[xsd]);
}

/// Validates `doc` against several schemas at once (e.g. VOSI capabilities + VODataService + TAPRegExt, whose
/// `xsi:type`s the first does not define), through a wrapper schema importing each.
pub fn xmllint_all(doc: &str, xsds: &[&str]) {
    let Some(dir) = xsd_dir() else {
        eprintln!("skipping schema validation: ../shared/ivoa/xsd not found");
        return;
    };
    let dir = dir.canonicalize().expect("xsd dir");
    let mut wrapper = String::from(
        "<?xml version=\"1.0\"?>\n<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"urn:almagest:test-wrapper\">\n",
    );
    for xsd in xsds {
        let path = dir.join(xsd);
        let text = std::fs::read_to_string(&path).expect("read xsd");
        let ns = text
            .split("targetNamespace=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("xsd has a targetNamespace");
        wrapper.push_str(&format!(
            "  <xs:import namespace=\"{ns}\" schemaLocation=\"file://{}\"/>\n",
            path.display()
        ));
    }
    wrapper.push_str("</xs:schema>\n");
    let wrapper_file = std::env::temp_dir().join(format!(
        "almagest-xsd-{}-{}.xsd",
        std::process::id(),
        unique()
    ));
    std::fs::write(&wrapper_file, wrapper).expect("write wrapper xsd");
    let xsd = wrapper_file.display().to_string();
    let child = Command::new("xmllint")
        .arg("--nonet")
        .arg("--noout")
        .arg("--schema")
        .arg(&wrapper_file)
        .arg("-")
        .env("XML_CATALOG_FILES", dir.join("catalog.xml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(_) => {
            eprintln!("skipping schema validation: xmllint not installed");
            return;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(doc.as_bytes()).expect("write to xmllint");
    }
    let out = child.wait_with_output().expect("xmllint runs");
    let _ = std::fs::remove_file(&wrapper_file);
    assert!(
        out.status.success(),
        "document does not validate against {xsd}:\n{}\n--- document ---\n{doc}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
