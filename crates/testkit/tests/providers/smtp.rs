use std::time::{Duration, Instant};

use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use nobat_testkit::{SmtpFake, SmtpFault, SmtpMessage};

use crate::WAIT;

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Nobat//EN\r\nMETHOD:REQUEST\r\n\
BEGIN:VEVENT\r\nUID:appt-1@nobat\r\nDTSTAMP:20260320T100000Z\r\n\
DTSTART;TZID=Asia/Tehran:20260321T093000\r\nSUMMARY:نوبت دندانپزشکی\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

const SUBJECT: &str = "تأیید نوبت شما — ۱ فروردین ۱۴۰۵ ساعت ۹:۳۰";

fn mail(id: &str, to: &str) -> Message {
    Message::builder()
        .from("Nobat Clinic <noreply@clinic.test>".parse().expect("address"))
        .to(to.parse().expect("address"))
        .subject(SUBJECT)
        .message_id(Some(format!("<{id}@nobat.test>")))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain("نوبت شما ثبت شد.\nYour appointment is confirmed.".to_owned()))
                .singlepart(Attachment::new("appointment.ics".to_owned()).body(
                    ICS.to_owned(),
                    ContentType::parse("text/calendar; method=REQUEST; charset=utf-8").expect("content type"),
                )),
        )
        .expect("message builds")
}

fn transport(url: &str) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url).expect("smtp url").timeout(Some(Duration::from_secs(2))).build()
}

fn message_id(m: &SmtpMessage) -> Option<String> {
    m.mail().message_id()
}

#[tokio::test]
async fn lettre_mail_with_persian_subject_and_ics_is_received_and_decoded() {
    let smtp = SmtpFake::start().await.expect("start");
    transport(&smtp.url()).send(mail("m1", "patient@example.com")).await.expect("sent");
    let got = smtp.wait_for(1, WAIT).await;
    let m = &got[0];
    assert_eq!(m.mail_from, "noreply@clinic.test");
    assert_eq!(m.rcpt_to, ["patient@example.com"]);
    // The subject really travelled encoded (RFC 2047), and the fake decoded it.
    let raw = String::from_utf8_lossy(&m.data);
    assert!(!raw.contains(SUBJECT), "subject should be encoded on the wire");
    assert!(raw.to_ascii_lowercase().contains("=?utf-8?"), "{raw}");
    let parsed = m.mail();
    assert_eq!(parsed.subject().as_deref(), Some(SUBJECT));
    assert_eq!(parsed.message_id().as_deref(), Some("m1@nobat.test"));
    assert_eq!(parsed.from_address().as_deref(), Some("noreply@clinic.test"));
    assert!(parsed.text_body().expect("text body").contains("نوبت شما ثبت شد"));
    let ics = parsed.attachment_named(".ics").expect("ics attached");
    assert_eq!(ics.content_type, "text/calendar");
    assert_eq!(ics.filename.as_deref(), Some("appointment.ics"));
    assert!(ics.content_type_params.iter().any(|(k, v)| k == "method" && v == "REQUEST"));
    assert!(ics.text().contains("SUMMARY:نوبت دندانپزشکی"), "{}", ics.text());
    assert!(parsed.attachment_of_type("text/calendar").is_some());
    let dtstart = ics.ics_properties("DTSTART");
    assert_eq!(dtstart, [(vec![("TZID".to_owned(), "Asia/Tehran".to_owned())], "20260321T093000".to_owned())]);
    smtp.messages().assert_exactly_once(message_id, ["m1@nobat.test"]);
}

#[tokio::test]
async fn auth_plain_is_required_when_configured() {
    let smtp = SmtpFake::start().await.expect("start");
    smtp.set_credentials("nobat", "s3cret", true);
    let anonymous = transport(&smtp.url()).send(mail("a0", "p@example.com")).await;
    let err = anonymous.expect_err("530 without AUTH");
    assert!(err.is_permanent(), "{err}");
    let url = format!("smtp://nobat:wrong@127.0.0.1:{}", smtp.port());
    assert!(transport(&url).send(mail("a1", "p@example.com")).await.is_err());
    let url = format!("smtp://nobat:s3cret@127.0.0.1:{}", smtp.port());
    transport(&url).send(mail("a2", "p@example.com")).await.expect("authenticated send");
    let got = smtp.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].auth_user.as_deref(), Some("nobat"));
}

#[tokio::test]
async fn temporary_and_permanent_failures_at_data() {
    let smtp = SmtpFake::start().await.expect("start");
    let t = transport(&smtp.url());
    smtp.fail_next(1, SmtpFault::TempFail451);
    smtp.fail_next(1, SmtpFault::Shutdown421);
    smtp.fail_next(1, SmtpFault::Reject550);
    let e = t.send(mail("f1", "p@example.com")).await.expect_err("451");
    assert!(e.is_transient(), "{e}");
    let e = t.send(mail("f1", "p@example.com")).await.expect_err("421");
    assert!(e.is_transient(), "{e}");
    let e = t.send(mail("f1", "p@example.com")).await.expect_err("550");
    assert!(e.is_permanent(), "{e}");
    assert!(smtp.messages().is_empty(), "refused messages are not kept");
    t.send(mail("f1", "p@example.com")).await.expect("fourth try");
    smtp.messages().assert_exactly_once(message_id, ["f1@nobat.test"]);
}

