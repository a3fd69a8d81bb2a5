//! Transfers (VOSpace 2.1 §3.6, §6.4) as UWS jobs of the `uws` engine: the [`TransferRunner`] negotiates
//! pushToVoSpace/pullFromVoSpace (issuing pre-authorised endpoints and writing the `transferDetails` result),
//! moves and copies nodes, fetches pullToVoSpace sources over http(s), and runs the CADC recursive delete.
//!
//! A transfer's fields are kept as job parameters named like the synctrans parameter form (TARGET, DIRECTION,
//! VIEW, PROTOCOL, SECURITYMETHOD, KEEPBYTES), so the job document shows what was asked.

use crate::error::Fault;
use crate::model::{NodeKind, protocols as proto, views};
use crate::path::{Identifiers, NodePath};
use crate::service::Vospace;
use crate::xml::read::{ProtocolDoc, TransferDoc};
use crate::xml::write::{ProtocolOut, TransferOut, transfer_document};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use uws::{Job, JobFailure, JobRunner, NewResult, Param, RunContext, RunOutcome};

/// Parameter naming the operation of a job that is not a transfer (the CADC recursive delete).
pub const OPERATION: &str = "OPERATION";

/// A transfer request in the job's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    /// Target node URI.
    pub target: String,
    /// Direction keyword or destination URI.
    pub direction: String,
    /// View.
    pub view: Option<String>,
    /// Protocols (uri, endpoint, security method).
    pub protocols: Vec<ProtocolDoc>,
    /// keepBytes.
    pub keep_bytes: Option<bool>,
}

impl From<TransferDoc> for TransferRequest {
    fn from(t: TransferDoc) -> Self {
        TransferRequest {
            target: t.target,
            direction: t.direction,
            view: t.view,
            protocols: t.protocols,
            keep_bytes: t.keep_bytes,
        }
    }
}

impl TransferRequest {
    /// As job parameters. A protocol is `uri` or `uri endpoint`, its security methods follow as SECURITYMETHOD
    /// parameters tagged with the protocol's position.
    pub fn to_params(&self) -> Vec<Param> {
        let mut p = vec![
            Param::new("TARGET", &self.target),
            Param::new("DIRECTION", &self.direction),
        ];
        if let Some(v) = &self.view {
            p.push(Param::new("VIEW", v));
        }
        for (i, pr) in self.protocols.iter().enumerate() {
            match &pr.endpoint {
                Some(e) => p.push(Param::new("PROTOCOL", format!("{} {e}", pr.uri))),
                None => p.push(Param::new("PROTOCOL", &pr.uri)),
            }
            for s in &pr.security_methods {
                p.push(Param::new("SECURITYMETHOD", format!("{i} {s}")));
            }
        }
        if let Some(k) = self.keep_bytes {
            p.push(Param::new("KEEPBYTES", k.to_string()));
        }
        p
    }

    /// From job parameters (names case-insensitive).
    pub fn from_params(params: &[Param]) -> Result<TransferRequest, Fault> {
        let get = |n: &str| {
            params
                .iter()
                .rev()
                .find(|p| p.name.eq_ignore_ascii_case(n))
                .map(|p| p.value.clone())
        };
        let target = get("TARGET")
            .ok_or_else(|| Fault::InvalidArgument("the transfer has no TARGET".into()))?;
        let direction = get("DIRECTION")
            .ok_or_else(|| Fault::InvalidArgument("the transfer has no DIRECTION".into()))?;
        let mut protocols: Vec<ProtocolDoc> = params
            .iter()
            .filter(|p| p.name.eq_ignore_ascii_case("PROTOCOL"))
            .map(|p| {
                let (uri, endpoint) = match p.value.trim().split_once(' ') {
                    Some((u, e)) => (u.to_string(), Some(e.trim().to_string())),
                    None => (p.value.trim().to_string(), None),
                };
                ProtocolDoc {
                    uri,
                    endpoint,
                    security_methods: vec![],
                }
            })
            .collect();
        for p in params
            .iter()
            .filter(|p| p.name.eq_ignore_ascii_case("SECURITYMETHOD"))
        {
            match p.value.trim().split_once(' ') {
                Some((i, s)) if i.parse::<usize>().is_ok() => {
                    if let Some(pr) = i.parse::<usize>().ok().and_then(|i| protocols.get_mut(i)) {
                        pr.security_methods.push(s.trim().to_string());
                    }
                }
                // the parameter form: one SECURITYMETHOD for the one PROTOCOL
                _ => {
                    for pr in protocols.iter_mut() {
                        pr.security_methods.push(p.value.trim().to_string());
                    }
                }
            }
        }
        let keep_bytes = match get("KEEPBYTES") {
            None => None,
            Some(v) => Some(match v.trim() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => {
                    return Err(Fault::InvalidArgument(format!(
                        "KEEPBYTES must be true or false, not '{other}'"
                    )));
                }
            }),
        };
        Ok(TransferRequest {
            target,
            direction,
            view: get("VIEW"),
            protocols,
            keep_bytes,
        })
    }
}

