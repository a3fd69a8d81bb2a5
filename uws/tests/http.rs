//! The UWS REST binding end to end, through actix, with the demo runner (its parameters choose what a job does:
//! see `uws::demo`).
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use actix_web::http::StatusCode;
use actix_web::test;
use common::{body, get, location, phase_of, post};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use uws::{Phase, UwsService};

fn xsd(doc: &str) {
    almagest_common::testing::xmllint(doc, "UWS-v1.1.xsd");
}

#[actix_web::test]
async fn create_run_wait_fetch_delete() {
    let e = common::env().await;
    let app = app!(e.svc);
    let resp = call!(
        app,
        test::TestRequest::post().uri("/async?lang=ADQL").set_form([
            ("REQUEST", "doQuery"),
            ("RUNID", "r-42"),
            ("OUT", "hello"),
            ("STREAM", "100000")
        ])
    );
    let loc = location(&resp);
    assert!(
        loc.starts_with("http://localhost/async/"),
        "absolute job URL: {loc}"
    );
    let id = common::job_id(&loc);
    assert!(
        id.len() >= 20 && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "{id}"
    );

    let doc = body(call!(app, get(&format!("/async/{id}"), None))).await;
    assert_eq!(phase_of(&doc), "PENDING");
    assert!(
        doc.contains("<uws:job ") && doc.contains("version=\"1.1\""),
        "{doc}"
    );
    assert!(
        doc.contains("<uws:parameter id=\"REQUEST\" isPost=\"true\">doQuery</uws:parameter>"),
        "{doc}"
    );
    assert!(
        doc.contains("<uws:parameter id=\"lang\">ADQL</uws:parameter>"),
        "query-string parameter, not isPost: {doc}"
    );
    assert!(
        doc.contains("<uws:runId>r-42</uws:runId>")
            && doc.contains("<uws:ownerId xsi:nil=\"true\"/>")
    );
    assert!(doc.contains("<uws:startTime xsi:nil=\"true\"/>"));
    xsd(&doc);

    // atomic children are text/plain and agree with the document (taplint compares them)
    for (child, want) in [
        ("phase", "PENDING"),
        ("executionduration", "60"),
        ("quote", ""),
        ("owner", ""),
    ] {
        let r = call!(app, get(&format!("/async/{id}/{child}"), None));
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()
                .get("content-type")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        assert_eq!(body(r).await, want, "{child}");
    }
    let destruction = body(call!(app, get(&format!("/async/{id}/destruction"), None))).await;
    assert!(
        doc.contains(&format!("<uws:destruction>{destruction}</uws:destruction>")),
        "{destruction}"
    );
    assert!(destruction.ends_with('Z') && destruction.contains('T'));

    let r = call!(
        app,
        post(&format!("/async/{id}/phase"), None, &[("PHASE", "RUN")])
    );
    assert_eq!(location(&r), loc);
    let doc = wait_end!(app, id, None);
    assert_eq!(phase_of(&doc), "COMPLETED", "{doc}");
    assert!(
        doc.contains(&format!(
            "xlink:href=\"{loc}/results/result\" size=\"5\" mime-type=\"text/plain\""
        )),
        "{doc}"
    );
    assert!(
        doc.contains("<uws:result id=\"stream\"") && doc.contains("size=\"100000\""),
        "{doc}"
    );
    assert!(!doc.contains("<uws:startTime xsi:nil") && !doc.contains("<uws:endTime xsi:nil"));
    xsd(&doc);
    let results = body(call!(app, get(&format!("/async/{id}/results"), None))).await;
    assert!(
        results.contains("<uws:results ") && results.contains("id=\"stream\""),
        "{results}"
    );
    xsd(&results);
    let params = body(call!(app, get(&format!("/async/{id}/parameters"), None))).await;
    assert!(
        params.contains("<uws:parameter id=\"OUT\" isPost=\"true\">hello</uws:parameter>"),
        "{params}"
    );
    xsd(&params);
    assert_eq!(
        body(call!(
            app,
            get(&format!("/async/{id}/parameters/out"), None)
        ))
        .await,
        "hello"
    );

    let r = call!(app, get(&format!("/async/{id}/results/result"), None));
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        actix_web::body::MessageBody::size(r.response().body()),
        actix_web::body::BodySize::Sized(5),
        "a Content-Length"
    );
    assert_eq!(r.headers().get("content-type").unwrap(), "text/plain");
    assert_eq!(body(r).await, "hello");
    // a byte range of a result
    let r = call!(
        app,
        get(&format!("/async/{id}/results/stream"), None).insert_header(("Range", "bytes=99990-"))
    );
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        r.headers().get("content-range").unwrap(),
        "bytes 99990-99999/100000"
    );
    assert_eq!(body(r).await, "xxxxxxxxxx");
    let r = call!(
        app,
        get(&format!("/async/{id}/results/stream"), None).insert_header(("Range", "bytes=100000-"))
    );
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    let r = call!(app, get(&format!("/async/{id}/results/nothing"), None));
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // no error on a completed job: 404 (DALI 1.1 §4.2)
    assert_eq!(
        call!(app, get(&format!("/async/{id}/error"), None)).status(),
        StatusCode::NOT_FOUND
    );

    let r = call!(
        app,
        test::TestRequest::delete().uri(&format!("/async/{id}"))
    );
    assert_eq!(location(&r), "http://localhost/async");
    let r = call!(app, get(&format!("/async/{id}"), None));
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(body(r).await.contains(&id), "the 404 names the job");
    assert_eq!(
        call!(app, get(&format!("/async/{id}/results/result"), None)).status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        !e.dir.path().join("jobs/jobs").join(&id).exists(),
        "bytes deleted with the job"
    );
}

