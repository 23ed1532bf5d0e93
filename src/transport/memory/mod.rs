//! `memory://name`: named channels inside one process.
//!
//! A process-wide registry maps names to live channels. `bind` creates the
//! channel (or joins it as another receiver where the pattern allows),
//! `connect` attaches a sender. The registry holds only weak references, so
//! a name is free again once its channel is gone or closed.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError, Weak};

use crate::channel::shared::{Attach, Shared};
use crate::channel::{Builder, Pattern, Receiver, Sender, Uri};
use crate::message::Message;
use crate::sync::Arc;
use crate::transport::ConnectError;

struct Entry {
    shared: Weak<Shared>,
    type_id: TypeId,
}

type Registry = Mutex<HashMap<String, Entry>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

/// The live channel under `name`, if any. Prunes the entry if it is dead.
fn live(map: &mut HashMap<String, Entry>, name: &str) -> Option<(Arc<Shared>, TypeId)> {
    let entry = map.get(name)?;
    match entry.shared.upgrade() {
        Some(shared) if !shared.receivers_closed() && !shared.senders_closed() => {
            Some((shared, entry.type_id))
        }
        _ => {
            map.remove(name);
            None
        }
    }
}

fn check<T: Message + ?Sized, P: Pattern>(
    uri: &Uri,
    shared: &Shared,
    type_id: TypeId,
) -> Result<(), ConnectError> {
    let bound = shared.cfg.schema;
    if bound.fingerprint() != T::FINGERPRINT {
        return Err(ConnectError::SchemaMismatch {
            uri: uri.to_string(),
            local: Box::new(T::SCHEMA.schema_id()),
            peer: Box::new(bound.schema_id()),
            difference: T::SCHEMA.first_difference(bound),
        });
    }
    // Same schema, different Rust type (the schema declared twice): the
    // bytes would agree, but a `Receiver<A>` cannot hand out `Msg<B>`.
    if type_id != TypeId::of::<T>() {
        return Err(ConnectError::TypeMismatch {
            uri: uri.to_string(),
            bound: shared.cfg.type_name,
            requested: std::any::type_name::<T>(),
        });
    }
    if shared.cfg.pattern != P::NAME {
        return Err(ConnectError::PatternMismatch {
            uri: uri.to_string(),
            bound: shared.cfg.pattern,
            requested: P::NAME,
        });
    }
    Ok(())
}

pub(crate) fn bind<T: Message + ?Sized, P: Pattern>(
    builder: Builder<T, P>,
    uri: Uri,
) -> Result<Receiver<T, P>, ConnectError> {
    let mut map = registry().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((shared, type_id)) = live(&mut map, uri.address()) {
        check::<T, P>(&uri, &shared, type_id)?;
        let limit = if P::MULTI_CONSUMER { None } else { Some(1) };
        return match shared.attach_receiver(limit) {
            Ok(()) => Ok(Receiver::new(shared)),
            Err(Attach::Taken) => Err(ConnectError::ReceiverTaken { uri: uri.to_string() }),
            Err(Attach::Closed) => Err(ConnectError::Closed { uri: uri.to_string() }),
        };
    }
    // No sender yet: the channel stays open for senders to connect.
    let shared = Arc::new(builder.shared::<P>(Some(&uri), 0, 1)?);
    map.insert(
        uri.address().to_owned(),
        Entry { shared: Arc::downgrade(&shared), type_id: TypeId::of::<T>() },
    );
    Ok(Receiver::new(shared))
}

pub(crate) fn connect<T: Message + ?Sized, P: Pattern>(
    uri: Uri,
) -> Result<Sender<T, P>, ConnectError> {
    let mut map = registry().lock().unwrap_or_else(PoisonError::into_inner);
    let Some((shared, type_id)) = live(&mut map, uri.address()) else {
        return Err(ConnectError::NotFound { uri: uri.to_string() });
    };
    check::<T, P>(&uri, &shared, type_id)?;
    let limit = if P::MULTI_PRODUCER { None } else { Some(1) };
    match shared.attach_sender(limit) {
        Ok(()) => Ok(Sender::new(shared)),
        Err(Attach::Taken) => Err(ConnectError::SenderTaken { uri: uri.to_string() }),
        Err(Attach::Closed) => Err(ConnectError::Closed { uri: uri.to_string() }),
    }
}
