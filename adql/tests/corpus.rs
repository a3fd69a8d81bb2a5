//! The IVOA ADQL validation corpus (ivoa/lyonetia, read in place from `../shared/ivoa/adql-corpus`; GPL test data,
//! not copied): every query's valid/invalid verdict must agree with ours in syntax-only mode.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

struct Case {
    file: String,
    uuid: String,
    valid: bool,
    query: String,
    udfs: Vec<String>,
}

fn corpus_dir() -> Option<PathBuf> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .map(|a| a.join("../shared/ivoa/adql-corpus"))
        .find(|p| p.is_dir())
}

/// XML text content: CDATA kept as is, the five predefined entities decoded.
fn text_of(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(i) = rest.find("<![CDATA[") {
        out.push_str(&decode(&rest[..i]));
        let after = &rest[i + 9..];
        let end = after.find("]]>").expect("CDATA end");
        out.push_str(&after[..end]);
        rest = &after[end + 3..];
    }
    out.push_str(&decode(rest));
    out
}

fn decode(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The `<form>` texts inside a fragment.
fn forms(fragment: &str) -> Vec<String> {
    fragment
        .split("<form>")
        .skip(1)
        .filter_map(|p| p.split("</form>").next())
        .map(|f| text_of(f).trim().to_string())
        .collect()
}

/// Reads the corpus files: a deliberately small reader for their simple, fixed layout.
fn read_cases(dir: &PathBuf) -> Vec<Case> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        // drop comments, which may contain anything
        let mut clean = String::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("<!--") {
            clean.push_str(&rest[..i]);
            rest = &rest[i..];
            let end = rest.find("-->").expect("comment end");
            rest = &rest[end + 3..];
        }
        clean.push_str(rest);
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let head_end = clean.find("<query ").unwrap_or(clean.len());
        let file_udfs = forms(&clean[..head_end]);
        for block in clean[head_end..].split("<query ").skip(1) {
            let uuid = block
                .split("uuid=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or("")
                .to_string();
            let adql_start = block.find("<adql").expect("adql element");
            let query_udfs = forms(&block[..adql_start]);
            let adql = &block[adql_start..];
            let open_end = adql.find('>').expect("adql tag end");
            let valid = adql[..open_end].contains("valid=\"true\"");
            let body_end = adql.find("</adql>").expect("adql end");
            cases.push(Case {
                file: file.clone(),
                uuid,
                valid,
                query: text_of(&adql[open_end + 1..body_end]),
                udfs: file_udfs.iter().chain(&query_udfs).cloned().collect(),
            });
        }
    }
    cases
}

#[test]
fn ivoa_corpus_verdicts_agree() {
    let Some(dir) = corpus_dir() else {
        eprintln!("skipping: the ADQL corpus (../shared/ivoa/adql-corpus) is not present");
        return;
    };
    let cases = read_cases(&dir);
    assert!(cases.len() > 150, "read only {} cases", cases.len());
    let mut wrong = Vec::new();
    for c in &cases {
        let udfs: Vec<adql::Udf> = c
            .udfs
            .iter()
            .map(|f| f.parse().expect("corpus UDF form"))
            .collect();
        let got = adql::validate_syntax(&c.query, &udfs);
        if got.is_ok() != c.valid {
            wrong.push(format!(
                "{} {} expected {}, got {}\n    {}",
                c.file,
                c.uuid,
                if c.valid { "valid" } else { "invalid" },
                match &got {
                    Ok(_) => "valid".to_string(),
                    Err(e) => format!("invalid: {e}"),
                },
                c.query.split_whitespace().collect::<Vec<_>>().join(" ")
            ));
        }
    }
    println!(
        "corpus: {} of {} verdicts agree",
        cases.len() - wrong.len(),
        cases.len()
    );
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Prints our message for every invalid corpus query (run with --nocapture --ignored to review them).
#[test]
#[ignore]
fn print_rejections() {
    let Some(dir) = corpus_dir() else { return };
    for c in read_cases(&dir).iter().filter(|c| !c.valid) {
        let udfs: Vec<adql::Udf> = c.udfs.iter().map(|f| f.parse().unwrap()).collect();
        if let Err(e) = adql::validate_syntax(&c.query, &udfs) {
            println!(
                "{}: {}\n   => {e}",
                c.file,
                c.query.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
    }
}
