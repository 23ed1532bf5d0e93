//! The per-process helper thread of an `ipc://` channel: it answers
//! connecting processes (binder only) and watches every other attached
//! process, giving back what one held when it dies.
//!
//! Deaths are seen through pidfds, which turn readable when their process
//! exits, however it exits; a pid reused by a later process is told apart
//! by its start time. The table of attached processes lives in the shared
//! control block; a process that attached after this one started is found
//! at the next rescan, at most [`TICK`] later.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::process::{Pid, PidfdFlags};

use crate::channel::shared::{HOLDS_RECEIVERS, HOLDS_SENDERS};
use crate::ring::{MAX_OWNERS, Ring, Sole};
use crate::sync::Ordering;
use crate::transport::IpcAccess;
use crate::transport::ipc::handshake::{self, Listener};
use crate::transport::ipc::segment::{Control, SLOT_ALIVE, SLOT_JOINING, SLOT_REAPING, Segment};
use crate::wait::SharedWake;
use crate::wait::eventfd::EventFd;

/// Longest the monitor sleeps without rescanning the table.
pub(crate) const TICK: Duration = Duration::from_millis(50);

/// What the handshake sends with the descriptors.
pub(crate) const HELLO: &[u8] = b"psyne-ipc/1";

/// The start time of process `pid` (field 22 of `/proc/<pid>/stat`, clock
/// ticks after boot); `None` if it is gone (or dead and not yet reaped by
/// its parent: a zombie).
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold anything,
    // spaces and parentheses included: count fields after the last `)`.
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    if matches!(fields.next()?, "Z" | "X" | "x") {
        return None;
    }
    fields.nth(18)?.parse().ok()
}

/// This process's slot: taken on attach, freed when the channel's last
/// handle in this process is gone (its `Drop` is the `Remote::keep` of the
/// channel), with the monitor thread stopped first.
#[derive(Debug)]
pub(crate) struct Attachment {
    stop: EventFd,
    thread: Option<JoinHandle<()>>,
    slot: usize,
    segment: Arc<Segment>,
}

impl Attachment {
    /// Starts the monitor of `segment` for the process in `slot`, serving
    /// connections on `listener` (to the users `IpcAccess` allows) if it is
    /// the binder. `eventfd` is a copy of the channel's, for the reaper's
    /// wake-ups and the handshake.
    pub(crate) fn start(
        segment: Arc<Segment>,
        slot: usize,
        listener: Option<(Listener, IpcAccess)>,
        eventfd: EventFd,
    ) -> io::Result<Self> {
        let stop = EventFd::new()?;
        let stop_rx = EventFd::from_fd(stop.fd().try_clone_to_owned()?)?;
        let seg = segment.clone();
        let thread =
            std::thread::Builder::new().name("psyne-ipc-monitor".into()).spawn(move || {
                let monitor = Monitor::new(seg, slot, listener, eventfd, stop_rx);
                // A bug here must not take the process down with it; the
                // channel then only loses crash recovery and new connects.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| monitor.run()));
            })?;
        Ok(Self { stop, thread: Some(thread), slot, segment })
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        let _ = self.stop.signal();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let control = self.segment.control();
        // Release: everything this process did with its slot happened
        // before the slot reads free.
        control.peers[self.slot].word.store(0, Ordering::Release);
    }
}

/// A watched process: its slot, the slot word it was seen with, its pidfd.
struct Watched {
    slot: usize,
    word: u64,
    pidfd: OwnedFd,
}

struct Monitor {
    own: usize,
    /// Who may connect (binder only).
    access: IpcAccess,
    listener: Option<Listener>,
    stop: EventFd,
    wake: SharedWake,
    watched: Vec<Watched>,
    /// Declared before `segment`: dropped first.
    ring: Ring,
    segment: Arc<Segment>,
}