/// Every transition a client can ask for, from every phase a job can be in, over HTTP.
#[actix_web::test]
async fn the_phase_machine_over_http() {
    let e = common::env_with(|c| c.max_active_per_owner = 0).await;
    let app = app!(e.svc);
    // one job in each reachable phase
    let pending = create!(app, None, &[("OUT", "x")]);
    let executing = create!(app, None, &[("HANG", "1"), ("PHASE", "RUN")]);
    let completed = create!(app, None, &[("PHASE", "RUN")]);
    let error = create!(app, None, &[("FAIL", "no"), ("PHASE", "RUN")]);
    let aborted = create!(app, None, &[("HANG", "1")]);
    call!(
        app,
        post(
            &format!("/async/{aborted}/phase"),
            None,
            &[("PHASE", "ABORT")]
        )
    );
    for id in [&completed, &error] {
        wait_end!(app, id, None);
    }
    let doc = body(call!(
        app,
        get(&format!("/async/{executing}?WAIT=10&PHASE=QUEUED"), None)
    ))
    .await;
    assert_eq!(phase_of(&doc), "EXECUTING");
    let phase = |id: &String| {
        let id = id.clone();
        let svc = e.svc.clone();
        async move { svc.get(&id, None).await.unwrap().phase }
    };
    assert_eq!(phase(&pending).await, Phase::Pending);
    assert_eq!(phase(&completed).await, Phase::Completed);
    assert_eq!(phase(&error).await, Phase::Error);
    assert_eq!(phase(&aborted).await, Phase::Aborted);

    // finished jobs: RUN and ABORT are accepted (303) and change nothing; nothing else may change
    for id in [&completed, &error, &aborted] {
        let before = phase(id).await;
        for ph in ["RUN", "ABORT"] {
            let r = call!(
                app,
                post(&format!("/async/{id}/phase"), None, &[("PHASE", ph)])
            );
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            assert_eq!(phase(id).await, before, "{ph} on {before}");
        }
        let r = call!(
            app,
            post(&format!("/async/{id}/parameters"), None, &[("OUT", "y")])
        );
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "parameters of a {before} job"
        );
        let r = call!(
            app,
            post(
                &format!("/async/{id}/executionduration"),
                None,
                &[("EXECUTIONDURATION", "5")]
            )
        );
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    // an executing job: parameters frozen, RUN changes nothing, ABORT stops it
    let r = call!(
        app,
        post(
            &format!("/async/{executing}/parameters"),
            None,
            &[("OUT", "y")]
        )
    );
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    call!(
        app,
        post(
            &format!("/async/{executing}/phase"),
            None,
            &[("PHASE", "RUN")]
        )
    );
    assert_eq!(phase(&executing).await, Phase::Executing);
    call!(
        app,
        post(&format!("/async/{executing}"), None, &[("PHASE", "ABORT")])
    );
    assert_eq!(
        phase(&executing).await,
        Phase::Aborted,
        "PHASE=ABORT posted to the job itself (UWS 1.0 clients)"
    );
    // a pending job: parameters and duration may change; phases other than RUN/ABORT are refused
    let r = call!(
        app,
        post(
            &format!("/async/{pending}/parameters"),
            None,
            &[("OUT", "changed"), ("runId", "again")]
        )
    );
    assert_eq!(location(&r), format!("http://localhost/async/{pending}"));
    let doc = body(call!(app, get(&format!("/async/{pending}"), None))).await;
    assert!(
        doc.contains(">changed<")
            && !doc.contains(">x<")
            && doc.contains("<uws:runId>again</uws:runId>"),
        "{doc}"
    );
    for bad in ["SUSPEND", "COMPLETED", ""] {
        let r = call!(
            app,
            post(&format!("/async/{pending}/phase"), None, &[("PHASE", bad)])
        );
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "PHASE={bad}");
    }
    let r = call!(
        app,
        post(&format!("/async/{pending}"), None, &[("OUT", "z")])
    );
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "DALI: parameters may not be posted to the job URL"
    );
    assert!(body(r).await.contains("/parameters"));
    let r = call!(
        app,
        post(
            &format!("/async/{pending}/executionduration"),
            None,
            &[("EXECUTIONDURATION", "abc")]
        )
    );
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = call!(
        app,
        post(
            &format!("/async/{pending}/executionduration"),
            None,
            &[("EXECUTIONDURATION", "100000")]
        )
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let d = body(call!(
        app,
        get(&format!("/async/{pending}/executionduration"), None)
    ))
    .await;
    assert_eq!(d, "600", "capped at the configured maximum");
    let r = call!(
        app,
        post(
            &format!("/async/{pending}/destruction"),
            None,
            &[("DESTRUCTION", "2000-01-01T00:00:00Z")]
        )
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        body(call!(
            app,
            get(&format!("/async/{pending}/destruction"), None)
        ))
        .await,
        "2000-01-01T00:00:00.000Z"
    );
    let r = call!(
        app,
        post(
            &format!("/async/{pending}/destruction"),
            None,
            &[("DESTRUCTION", "soon")]
        )
    );
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // a PENDING job can be aborted; a check that fails at RUN puts the job in ERROR without running it
    let rejected = create!(app, None, &[("REJECT", "QUERY is missing")]);
    call!(
        app,
        post(
            &format!("/async/{rejected}/phase"),
            None,
            &[("PHASE", "RUN")]
        )
    );
    let doc = body(call!(app, get(&format!("/async/{rejected}"), None))).await;
    assert_eq!(phase_of(&doc), "ERROR");
    assert!(doc.contains("<uws:message>QUERY is missing</uws:message>"));
    call!(
        app,
        post(
            &format!("/async/{pending}/phase"),
            None,
            &[("PHASE", "ABORT")]
        )
    );
    assert_eq!(phase(&pending).await, Phase::Aborted);
    // unknown jobs: 404 everywhere
    for child in ["", "/phase", "/parameters", "/results", "/error", "/owner"] {
        let r = call!(app, get(&format!("/async/nosuchjob{child}"), None));
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{child}");
    }
    let r = call!(
        app,
        post("/async/nosuchjob/phase", None, &[("PHASE", "RUN")])
    );
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = call!(app, post("/async", None, &[("PHASE", "ABORT")]));
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "creation accepts only PHASE=RUN"
    );
    assert_eq!(
        e.runner.stats.finished.load(Ordering::SeqCst),
        2,
        "only the two finished jobs ran to their end"
    );
}

