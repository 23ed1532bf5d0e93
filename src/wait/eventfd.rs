//! Event descriptors: the wake-up an async receiver in another process can
//! register with its runtime's reactor (the descriptor turns readable), so
//! that it sleeps in the reactor rather than on a thread of its own.
//!
//! Used by `ipc://` as it is wired up (issue #4): the binder creates one
//! per side and passes it with the shared region.

#![cfg_attr(not(test), allow(dead_code))]

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::event::{EventfdFlags, PollFd, PollFlags, Timespec};

/// Waits up to `timeout` for `fd` to turn readable; whether it did. A
/// timeout too large for the kernel waits without limit.
pub(crate) fn poll_readable(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    let ts = Timespec::try_from(timeout).ok();
    Ok(rustix::event::poll(&mut fds, ts.as_ref())? > 0)
}

/// A non-blocking eventfd: a counter that wakes whoever polls it.
#[derive(Debug)]
pub(crate) struct EventFd(OwnedFd);

impl EventFd {
    /// A fresh event descriptor, counter 0.
    pub(crate) fn new() -> io::Result<Self> {
        Ok(Self(rustix::event::eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?))
    }

    /// Wraps a descriptor received from a peer, switching it to
    /// non-blocking mode (a peer could pass a blocking descriptor, and
    /// [`drain`](Self::drain) must never hang). Whether it really is an
    /// eventfd shows on first use: `drain` and [`signal`](Self::signal)
    /// then fail with an error, never a panic.
    pub(crate) fn from_fd(fd: OwnedFd) -> io::Result<Self> {
        rustix::io::ioctl_fionbio(&fd, true)?;
        Ok(Self(fd))
    }

    /// Makes the descriptor readable (adds 1 to the counter). A counter
    /// already at its maximum stays readable, which is all a wake-up needs.
    pub(crate) fn signal(&self) -> io::Result<()> {
        match rustix::io::write(&self.0, &1u64.to_ne_bytes()) {
            Ok(8) | Err(rustix::io::Errno::AGAIN) => Ok(()),
            Ok(_) => Err(io::Error::other("short eventfd write")),
            Err(e) => Err(e.into()),
        }
    }

    /// Resets the counter; returns how many signals it held (0 if none).
    pub(crate) fn drain(&self) -> io::Result<u64> {
        let mut buf = [0u8; 8];
        match rustix::io::read(&self.0, &mut buf) {
            Ok(8) => Ok(u64::from_ne_bytes(buf)),
            Ok(_) => Err(io::Error::other("short eventfd read: not an eventfd")),
            Err(rustix::io::Errno::AGAIN) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// The descriptor, to pass to a peer or register with a reactor.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::IpcAccess;
    use crate::transport::ipc::handshake::{Listener, connect, recv_fds, send_fds};
    use crate::transport::ipc::test_child;

    fn readable(fd: BorrowedFd<'_>) -> bool {
        poll_readable(fd, Duration::ZERO).unwrap()
    }

    #[test]
    fn signals_accumulate_until_drained() {
        let e = EventFd::new().unwrap();
        assert_eq!(e.drain().unwrap(), 0);
        assert!(!readable(e.fd()));
        e.signal().unwrap();
        e.signal().unwrap();
        assert!(readable(e.fd()));
        assert_eq!(e.drain().unwrap(), 2);
        assert!(!readable(e.fd()), "drained");
    }

    #[test]
    fn a_descriptor_that_is_not_an_eventfd_is_an_error() {
        // A blocking pipe: wrapping it makes it non-blocking, so an empty
        // one reads as "no signal" instead of hanging.
        let (r, _w) = rustix::pipe::pipe().unwrap();
        let fake = EventFd::from_fd(r).unwrap();
        assert_eq!(fake.drain().unwrap(), 0);
        let (r, w) = rustix::pipe::pipe().unwrap();
        rustix::io::write(&w, b"abc").unwrap();
        let fake = EventFd::from_fd(r).unwrap();
        assert!(fake.drain().is_err(), "a 3-byte read is not an eventfd's");
    }

    /// Two eventfds cross to a re-executed child with the handshake; each
    /// side polls its own and signals the other's (a ping-pong).
    #[test]
    fn eventfds_wake_pollers_across_processes() {
        const TEST: &str = "wait::eventfd::tests::eventfds_wake_pollers_across_processes";
        if let Some(name) = test_child::role(TEST) {
            let binder = connect(&name, &IpcAccess::SameUser).unwrap();
            let ([mine, theirs], _) = recv_fds::<2>(binder.sock.as_fd(), &mut [0u8; 1]).unwrap();
            let (mine, theirs) =
                (EventFd::from_fd(mine).unwrap(), EventFd::from_fd(theirs).unwrap());
            assert!(poll_readable(mine.fd(), Duration::from_secs(20)).unwrap(), "never pinged");
            assert_eq!(mine.drain().unwrap(), 1);
            theirs.signal().unwrap();
            return;
        }
        let name = format!("test-eventfd-{}", std::process::id());
        let listener = Listener::bind(&name).unwrap();
        let (to_child, to_parent) = (EventFd::new().unwrap(), EventFd::new().unwrap());
        let child = test_child::spawn(TEST, &name);
        let peer = listener.accept_timeout(Duration::from_secs(20)).unwrap();
        send_fds(peer.sock.as_fd(), &[to_child.fd(), to_parent.fd()], &[0]).unwrap();
        std::thread::sleep(Duration::from_millis(10));
        to_child.signal().unwrap();
        assert!(poll_readable(to_parent.fd(), Duration::from_secs(20)).unwrap(), "never ponged");
        child.join();
    }
}
