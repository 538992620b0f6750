//! SMTP protocol edge cases spoken by hand over a TcpStream.

use nobat_testkit::SmtpFake;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::WAIT;

struct Client {
    r: BufReader<OwnedReadHalf>,
    w: OwnedWriteHalf,
}

impl Client {
    async fn connect(smtp: &SmtpFake) -> (Self, String) {
        let s = TcpStream::connect(smtp.addr()).await.expect("connect");
        let (r, w) = s.into_split();
        let mut c = Self { r: BufReader::new(r), w };
        let greeting = c.reply().await;
        (c, greeting)
    }

    /// A whole (possibly multi-line) reply, lines joined with '\n'.
    async fn reply(&mut self) -> String {
        let mut out = Vec::new();
        loop {
            let mut line = String::new();
            let n =
                tokio::time::timeout(WAIT, self.r.read_line(&mut line)).await.expect("reply in time").expect("read");
            assert!(n > 0, "connection closed; got so far {out:?}");
            assert!(line.ends_with("\r\n"), "replies end with CRLF: {line:?}");
            let line = line.trim_end().to_owned();
            let last = line.as_bytes().get(3) != Some(&b'-');
            out.push(line);
            if last {
                return out.join("\n");
            }
        }
    }

    async fn send(&mut self, raw: &str) {
        self.w.write_all(raw.as_bytes()).await.expect("write");
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r\n")).await;
        self.reply().await
    }
}

#[tokio::test]
async fn command_sequence_errors_answer_like_a_real_server() {
    let smtp = SmtpFake::start().await.expect("start");
    let (mut c, greeting) = Client::connect(&smtp).await;
    assert!(greeting.starts_with("220 "), "{greeting}");
    assert!(c.cmd("MAIL FROM:<a@b.c>").await.starts_with("503 5.5.1"));
    assert!(c.cmd("EHLO").await.starts_with("501"));
    let ehlo = c.cmd("EHLO client.test").await;
    let lines: Vec<&str> = ehlo.lines().collect();
    assert!(lines.len() > 2 && lines[..lines.len() - 1].iter().all(|l| l.starts_with("250-")));
    assert!(lines.last().expect("last").starts_with("250 "));
    assert!(ehlo.contains("8BITMIME") && ehlo.contains("PIPELINING"));
    assert!(!ehlo.contains("AUTH"), "no AUTH advertised without credentials");
    assert!(c.cmd("RCPT TO:<x@y.z>").await.starts_with("503"));
    assert!(c.cmd("DATA").await.starts_with("503"));
    assert!(c.cmd("MAIL FROM:a@b.c").await.starts_with("501"));
    assert!(c.cmd("MAIL FROM:<a@b.c> SIZE=100").await.starts_with("250 2.1.0"));
    assert!(c.cmd("MAIL FROM:<a@b.c>").await.starts_with("503"), "nested MAIL");
    assert!(c.cmd("DATA").await.starts_with("503 5.5.1 Error: need RCPT"));
    assert!(c.cmd("RCPT TO:<x@y.z>").await.starts_with("250 2.1.5"));
    assert!(c.cmd("RSET").await.starts_with("250"));
    assert!(c.cmd("RCPT TO:<x@y.z>").await.starts_with("503"), "RSET forgot MAIL");
    assert!(c.cmd("NOOP").await.starts_with("250"));
    assert!(c.cmd("VRFY x").await.starts_with("252"));
    assert!(c.cmd("XYZZY").await.starts_with("502"));
    assert!(c.cmd("STARTTLS").await.starts_with("454"));
    assert!(c.cmd("QUIT").await.starts_with("221"));
    assert!(smtp.messages().is_empty());
}

