//! Shared set-up of the end-to-end tests: a job list over a SQLite file and a local byte store, served by actix
//! with the demo runner; the `X-Test-User` header stands for an authenticated user.
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::test;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use uws::demo::DemoRunner;
use uws::{Store, UwsConfig, UwsService};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub svc: Arc<UwsService>,
    pub runner: DemoRunner,
}

pub fn cfg(dir: &Path) -> UwsConfig {
    UwsConfig {
        list: "test".into(),
        base_url: "http://localhost/async".into(),
        slots: 2,
        default_execution_duration: 60,
        max_execution_duration: 600,
        retention: Duration::from_secs(3600),
        max_active_per_owner: 3,
        max_wait: Duration::from_secs(20),
        dir: dir.join("jobs"),
    }
}

pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("state.sqlite")
}

pub async fn store(dir: &Path) -> Store {
    let url = format!("sqlite://{}", db_path(dir).display());
    let db = almagest_db::Database::open(&url, &almagest_db::DbOptions::default())
        .await
        .unwrap();
    Store::open(db.rw().clone()).await.unwrap()
}

pub async fn env() -> Env {
    env_with(|_| {}).await
}

pub async fn env_with(tune: impl FnOnce(&mut UwsConfig)) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let mut config = cfg(dir.path());
    tune(&mut config);
    let runner = DemoRunner::default();
    let svc = UwsService::start(config, store(dir.path()).await, Arc::new(runner.clone()))
        .await
        .unwrap();
    Env { dir, svc, runner }
}

/// The app: the job list at /async.
#[macro_export]
macro_rules! app {
    ($svc:expr) => {{
        let svc = $svc.clone();
        actix_web::test::init_service(
            actix_web::App::new()
                .wrap_fn(|req, srv| {
                    use actix_web::HttpMessage as _;
                    if let Some(u) = req
                        .headers()
                        .get("x-test-user")
                        .and_then(|v| v.to_str().ok())
                    {
                        req.extensions_mut().insert(accounts::Principal {
                            name: u.to_string(),
                        });
                    }
                    actix_web::dev::Service::call(srv, req)
                })
                .service(actix_web::web::scope("/async").configure(move |c| svc.configure(c))),
        )
        .await
    }};
}

/// Sends a request and returns the response.
#[macro_export]
macro_rules! call {
    ($app:expr, $req:expr) => {
        actix_web::test::call_service(&$app, $req.to_request()).await
    };
}

/// Creates a job with these parameters and returns its id.
#[macro_export]
macro_rules! create {
    ($app:expr, $user:expr, $form:expr) => {{
        let resp = call!($app, common::post("/async", $user, $form));
        common::job_id(&common::location(&resp))
    }};
}

/// GETs the job with WAIT until it is in a final phase (a few rounds at most); returns the job document.
#[macro_export]
macro_rules! wait_end {
    ($app:expr, $id:expr, $user:expr) => {{
        let mut doc = String::new();
        for _ in 0..10 {
            doc = common::body(call!(
                $app,
                common::get(&format!("/async/{}?WAIT=10", $id), $user)
            ))
            .await;
            if ["COMPLETED", "ERROR", "ABORTED"]
                .iter()
                .any(|p| common::phase_of(&doc) == *p)
            {
                break;
            }
        }
        doc
    }};
}

pub async fn body(resp: ServiceResponse) -> String {
    String::from_utf8(test::read_body(resp).await.to_vec()).unwrap()
}

pub fn location(resp: &ServiceResponse) -> String {
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "expected 303");
    resp.headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

pub fn job_id(location: &str) -> String {
    location.rsplit('/').next().unwrap().to_string()
}

pub fn get(uri: &str, user: Option<&str>) -> test::TestRequest {
    let mut r = test::TestRequest::get().uri(uri);
    if let Some(u) = user {
        r = r.insert_header(("x-test-user", u.to_string()));
    }
    r
}

pub fn post(uri: &str, user: Option<&str>, form: &[(&str, &str)]) -> test::TestRequest {
    let mut r = test::TestRequest::post().uri(uri).set_form(form);
    if let Some(u) = user {
        r = r.insert_header(("x-test-user", u.to_string()));
    }
    r
}

pub fn delete(uri: &str, user: Option<&str>) -> test::TestRequest {
    let mut r = test::TestRequest::delete().uri(uri);
    if let Some(u) = user {
        r = r.insert_header(("x-test-user", u.to_string()));
    }
    r
}

pub fn phase_of(doc: &str) -> &str {
    doc.split("<uws:phase>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or("")
}
