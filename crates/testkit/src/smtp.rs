//! A fake SMTP server (RFC 5321) on loopback that keeps every accepted message.
//!
//! It speaks plain SMTP (no TLS): EHLO/HELO, optional AUTH PLAIN/LOGIN, MAIL, RCPT, DATA with
//! dot-unstuffing, RSET, NOOP, VRFY, QUIT, answering with the codes a Postfix-like server
//! uses. Faults apply at the end of DATA: 451/421 temporary failures, 550 rejection, a hang,
//! or a dropped connection (in the middle of DATA, or after the message was taken).

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::mail::Mail;
use crate::recorder::Recorder;
use crate::server::{ConnFn, Server};

/// One message as received: the envelope and the raw RFC 5322 data.
#[derive(Clone, Debug)]
pub struct SmtpMessage {
    /// What the client said in EHLO/HELO.
    pub helo: String,
    /// The user that authenticated, if any.
    pub auth_user: Option<String>,
    /// MAIL FROM address (without the angle brackets; empty for the null sender).
    pub mail_from: String,
    /// RCPT TO addresses in order.
    pub rcpt_to: Vec<String>,
    /// The message data with dot-stuffing removed, CRLF line ends, without the final `.`.
    pub data: Vec<u8>,
    /// The id given in the `250 … queued as ID` reply.
    pub queue_id: String,
    pub received_at: SystemTime,
}

impl SmtpMessage {
    /// The parsed message (headers decoded, bodies and attachments).
    pub fn mail(&self) -> Mail {
        Mail::parse(&self.data)
    }
}

/// What the server does at the end of a message's DATA instead of accepting it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmtpFault {
    /// `451 4.3.0` temporary failure; the transaction is reset, the connection stays.
    TempFail451,
    /// `421 4.3.0` service not available; the server closes the connection.
    Shutdown421,
    /// `550 5.7.1` permanent rejection.
    Reject550,
    /// The connection is closed after the first line of data, before the final dot.
    DropMidData,
    /// The message is taken (recorded) but the connection closes before the `250` reply.
    DropAfterData,
    /// Wait this long before replying `250` (the message is taken).
    Hang(Duration),
}

/// Credentials the server accepts for AUTH PLAIN / AUTH LOGIN.
#[derive(Clone, Debug)]
pub struct SmtpCredentials {
    pub user: String,
    pub password: String,
    /// When true, MAIL before a successful AUTH gets `530 5.7.0`.
    pub required: bool,
}

/// The SIZE the server advertises and enforces (Postfix's default).
const MAX_SIZE: usize = 10_240_000;

struct State {
    hostname: String,
    credentials: Mutex<Option<SmtpCredentials>>,
    faults: Mutex<VecDeque<SmtpFault>>,
    delay: Mutex<Duration>,
    /// A fault for every message until an instant.
    window: Mutex<Option<(std::time::Instant, SmtpFault)>>,
    /// RCPT TO these (lower-cased) get `550 5.1.1 … User unknown`.
    unknown_users: Mutex<std::collections::HashSet<String>>,
    messages: Recorder<SmtpMessage>,
    // Every command line received, across connections, for protocol tests.
    commands: Recorder<String>,
    next_id: AtomicU64,
}

/// The fake SMTP server. Point a client at [`SmtpFake::url`] (`smtp://127.0.0.1:PORT`).
pub struct SmtpFake {
    server: Server,
    state: Arc<State>,
}

impl SmtpFake {
    pub async fn start() -> io::Result<Self> {
        let state = Arc::new(State {
            hostname: "mx.nobat-testkit.local".into(),
            credentials: Mutex::new(None),
            faults: Mutex::new(VecDeque::new()),
            delay: Mutex::new(Duration::ZERO),
            window: Mutex::new(None),
            unknown_users: Mutex::new(std::collections::HashSet::new()),
            messages: Recorder::new(),
            commands: Recorder::new(),
            next_id: AtomicU64::new(1),
        });
        let s = state.clone();
        let serve: ConnFn = Arc::new(move |stream| {
            let s = s.clone();
            Box::pin(async move {
                let _ = session(s, stream).await;
            })
        });
        Ok(Self { server: Server::start(serve).await?, state })
    }

    /// `smtp://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("smtp://{}", self.server.addr())
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    pub fn port(&self) -> u16 {
        self.server.addr().port()
    }

    /// Accepted messages, in order.
    pub fn messages(&self) -> &Recorder<SmtpMessage> {
        &self.state.messages
    }

    /// Every command line received (DATA content excluded), for protocol assertions.
    pub fn commands(&self) -> &Recorder<String> {
        &self.state.commands
    }