#[actix_web::test]
async fn wait_wakes_when_the_phase_changes() {
    let e = common::env().await;
    let app = app!(e.svc);
    let id = create!(app, None, &[("SLEEP_MS", "500")]);
    // a waiter blocked on a PENDING job wakes when it is started from elsewhere
    let svc = e.svc.clone();
    let id2 = id.clone();
    let starter = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        svc.run(&id2).await.unwrap();
        Instant::now()
    });
    let t = Instant::now();
    let doc = body(call!(app, get(&format!("/async/{id}?WAIT=30"), None))).await;
    let woke = Instant::now();
    let changed = starter.await.unwrap();
    assert_ne!(phase_of(&doc), "PENDING", "{doc}");
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "WAIT=30 returned because the phase changed"
    );
    println!(
        "WAIT woke {:?} after the phase change",
        woke.saturating_duration_since(changed)
    );
    // STILTS: WAIT=-1 with PHASE= blocks only while the job is in that phase
    let doc = wait_end!(app, id, None);
    assert_eq!(phase_of(&doc), "COMPLETED");
    let t = Instant::now();
    let doc = body(call!(
        app,
        get(&format!("/async/{id}?WAIT=-1&PHASE=EXECUTING"), None)
    ))
    .await;
    assert_eq!(phase_of(&doc), "COMPLETED");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "a finished job returns at once"
    );
    // a job that does not change: WAIT returns after its time, WAIT=0 at once
    let idle = create!(app, None, &[]);
    let t = Instant::now();
    let doc = body(call!(app, get(&format!("/async/{idle}?WAIT=1"), None))).await;
    assert_eq!(phase_of(&doc), "PENDING");
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "WAIT=1 blocked for its second"
    );
    let doc = body(call!(
        app,
        get(&format!("/async/{idle}?WAIT=1&PHASE=QUEUED"), None)
    ))
    .await;
    assert_eq!(phase_of(&doc), "PENDING", "not QUEUED: returns at once");
    let r = call!(app, get(&format!("/async/{idle}?WAIT=soon"), None));
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(format!("{:?}", e.svc).contains("test"));
}

