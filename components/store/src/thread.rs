/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! The storage thread: the one owner of a [`Store`], answering
//! [`CosRequest`]s in the order they arrive.
//!
//! Only index work runs on it. Each write in progress has a thread of its
//! own that appends, hashes and fsyncs; it comes back to the storage thread
//! only to publish. Reads are authorized here and served by reader threads,
//! which check every piece they serve against its digest. So a page hashing a 4 GiB model never
//! delays another page's lookup by more than one index transaction.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cos_traits::{
    CosAdminRequest, CosError, CosRequest, CosResponse, Origin, RequestedOrigins, WriteId,
};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};

use crate::chunks::ChunkDigests;
use crate::get::{ReadOutcome, ReadTicket};
use crate::put::{CopiedFile, FileCopy, VerifiedWrite, WriteSession};
use crate::{OpenError, Store, StoreConfig};

pub type Reply = Box<dyn FnOnce(Result<CosResponse, CosError>) + Send>;

/// How many threads serve reads concurrently.
const READERS: usize = 2;

/// Every lookup is answered this long after it arrived, never sooner.
///
/// A lookup does the same index work whatever its answer (see `get.rs`),
/// but the work still varies a little with what the disk cache holds, and a
/// page can repeat a lookup as often as it likes to average the noise away.
/// Answering at a fixed time after arrival, well above what the work takes,
/// leaves a page nothing to measure but the timer's own jitter, which is the
/// same for every answer. It costs every lookup this much latency, far
/// below a network fetch of the file.
pub const LOOKUP_ANSWER_TIME: Duration = Duration::from_millis(2);

enum Msg {
    Request(CosRequest, Reply),
    Admin(CosAdminRequest, Reply),
    /// A copy thread copied in and hashed a file the person added (or
    /// failed); publish and answer.
    Copied {
        result: Result<CopiedFile, CosError>,
        reply: Reply,
    },
    /// A write thread verified its bytes (or failed); publish and answer.
    Finished {
        id: WriteId,
        result: Result<VerifiedWrite, CosError>,
        reply: Reply,
    },
    /// A write thread gave up its session after a failed request.
    Discarded(WriteId),
    /// A reader thread hashed an entry in full (`Some`: its piece
    /// digests) or found a piece that no longer matches (`None`).
    Verified {
        ticket: ReadTicket,
        chunks: Option<ChunkDigests>,
    },
    Exit(Sender<()>),
}

/// The sending end, in the browser's trusted process: cheap to clone.
///
/// It takes any request, a page's ([`CosRequest`]) or the browser's own
/// ([`CosAdminRequest`]), and believes the origins they name. A content
/// process never gets one: it talks through a
/// [`ContentSender`](crate::access::ContentSender), which checks what it
/// claims and cannot carry an administrative request at all.
#[derive(Clone)]
pub struct StoreSender {
    tx: Sender<Msg>,
}

fn exited(msg: Msg) {
    if let Msg::Request(_, reply) | Msg::Admin(_, reply) = msg {
        reply(Err(CosError::Storage(
            "the storage thread has exited".into(),
        )));
    }
}

impl StoreSender {
    /// Sends `request`; `reply` runs (on another thread) with the answer.
    pub fn send(
        &self,
        request: CosRequest,
        reply: impl FnOnce(Result<CosResponse, CosError>) + Send + 'static,
    ) {
        if let Err(e) = self.tx.send(Msg::Request(request, Box::new(reply))) {
            exited(e.into_inner());
        }
    }

    /// Sends the browser's own `request` (consent answers, the management
    /// view's actions); `reply` runs with the answer.
    pub fn send_admin(
        &self,
        request: CosAdminRequest,
        reply: impl FnOnce(Result<CosResponse, CosError>) + Send + 'static,
    ) {
        if let Err(e) = self.tx.send(Msg::Admin(request, Box::new(reply))) {
            exited(e.into_inner());
        }
    }

    /// Sends `request` and waits for its answer.
    pub fn call(&self, request: CosRequest) -> Result<CosResponse, CosError> {
        wait(|reply| self.send(request, reply))
    }