/// Runs VOSpace transfer jobs.
#[derive(Debug, Clone)]
pub struct TransferRunner {
    /// The service.
    pub svc: Arc<Vospace>,
}

fn failure(f: Fault) -> JobFailure {
    let mut j = JobFailure::fatal(f.to_string());
    j.detail = Some((format!("{f}\n").into_bytes(), "text/plain".to_string()));
    j
}

impl JobRunner for TransferRunner {
    fn run(&self, job: Job, ctx: RunContext) -> Pin<Box<dyn Future<Output = RunOutcome> + Send>> {
        let svc = self.svc.clone();
        Box::pin(async move { run(&svc, &job, &ctx).await.map_err(failure) })
    }
}

async fn run(svc: &Vospace, job: &Job, ctx: &RunContext) -> Result<Vec<NewResult>, Fault> {
    let principal = job
        .owner
        .as_ref()
        .map(|n| accounts::Principal { name: n.clone() });
    let caller = svc.caller(principal.as_ref()).await?;
    if job
        .param(OPERATION)
        .is_some_and(|o| o.eq_ignore_ascii_case("recursive-delete"))
    {
        let target = job
            .param("TARGET")
            .ok_or_else(|| Fault::InvalidArgument("no target to delete".into()))?;
        let path = svc.ids.path_of(target)?;
        let count = 1 + svc
            .store
            .descendants(&path)
            .await
            .map(|d| d.len())
            .unwrap_or(0);
        svc.delete_node(&caller, &path).await?;
        ctx.add_result_ref(
            "successcount",
            &format!("final:{count}"),
            Some("text/plain"),
        );
        return Ok(vec![]);
    }
    let req = TransferRequest::from_params(&job.params)?;
    let target = svc.ids.path_of(&req.target)?;
    match req.direction.as_str() {
        "pushToVoSpace" | "pullFromVoSpace" => {
            let (target, details) = negotiate(svc, &caller, job, &req, &target).await?;
            write_details(ctx, &details).await?;
            if target != svc.ids.path_of(&req.target)? {
                ctx.add_result_ref("target", &svc.ids.uri(&target), None);
            }
            ctx.add_result_ref("dataNode", &svc.ids.uri(&target), None);
            Ok(vec![])
        }
        "pullToVoSpace" => {
            let n = crate::fetch::pull_to_vospace(svc, &caller, &target, &req, ctx).await?;
            ctx.add_result_ref("dataNode", &svc.ids.uri(&n), None);
            Ok(vec![])
        }
        "pushFromVoSpace" => Err(Fault::OperationNotSupported(
            "pushFromVoSpace is not offered by this service: use pullFromVoSpace".into(),
        )),
        dest if Identifiers::is_vos(dest) => {
            let dest_path = svc.ids.path_of(dest)?;
            let keep = req.keep_bytes.unwrap_or(false);
            let end = svc.move_or_copy(&caller, &target, &dest_path, keep).await?;
            if dest_path.name() == ".auto" {
                ctx.add_result_ref("destination", &svc.ids.uri(&end), None);
            }
            Ok(vec![])
        }
        other => Err(Fault::InvalidArgument(format!(
            "direction '{other}' is neither pushToVoSpace, pullToVoSpace, pushFromVoSpace, pullFromVoSpace nor a vos:// URI"
        ))),
    }
}

async fn write_details(ctx: &RunContext, details: &TransferOut) -> Result<(), Fault> {
    let mut w = ctx
        .create_result("transferDetails", "text/xml")
        .await
        .map_err(|e| Fault::Internal(e.to_string()))?;
    w.write(transfer_document(details).into_bytes())
        .await
        .map_err(|e| Fault::Internal(e.to_string()))?;
    w.close()
        .await
        .map_err(|e| Fault::Internal(e.to_string()))?;
    Ok(())
}

