//! The rendezvous of `ipc://name`: an abstract `SOCK_SEQPACKET` Unix socket
//! per bound name, peer credentials, and the shared region's descriptor
//! passed with `SCM_RIGHTS`.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::transport::IpcAccess;
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketAddrUnix, SocketFlags, SocketType,
};

/// Prefix of every psyne socket name in the abstract namespace, so that a
/// host's channels can be listed from `/proc/net/unix`.
pub(crate) const SOCKET_PREFIX: &str = "psyne/";

/// Longest `ipc://` name: an abstract socket address holds 107 bytes after
/// its leading NUL, and the name follows [`SOCKET_PREFIX`].
pub(crate) const MAX_NAME: usize = 107 - SOCKET_PREFIX.len();

/// What went wrong meeting a peer.
#[derive(Debug)]
pub(crate) enum HandshakeError {
    /// The name does not fit a socket address.
    NameTooLong { len: usize },
    /// Another process has bound the name.
    AlreadyBound,
    /// Nobody has bound the name.
    NotFound,
    /// The peer runs as another user.
    PermissionDenied { peer_uid: u32 },
    /// The peer sent something other than one region descriptor.
    Protocol(&'static str),
    /// A system call failed.
    Io(io::Error),
}

impl From<io::Error> for HandshakeError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<rustix::io::Errno> for HandshakeError {
    fn from(e: rustix::io::Errno) -> Self {
        Self::Io(e.into())
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NameTooLong { len } => {
                write!(f, "the name is {len} bytes; `ipc://` names have at most {MAX_NAME}")
            }
            Self::AlreadyBound => f.write_str("the name is already bound by another channel"),
            Self::NotFound => f.write_str("no channel is bound under the name"),
            Self::PermissionDenied { peer_uid } => {
                write!(f, "the peer runs as user {peer_uid}, not as this process's user")
            }
            Self::Protocol(what) => write!(f, "handshake protocol error: {what}"),
            Self::Io(e) => write!(f, "handshake failed: {e}"),
        }
    }
}

fn address(name: &str) -> Result<SocketAddrUnix, HandshakeError> {
    if name.len() > MAX_NAME {
        return Err(HandshakeError::NameTooLong { len: name.len() });
    }
    Ok(SocketAddrUnix::new_abstract_name(format!("{SOCKET_PREFIX}{name}").as_bytes())?)
}

/// The names bound on this host (in this network namespace), from the
/// kernel's table of Unix sockets: listening abstract sockets under
/// [`SOCKET_PREFIX`].
pub(crate) fn bound_names() -> io::Result<Vec<String>> {
    Ok(parse_proc_net_unix(&std::fs::read_to_string("/proc/net/unix")?))
}

/// Parses `/proc/net/unix`: `Num RefCount Protocol Flags Type St Inode
/// Path`, where a listening socket has the `__SO_ACCEPTCON` flag (0x10000)
/// and an abstract path is shown with a leading `@`.
fn parse_proc_net_unix(table: &str) -> Vec<String> {
    const ACCEPTCON: u32 = 0x1_0000;
    let mut names: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let flags = u32::from_str_radix(cols.get(3)?, 16).ok()?;
            let path = cols.get(7)?.strip_prefix('@')?.strip_prefix(SOCKET_PREFIX)?;
            (flags & ACCEPTCON != 0).then(|| path.to_owned())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

fn seqpacket() -> io::Result<OwnedFd> {
    Ok(rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )?)
}

/// A connected peer: its socket and who it is.
#[derive(Debug)]
pub(crate) struct Peer {
    pub(crate) sock: OwnedFd,
    pub(crate) uid: u32,
    pub(crate) pid: i32,
}

impl Peer {
    fn new(sock: OwnedFd, access: &IpcAccess) -> Result<Self, HandshakeError> {
        let cred = rustix::net::sockopt::socket_peercred(&sock)?;
        let peer = Self { sock, uid: cred.uid.as_raw(), pid: cred.pid.as_raw_nonzero().get() };
        let own = rustix::process::getuid().as_raw();
        if !access.allows(peer.uid, own) {
            return Err(HandshakeError::PermissionDenied { peer_uid: peer.uid });
        }
        Ok(peer)
    }
}

