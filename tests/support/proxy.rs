//! A TCP proxy in front of a real server that can fail the way networks fail: freeze (the path
//! goes silent without a reset, like a NAT timeout or a dead VPN), thaw, and drop connections —
//! all of them, or one by the order it was accepted in. TLS passes through untouched (the
//! proxy only moves bytes).
//!
//! ```ignore
//! let proxy = FaultProxy::start(tb.imaps_port);
//! // point the client at proxy.port() …
//! proxy.freeze();        // nothing flows either way; sockets stay open; new connections hang
//! proxy.thaw();          // bytes flow again (on the old connections too)
//! proxy.freeze_conn(0);  // only the first connection accepted goes silent
//! proxy.drop_conn(1);    // the second one is closed (both ends see a close)
//! proxy.drop_all();      // every relayed connection is closed
//! proxy.sent();          // what each client sent so far (plain text on a plain port)
//! ```
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    frozen: AtomicBool,
    stop: AtomicBool,
    /// Every connection relayed so far, in the order accepted.
    conns: Mutex<Vec<Arc<Conn>>>,
}

/// One relayed connection: its own freeze switch, both sockets (to close them) and the bytes
/// its client sent.
struct Conn {
    frozen: AtomicBool,
    sockets: [TcpStream; 2],
    sent: Mutex<Vec<u8>>,
}

impl Conn {
    fn close(&self) {
        for s in &self.sockets {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// How often a relay thread looks at the switches while it waits for bytes.
const TICK: Duration = Duration::from_millis(20);

impl FaultProxy {
    /// Listens on 127.0.0.1 (a free port) and relays each connection to 127.0.0.1:`target`.
    pub fn start(target: u16) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        thread::spawn(move || {
            while !s.stop.load(Ordering::SeqCst) {
                // A frozen path completes no new session either: connections wait in the
                // kernel's backlog, unanswered, until thawed.
                if s.frozen.load(Ordering::SeqCst) {
                    thread::sleep(TICK);
                    continue;
                }
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        match TcpStream::connect(("127.0.0.1", target)) {
                            Ok(server) => relay(&s, client, server),
                            Err(_) => {
                                let _ = client.shutdown(Shutdown::Both);
                            }
                        }
                    }
                    Err(_) => thread::sleep(TICK),
                }
            }
        });
        FaultProxy { port, shared }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.conns().len()
    }

    /// The path goes silent: no byte moves in either direction and no connection is reset.
    pub fn freeze(&self) {
        self.shared.frozen.store(true, Ordering::SeqCst);
    }

    /// Undoes [`freeze`](Self::freeze) and every [`freeze_conn`](Self::freeze_conn).
    pub fn thaw(&self) {
        self.shared.frozen.store(false, Ordering::SeqCst);
        for c in self.conns() {
            c.frozen.store(false, Ordering::SeqCst);
        }
    }

    /// Freezes only the `i`-th connection accepted (from 0).
    pub fn freeze_conn(&self, i: usize) {
        self.conn(i).frozen.store(true, Ordering::SeqCst);
    }

    /// Closes only the `i`-th connection accepted (from 0).
    pub fn drop_conn(&self, i: usize) {
        self.conn(i).close();
    }

    /// What the client of each connection (in the order accepted) has sent so far, as text:
    /// the commands themselves when the proxy stands in front of a plain (no TLS) port.
    pub fn sent(&self) -> Vec<String> {
        self.conns()
            .iter()
            .map(|c| String::from_utf8_lossy(&c.sent.lock().expect("sent bytes")).into_owned())
            .collect()
    }

    /// Closes every connection relayed so far (both ends see a close).
    pub fn drop_all(&self) {
        for c in self.conns() {
            c.close();
        }
    }

    fn conns(&self) -> Vec<Arc<Conn>> {
        self.shared.conns.lock().expect("proxy connections").clone()
    }

    fn conn(&self, i: usize) -> Arc<Conn> {
        self.conns()
            .get(i)
            .cloned()
            .unwrap_or_else(|| panic!("the proxy has accepted no connection #{i}"))
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.drop_all();
    }
}

fn relay(shared: &Arc<Shared>, client: TcpStream, server: TcpStream) {
    let conn = Arc::new(Conn {
        frozen: AtomicBool::new(false),
        sockets: [
            client.try_clone().expect("clone client"),
            server.try_clone().expect("clone server"),
        ],
        sent: Mutex::new(Vec::new()),
    });
    shared
        .conns
        .lock()
        .expect("proxy connections")
        .push(conn.clone());
    let directions = [
        (
            client.try_clone().expect("clone client"),
            server.try_clone().expect("clone server"),
        ),
        (server, client),
    ];
    for (i, (mut from, mut to)) in directions.into_iter().enumerate() {
        let s = shared.clone();
        let tap = (i == 0).then(|| conn.clone());
        let conn = conn.clone();
        let frozen = move || s.frozen.load(Ordering::SeqCst) || conn.frozen.load(Ordering::SeqCst);
        let stopped = {
            let s = shared.clone();
            move || s.stop.load(Ordering::SeqCst)
        };
        thread::spawn(move || {
            let _ = from.set_read_timeout(Some(TICK));
            let mut buf = vec![0u8; 64 * 1024];
            while !stopped() {
                if frozen() {
                    thread::sleep(TICK);
                    continue;
                }
                match from.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        // Bytes read just before a freeze are held back until the thaw.
                        while frozen() && !stopped() {
                            thread::sleep(TICK);
                        }
                        if let Some(c) = &tap {
                            c.sent
                                .lock()
                                .expect("sent bytes")
                                .extend_from_slice(&buf[..n]);
                        }
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) => {}
                    Err(_) => break,
                }
            }
            let _ = to.shutdown(Shutdown::Write);
            let _ = from.shutdown(Shutdown::Read);
        });
    }
}
