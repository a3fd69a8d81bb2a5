//! `/sync` (TAP 1.1 §2.1): the result streams straight into the HTTP response, row by row, with backpressure:
//! a slow client slows the query down instead of filling memory, and a client that goes away stops it.

use crate::error::TapError;
use crate::query::{Drain, ReaderGone, execute, prepare};
use crate::request::TapRequest;
use crate::service::TapState;
use crate::upload;
use actix_web::HttpMessage as _;
use actix_web::{HttpRequest, HttpResponse, web};
use almagest_common::params::read_params;
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Size of the chunks handed to the HTTP layer.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the query task and the socket: with [`CHUNK`], the memory bound of a download.
const IN_FLIGHT: usize = 8;

/// What the query task tells the response.
enum Msg {
    Data(Bytes),
    /// Failed before a single byte was produced: the answer is an error document with an error status.
    Failed(TapError),
}

/// An `io::Write` the format writers write into; the [`ChannelDrain`] empties it between rows.
#[derive(Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.lock() {
            Ok(mut b) => {
                b.extend_from_slice(buf);
                Ok(buf.len())
            }
            Err(_) => Err(std::io::Error::other("result buffer poisoned")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuffer {
    fn take_if(&self, min: usize) -> Option<Bytes> {
        let mut b = self.0.lock().ok()?;
        if b.len() >= min && !b.is_empty() {
            Some(Bytes::from(std::mem::take(&mut *b)))
        } else {
            None
        }
    }
}

struct ChannelDrain {
    buf: SharedBuffer,
    tx: mpsc::Sender<Msg>,
}

impl Drain for ChannelDrain {
    fn drain(
        &mut self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ReaderGone>> + Send + '_>>
    {
        Box::pin(async move {
            if let Some(chunk) = self.buf.take_if(CHUNK) {
                self.tx
                    .send(Msg::Data(chunk))
                    .await
                    .map_err(|_| ReaderGone)?;
            }
            Ok(())
        })
    }
}

/// GET or POST `/sync`.
pub async fn sync(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<TapState>,
) -> Result<HttpResponse, TapError> {
    let params = read_params(
        &req,
        payload.into_inner(),
        state.body_limits(),
        &state.spool_dir,
    )
    .await?;
    let treq = TapRequest::from_params(&params)?;
    let snapshot = state.snapshot().await;
    let caller = req
        .extensions()
        .get::<accounts::Principal>()
        .map(|p| p.name.clone());
    let mut uploads = upload::load(
        &state.rw,
        &treq.uploads,
        &params,
        state.config.limits.upload_max_rows,
        state.remote(caller.as_deref()),
    )
    .await?;
    let prepared = {
        let catalog = upload::WithUploads::new(&*snapshot, &uploads);
        match prepare(&treq, &catalog, state.dialect(), state.query_limits()) {
            Ok(p) => p,
            Err(e) => {
                uploads.drop_all(&state.rw).await;
                return Err(e);
            }
        }
    };
    let content_type = match &treq.format {
        // DALI 1.1 §3.4.3: asked with a MIME type, answered with that type.
        Some(f) if f.contains('/') => f.clone(),
        _ => prepared.format.content_type().to_string(),
    };
    let meta = state.result_meta(&treq);
    tracing::info!(runid = treq.runid.as_deref().unwrap_or(""), query = %treq.query, "sync query");

    let (tx, mut rx) = mpsc::channel::<Msg>(IN_FLIGHT);
    let buf = SharedBuffer::default();
    let state2 = state.clone();
    let timeout = state.sync_timeout();
    tokio::spawn(async move {
        let mut writer = formats::writer_for(prepared.format, buf.clone());
        let mut drain = ChannelDrain {
            buf: buf.clone(),
            tx: tx.clone(),
        };
        // Bytes already handed to the response stay there; the writer buffer keeps only what is not yet sent.
        let result = execute(
            &state2.db,
            &prepared,
            &meta,
            writer.as_mut(),
            &mut drain,
            timeout,
        )
        .await;
        drop(writer);
        let rest = buf.take_if(0);
        match (result, rest) {
            // Nothing written yet: the error never reached the document, so it becomes the answer.
            (Err(e), None) => {
                let _ = tx.send(Msg::Failed(e)).await;
            }
            (result, rest) => {
                if let Some(chunk) = rest {
                    let _ = tx.send(Msg::Data(chunk)).await;
                }
                if let Err(e) = result {
                    tracing::warn!(error = %e, "sync query ended with an error after streaming started");
                }
            }
        }
    });

    match rx.recv().await {
        Some(Msg::Failed(e)) => Err(e),
        None => Err(TapError::Internal(
            "the query task ended without an answer".into(),
        )),
        Some(Msg::Data(first)) => Ok(HttpResponse::Ok()
            .content_type(content_type)
            .streaming(body_stream(first, rx))),
    }
}

/// The response body: the first chunk, then whatever the query task sends.
fn body_stream(
    first: Bytes,
    rx: mpsc::Receiver<Msg>,
) -> impl futures_util::Stream<Item = Result<Bytes, actix_web::Error>> {
    futures_util::stream::unfold((Some(first), rx), |(first, mut rx)| async move {
        if let Some(f) = first {
            return Some((Ok(f), (None, rx)));
        }
        match rx.recv().await {
            Some(Msg::Data(b)) => Some((Ok(b), (None, rx))),
            Some(Msg::Failed(_)) | None => None,
        }
    })
}

impl upload::InlineFiles for almagest_common::params::Params {
    fn path(&self, name: &str) -> Option<std::path::PathBuf> {
        self.file(name).map(|f| f.path.clone())
    }
}