/// The binder's end: owns the name while it lives.
#[derive(Debug)]
pub(crate) struct Listener {
    sock: OwnedFd,
}

impl Listener {
    /// Binds `name` in the abstract namespace.
    pub(crate) fn bind(name: &str) -> Result<Self, HandshakeError> {
        let sock = seqpacket()?;
        match rustix::net::bind(&sock, &address(name)?) {
            Ok(()) => {}
            Err(rustix::io::Errno::ADDRINUSE) => return Err(HandshakeError::AlreadyBound),
            Err(e) => return Err(e.into()),
        }
        rustix::net::listen(&sock, 64)?;
        Ok(Self { sock })
    }

    /// The listening socket, to poll for connecting peers.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }

    /// Waits for the next peer; refuses (and drops) one of a user `access`
    /// does not allow.
    pub(crate) fn accept(&self, access: &IpcAccess) -> Result<Peer, HandshakeError> {
        Peer::new(rustix::net::accept_with(&self.sock, SocketFlags::CLOEXEC)?, access)
    }

    /// As [`accept`](Self::accept), giving up after `timeout` with an
    /// `io::ErrorKind::TimedOut` error.
    #[cfg(test)]
    pub(crate) fn accept_timeout(
        &self,
        timeout: std::time::Duration,
    ) -> Result<Peer, HandshakeError> {
        if crate::wait::eventfd::poll_readable(self.sock.as_fd(), timeout)? {
            self.accept(&IpcAccess::SameUser)
        } else {
            Err(io::Error::new(io::ErrorKind::TimedOut, "no peer connected in time").into())
        }
    }
}

/// Connects to the binder of `name`; refuses a binder of a user `access`
/// does not allow.
pub(crate) fn connect(name: &str, access: &IpcAccess) -> Result<Peer, HandshakeError> {
    let sock = seqpacket()?;
    match rustix::net::connect(&sock, &address(name)?) {
        Ok(()) => Peer::new(sock, access),
        Err(rustix::io::Errno::CONNREFUSED | rustix::io::Errno::NOENT) => {
            Err(HandshakeError::NotFound)
        }
        Err(e) => Err(e.into()),
    }
}

/// Most descriptors one handshake message carries (the region and its
/// wake-up descriptors).
pub(crate) const MAX_FDS: usize = 4;

/// Sends `hello` with `fds` attached (at most [`MAX_FDS`]).
pub(crate) fn send_fds(
    sock: BorrowedFd<'_>,
    fds: &[BorrowedFd<'_>],
    hello: &[u8],
) -> io::Result<()> {
    if fds.len() > MAX_FDS {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "too many descriptors"));
    }
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(fds)) {
        return Err(io::Error::other("control buffer too small for the descriptors"));
    }
    let sent =
        rustix::net::sendmsg(sock, &[IoSlice::new(hello)], &mut control, SendFlags::NOSIGNAL)?;
    if sent != hello.len() {
        return Err(io::Error::other("short handshake send"));
    }
    Ok(())
}

