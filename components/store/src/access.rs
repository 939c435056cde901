/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at https://mozilla.org/MPL/2.0/. */

//! What a content process may ask of the store, and as whom.
//!
//! A page's requests name the origin they are made for, and the content
//! process running the page fills that in: a process that a page has taken
//! over can write any origin there. So the browser's trusted side gives
//! each content process (each of Servo's event loops, which run the
//! documents of one site) its own [`ContentSender`], which knows which
//! origins that process may act for and checks every request against it:
//!
//! - a request naming an origin the sender may not act for is refused
//!   before the store sees it;
//! - a write stream (`Write`, `Seek`, `Truncate`, `Finish`, `Abort`) can be
//!   continued only through the sender that began it;
//! - administrative requests (consent answers, clearing, listing) cannot be
//!   sent at all: they are another type ([`cos_traits::CosAdminRequest`]),
//!   which only [`StoreSender`] carries, and no content process holds one.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use cos_traits::{CosError, CosRequest, CosResponse, Origin, WriteId};

use crate::thread::StoreSender;

type MayActAs = dyn Fn(&Origin) -> bool + Send + Sync;

/// The store as one content process may reach it. Cheap to clone.
#[derive(Clone)]
pub struct ContentSender {
    store: StoreSender,
    may_act_as: Arc<MayActAs>,
    /// The write streams begun through this sender and not yet finished.
    writes: Arc<Mutex<HashSet<WriteId>>>,
}

impl ContentSender {
    /// A sender for a process that may act for the origins `may_act_as`
    /// accepts.
    pub fn new(
        store: StoreSender,
        may_act_as: impl Fn(&Origin) -> bool + Send + Sync + 'static,
    ) -> ContentSender {
        ContentSender {
            store,
            may_act_as: Arc::new(may_act_as),
            writes: Arc::default(),
        }
    }

    /// Sends `request` if this sender may make it; otherwise `reply` gets
    /// `NotAllowed` (a well-behaved content process never sees that).
    pub fn send(
        &self,
        request: CosRequest,
        reply: impl FnOnce(Result<CosResponse, CosError>) + Send + 'static,
    ) {
        if let Some(origin) = request.claimed_origin()
            && !(self.may_act_as)(origin)
        {
            log::warn!(
                "Cross-Origin Storage: refused a request made for {origin} by a process \
                 that may not act for it"
            );
            return reply(Err(CosError::NotAllowed(format!(
                "this process may not act for {origin}"
            ))));
        }
        if let Some(id) = request.write_id() {
            let mut writes = self.writes.lock().unwrap_or_else(|e| e.into_inner());
            let ends = matches!(
                request,
                CosRequest::Finish { .. } | CosRequest::Abort { .. }
            );
            let owned = if ends {
                writes.remove(&id)
            } else {
                writes.contains(&id)
            };
            if !owned {
                return reply(Err(CosError::InvalidState(
                    "the stream is closed or was never opened".into(),
                )));
            }
        }
        let begins_write = matches!(request, CosRequest::BeginWrite { .. });
        let writes = self.writes.clone();
        self.store.send(request, move |result| {
            if begins_write && let Ok(CosResponse::WriteStarted(id)) = &result {
                writes.lock().unwrap_or_else(|e| e.into_inner()).insert(*id);
            }
            reply(result)
        });
    }

    /// Sends `request` and waits for the answer.
    pub fn call(&self, request: CosRequest) -> Result<CosResponse, CosError> {
        crate::thread::wait(|reply| self.send(request, reply))
    }
}