    /// Waits for `n` accepted messages; panics on timeout.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<SmtpMessage> {
        self.state.messages.wait_for(n, timeout).await
    }

    /// Advertise AUTH PLAIN LOGIN and accept these credentials.
    pub fn set_credentials(&self, user: &str, password: &str, required: bool) {
        *self.state.credentials.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(SmtpCredentials { user: user.into(), password: password.into(), required });
    }

    /// The next `n` messages meet `fault` at the end of DATA.
    pub fn fail_next(&self, n: usize, fault: SmtpFault) {
        let mut q = self.state.faults.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..n {
            q.push_back(fault.clone());
        }
    }

    /// RCPT TO this address is refused permanently (`550 5.1.1 … User unknown`), as a real
    /// server does for a mailbox that does not exist.
    pub fn reject_recipient(&self, address: &str) {
        self.state.unknown_users.lock().unwrap_or_else(|e| e.into_inner()).insert(address.to_ascii_lowercase());
    }

    /// For the next `d`, every message meets `fault` ("the relay is down for a while").
    pub fn fail_for(&self, d: Duration, fault: SmtpFault) {
        *self.state.window.lock().unwrap_or_else(|e| e.into_inner()) = Some((std::time::Instant::now() + d, fault));
    }

    /// Every reply is delayed by `d` ("slow server"); zero turns it off.
    pub fn set_delay(&self, d: Duration) {
        *self.state.delay.lock().unwrap_or_else(|e| e.into_inner()) = d;
    }

    pub fn clear_faults(&self) {
        self.state.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
        *self.state.window.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.set_delay(Duration::ZERO);
    }

    /// Stop listening: connections are refused until [`SmtpFake::restart`].
    pub async fn stop(&self) {
        self.server.stop().await;
    }

    pub async fn restart(&self) -> io::Result<()> {
        self.server.restart().await
    }
}

struct Conn {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
    state: Arc<State>,
}

impl Conn {
    async fn reply(&mut self, text: &str) -> io::Result<()> {
        let delay = *self.state.delay.lock().unwrap_or_else(|e| e.into_inner());
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        // One write per reply: a reply split over two segments is what stalls on Nagle.
        let mut buf = Vec::with_capacity(text.len() + 2);
        buf.extend_from_slice(text.as_bytes());
        buf.extend_from_slice(b"\r\n");
        self.writer.write_all(&buf).await?;
        self.writer.flush().await
    }