#[actix_web::test]
async fn abort_and_execution_duration_cancel_the_work() {
    let e = common::env().await;
    let app = app!(e.svc);
    let id = create!(app, None, &[("HANG", "1"), ("PHASE", "RUN")]);
    let doc = body(call!(
        app,
        get(&format!("/async/{id}?WAIT=10&PHASE=QUEUED"), None)
    ))
    .await;
    assert_eq!(phase_of(&doc), "EXECUTING");
    let r = call!(
        app,
        post(&format!("/async/{id}/phase"), None, &[("PHASE", "ABORT")])
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let doc = body(call!(app, get(&format!("/async/{id}"), None))).await;
    assert_eq!(phase_of(&doc), "ABORTED");
    assert!(doc.contains("<uws:endTime>"), "{doc}");
    for _ in 0..100 {
        if e.runner.stats.dropped.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        e.runner.stats.dropped.load(Ordering::SeqCst),
        1,
        "the running work was stopped"
    );

    let id = create!(app, None, &[("HANG", "1")]);
    let r = call!(
        app,
        post(
            &format!("/async/{id}/executionduration"),
            None,
            &[("EXECUTIONDURATION", "1")]
        )
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    call!(
        app,
        post(&format!("/async/{id}/phase"), None, &[("PHASE", "RUN")])
    );
    let doc = wait_end!(app, id, None);
    assert_eq!(phase_of(&doc), "ERROR", "{doc}");
    assert!(
        doc.contains("execution duration of 1 s exceeded") && doc.contains("type=\"transient\""),
        "{doc}"
    );
    for _ in 0..100 {
        if e.runner.stats.dropped.load(Ordering::SeqCst) > 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(e.runner.stats.dropped.load(Ordering::SeqCst), 2);
    xsd(&doc);
}

#[actix_web::test]
async fn failures_keep_their_error_document() {
    let e = common::env().await;
    let app = app!(e.svc);
    let id = create!(
        app,
        None,
        &[("FAIL", "bad <query> at line 1"), ("PHASE", "RUN")]
    );
    let doc = wait_end!(app, id, None);
    assert!(
        doc.contains("<uws:errorSummary type=\"fatal\" hasDetail=\"true\">"),
        "{doc}"
    );
    assert!(
        doc.contains("<uws:message>bad &lt;query&gt; at line 1</uws:message>"),
        "{doc}"
    );
    xsd(&doc);
    let r = call!(app, get(&format!("/async/{id}/error"), None));
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("content-type").unwrap(), "text/xml");
    assert_eq!(
        body(r).await,
        "<detail>bad &lt;query&gt; at line 1</detail>"
    );
    let r = call!(app, get(&format!("/async/{id}/results/result"), None));
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(
        body(r).await.contains("bad <query>"),
        "the missing result says why (TapPlus shows this body)"
    );
    // an error without a detail document is served as text
    let id = create!(app, None, &[("REJECT", "nope")]);
    call!(
        app,
        post(&format!("/async/{id}/phase"), None, &[("PHASE", "RUN")])
    );
    let r = call!(app, get(&format!("/async/{id}/error"), None));
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body(r).await, "nope");
}

#[actix_web::test]
async fn owners_and_job_lists() {
    let e = common::env().await;
    let app = app!(e.svc);
    let alice = create!(app, Some("alice"), &[("OUT", "x")]);
    let anon = create!(app, None, &[("OUT", "x")]);
    assert_eq!(
        call!(app, get(&format!("/async/{alice}"), Some("alice"))).status(),
        StatusCode::OK
    );
    let owner = body(call!(
        app,
        get(&format!("/async/{alice}/owner"), Some("alice"))
    ))
    .await;
    assert_eq!(owner, "alice");
    for (who, child) in [
        (Some("bob"), ""),
        (None, ""),
        (Some("bob"), "/phase"),
        (Some("bob"), "/parameters"),
        (Some("bob"), "/results"),
    ] {
        let r = call!(app, get(&format!("/async/{alice}{child}"), who));
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who:?} {child}");
    }
    assert_eq!(
        call!(app, get(&format!("/async/{anon}"), Some("bob"))).status(),
        StatusCode::OK,
        "anonymous jobs: by URL"
    );
    let r = call!(app, common::delete(&format!("/async/{alice}"), Some("bob")));
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = call!(
        app,
        post(
            &format!("/async/{alice}/phase"),
            Some("bob"),
            &[("PHASE", "RUN")]
        )
    );
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = call!(
        app,
        post(&format!("/async/{alice}"), None, &[("ACTION", "DELETE")])
    );
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        e.svc.get(&alice, Some("alice")).await.unwrap().phase,
        Phase::Pending,
        "nothing changed"
    );

    let l = body(call!(app, get("/async", Some("alice")))).await;
    assert!(l.contains(&alice) && !l.contains(&anon), "{l}");
    assert!(
        l.contains("<uws:jobs ")
            && l.contains("version=\"1.1\"")
            && l.contains("<uws:ownerId>alice</uws:ownerId>")
    );
    xsd(&l);
    let l = body(call!(app, get("/async", None))).await;
    assert!(
        !l.contains(&alice) && !l.contains(&anon),
        "the anonymous list shows nobody's jobs: {l}"
    );
    xsd(&l);
    assert!(
        !body(call!(app, get("/async", Some("bob"))))
            .await
            .contains(&alice)
    );
    let l = body(call!(app, get("/async?PHASE=COMPLETED", Some("alice")))).await;
    assert!(
        !l.contains(&alice),
        "PENDING job filtered out by PHASE=COMPLETED"
    );
    let l = body(call!(
        app,
        get(
            "/async?PHASE=COMPLETED&PHASE=PENDING&AFTER=2000-01-01T00:00:00.000000Z",
            Some("alice")
        )
    ))
    .await;
    assert!(
        l.contains(&alice),
        "repeated PHASE is a union; pyvo's AFTER format parses"
    );
    let l = body(call!(
        app,
        get("/async?AFTER=2999-01-01T00:00:00Z", Some("alice"))
    ))
    .await;
    assert!(!l.contains(&alice));
    for bad in [
        "LAST=0",
        "LAST=-1",
        "LAST=x",
        "PHASE=DONE",
        "AFTER=yesterday",
    ] {
        let r = call!(app, get(&format!("/async?{bad}"), Some("alice")));
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(!body(r).await.is_empty());
    }

    // per-owner limit of unfinished jobs (3); anonymous jobs are not counted against anyone
    for _ in 0..2 {
        create!(app, Some("alice"), &[]);
    }
    let r = call!(app, post("/async", Some("alice"), &[]));
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(body(r).await.contains("3 unfinished jobs"));
    create!(app, Some("bob"), &[]);
    call!(
        app,
        post(
            &format!("/async/{alice}"),
            Some("alice"),
            &[("ACTION", "DELETE")]
        )
    );
    create!(app, Some("alice"), &[]);
}