    /// Sends the browser's own `request` and waits for its answer.
    pub fn call_admin(&self, request: CosAdminRequest) -> Result<CosResponse, CosError> {
        wait(|reply| self.send_admin(request, reply))
    }
}

/// Sends through `send` and waits for the one answer.
pub(crate) fn wait(send: impl FnOnce(Reply)) -> Result<CosResponse, CosError> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    send(Box::new(move |result| {
        let _ = tx.send(result);
    }));
    rx.recv()
        .unwrap_or_else(|_| Err(CosError::Storage("the storage thread has exited".into())))
}

/// A running storage thread. Dropping it stops the thread (writes in
/// progress are discarded, as if their pages had closed).
pub struct StoreThread {
    sender: StoreSender,
    join: Option<JoinHandle<()>>,
}

impl StoreThread {
    /// Opens the store on a new thread named "CrossOriginStorage".
    pub fn start(config: StoreConfig) -> Result<StoreThread, OpenError> {
        let (tx, rx) = unbounded();
        let (opened_tx, opened_rx) = crossbeam_channel::bounded(1);
        let loopback = tx.clone();
        let join = std::thread::Builder::new()
            .name("CrossOriginStorage".into())
            .spawn(move || match Store::open(config) {
                Ok(store) => {
                    let _ = opened_tx.send(Ok(()));
                    Registry::new(store, loopback).run(rx);
                },
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                },
            })
            .expect("spawning the storage thread");
        opened_rx
            .recv()
            .expect("the storage thread reports whether it opened")?;
        Ok(StoreThread {
            sender: StoreSender { tx },
            join: Some(join),
        })
    }

    pub fn sender(&self) -> StoreSender {
        self.sender.clone()
    }
}

impl Drop for StoreThread {
    fn drop(&mut self) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        if self.sender.tx.send(Msg::Exit(tx)).is_ok() {
            let _ = rx.recv();
        }
        if let Some(join) = self.join.take() {
            let _ = join.join();
        }
    }
}

/// A write in progress, as the storage thread sees it.
struct Writer {
    /// `None` once `Finish` was sent: the stream takes no more requests.
    tx: Option<Sender<WriterMsg>>,
    origin: Origin,
    requested: RequestedOrigins,
}

enum WriterMsg {
    Write(Option<u64>, Vec<u8>, Reply),
    Seek(u64, Reply),
    Truncate(u64, Reply),
    Finish(Reply),
}

struct ReadJob {
    ticket: ReadTicket,
    offset: u64,
    len: u32,
    reply: Reply,
}

struct Registry {
    store: Store,
    /// For threads to send results back into the queue.
    loopback: Sender<Msg>,
    writers: HashMap<WriteId, Writer>,
    reads: Sender<ReadJob>,
    /// Lookup answers waiting for their time (see [`LOOKUP_ANSWER_TIME`]).
    answers: Sender<DueAnswer>,
    /// Set when the thread exits: files being copied in stop early.
    stopping: Arc<AtomicBool>,
}

impl Registry {
    fn new(store: Store, loopback: Sender<Msg>) -> Registry {
        let (reads, jobs) = unbounded::<ReadJob>();
        for i in 0..READERS {
            let jobs = jobs.clone();
            let loopback = loopback.clone();
            std::thread::Builder::new()
                .name(format!("CrossOriginStorageReader#{i}"))
                .spawn(move || serve_reads(jobs, loopback))
                .expect("spawning a reader thread");
        }
        let (answers, due) = unbounded::<DueAnswer>();
        std::thread::Builder::new()
            .name("CrossOriginStorageAnswers".into())
            .spawn(move || answer_when_due(due))
            .expect("spawning the lookup answer thread");
        Registry {
            store,
            loopback,
            writers: HashMap::new(),
            reads,
            answers,
            stopping: Arc::new(AtomicBool::new(false)),
        }
    }