#[tokio::test]
async fn dot_stuffing_is_undone_and_pipelined_commands_are_answered_in_order() {
    let smtp = SmtpFake::start().await.expect("start");
    let (mut c, _) = Client::connect(&smtp).await;
    c.cmd("HELO me").await;
    // PIPELINING: the whole envelope in one write, three replies in order.
    c.send("MAIL FROM:<>\r\nRCPT TO:<a@x.test>\r\nRCPT TO: <b@x.test>\r\n").await;
    assert!(c.reply().await.starts_with("250"));
    assert!(c.reply().await.starts_with("250"));
    assert!(c.reply().await.starts_with("250"));
    assert!(c.cmd("DATA").await.starts_with("354"));
    c.send("Subject: dots\r\n\r\n..leading dot\r\n.\r\n").await;
    assert!(c.reply().await.starts_with("250 2.0.0 Ok: queued as"));
    c.send("..\r\nnot the end\r\n").await; // outside DATA these are just bad commands
    assert!(c.reply().await.starts_with("502"));
    assert!(c.reply().await.starts_with("502"));
    let m = &smtp.wait_for(1, WAIT).await[0];
    assert_eq!(m.mail_from, "");
    assert_eq!(m.rcpt_to, ["a@x.test", "b@x.test"]);
    assert_eq!(m.data, b"Subject: dots\r\n\r\n.leading dot\r\n");
    assert_eq!(m.mail().subject().as_deref(), Some("dots"));
}

#[tokio::test]
async fn auth_login_and_plain_by_hand() {
    let smtp = SmtpFake::start().await.expect("start");
    smtp.set_credentials("user", "pass", false);
    let (mut c, _) = Client::connect(&smtp).await;
    assert!(c.cmd("AUTH PLAIN AHVzZXIAcGFzcw==").await.starts_with("503"), "before EHLO");
    assert!(c.cmd("EHLO me").await.contains("250 AUTH PLAIN LOGIN"));
    assert_eq!(c.cmd("AUTH LOGIN").await, "334 VXNlcm5hbWU6");
    assert_eq!(c.cmd("dXNlcg==").await, "334 UGFzc3dvcmQ6"); // "user"
    assert!(c.cmd("d3Jvbmc=").await.starts_with("535 5.7.8")); // "wrong"
    assert!(c.cmd("AUTH CRAM-MD5").await.starts_with("504"));
    assert!(c.cmd("AUTH PLAIN !!!").await.starts_with("501"));
    // "\0user\0pass"
    assert!(c.cmd("AUTH PLAIN AHVzZXIAcGFzcw==").await.starts_with("235"));
    assert!(c.cmd("AUTH PLAIN AHVzZXIAcGFzcw==").await.starts_with("503"));
}

#[tokio::test]
async fn unknown_recipients_get_550_and_oversized_messages_552() {
    let smtp = SmtpFake::start().await.expect("start");
    smtp.reject_recipient("Gone@Example.com");
    let (mut c, _) = Client::connect(&smtp).await;
    c.cmd("EHLO me").await;
    c.cmd("MAIL FROM:<a@b.c>").await;
    assert!(c.cmd("RCPT TO:<gone@example.com>").await.starts_with("550 5.1.1"));
    assert!(c.cmd("RCPT TO:<here@example.com>").await.starts_with("250"));
    assert!(c.cmd("DATA").await.starts_with("354"));
    c.send("Subject: one\r\n\r\nhi\r\n.\r\n").await;
    assert!(c.reply().await.starts_with("250"));
    assert_eq!(smtp.wait_for(1, WAIT).await[0].rcpt_to, ["here@example.com"]);

    c.cmd("MAIL FROM:<a@b.c>").await;
    c.cmd("RCPT TO:<here@example.com>").await;
    assert!(c.cmd("DATA").await.starts_with("354"));
    let line = format!("{}\r\n", "x".repeat(998));
    let big = line.repeat(10_240_000 / 1000 + 50);
    c.send(&big).await;
    c.send(".\r\n").await;
    assert!(c.reply().await.starts_with("552 5.3.4"));
    assert_eq!(smtp.messages().len(), 1, "the oversized message is not kept");
    assert!(c.cmd("NOOP").await.starts_with("250"), "the session goes on");
}