#[actix_web::test]
async fn inline_parameters_are_stored_and_given_to_the_runner() {
    let e = common::env().await;
    let app = app!(e.svc);
    let boundary = "XyZ";
    let payload = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"ECHO\"\r\n\r\nt1\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"UPLOAD\"\r\n\r\nt1,param:t1\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"t1\"; filename=\"t1.xml\"\r\nContent-Type: application/x-votable+xml\r\n\r\n<VOTABLE/>\r\n\
         --{boundary}--\r\n"
    );
    let r = call!(
        app,
        test::TestRequest::post()
            .uri("/async")
            .insert_header((
                "content-type",
                format!("multipart/form-data; boundary={boundary}")
            ))
            .set_payload(payload)
    );
    let loc = location(&r);
    let id = common::job_id(&loc);
    let doc = body(call!(app, get(&format!("/async/{id}"), None))).await;
    assert!(doc.contains(&format!("<uws:parameter id=\"t1\" byReference=\"true\" isPost=\"true\">{loc}/parameters/t1</uws:parameter>")), "{doc}");
    assert!(
        doc.contains("<uws:parameter id=\"UPLOAD\" isPost=\"true\">t1,param:t1</uws:parameter>")
    );
    xsd(&doc);
    assert_eq!(
        body(call!(app, get(&format!("/async/{id}/parameters/t1"), None))).await,
        "<VOTABLE/>"
    );
    call!(
        app,
        post(&format!("/async/{id}/phase"), None, &[("PHASE", "RUN")])
    );
    let doc = wait_end!(app, id, None);
    assert_eq!(phase_of(&doc), "COMPLETED", "{doc}");
    assert_eq!(
        body(call!(
            app,
            get(&format!("/async/{id}/results/result"), None)
        ))
        .await,
        "<VOTABLE/>",
        "the runner read the upload"
    );
}

