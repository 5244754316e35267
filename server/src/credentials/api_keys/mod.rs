//! API keys as each server process sees them: a cache of the working keys (by the SHA-256 of the
//! secret), so a request that presents a key costs no database round trip. The cache is filled at
//! startup and reloaded whenever any process announces a change ([`watch`]), so a revocation
//! reaches every process within one NOTIFY; a key not in the cache (created a moment ago
//! elsewhere) is looked up once by its hash. Creating and revoking are in [`manage`].

mod manage;
pub mod watch;

pub use manage::KeyError;

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
};

use app::contract::api_keys::Scope;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::db::{self, api_keys::ActiveKey};

/// Every key starts with this: a reader (or a secret scanner) can tell what it is.
pub const KEY_PREFIX: &str = "ck_";
/// Random bytes per key: 256 bits, 43 base64url characters.
const SECRET_BYTES: usize = 32;
/// Characters of the secret shown in lists after `ck_` (36 of its 256 bits).
const SHOWN_CHARS: usize = 6;

/// A working key, shared by the cache and the requests that present it.
#[derive(Debug)]
pub struct KeyEntry {
    pub id: i64,
    pub scopes: Vec<Scope>,
    /// Unix seconds of the newest use seen here (0: none since startup), and of the newest one
    /// written to the database.
    last_used: AtomicI64,
    flushed: AtomicI64,
}

impl KeyEntry {
    fn new(key: ActiveKey) -> Self {
        Self {
            id: key.id,
            scopes: key.scopes,
            last_used: AtomicI64::new(0),
            flushed: AtomicI64::new(0),
        }
    }

    fn touch(&self) {
        self.last_used
            .fetch_max(chrono::Utc::now().timestamp(), Ordering::Relaxed);
    }
}

/// The process's view of the keys. Cheap to clone.
#[derive(Clone)]
pub struct ApiKeys(Arc<Inner>);

struct Inner {
    pool: PgPool,
    by_hash: RwLock<HashMap<[u8; 32], Arc<KeyEntry>>>,
    /// Bumped by every reload and removal, under the write lock: a lookup that read the database
    /// before one of them must not put back what it removed.
    generation: AtomicU64,
}

impl ApiKeys {
    /// Loads the working keys of `pool`'s database.
    pub async fn load(pool: PgPool) -> Result<Self, sqlx::Error> {
        let keys = Self(Arc::new(Inner {
            pool,
            by_hash: RwLock::default(),
            generation: AtomicU64::new(0),
        }));
        keys.reload().await?;
        Ok(keys)
    }

    /// The working key `presented` is, or `None` (unknown, revoked, or not a key at all).
    pub async fn check(&self, presented: &str) -> Result<Option<Arc<KeyEntry>>, sqlx::Error> {
        let hash = digest(presented);
        if let Some(entry) = self.read().get(&hash).cloned() {
            entry.touch();
            return Ok(Some(entry));
        }
        if !well_formed(presented) {
            return Ok(None);
        }
        let generation = self.0.generation.load(Ordering::Acquire);
        let Some(found) = db::api_keys::find_active(&self.0.pool, &hash).await? else {
            return Ok(None);
        };
        let entry = Arc::new(KeyEntry::new(found));
        let mut by_hash = self.write();
        if self.0.generation.load(Ordering::Acquire) == generation {
            by_hash.insert(hash, entry.clone());
        }
        entry.touch();
        Ok(Some(entry))
    }

    /// Replaces the cache with the database's working keys (entries of keys still working are
    /// kept, with their last use).
    pub async fn reload(&self) -> Result<(), sqlx::Error> {
        let active = db::api_keys::active(&self.0.pool).await?;
        let mut by_hash = self.write();
        let fresh = active
            .into_iter()
            .filter_map(|key| {
                let hash: [u8; 32] = key.secret_hash.as_slice().try_into().ok()?;
                let entry = by_hash
                    .get(&hash)
                    .cloned()
                    .unwrap_or_else(|| Arc::new(KeyEntry::new(key)));
                Some((hash, entry))
            })
            .collect();
        *by_hash = fresh;
        self.0.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Forgets key `id` here at once (its revocation reaches the others by NOTIFY).
    fn forget(&self, id: i64) {
        let mut by_hash = self.write();
        by_hash.retain(|_, entry| entry.id != id);
        self.0.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<[u8; 32], Arc<KeyEntry>>> {
        self.0.by_hash.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<[u8; 32], Arc<KeyEntry>>> {
        self.0.by_hash.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the last uses seen since the previous call (one statement for all keys).
    pub async fn flush_last_used(&self) -> Result<(), sqlx::Error> {
        let used: Vec<(Arc<KeyEntry>, i64)> = self
            .read()
            .values()
            .filter_map(|e| {
                let at = e.last_used.load(Ordering::Relaxed);
                (at > e.flushed.load(Ordering::Relaxed)).then(|| (e.clone(), at))
            })
            .collect();
        if used.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = used.iter().map(|(e, _)| e.id).collect();
        let at: Vec<_> = used
            .iter()
            .filter_map(|(_, at)| chrono::DateTime::from_timestamp(*at, 0))
            .collect();
        db::api_keys::touch(&self.0.pool, &ids, &at).await?;
        for (entry, at) in used {
            entry.flushed.fetch_max(at, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// True for text shaped like a key (`ck_` and 43 base64url characters): only those are looked
/// up in the database.
pub fn well_formed(presented: &str) -> bool {
    presented.strip_prefix(KEY_PREFIX).is_some_and(|secret| {
        secret.len() == 43
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

fn digest(presented: &str) -> [u8; 32] {
    Sha256::digest(presented.as_bytes()).into()
}

/// A new key: the text to hand out once, the part shown in lists, and the hash to store.
fn generate() -> anyhow::Result<(String, String, [u8; 32])> {
    let mut random = [0u8; SECRET_BYTES];
    getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let key = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
    let shown = key[..KEY_PREFIX.len() + SHOWN_CHARS].to_owned();
    let hash = digest(&key);
    Ok((key, shown, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let (a, shown, hash) = generate().unwrap();
        let (b, ..) = generate().unwrap();
        assert!(well_formed(&a), "{a}");
        assert_ne!(a, b);
        assert!(a.starts_with(&shown) && shown.len() == 9);
        assert_eq!(hash, digest(&a));
        assert!(!well_formed("ck_short"));
        assert!(!well_formed(&a.replace("ck_", "sk_")));
        assert!(!well_formed(&format!("{a}=")));
    }
}