/// Receives one message into `buf` with exactly `N` descriptors attached;
/// returns them and the message length. Any other number of descriptors
/// (a confused or hostile peer) is a protocol error, and every descriptor
/// received is closed then.
pub(crate) fn recv_fds<const N: usize>(
    sock: BorrowedFd<'_>,
    buf: &mut [u8],
) -> Result<([OwnedFd; N], usize), HandshakeError> {
    // Room for one more than allowed, so that "too many" is seen as such
    // rather than as a truncation.
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS + 1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let msg = rustix::net::recvmsg(
        sock,
        &mut [IoSliceMut::new(buf)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    let mut fds: Vec<OwnedFd> = Vec::new();
    for cmsg in control.drain() {
        if let RecvAncillaryMessage::ScmRights(rights) = cmsg {
            fds.extend(rights);
        }
    }
    let truncated = rustix::net::ReturnFlags::TRUNC | rustix::net::ReturnFlags::CTRUNC;
    if msg.flags.intersects(truncated) {
        return Err(HandshakeError::Protocol("message or descriptors truncated"));
    }
    if msg.bytes == 0 && fds.is_empty() {
        return Err(HandshakeError::Protocol("the peer closed the connection"));
    }
    let n = fds.len();
    <[OwnedFd; N]>::try_from(fds).map(|fds| (fds, msg.bytes)).map_err(|_| {
        HandshakeError::Protocol(if n < N {
            "fewer descriptors attached than expected"
        } else {
            "more descriptors attached than expected"
        })
    })
}

/// Sends `hello` with the region descriptor attached.
#[cfg(test)]
pub(crate) fn send_region(
    sock: BorrowedFd<'_>,
    region: BorrowedFd<'_>,
    hello: &[u8],
) -> io::Result<()> {
    send_fds(sock, &[region], hello)
}

/// Receives one message with exactly one (region) descriptor attached.
#[cfg(test)]
pub(crate) fn recv_region(
    sock: BorrowedFd<'_>,
    buf: &mut [u8],
) -> Result<(OwnedFd, usize), HandshakeError> {
    let ([fd], n) = recv_fds::<1>(sock, buf)?;
    Ok((fd, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::shm::ShmRegion;
    use crate::transport::ipc::test_child;

    /// A unique name per test run, so parallel runs do not meet.
    fn unique(tag: &str) -> String {
        format!("test-{tag}-{}-{:?}", std::process::id(), std::time::Instant::now())
            .replace(['.', ' ', ':'], "_")
    }

    #[test]
    fn names_are_exclusive_and_vanish_with_their_binder() {
        let name = unique("exclusive");
        let listener = Listener::bind(&name).unwrap();
        assert!(matches!(Listener::bind(&name), Err(HandshakeError::AlreadyBound)));
        drop(listener);
        // Nothing left behind: the name is free again at once.
        let _again = Listener::bind(&name).unwrap();
        assert!(matches!(
            connect(&unique("nobody"), &IpcAccess::SameUser),
            Err(HandshakeError::NotFound)
        ));
    }

    #[test]
    fn long_names_are_refused_and_bound_names_are_listed() {
        let long = "x".repeat(MAX_NAME + 1);
        assert!(matches!(Listener::bind(&long), Err(HandshakeError::NameTooLong { .. })));
        assert!(matches!(
            connect(&long, &IpcAccess::SameUser),
            Err(HandshakeError::NameTooLong { .. })
        ));
        let longest: String =
            format!("{}{}", unique("l"), "y".repeat(MAX_NAME)).chars().take(MAX_NAME).collect();
        let listener = Listener::bind(&longest).unwrap();
        let name = unique("listed");
        let other = Listener::bind(&name).unwrap();
        let names = bound_names().unwrap();
        assert!(names.iter().any(|n| n == &name), "{name} not in {names:?}");
        assert!(names.contains(&longest));
        drop((listener, other));
        assert!(!bound_names().unwrap().contains(&name), "gone with its binder");
    }

    #[test]
    fn the_socket_table_parser_keeps_listening_psyne_names_only() {
        let table = "Num       RefCount Protocol Flags    Type St Inode Path\n\
            0000000000000000: 00000002 00000000 00010000 0005 01 123 @psyne/cam\n\
            0000000000000000: 00000003 00000000 00000000 0005 03 124 @psyne/cam\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 125 @other/x\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 126 /run/psyne/x\n\
            0000000000000000: 00000002 00000000 00000000 0005 01 127 @psyne/connecting\n\
            garbage line\n\
            0000000000000000: 00000002 00000000 zz 0005 01 128 @psyne/bad-flags\n";
        assert_eq!(parse_proc_net_unix(table), ["cam"]);
        assert!(parse_proc_net_unix("").is_empty());
    }

    #[test]
    fn a_region_crosses_threads_by_descriptor() {
        let name = unique("threads");
        let listener = Listener::bind(&name).unwrap();
        let region = ShmRegion::create("handshake", 4096).unwrap();
        std::thread::scope(|s| {
            s.spawn(|| {
                let peer = listener.accept_timeout(std::time::Duration::from_secs(20)).unwrap();
                assert_eq!(peer.pid, std::process::id() as i32);
                send_region(peer.sock.as_fd(), region.fd(), b"hello").unwrap();
            });
            let binder = connect(&name, &IpcAccess::SameUser).unwrap();
            assert_eq!(binder.uid, rustix::process::getuid().as_raw());
            let mut buf = [0u8; 16];
            let (fd, n) = recv_region(binder.sock.as_fd(), &mut buf).unwrap();
            assert_eq!(&buf[..n], b"hello");
            let mapped = ShmRegion::open(fd, 4096, 4096).unwrap();
            // SAFETY: offset 7 is inside both 4096-byte mappings; this
            // thread alone touches it.
            unsafe { region.base().as_ptr().wrapping_add(7).write_volatile(9) };
            // SAFETY: as above.
            assert_eq!(unsafe { mapped.base().as_ptr().wrapping_add(7).read_volatile() }, 9);
        });
    }

    #[test]
    fn accepting_gives_up_after_its_timeout() {
        let listener = Listener::bind(&unique("timeout")).unwrap();
        let err = listener.accept_timeout(std::time::Duration::from_millis(10)).unwrap_err();
        assert!(matches!(err, HandshakeError::Io(ref e) if e.kind() == io::ErrorKind::TimedOut));
    }

    #[test]
    fn a_message_without_one_descriptor_is_a_protocol_error() {
        let (a, b) = rustix::net::socketpair(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        rustix::net::send(&a, b"no fd", SendFlags::empty()).unwrap();
        let mut buf = [0u8; 16];
        assert!(matches!(
            recv_region(b.as_fd(), &mut buf),
            Err(HandshakeError::Protocol("fewer descriptors attached than expected"))
        ));
        // Two where one is expected: refused, and both closed.
        let region = ShmRegion::create("two", 4096).unwrap();
        send_fds(a.as_fd(), &[region.fd(), region.fd()], b"x").unwrap();
        assert!(matches!(
            recv_region(b.as_fd(), &mut buf),
            Err(HandshakeError::Protocol("more descriptors attached than expected"))
        ));
        // More than anyone may send.
        let five = [region.fd(); MAX_FDS + 1];
        assert!(send_fds(a.as_fd(), &five, b"x").is_err());
        drop(a);
        assert!(matches!(recv_region(b.as_fd(), &mut buf), Err(HandshakeError::Protocol(_))));
    }

    /// The parent binds, the test binary re-executed as a child connects,
    /// maps the region it receives and writes into it.
    #[test]
    fn a_region_crosses_processes() {
        const TEST: &str = "transport::ipc::handshake::tests::a_region_crosses_processes";
        if let Some(name) = test_child::role(TEST) {
            // The child's side.
            let binder = connect(&name, &IpcAccess::SameUser).unwrap();
            let mut buf = [0u8; 8];
            let (fd, _) = recv_region(binder.sock.as_fd(), &mut buf).unwrap();
            let region = ShmRegion::open(fd, 4096, 1 << 20).unwrap();
            // SAFETY: offset 1 is inside the mapping; the parent reads it
            // only after this process has exited.
            unsafe {
                region.base().as_ptr().wrapping_add(1).write_volatile(buf[0].wrapping_add(1))
            };
            return;
        }
        let name = unique("processes");
        let listener = Listener::bind(&name).unwrap();
        let region = ShmRegion::create("cross", 4096).unwrap();
        let child = test_child::spawn(TEST, &name);
        let peer = listener.accept_timeout(std::time::Duration::from_secs(20)).unwrap();
        assert_eq!(peer.pid, child.id() as i32, "the peer is the child");
        send_region(peer.sock.as_fd(), region.fd(), &[41]).unwrap();
        child.join();
        // SAFETY: offset 1 is inside the mapping and the child has exited.
        assert_eq!(unsafe { region.base().as_ptr().wrapping_add(1).read_volatile() }, 42);
    }
}