#[actix_web::test]
async fn external_results_redirect() {
    let e = common::env().await;
    let app = app!(e.svc);
    let id = create!(
        app,
        None,
        &[
            ("REF", "http://elsewhere.example/data?x=1&y=2"),
            ("PHASE", "RUN")
        ]
    );
    let doc = wait_end!(app, id, None);
    assert!(doc.contains("<uws:result id=\"external\" xlink:type=\"simple\" xlink:href=\"http://elsewhere.example/data?x=1&amp;y=2\" mime-type=\"text/html\"/>"), "{doc}");
    xsd(&doc);
    let r = call!(app, get(&format!("/async/{id}/results/external"), None));
    assert_eq!(location(&r), "http://elsewhere.example/data?x=1&y=2");
}

#[actix_web::test]
async fn jobs_survive_a_restart_and_destruction_removes_them() {
    let e = common::env().await;
    let app = app!(e.svc);
    let done = create!(app, None, &[("OUT", "kept"), ("PHASE", "RUN")]);
    assert_eq!(phase_of(&wait_end!(app, done, None)), "COMPLETED");
    let hung = create!(app, None, &[("HANG", "1"), ("PHASE", "RUN")]);
    let doc = body(call!(
        app,
        get(&format!("/async/{hung}?WAIT=10&PHASE=QUEUED"), None)
    ))
    .await;
    assert_eq!(phase_of(&doc), "EXECUTING");
    let pending = create!(app, None, &[]);
    // "restart": a second service over the same database and byte store, the first left as a crash leaves it
    let runner2 = uws::demo::DemoRunner::default();
    let svc2 = UwsService::start(
        common::cfg(e.dir.path()),
        common::store(e.dir.path()).await,
        std::sync::Arc::new(runner2),
    )
    .await
    .unwrap();
    let app2 = app!(svc2);
    let doc = body(call!(app2, get(&format!("/async/{hung}"), None))).await;
    assert_eq!(phase_of(&doc), "ERROR");
    assert!(
        doc.contains(uws::RESTARTED) && doc.contains("type=\"transient\""),
        "{doc}"
    );
    assert_eq!(
        svc2.get(&pending, None).await.unwrap().phase,
        Phase::Pending
    );
    assert_eq!(
        body(call!(
            app2,
            get(&format!("/async/{done}/results/result"), None)
        ))
        .await,
        "kept"
    );

    let t = chrono::Utc::now() - chrono::Duration::seconds(1);
    svc2.set_destruction(&done, t).await.unwrap();
    let key_file = e
        .dir
        .path()
        .join("jobs/jobs")
        .join(&done)
        .join("results/result");
    assert!(key_file.exists(), "{}", key_file.display());
    assert_eq!(svc2.destroy_expired().await.unwrap(), 1);
    assert_eq!(
        call!(app2, get(&format!("/async/{done}"), None)).status(),
        StatusCode::NOT_FOUND
    );
    assert!(!key_file.exists(), "result bytes destroyed");
    assert_eq!(svc2.destroy_expired().await.unwrap(), 0);
}

