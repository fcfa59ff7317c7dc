//! mock: what one client may take of the server — at most [`MAX_PER_PEER`] open connections per
//! peer address (so one client's idle connections cannot use up the server's whole connection
//! cap and lock everyone else out), and a process-wide budget of body bytes held in memory at
//! once (so many slow uploads cannot make the mock hold gigabytes before any of them is checked).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Open connections one peer address may hold (of the server's 1,024).
pub const MAX_PER_PEER: usize = 256;
/// Body bytes every mock of this process may hold at once; a request waits (within its body
/// time limit) for its share.
pub const BODY_BUDGET: usize = 256 * 1024 * 1024;

/// Open connections per peer address.
#[derive(Debug, Default, Clone)]
pub struct Peers {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// A connection's place: its share of the server's cap and of its peer's; freed when dropped.
#[derive(Debug)]
pub struct Admitted {
    _server: OwnedSemaphorePermit,
    peers: Peers,
    peer: IpAddr,
}

impl Peers {
    /// Admits a connection from `peer` holding `server` (a place in the server's cap), unless
    /// the peer already holds [`MAX_PER_PEER`].
    pub fn admit(&self, peer: IpAddr, server: OwnedSemaphorePermit) -> Option<Admitted> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(peer).or_default();
        if *count >= MAX_PER_PEER {
            return None;
        }
        *count += 1;
        Some(Admitted {
            _server: server,
            peers: self.clone(),
            peer,
        })
    }

    #[cfg(test)]
    fn open(&self, peer: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(&peer).copied().unwrap_or(0)
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self
            .peers
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.peer) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.peer);
            }
        }
    }
}

fn budget() -> &'static Arc<Semaphore> {
    static BUDGET: OnceLock<Arc<Semaphore>> = OnceLock::new();
    BUDGET.get_or_init(|| Arc::new(Semaphore::new(BODY_BUDGET)))
}

/// The bytes a body may keep in memory: `keep`, or what its announced length says it will use
/// (nothing for a body announced over `keep`, which is counted, not kept).
pub fn kept_bytes(keep: usize, announced: Option<u64>) -> usize {
    match announced {
        Some(n) if n > keep as u64 => 0,
        Some(n) => n as usize,
        None => keep,
    }
}

/// Waits for `bytes` of the body budget; held until the answer is made.
pub async fn reserve(bytes: usize) -> Option<OwnedSemaphorePermit> {
    let bytes = u32::try_from(bytes.min(BODY_BUDGET)).ok()?;
    if bytes == 0 {
        return None;
    }
    Arc::clone(budget()).acquire_many_owned(bytes).await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_peer_cannot_take_every_connection() {
        let server = Arc::new(Semaphore::new(MAX_PER_PEER + 10));
        let peers = Peers::default();
        let greedy: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [127, 0, 0, 2].into();
        let held: Vec<Admitted> = (0..MAX_PER_PEER)
            .map(|_| {
                peers
                    .admit(greedy, server.clone().try_acquire_owned().unwrap())
                    .unwrap()
            })
            .collect();
        assert!(
            peers
                .admit(greedy, server.clone().try_acquire_owned().unwrap())
                .is_none()
        );
        assert!(
            peers
                .admit(other, server.clone().try_acquire_owned().unwrap())
                .is_some()
        );
        drop(held);
        assert_eq!(peers.open(greedy), 0);
        assert_eq!(server.available_permits(), MAX_PER_PEER + 10);
    }

    #[tokio::test]
    async fn bodies_wait_for_their_share_of_the_budget() {
        assert_eq!(kept_bytes(100, Some(40)), 40);
        assert_eq!(kept_bytes(100, Some(400)), 0);
        assert_eq!(kept_bytes(100, None), 100);
        let most = reserve(BODY_BUDGET - 10).await.unwrap();
        let more = tokio::time::timeout(std::time::Duration::from_millis(100), reserve(20)).await;
        assert!(more.is_err(), "the budget was exceeded");
        drop(most);
        assert!(reserve(20).await.is_some());
    }
}