impl Monitor {
    fn new(
        segment: Arc<Segment>,
        own: usize,
        listener: Option<(Listener, IpcAccess)>,
        eventfd: EventFd,
        stop: EventFd,
    ) -> Self {
        let (listener, access) = match listener {
            Some((l, a)) => (Some(l), a),
            None => (None, IpcAccess::SameUser),
        };
        // SAFETY: the ring is dropped before `segment` (field order), which
        // keeps the mapping alive.
        let ring = unsafe { segment.ring(false) };
        let words = std::ptr::NonNull::from(&*segment.control().wake);
        // SAFETY: the words are in the mapping `segment` keeps alive for as
        // long as the monitor (which owns both) lives; accessed atomically.
        let wake = unsafe { SharedWake::new(words, eventfd) };
        Self { own, access, listener, stop, wake, watched: Vec::new(), ring, segment }
    }

    fn control(&self) -> &Control {
        self.segment.control()
    }

    fn run(mut self) {
        loop {
            self.rescan();
            let (stop, accept, dead) = match self.poll() {
                Ok(r) => r,
                // Interrupted or out of resources: look again after a tick.
                Err(_) => {
                    std::thread::sleep(TICK);
                    continue;
                }
            };
            if stop {
                return;
            }
            if accept {
                self.serve();
            }
            for i in dead {
                let w = self.watched.swap_remove(i);
                self.reap(w.slot, w.word);
            }
        }
    }

    /// Waits for a stop request, a connecting process or a death. Returns
    /// `(stop, accept, indices of dead watched processes)`, the indices in
    /// decreasing order.
    fn poll(&self) -> io::Result<(bool, bool, Vec<usize>)> {
        let mut fds = Vec::with_capacity(2 + self.watched.len());
        let stop = self.stop.fd();
        fds.push(PollFd::new(&stop, PollFlags::IN));
        let listener = self.listener.as_ref().map(Listener::fd);
        if let Some(fd) = &listener {
            fds.push(PollFd::new(fd, PollFlags::IN));
        }
        let first_pid = fds.len();
        for w in &self.watched {
            fds.push(PollFd::new(&w.pidfd, PollFlags::IN));
        }
        let ts = Timespec::try_from(TICK).ok();
        rustix::event::poll(&mut fds, ts.as_ref())?;
        let ready = |fd: &PollFd<'_>| !fd.revents().is_empty();
        let stop = ready(&fds[0]);
        let accept = listener.is_some() && ready(&fds[1]);
        let dead = (0..self.watched.len()).rev().filter(|i| ready(&fds[first_pid + i])).collect();
        Ok((stop, accept, dead))
    }

    /// Answers one connecting process: the region and the eventfd. The
    /// listener refuses a process of another user by closing the socket.
    fn serve(&self) {
        let Some(listener) = &self.listener else { return };
        let Ok(peer) = listener.accept(&self.access) else { return };
        let fds = [self.segment.fd(), self.wake.eventfd_fd()];
        // The hello carries the peer's pid as this process sees it, so that
        // a peer in another PID namespace can tell.
        let mut hello = [0u8; HELLO.len() + 4];
        hello[..HELLO.len()].copy_from_slice(HELLO);
        hello[HELLO.len()..].copy_from_slice(&(peer.pid as u32).to_le_bytes());
        // A peer that went away meanwhile is no concern of ours.
        let _ = handshake::send_fds(peer.sock.as_fd(), &fds, &hello);
    }