    fn run(mut self, rx: Receiver<Msg>) {
        while let Ok(msg) = rx.recv() {
            match msg {
                Msg::Request(request, reply) => self.handle(request, reply),
                Msg::Admin(request, reply) => self.handle_admin(request, reply),
                Msg::Copied { result, reply } => {
                    let result = result.and_then(|copy| self.store.publish_added(copy));
                    reply(result.map(|added| CosResponse::Added {
                        hash: added.hash,
                        size: added.size,
                        already_present: added.already_present,
                    }));
                },
                Msg::Finished { id, result, reply } => {
                    let Some(writer) = self.writers.remove(&id) else {
                        // Aborted while verifying: the verified file is
                        // dropped unpublished.
                        reply(Err(CosError::InvalidState("the stream was aborted".into())));
                        continue;
                    };
                    let result = result.and_then(|write| {
                        self.store.publish(write, &writer.origin, &writer.requested)
                    });
                    reply(result.map(|published| CosResponse::Stored {
                        origins_dropped: published.origins_dropped as u32,
                    }));
                },
                Msg::Discarded(id) => {
                    self.writers.remove(&id);
                },
                Msg::Verified { ticket, chunks } => {
                    if let Err(e) = self.store.verified(&ticket, chunks.as_ref()) {
                        log::debug!("verification of {} failed: {e}", ticket.hash);
                    }
                },
                Msg::Exit(done) => {
                    // Dropping the writers' senders ends their threads, which
                    // discard their temporary files.
                    self.writers.clear();
                    self.stopping.store(true, Ordering::Relaxed);
                    let _ = done.send(());
                    return;
                },
            }
        }
    }

    fn handle(&mut self, request: CosRequest, reply: Reply) {
        let store = &mut self.store;
        match request {
            CosRequest::Lookup {
                hash,
                origin,
                top_site,
            } => {
                let due = Instant::now() + LOOKUP_ANSWER_TIME;
                let result = store
                    .lookup(&hash, &origin, &top_site)
                    .map(CosResponse::Lookup);
                let _ = self.answers.send(DueAnswer {
                    due: Reverse(due),
                    answer: Some((result, reply)),
                });
            },
            CosRequest::Open { hash, origin } => reply(
                store
                    .authorize_read(&hash, &origin)
                    .map(|ticket| CosResponse::Opened { size: ticket.size }),
            ),
            CosRequest::Read {
                hash,
                origin,
                offset,
                len,
            } => match store.authorize_read(&hash, &origin) {
                Ok(ticket) => {
                    let _ = self.reads.send(ReadJob {
                        ticket,
                        offset,
                        len,
                        reply,
                    });
                },
                Err(e) => reply(Err(e)),
            },
            CosRequest::BeginWrite {
                hash,
                origin,
                requested,
            } => reply(self.begin_write(hash, origin, requested)),
            CosRequest::Write {
                id,
                position,
                bytes,
            } => self.forward(id, WriterMsg::Write(position, bytes, reply)),
            CosRequest::Seek { id, position } => self.forward(id, WriterMsg::Seek(position, reply)),
            CosRequest::Truncate { id, size } => self.forward(id, WriterMsg::Truncate(size, reply)),
            CosRequest::Finish { id } => self.forward(id, WriterMsg::Finish(reply)),
            CosRequest::Abort { id } => {
                // Dropping the sender ends the write thread, which removes
                // its temporary file.
                self.writers.remove(&id);
                reply(Ok(CosResponse::Done));
            },
            CosRequest::ReplenishProbeBudget { origin, top_site } => reply(
                store
                    .replenish_probe_budget(&origin, &top_site)
                    .map(|()| CosResponse::Done),
            ),
        }
    }

    fn handle_admin(&mut self, request: CosAdminRequest, reply: Reply) {
        let store = &mut self.store;
        let done = |r: Result<(), CosError>| r.map(|()| CosResponse::Done);
        match request {
            CosAdminRequest::RecordConsent {
                requesting_site,
                hash,
                decision,
            } => reply(done(store.record_consent(
                &requesting_site,
                hash.as_ref(),
                decision,
            ))),
            CosAdminRequest::ResetConsent => reply(done(store.reset_consent())),
            CosAdminRequest::ForgetConsent { site } => reply(done(store.forget_consent(&site))),
            CosAdminRequest::ListConsent => {
                reply(store.consent_decisions().map(CosResponse::ConsentDecisions))
            },
            CosAdminRequest::SetConsentPolicy(policy) => {
                store.set_consent_policy(policy);
                reply(Ok(CosResponse::Done));
            },
            CosAdminRequest::ClearOrigin { origin } => {
                reply(done(store.clear_origin(&origin).map(drop)))
            },
            CosAdminRequest::ClearSite { site } => reply(done(store.clear_site(&site).map(drop))),
            CosAdminRequest::RemoveEntry { hash } => reply(done(store.remove_entry(&hash))),
            CosAdminRequest::ClearAll => reply(done(store.clear_all())),
            CosAdminRequest::List => reply(store.list().map(CosResponse::Entries)),
            CosAdminRequest::AddFile { path } => self.add_file(path, reply),
        }
    }