#[actix_web::test]
async fn queued_jobs_run_after_a_restart_and_shutdown_stops_running_ones() {
    let e = common::env_with(|c| c.slots = 1).await;
    let app = app!(e.svc);
    let running = create!(app, None, &[("HANG", "1"), ("PHASE", "RUN")]);
    let queued = create!(app, None, &[("OUT", "later"), ("PHASE", "RUN")]);
    let doc = body(call!(
        app,
        get(&format!("/async/{running}?WAIT=10&PHASE=QUEUED"), None)
    ))
    .await;
    assert_eq!(phase_of(&doc), "EXECUTING");
    assert_eq!(
        e.svc.get(&queued, None).await.unwrap().phase,
        Phase::Queued,
        "one slot: the second waits"
    );
    e.svc.shutdown().await;
    let j = e.svc.get(&running, None).await.unwrap();
    assert_eq!(j.phase, Phase::Error);
    assert_eq!(j.error.unwrap().message, uws::SHUT_DOWN);
    assert_eq!(
        e.svc.get(&queued, None).await.unwrap().phase,
        Phase::Queued,
        "queued jobs wait for the next start"
    );
    assert!(matches!(
        e.svc.create(None, vec![], vec![], false).await,
        Err(uws::UwsError::Unavailable(_))
    ));
    let svc2 = UwsService::start(
        common::cfg(e.dir.path()),
        common::store(e.dir.path()).await,
        std::sync::Arc::new(uws::demo::DemoRunner::default()),
    )
    .await
    .unwrap();
    let j = svc2
        .wait_for_end(&queued, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(j.phase, Phase::Completed);
}

#[actix_web::test]
async fn owners_take_turns_in_the_queue() {
    let e = common::env_with(|c| {
        c.slots = 1;
        c.max_active_per_owner = 0;
    })
    .await;
    let blocker = e
        .svc
        .create(None, vec![uws::Param::new("SLEEP_MS", "300")], vec![], true)
        .await
        .unwrap();
    let mut greedy = Vec::new();
    for _ in 0..4 {
        greedy.push(
            e.svc
                .create(Some("greedy"), vec![], vec![], true)
                .await
                .unwrap(),
        );
    }
    let polite = e
        .svc
        .create(Some("polite"), vec![], vec![], true)
        .await
        .unwrap();
    let end = |id: String| {
        let svc = e.svc.clone();
        async move {
            svc.wait_for_end(&id, Duration::from_secs(20))
                .await
                .unwrap()
                .end
                .unwrap()
        }
    };
    end(blocker).await;
    let polite_end = end(polite).await;
    let mut later = 0;
    for g in greedy {
        if end(g).await > polite_end {
            later += 1;
        }
    }
    assert!(
        later >= 2,
        "the polite user's job ran before most of the greedy user's ({later} of 4 after it)"
    );
}

#[actix_web::test]
async fn ten_thousand_jobs_list_with_last() {
    let e = common::env_with(|c| c.max_active_per_owner = 0).await;
    let app = app!(e.svc);
    let t = Instant::now();
    let mut newest = String::new();
    for _ in 0..10_000 {
        newest = e
            .svc
            .create(Some("carol"), vec![], vec![], false)
            .await
            .unwrap();
    }
    let created = t.elapsed();
    let t = Instant::now();
    let l = body(call!(app, get("/async?LAST=5", Some("carol")))).await;
    let listed = t.elapsed();
    assert_eq!(l.matches("<uws:jobref").count(), 5);
    assert!(l.find(&newest).is_some(), "LAST lists the newest jobs");
    let t = Instant::now();
    let doc = body(call!(app, get(&format!("/async/{newest}"), Some("carol")))).await;
    let page = t.elapsed();
    assert_eq!(phase_of(&doc), "PENDING");
    let t = Instant::now();
    let all = body(call!(app, get("/async", Some("carol")))).await;
    let full = t.elapsed();
    assert_eq!(all.matches("<uws:jobref").count(), 10_000);
    println!(
        "10,000 jobs created in {created:?} ({:.0}/s); LAST=5 in {listed:?}; a job page in {page:?}; the full list in {full:?}",
        10_000.0 / created.as_secs_f64()
    );
}