    /// Brings the watch list in line with the table.
    fn rescan(&mut self) {
        let own = self.own;
        self.watched.retain(|w| {
            // Acquire: pairs with the slot's release stores.
            w.slot != own
                && self.segment.control().peers[w.slot].word.load(Ordering::Acquire) == w.word
        });
        for slot in 0..MAX_OWNERS {
            if slot == own {
                continue;
            }
            let peer = &self.control().peers[slot];
            // Acquire: the slot's start time is written before its word
            // says alive.
            let word = peer.word.load(Ordering::Acquire);
            let state = word & 3;
            if word == 0 || state == SLOT_REAPING || self.watched.iter().any(|w| w.slot == slot) {
                continue;
            }
            // A word no process could have written (state 0, a pid beyond
            // what the kernel hands out) is a scribble: ignore the slot.
            let pid = word >> 2;
            if !(SLOT_JOINING..=SLOT_ALIVE).contains(&state) || pid == 0 || pid > i32::MAX as u64 {
                continue;
            }
            let pid = pid as u32;
            let opened = Pid::from_raw(pid as i32)
                .ok_or(rustix::io::Errno::SRCH)
                .and_then(|p| rustix::process::pidfd_open(p, PidfdFlags::empty()));
            match opened {
                Ok(pidfd) => {
                    // Relaxed: ordered by the Acquire of the word.
                    let start = peer.start.load(Ordering::Relaxed);
                    // A reused pid: the process that attached is gone.
                    let reused = state == SLOT_ALIVE
                        && start != 0
                        && start_time(pid).is_some_and(|t| t != start);
                    if reused {
                        self.reap(slot, word);
                    } else {
                        self.watched.push(Watched { slot, word, pidfd });
                    }
                }
                Err(rustix::io::Errno::SRCH) => self.reap(slot, word),
                // No pidfds here (a kernel before 5.3, or valgrind), or out
                // of descriptors: look the process up instead, at every
                // rescan. A process that is gone, or whose pid now belongs to
                // a later process, is dead.
                Err(_) => {
                    // Relaxed: ordered by the Acquire of the word.
                    let start = peer.start.load(Ordering::Relaxed);
                    let gone = match start_time(pid) {
                        None => true,
                        Some(t) => state == SLOT_ALIVE && start != 0 && t != start,
                    };
                    if gone {
                        self.reap(slot, word);
                    }
                }
            }
        }
    }

    /// Gives back what the process in `slot` (seen as `word`) held, if no
    /// other reaper got there first.
    fn reap(&self, slot: usize, word: u64) {
        let control = self.control();
        let peer = &control.peers[slot];
        let reaping = (word & !3) | SLOT_REAPING;
        // AcqRel: one reaper wins; it sees all the slot's earlier stores.
        if peer.word.compare_exchange(word, reaping, Ordering::AcqRel, Ordering::Relaxed).is_err() {
            return;
        }
        let owner = slot + 1;
        // Acquire: as the swap below; read first, since a side it held
        // alone is what tells the ring where its records are. It held the
        // side's only handle: nobody else can have claimed (or taken) on
        // it, before or during this reaping (the side closes for good
        // once it is detached below, so it has no successor).
        let held = peer.held.load(Ordering::Acquire);
        let header = &self.segment.header;
        let sole = Sole {
            producer: held & HOLDS_SENDERS != 0 && !header.multi_producer(),
            consumer: held & HOLDS_RECEIVERS != 0
                && !header.multi_consumer()
                && !header.take_multi(),
        };
        control.stats.voided(self.ring.reap(owner, sole));
        control.arena.break_lock(owner);
        // AcqRel: the held bits are a token (see `Remote::leave`).
        let held = peer.held.swap(0, Ordering::AcqRel);
        if held & HOLDS_SENDERS != 0 {
            control.senders.detach();
        }
        if held & HOLDS_RECEIVERS != 0 {
            control.receivers.detach();
        }
        // Release: the reaping happened before the slot reads free.
        peer.word.store(0, Ordering::Release);
        self.wake.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_times_tell_live_processes_from_dead_and_reused_pids() {
        let own = start_time(std::process::id()).expect("this process is alive");
        assert_eq!(start_time(std::process::id()), Some(own), "stable");
        let mut child = std::process::Command::new("sleep").arg("10").spawn().unwrap();
        let pid = child.id();
        assert!(start_time(pid).is_some());
        child.kill().unwrap();
        // Dead but not reaped: a zombie counts as gone.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while start_time(pid).is_some() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(start_time(pid), None, "a zombie is dead");
        child.wait().unwrap();
        assert_eq!(start_time(pid), None, "a reaped process is gone");
        assert_eq!(start_time(u32::MAX), None);
    }
}