    /// Copies the file in on a thread of its own (a multi-GiB file takes
    /// seconds to copy and hash, and lookups must not wait for it); the
    /// storage thread only opens it and, at the end, publishes.
    fn add_file(&mut self, path: PathBuf, reply: Reply) {
        let copy = match self.store.begin_add_file(&path) {
            Ok(copy) => copy,
            Err(e) => return reply(Err(e)),
        };
        let (job_tx, job_rx) = crossbeam_channel::bounded::<(FileCopy, Reply)>(1);
        let loopback = self.loopback.clone();
        let stopping = self.stopping.clone();
        let spawned = std::thread::Builder::new()
            .name("CrossOriginStorageAddFile".into())
            .spawn(move || {
                if let Ok((copy, reply)) = job_rx.recv() {
                    let result = copy.run(&stopping);
                    // If the storage thread has exited, the copy is dropped
                    // (removing its temporary file) and the reply with it.
                    let _ = loopback.send(Msg::Copied { result, reply });
                }
            });
        match spawned {
            Ok(_) => {
                let _ = job_tx.send((copy, reply));
            },
            Err(e) => reply(Err(CosError::Storage(format!(
                "spawning a thread to copy a file: {e}"
            )))),
        }
    }

    fn begin_write(
        &mut self,
        hash: cos_traits::CosHash,
        origin: Origin,
        requested: RequestedOrigins,
    ) -> Result<CosResponse, CosError> {
        let session = self.store.begin_write(hash, &origin)?;
        // Unguessable, so that a stream's id names that stream only.
        let id = loop {
            let id = WriteId(random_u64()?);
            if !self.writers.contains_key(&id) {
                break id;
            }
        };
        let (tx, rx) = unbounded();
        let loopback = self.loopback.clone();
        std::thread::Builder::new()
            .name(format!("CrossOriginStorageWriter#{}", id.0))
            .spawn(move || run_writer(id, session, rx, loopback))
            .map_err(|e| CosError::Storage(format!("spawning a write thread: {e}")))?;
        self.writers.insert(
            id,
            Writer {
                tx: Some(tx),
                origin,
                requested,
            },
        );
        Ok(CosResponse::WriteStarted(id))
    }

    fn forward(&mut self, id: WriteId, msg: WriterMsg) {
        let finishing = matches!(msg, WriterMsg::Finish(_));
        let writer = self
            .writers
            .get_mut(&id)
            .and_then(|w| if finishing { w.tx.take() } else { w.tx.clone() });
        // A write thread that has ended (after `Finish` or a failure) no
        // longer receives: its requests are answered here.
        let unanswered = match writer {
            Some(writer) => writer.send(msg).err().map(|e| e.into_inner()),
            None => Some(msg),
        };
        if let Some(msg) = unanswered {
            answer_closed(msg);
        }
    }
}

fn random_u64() -> Result<u64, CosError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| CosError::Storage(format!("no randomness for a write id: {e}")))?;
    Ok(u64::from_ne_bytes(bytes))
}

/// A lookup's answer and when it may leave. Ordered by time only.
struct DueAnswer {
    due: Reverse<Instant>,
    answer: Option<(Result<CosResponse, CosError>, Reply)>,
}

impl PartialEq for DueAnswer {
    fn eq(&self, other: &Self) -> bool {
        self.due == other.due
    }
}
impl Eq for DueAnswer {}
impl PartialOrd for DueAnswer {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for DueAnswer {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.due.cmp(&other.due)
    }
}