    /// One line without its CRLF; `None` at end of stream. Lines are capped (RFC 5321
    /// allows 512 octets for commands, 1000 for text lines; we allow more, not unbounded).
    async fn line(&mut self) -> io::Result<Option<Vec<u8>>> {
        quick_ack(self.reader.get_ref().as_ref());
        let mut buf = Vec::new();
        let n = (&mut self.reader).take(64 * 1024).read_until(b'\n', &mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        Ok(Some(buf))
    }
}

/// Clients such as lettre write the end of DATA (`.\r\n`) as a separate small segment without
/// TCP_NODELAY; Nagle then holds it until our delayed ACK (~40 ms) fires. NODELAY on our side
/// cannot help, so we ACK at once (Linux resets the mode, hence before every read).
fn quick_ack(stream: &TcpStream) {
    #[cfg(target_os = "linux")]
    {
        let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = stream;
}

#[derive(Default)]
struct Txn {
    from: Option<String>,
    rcpt: Vec<String>,
}

async fn session(state: Arc<State>, stream: TcpStream) -> io::Result<()> {
    let (r, w) = stream.into_split();
    let mut c = Conn { reader: BufReader::new(r), writer: w, state: state.clone() };
    let host = state.hostname.clone();
    c.reply(&format!("220 {host} ESMTP nobat-testkit")).await?;
    let mut helo: Option<String> = None;
    let mut auth_user: Option<String> = None;
    let mut txn = Txn::default();
    while let Some(line) = c.line().await? {
        let line = String::from_utf8_lossy(&line).into_owned();
        state.commands.push(line.clone());
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_owned()),
            None => (line.trim().to_ascii_uppercase(), String::new()),
        };
        let creds = state.credentials.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match verb.as_str() {
            "EHLO" | "HELO" if arg.is_empty() => {
                c.reply(&format!("501 5.5.4 Syntax: {verb} hostname")).await?;
            }
            "EHLO" => {
                helo = Some(arg.clone());
                txn = Txn::default();
                let mut lines = vec![
                    host.clone(),
                    "PIPELINING".into(),
                    format!("SIZE {MAX_SIZE}"),
                    "8BITMIME".into(),
                    "SMTPUTF8".into(),
                    "ENHANCEDSTATUSCODES".into(),
                ];
                if creds.is_some() {
                    lines.push("AUTH PLAIN LOGIN".into());
                }
                let last = lines.len() - 1;
                let mut text = String::new();
                for (i, l) in lines.iter().enumerate() {
                    let sep = if i == last { ' ' } else { '-' };
                    text.push_str(&format!("250{sep}{l}"));
                    if i != last {
                        text.push_str("\r\n");
                    }
                }
                c.reply(&text).await?;
            }
            "HELO" => {
                helo = Some(arg.clone());
                txn = Txn::default();
                c.reply(&format!("250 {host}")).await?;
            }
            "AUTH" => {
                let Some(creds) = creds else {
                    c.reply("503 5.5.1 Error: authentication not enabled").await?;
                    continue;
                };
                if helo.is_none() {
                    c.reply("503 5.5.1 Error: send HELO/EHLO first").await?;
                    continue;
                }
                if auth_user.is_some() {
                    c.reply("503 5.5.1 Error: already authenticated").await?;
                    continue;
                }
                if txn.from.is_some() {
                    c.reply("503 5.5.1 Error: MAIL transaction in progress").await?;
                    continue;
                }
                match auth(&mut c, &arg).await? {
                    Auth::Creds(user, pass) if user == creds.user && pass == creds.password => {
                        auth_user = Some(user);
                        c.reply("235 2.7.0 Authentication successful").await?;
                    }
                    Auth::Creds(..) => {
                        c.reply("535 5.7.8 Error: authentication failed").await?;
                    }
                    Auth::Answered => {}
                    Auth::Malformed => {
                        c.reply("501 5.5.2 Syntax error in authentication data").await?;
                    }
                }
            }
            "MAIL" => {
                if helo.is_none() {
                    c.reply("503 5.5.1 Error: send HELO/EHLO first").await?;
                } else if creds.as_ref().is_some_and(|c| c.required) && auth_user.is_none() {
                    c.reply("530 5.7.0 Authentication required").await?;
                } else if txn.from.is_some() {
                    c.reply("503 5.5.1 Error: nested MAIL command").await?;
                } else if let Some(addr) = path_arg(&arg, "FROM:") {
                    txn.from = Some(addr);
                    c.reply("250 2.1.0 Ok").await?;
                } else {
                    c.reply("501 5.5.4 Syntax: MAIL FROM:<address>").await?;
                }
            }
            "RCPT" => {
                if txn.from.is_none() {
                    c.reply("503 5.5.1 Error: need MAIL command").await?;
                } else if let Some(addr) = path_arg(&arg, "TO:").filter(|a| !a.is_empty()) {
                    let unknown = state
                        .unknown_users
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .contains(&addr.to_ascii_lowercase());
                    if unknown {
                        c.reply(&format!(
                            "550 5.1.1 <{addr}>: Recipient address rejected: User unknown in \
                             local recipient table"
                        ))
                        .await?;
                    } else {
                        txn.rcpt.push(addr);
                        c.reply("250 2.1.5 Ok").await?;
                    }
                } else {
                    c.reply("501 5.5.4 Syntax: RCPT TO:<address>").await?;
                }
            }
            "DATA" => {
                if !arg.is_empty() {
                    c.reply("501 5.5.4 Syntax: DATA").await?;
                    continue;
                }
                if txn.rcpt.is_empty() {
                    let msg = if txn.from.is_none() {
                        "503 5.5.1 Error: need MAIL command"
                    } else {
                        "503 5.5.1 Error: need RCPT command"
                    };
                    c.reply(msg).await?;
                    continue;
                }
                let fault = state.faults.lock().unwrap_or_else(|e| e.into_inner()).pop_front().or_else(|| {
                    let window = state.window.lock().unwrap_or_else(|e| e.into_inner());
                    window.as_ref().filter(|(until, _)| std::time::Instant::now() < *until).map(|(_, f)| f.clone())
                });
                c.reply("354 End data with <CR><LF>.<CR><LF>").await?;
                let mut data = Vec::new();
                let mut first = true;
                loop {
                    let Some(l) = c.line().await? else {
                        return Ok(());
                    };
                    if first && fault == Some(SmtpFault::DropMidData) {
                        return Ok(());
                    }
                    first = false;
                    if l == b"." {
                        break;
                    }
                    // RFC 5321 §4.5.2: a leading dot was doubled by the client.
                    let l = if l.first() == Some(&b'.') { &l[1..] } else { &l[..] };
                    // Past SIZE the rest is read and dropped: the answer will be 552.
                    if data.len() <= MAX_SIZE {
                        data.extend_from_slice(l);
                        data.extend_from_slice(b"\r\n");
                    }
                }
                if data.len() > MAX_SIZE {
                    txn = Txn::default();
                    c.reply("552 5.3.4 Error: message file too big").await?;
                    continue;
                }
                let taken = std::mem::take(&mut txn);
                let id = format!("{:010X}", state.next_id.fetch_add(1, Ordering::Relaxed));
                let message = SmtpMessage {
                    helo: helo.clone().unwrap_or_default(),
                    auth_user: auth_user.clone(),
                    mail_from: taken.from.unwrap_or_default(),
                    rcpt_to: taken.rcpt,
                    data,
                    queue_id: id.clone(),
                    received_at: SystemTime::now(),
                };
                match fault {
                    Some(SmtpFault::TempFail451) => {
                        c.reply("451 4.3.0 Error: queue file write error").await?;
                    }
                    Some(SmtpFault::Shutdown421) => {
                        c.reply(&format!("421 4.3.0 {host} Service not available, closing transmission channel"))
                            .await?;
                        return Ok(());
                    }
                    Some(SmtpFault::Reject550) => {
                        c.reply("550 5.7.1 Message rejected").await?;
                    }
                    Some(SmtpFault::DropAfterData) => {
                        state.messages.push(message);
                        return Ok(());
                    }
                    Some(SmtpFault::Hang(d)) => {
                        state.messages.push(message);
                        tokio::time::sleep(d).await;
                        c.reply(&format!("250 2.0.0 Ok: queued as {id}")).await?;
                    }
                    Some(SmtpFault::DropMidData) | None => {
                        state.messages.push(message);
                        c.reply(&format!("250 2.0.0 Ok: queued as {id}")).await?;
                    }
                }
            }
            "RSET" => {
                txn = Txn::default();
                c.reply("250 2.0.0 Ok").await?;
            }
            "NOOP" => c.reply("250 2.0.0 Ok").await?,
            "VRFY" => c.reply("252 2.0.0 Cannot VRFY user").await?,
            "STARTTLS" => c.reply("454 4.7.0 TLS not available").await?,
            "QUIT" => {
                c.reply("221 2.0.0 Bye").await?;
                return Ok(());
            }
            "" => c.reply("500 5.5.2 Error: bad syntax").await?,
            _ => {
                c.reply("502 5.5.2 Error: command not recognized").await?;
            }
        }
    }
    Ok(())
}