/// Client-initiated transfers (§3.6.4): checks the caller may do it, issues a ticket and answers the requested
/// protocols this service supports with its endpoint. Both the http and https protocol URIs are answered with the
/// service's own URL (whose scheme is what the deployment has: `vos` asks only for `#httpsput`).
pub async fn negotiate(
    svc: &Vospace,
    caller: &crate::perm::Caller,
    _job: &Job,
    req: &TransferRequest,
    target: &NodePath,
) -> Result<(NodePath, TransferOut), Fault> {
    let push = req.direction == "pushToVoSpace";
    if let Some(v) = &req.view {
        let ok = if push {
            [views::ANY, views::BINARY, views::DEFAULT].contains(&v.as_str())
        } else {
            [views::BINARY, views::DEFAULT, views::ANY].contains(&v.as_str())
        };
        if !ok && v != "data" {
            return Err(Fault::ViewNotSupported(v.clone()));
        }
    }
    let target = if target.name() == ".auto" {
        target.parent().child(&crate::store::new_id())?
    } else {
        target.clone()
    };
    let wanted: &[&str] = if push {
        &[proto::HTTPPUT, proto::HTTPSPUT]
    } else {
        &[proto::HTTPGET, proto::HTTPSGET]
    };
    let offered: Vec<&ProtocolDoc> = req
        .protocols
        .iter()
        .filter(|p| wanted.contains(&p.uri.as_str()))
        .collect();
    if offered.is_empty() {
        return Err(Fault::ProtocolNotSupported(format!(
            "none of the requested protocols ({}) is supported for {}: use {}",
            req.protocols
                .iter()
                .map(|p| p.uri.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            req.direction,
            wanted.join(" or ")
        )));
    }
    if push {
        // checks (creating nothing yet: the node appears when bytes arrive)
        check_push(svc, caller, &target).await?;
    } else {
        let n = svc.readable_data(caller, &target).await?;
        if n.busy {
            return Err(Fault::NodeBusy(svc.ids.uri(&target)));
        }
    }
    let ticket = svc
        .store
        .issue_ticket(
            &target,
            &req.direction,
            caller.name.as_deref(),
            svc.cfg.ticket_lifetime,
        )
        .await?;
    let endpoint = format!("{}/bytes/{}", svc.cfg.base_url, ticket.id);
    let mut protocols = vec![];
    for p in offered {
        if p.security_methods.is_empty() {
            protocols.push(ProtocolOut {
                uri: p.uri.clone(),
                endpoint: Some(endpoint.clone()),
                security_method: None,
            });
        }
        for s in &p.security_methods {
            protocols.push(ProtocolOut {
                uri: p.uri.clone(),
                endpoint: Some(endpoint.clone()),
                security_method: Some(s.clone()),
            });
        }
    }
    Ok((
        target.clone(),
        TransferOut {
            target: svc.ids.uri(&target),
            direction: req.direction.clone(),
            view: req.view.clone(),
            protocols,
            keep_bytes: None,
            params: vec![],
        },
    ))
}

async fn check_push(
    svc: &Vospace,
    caller: &crate::perm::Caller,
    target: &NodePath,
) -> Result<(), Fault> {
    let node = svc.store.get(target).await?;
    match node {
        Some(n) if !n.kind.holds_data() => Err(Fault::InvalidArgument(format!(
            "{} is a {}: only data nodes hold bytes",
            svc.ids.uri(target),
            n.kind.type_name()
        ))),
        Some(n) => {
            if n.busy {
                return Err(Fault::NodeBusy(svc.ids.uri(target)));
            }
            if !caller.can_write(&n) {
                return Err(Fault::PermissionDenied(format!(
                    "you may not write {}",
                    svc.ids.uri(target)
                )));
            }
            Ok(())
        }
        None => {
            let parent_path = target.parent();
            let parent = svc.resolve(&parent_path).await.map_err(|e| match e {
                Fault::NodeNotFound(u) => Fault::ContainerNotFound(u),
                other => other,
            })?;
            if parent.kind != NodeKind::Container {
                return Err(Fault::ContainerNotFound(format!(
                    "{} is not a container",
                    svc.ids.uri(&parent_path)
                )));
            }
            if target.segments().len() < 2 || !caller.can_write(&parent) {
                return Err(if caller.name.is_none() {
                    Fault::NotAuthenticated(format!(
                        "anonymous callers cannot write into {}",
                        svc.ids.uri(&parent_path)
                    ))
                } else {
                    Fault::PermissionDenied(format!(
                        "you may not write into {}",
                        svc.ids.uri(&parent_path)
                    ))
                });
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_round_trip() {
        let req = TransferRequest {
            target: "vos://a!b/x".into(),
            direction: "pushToVoSpace".into(),
            view: None,
            protocols: vec![
                ProtocolDoc {
                    uri: proto::HTTPSPUT.into(),
                    endpoint: None,
                    security_methods: vec!["ivo://ivoa.net/sso#BasicAA".into()],
                },
                ProtocolDoc {
                    uri: proto::HTTPPUT.into(),
                    endpoint: Some("http://h/p q".into()),
                    security_methods: vec![],
                },
            ],
            keep_bytes: Some(true),
        };
        assert_eq!(TransferRequest::from_params(&req.to_params()).unwrap(), req);
    }
}