/// Sends each lookup answer at its due time, earliest first. When the
/// storage thread exits, what is left is sent at its time before this ends.
fn answer_when_due(incoming: Receiver<DueAnswer>) {
    let mut waiting: BinaryHeap<DueAnswer> = BinaryHeap::new();
    let mut open = true;
    while open || !waiting.is_empty() {
        let now = Instant::now();
        while waiting.peek().is_some_and(|next| next.due.0 <= now) {
            if let Some((result, reply)) = waiting.pop().and_then(|mut next| next.answer.take()) {
                reply(result);
            }
        }
        let next = waiting.peek().map(|next| next.due.0);
        let received = match next {
            Some(due) => incoming.recv_timeout(due.saturating_duration_since(Instant::now())),
            None if open => incoming.recv().map_err(|_| RecvTimeoutError::Disconnected),
            None => break,
        };
        match received {
            Ok(answer) => waiting.push(answer),
            Err(RecvTimeoutError::Timeout) => {},
            Err(RecvTimeoutError::Disconnected) => {
                open = false;
                if let Some(due) = next {
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                }
            },
        }
    }
}

/// The answer to a request for a stream that is closed (or never was).
fn answer_closed(msg: WriterMsg) {
    let reply = match msg {
        WriterMsg::Write(_, _, r) | WriterMsg::Seek(_, r) | WriterMsg::Truncate(_, r) => r,
        WriterMsg::Finish(r) => r,
    };
    reply(Err(CosError::InvalidState(
        "the stream is closed or was never opened".into(),
    )));
}

fn run_writer(
    id: WriteId,
    mut session: WriteSession,
    rx: Receiver<WriterMsg>,
    loopback: Sender<Msg>,
) {
    while let Ok(msg) = rx.recv() {
        let (result, reply) = match msg {
            WriterMsg::Write(position, bytes, reply) => (session.write(position, &bytes), reply),
            WriterMsg::Seek(position, reply) => (session.seek(position), reply),
            WriterMsg::Truncate(size, reply) => (session.truncate(size), reply),
            WriterMsg::Finish(reply) => {
                let result = session.finish();
                let _ = loopback.send(Msg::Finished { id, result, reply });
                return;
            },
        };
        let failed = result.is_err();
        reply(result.map(|()| CosResponse::Done));
        if failed {
            // A failed write errors its stream for good (the File System
            // Standard calls neither close nor abort after that): discard the
            // session now rather than wait for a page that will not come back.
            // The temporary file goes before the stream reads as closed, so
            // that whoever sees it closed also sees it cleaned up.
            drop(session);
            let _ = loopback.send(Msg::Discarded(id));
            // Requests already on their way get the answer of a closed
            // stream; the channel closes once the registry forgets us.
            while let Ok(msg) = rx.recv() {
                answer_closed(msg);
            }
            return;
        }
    }
}

fn serve_reads(jobs: Receiver<ReadJob>, loopback: Sender<Msg>) {
    while let Ok(mut job) = jobs.recv() {
        if job.ticket.needs_verification() {
            let chunks = match job.ticket.verify() {
                Ok(chunks) => chunks,
                Err(e) => {
                    (job.reply)(Err(e));
                    continue;
                },
            };
            let _ = loopback.send(Msg::Verified {
                ticket: job.ticket.clone(),
                chunks: chunks.clone(),
            });
            match chunks {
                Some(chunks) => job.ticket.chunks = Some(std::sync::Arc::new(chunks)),
                None => {
                    (job.reply)(Err(CosError::NotFound));
                    continue;
                },
            }
        }
        match job.ticket.read(job.offset, job.len) {
            Ok(ReadOutcome::Bytes(bytes)) => (job.reply)(Ok(CosResponse::Bytes(bytes))),
            Ok(ReadOutcome::Corrupt) => {
                // Nothing of a corrupted piece is served; the entry goes.
                let _ = loopback.send(Msg::Verified {
                    ticket: job.ticket,
                    chunks: None,
                });
                (job.reply)(Err(CosError::NotFound));
            },
            Err(e) => (job.reply)(Err(e)),
        }
    }
}