#[tokio::test]
async fn a_relay_down_for_a_while_recovers_by_itself() {
    let smtp = SmtpFake::start().await.expect("start");
    let t = transport(&smtp.url());
    smtp.fail_for(Duration::from_millis(1500), SmtpFault::TempFail451);
    let e = t.send(mail("w1", "p@example.com")).await.expect_err("451");
    assert!(e.is_transient(), "{e}");
    tokio::time::sleep(Duration::from_millis(1600)).await;
    t.send(mail("w1", "p@example.com")).await.expect("after the window");
    smtp.messages().assert_exactly_once(message_id, ["w1@nobat.test"]);
}

#[tokio::test]
async fn dropped_and_hung_connections() {
    let smtp = SmtpFake::start().await.expect("start");
    let t = transport(&smtp.url());
    smtp.fail_next(1, SmtpFault::DropMidData);
    assert!(t.send(mail("d1", "p@example.com")).await.is_err());
    assert!(smtp.messages().is_empty(), "a message cut mid-DATA is not kept");

    // Taken but never acknowledged: the client sees an error, the provider has the mail.
    smtp.fail_next(1, SmtpFault::DropAfterData);
    assert!(t.send(mail("d2", "p@example.com")).await.is_err());
    assert_eq!(smtp.messages().len(), 1);

    // lettre's own timeout covers connecting only; a sender bounds the whole send itself.
    smtp.fail_next(1, SmtpFault::Hang(Duration::from_secs(4)));
    let started = Instant::now();
    let sent = tokio::time::timeout(Duration::from_millis(500), t.send(mail("d3", "p@example.com")));
    assert!(sent.await.is_err(), "still waiting for the 250 after 500 ms");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(smtp.messages().len(), 2);
    assert!(smtp.messages().duplicates(message_id).is_empty());
}

#[tokio::test]
async fn stopped_server_refuses_then_comes_back_on_the_same_port() {
    let smtp = SmtpFake::start().await.expect("start");
    let t = transport(&smtp.url());
    smtp.stop().await;
    let e = t.send(mail("r1", "p@example.com")).await.expect_err("refused");
    assert!(!e.is_permanent(), "{e}");
    smtp.restart().await.expect("restart");
    t.send(mail("r1", "p@example.com")).await.expect("after restart");
    smtp.messages().assert_exactly_once(message_id, ["r1@nobat.test"]);
}

#[tokio::test]
async fn slow_server_and_no_nagle_stall() {
    let smtp = SmtpFake::start().await.expect("start");
    let t = transport(&smtp.url());
    // 30 sequential messages, one connection each: with a delayed-ACK stall this takes
    // ~40 ms a message; without, a few ms.
    // The fastest of 30, so that a machine busy with the rest of the suite does not decide: a
    // stall hits every message, so even the fastest would take ~40 ms.
    let mut times = Vec::new();
    for i in 0..30 {
        let started = Instant::now();
        t.send(mail(&format!("n{i}"), "p@example.com")).await.expect("sent");
        times.push(started.elapsed());
    }
    times.sort();
    let (fastest, median) = (times[0], times[times.len() / 2]);
    eprintln!("smtp fake: fastest {fastest:?}, median {median:?} per message through lettre (new connection each)");
    assert!(fastest < Duration::from_millis(30), "fastest {fastest:?} per message: a Nagle stall?");
    smtp.messages().assert_exactly_once(message_id, (0..30).map(|i| format!("n{i}@nobat.test")));

    smtp.set_delay(Duration::from_millis(100));
    let started = Instant::now();
    t.send(mail("slow", "p@example.com")).await.expect("slow send");
    // Each reply waits 100 ms; at least five of them (EHLO, MAIL, RCPT, DATA, end of data)
    // come before the send is done — whether lettre waits for QUIT's reply is its business.
    assert!(started.elapsed() >= Duration::from_millis(500), "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_concurrent_senders_is_received_exactly_once() {
    let smtp = SmtpFake::start().await.expect("start");
    let t = transport(&smtp.url());
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let t = t.clone();
        tasks.spawn(async move { t.send(mail(&format!("b{i}"), "p@example.com")).await });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("joined").expect("sent");
    }
    eprintln!("smtp fake: 200 concurrent lettre sends in {:?}", started.elapsed());
    smtp.wait_for(200, WAIT).await;
    smtp.messages().assert_exactly_once(message_id, (0..200).map(|i| format!("b{i}@nobat.test")));
}