/// `FROM:<a@b> SIZE=…` → `a@b`. Accepts a space after the colon, as Postfix does.
fn path_arg(arg: &str, keyword: &str) -> Option<String> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some(rest[..end].to_owned())
}

enum Auth {
    Creds(String, String),
    Malformed,
    /// An error reply was already sent.
    Answered,
}

fn creds(pair: Option<(String, String)>) -> Auth {
    pair.map_or(Auth::Malformed, |(u, p)| Auth::Creds(u, p))
}

/// Runs the AUTH exchange up to the point where the credentials are known.
async fn auth(c: &mut Conn, arg: &str) -> io::Result<Auth> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let (mech, initial) = match arg.split_once(' ') {
        Some((m, i)) => (m.to_ascii_uppercase(), Some(i.trim().to_owned())),
        None => (arg.to_ascii_uppercase(), None),
    };
    let decode = |s: &str| b64.decode(s.trim()).ok().and_then(|v| String::from_utf8(v).ok());
    match mech.as_str() {
        "PLAIN" => {
            let data = match initial {
                Some(i) => i,
                None => {
                    c.reply("334 ").await?;
                    let Some(l) = c.line().await? else {
                        return Ok(Auth::Malformed);
                    };
                    String::from_utf8_lossy(&l).into_owned()
                }
            };
            let Some(raw) = decode(&data) else {
                return Ok(Auth::Malformed);
            };
            // authzid \0 authcid \0 password
            let mut parts = raw.split('\0');
            let (_, user, pass) = (parts.next(), parts.next(), parts.next());
            Ok(creds(user.zip(pass).map(|(u, p)| (u.to_owned(), p.to_owned()))))
        }
        "LOGIN" => {
            let user = match initial {
                Some(i) => decode(&i),
                None => {
                    c.reply("334 VXNlcm5hbWU6").await?;
                    let Some(l) = c.line().await? else {
                        return Ok(Auth::Malformed);
                    };
                    decode(&String::from_utf8_lossy(&l))
                }
            };
            c.reply("334 UGFzc3dvcmQ6").await?;
            let Some(l) = c.line().await? else {
                return Ok(Auth::Malformed);
            };
            let pass = decode(&String::from_utf8_lossy(&l));
            Ok(creds(user.zip(pass)))
        }
        _ => {
            c.reply("504 5.5.4 Unrecognized authentication type").await?;
            Ok(Auth::Answered)
        }
    }
}
