//! Delivering the email outbox on both backends: sent mail is marked and never sent again,
//! failures wait longer and longer and are tried again, the sender gives up after the limit
//! (or at once on a refusal) and an administrator can retry, two deliverers on one database
//! never send one mail twice, and the real SMTP transport talks to a small SMTP server.

use crate::on_both_backends;
use crate::support::{app, Client};
use async_trait::async_trait;
use shopflow::accounts::service::{ensure_staff, load_actor};
use shopflow::accounts::Actor;
use shopflow::domain::{now_millis, AppError, Role};
use shopflow::outbox::sender::{deliver_due, DeliveryReport, MailTransport, OutgoingMail, SendError, SmtpMailer, LEASE_MS};
use shopflow::outbox::service::{enqueue, get, retry_now};
use shopflow::outbox::{Delivery, MAX_ATTEMPTS};
use shopflow::server::config::SmtpConfig;
use shopflow::server::demo::{self, DEMO_PASSWORD};
use shopflow::server::Db;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MINUTE: i64 = 60_000;

/// Queues one mail as a service would, in its own transaction, and returns its id.
async fn queue(db: &Db, to: &str, subject: &str) -> i64 {
    let mut tx = db.begin().await.unwrap();
    enqueue(&mut tx, to, subject, "Dear customer,\n\n您的工单已收到。", "ticket", 1).await.unwrap();
    tx.commit().await.unwrap();
    sqlx::query_as::<_, (i64,)>("SELECT MAX(id) FROM outbox_emails").fetch_one(db.pool()).await.unwrap().0
}

async fn admin(db: &Db) -> Actor {
    let id = ensure_staff(db, "postmaster@shopflow.test", "Postmaster", "postmaster-pass-1", &[Role::Admin]).await.unwrap();
    load_actor(db, id).await.unwrap().unwrap()
}

/// A transport that records what it is given and fails the addresses it is told to.
#[derive(Default)]
struct Fake {
    tries: Mutex<Vec<i64>>,
    sent: Mutex<Vec<i64>>,
    failing: Mutex<HashMap<String, SendError>>,
    delay: Duration,
}

impl Fake {
    fn fail(&self, to: &str, err: SendError) {
        self.failing.lock().unwrap().insert(to.to_string(), err);
    }
    fn heal(&self, to: &str) {
        self.failing.lock().unwrap().remove(to);
    }
    fn tries(&self) -> Vec<i64> {
        self.tries.lock().unwrap().clone()
    }
    fn sent(&self) -> Vec<i64> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait]
impl MailTransport for Fake {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        self.tries.lock().unwrap().push(mail.id);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let failure = self.failing.lock().unwrap().get(&mail.to).cloned();
        match failure {
            Some(err) => Err(err),
            None => {
                self.sent.lock().unwrap().push(mail.id);
                Ok(())
            }
        }
    }
}

fn transient() -> SendError {
    SendError::Transient("451 4.3.0 try again later".into())
}

on_both_backends!(sent_mail_is_marked_and_never_sent_again, async |db: Db| {
    let fake = Fake::default();
    let a = queue(&db, "a@example.test", "[Ticket #1] first").await;
    let b = queue(&db, "b@example.test", "[Ticket #2] second").await;
    assert_eq!(get(&db, a).await.unwrap().delivery(), Delivery::Queued);

    let t0 = now_millis();
    let report = deliver_due(&db, &fake, t0, 10).await.unwrap();
    assert_eq!(report, DeliveryReport { sent: 2, due: 2, ..Default::default() });
    // Oldest first.
    assert_eq!(fake.sent(), vec![a, b]);
    for id in [a, b] {
        let m = get(&db, id).await.unwrap();
        assert!(matches!(m.delivery(), Delivery::Sent { at } if at >= t0), "{m:?}");
        assert_eq!(m.attempts, 0);
    }
    // A later pass, even much later, finds nothing to send.
    let report = deliver_due(&db, &fake, t0 + 30 * 24 * 60 * MINUTE, 10).await.unwrap();
    assert_eq!(report, DeliveryReport::default());
    assert_eq!(fake.tries().len(), 2);
    // The batch size is respected; the rest waits for the next pass.
    let ids = [queue(&db, "c@example.test", "c").await, queue(&db, "d@example.test", "d").await, queue(&db, "e@example.test", "e").await];
    assert_eq!(deliver_due(&db, &fake, t0, 2).await.unwrap().sent, 2);
    assert_eq!(deliver_due(&db, &fake, t0, 2).await.unwrap().sent, 1);
    assert_eq!(fake.sent()[2..], ids);
});

on_both_backends!(failures_back_off_and_are_tried_again_later, async |db: Db| {
    let fake = Fake::default();
    fake.fail("down@example.test", transient());
    let down = queue(&db, "down@example.test", "[Ticket #1] reply").await;
    let other = queue(&db, "fine@example.test", "[Ticket #2] reply").await;

    let t0 = now_millis();
    let report = deliver_due(&db, &fake, t0, 10).await.unwrap();
    // A transient failure ends the pass: the next mail is not tried, nor charged a try.
    assert_eq!((report.retrying, report.sent), (1, 0));
    assert_eq!(fake.tries(), vec![down]);
    assert_eq!(get(&db, other).await.unwrap().delivery(), Delivery::Queued);
    let m = get(&db, down).await.unwrap();
    let Delivery::Retrying { attempts, next_at, error } = m.delivery() else { panic!("{m:?}") };
    assert_eq!(attempts, 1);
    assert!(error.contains("451"), "{error}");
    assert!((t0 + MINUTE..t0 + MINUTE + 5_000).contains(&next_at), "first retry after a minute: {}", next_at - t0);

    // Before the minute is up only the other mail goes.
    let report = deliver_due(&db, &fake, t0 + 50_000, 10).await.unwrap();
    assert_eq!((report.sent, report.retrying), (1, 0));
    assert_eq!(fake.tries(), vec![down, other]);

    // After it, the failing mail is tried again and waits five minutes more.
    let t1 = t0 + MINUTE + 5_000;
    assert_eq!(deliver_due(&db, &fake, t1, 10).await.unwrap().retrying, 1);
    let m = get(&db, down).await.unwrap();
    let Delivery::Retrying { attempts, next_at, .. } = m.delivery() else { panic!("{m:?}") };
    assert_eq!(attempts, 2);
    assert!((t1 + 5 * MINUTE..t1 + 5 * MINUTE + 5_000).contains(&next_at), "second retry after five minutes: {}", next_at - t1);
    assert_eq!(deliver_due(&db, &fake, t1 + 4 * MINUTE, 10).await.unwrap(), DeliveryReport::default());

    // The relay recovers: the mail goes out, keeping the count of failed tries.
    fake.heal("down@example.test");
    assert_eq!(deliver_due(&db, &fake, t1 + 6 * MINUTE, 10).await.unwrap().sent, 1);
    let m = get(&db, down).await.unwrap();
    assert!(matches!(m.delivery(), Delivery::Sent { .. }), "{m:?}");
    assert_eq!(m.attempts, 2);
    assert_eq!(fake.sent(), vec![other, down]);
});

on_both_backends!(the_sender_gives_up_after_the_limit_and_an_admin_can_retry, async |db: Db| {
    let fake = Fake::default();
    fake.fail("gone@example.test", transient());
    let id = queue(&db, "gone@example.test", "[Ticket #1] reply").await;
    let admin = admin(&db).await;

    // A queued mail has nothing to retry yet.
    assert!(matches!(retry_now(&db, &admin, id).await, Err(AppError::Conflict(_))));

    let mut now = now_millis();
    for n in 1..=MAX_ATTEMPTS {
        let report = deliver_due(&db, &fake, now, 10).await.unwrap();
        if n < MAX_ATTEMPTS {
            assert_eq!(report.retrying, 1, "try {n}");
        } else {
            assert_eq!(report.gave_up, 1, "try {n}");
        }
        now += 13 * 60 * MINUTE;
    }
    let m = get(&db, id).await.unwrap();
    let Delivery::Failed { attempts, .. } = m.delivery() else { panic!("{m:?}") };
    assert_eq!(attempts, MAX_ATTEMPTS);
    // Given up means given up: no further passes try it, however late.
    assert_eq!(deliver_due(&db, &fake, now + 365 * 24 * 60 * MINUTE, 10).await.unwrap(), DeliveryReport::default());
    assert_eq!(fake.tries().len() as i64, MAX_ATTEMPTS);

    // The administrator retries: one more try, which fails, and the mail is failed again.
    let m = retry_now(&db, &admin, id).await.unwrap();
    assert!(matches!(m.delivery(), Delivery::Retrying { attempts: MAX_ATTEMPTS, .. }), "{m:?}");
    assert_eq!(deliver_due(&db, &fake, now_millis(), 10).await.unwrap().gave_up, 1);
    assert_eq!(get(&db, id).await.unwrap().attempts, MAX_ATTEMPTS + 1);
    // Fixed at the relay, retried, sent.
    fake.heal("gone@example.test");
    retry_now(&db, &admin, id).await.unwrap();
    assert_eq!(deliver_due(&db, &fake, now_millis(), 10).await.unwrap().sent, 1);
    assert!(matches!(get(&db, id).await.unwrap().delivery(), Delivery::Sent { .. }));
    // Sent mail is not retried (that would be a duplicate); unknown mail is not found.
    assert!(matches!(retry_now(&db, &admin, id).await, Err(AppError::Conflict(_))));
    assert_eq!(retry_now(&db, &admin, 999_999).await.unwrap_err(), AppError::NotFound);
    // Each retry is in the audit log with who did it.
    let (retries,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE entity = 'outbox_email' AND entity_id = $1 AND action = 'retry' AND actor_id = $2")
        .bind(id)
        .bind(admin.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(retries, 2);
});

on_both_backends!(a_refusal_gives_up_at_once_and_the_pass_goes_on, async |db: Db| {
    let fake = Fake::default();
    fake.fail("nobody@example.test", SendError::Permanent("550 5.1.1 no such mailbox".into()));
    let refused = queue(&db, "nobody@example.test", "[Ticket #1] reply").await;
    let fine = queue(&db, "fine@example.test", "[Ticket #2] reply").await;
    let admin = admin(&db).await;

    let report = deliver_due(&db, &fake, now_millis(), 10).await.unwrap();
    assert_eq!((report.gave_up, report.sent), (1, 1));
    assert_eq!(fake.sent(), vec![fine]);
    let m = get(&db, refused).await.unwrap();
    let Delivery::Failed { attempts, error, .. } = m.delivery() else { panic!("{m:?}") };
    assert_eq!(attempts, 1);
    assert!(error.contains("550"), "{error}");
    assert!(m.can_retry());
    // A waiting mail can be pulled forward too.
    fake.fail("slow@example.test", transient());
    let slow = queue(&db, "slow@example.test", "[Ticket #3] reply").await;
    let t0 = now_millis();
    deliver_due(&db, &fake, t0, 10).await.unwrap();
    assert!(matches!(get(&db, slow).await.unwrap().delivery(), Delivery::Retrying { .. }));
    assert_eq!(deliver_due(&db, &fake, t0 + 1_000, 10).await.unwrap().due, 0);
    retry_now(&db, &admin, slow).await.unwrap();
    assert_eq!(deliver_due(&db, &fake, now_millis() + 1_000, 10).await.unwrap().due, 1);
});

on_both_backends!(two_deliverers_never_send_one_mail_twice, async |db: Db| {
    let mut ids = Vec::new();
    for n in 0..30 {
        ids.push(queue(&db, &format!("c{n}@example.test"), &format!("[Ticket #{n}] reply")).await);
    }
    // Slow sends, so the deliverers overlap: each found the same due mail at its start.
    let fake = Arc::new(Fake { delay: Duration::from_millis(20), ..Default::default() });
    let now = now_millis();
    let mut runs = Vec::new();
    for _ in 0..3 {
        let (db, fake) = (db.clone(), fake.clone());
        runs.push(tokio::spawn(async move { deliver_due(&db, &*fake, now, 100).await.unwrap() }));
    }
    let mut reports = Vec::new();
    for run in runs {
        reports.push(run.await.unwrap());
    }
    let mut tries = fake.tries();
    tries.sort();
    assert_eq!(tries, ids, "every mail tried exactly once: {reports:?}");
    assert_eq!(reports.iter().map(|r| r.sent).sum::<usize>(), ids.len());
    assert!(reports.iter().map(|r| r.held_elsewhere).sum::<usize>() > 0, "the deliverers overlapped: {reports:?}");
    let (unsent,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox_emails WHERE sent_at IS NULL OR claimed_until IS NOT NULL").fetch_one(db.pool()).await.unwrap();
    assert_eq!(unsent, 0);
});

on_both_backends!(a_hold_left_by_a_stopped_instance_runs_out, async |db: Db| {
    let fake = Fake::default();
    let id = queue(&db, "a@example.test", "[Ticket #1] reply").await;
    let t0 = now_millis();
    // Another instance took the mail and stopped before it could record anything.
    sqlx::query("UPDATE outbox_emails SET claimed_until = $1 WHERE id = $2").bind(t0 + LEASE_MS).bind(id).execute(db.writer()).await.unwrap();
    assert_eq!(deliver_due(&db, &fake, t0, 10).await.unwrap(), DeliveryReport::default());
    assert_eq!(deliver_due(&db, &fake, t0 + LEASE_MS - 1, 10).await.unwrap(), DeliveryReport::default());
    assert_eq!(deliver_due(&db, &fake, t0 + LEASE_MS + 1, 10).await.unwrap().sent, 1);
    assert_eq!(fake.sent(), vec![id]);
});

/// The part of the outbox page about mail `id`.
fn mail_on_page(page: &str, id: i64) -> String {
    let start = page.find(&format!("data-mail=\"{id}\"")).unwrap_or_else(|| panic!("mail {id} is on the page"));
    let rest = &page[start..];
    rest[..rest.find("</li>").unwrap_or(rest.len())].to_string()
}

on_both_backends!(the_outbox_page_shows_where_each_mail_stands, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let fake = Fake::default();
    deliver_due(&db, &fake, now_millis(), 1000).await.unwrap();
    let sent = queue(&db, "fine@example.test", "[Ticket #1] sent").await;
    fake.fail("gone@example.test", SendError::Permanent("550 5.1.1 no such mailbox".into()));
    let failed = queue(&db, "gone@example.test", "[Ticket #2] refused").await;
    deliver_due(&db, &fake, now_millis(), 10).await.unwrap();
    fake.fail("slow@example.test", transient());
    let retrying = queue(&db, "slow@example.test", "[Ticket #3] waiting").await;
    deliver_due(&db, &fake, now_millis(), 10).await.unwrap();
    let queued = queue(&db, "new@example.test", "[Ticket #4] queued").await;

    let mut admin = Client::new(&app(&db));
    assert_eq!(admin.login("admin@shopflow.test", DEMO_PASSWORD).await.status, 200);
    let page = admin.get("/admin/outbox").await;
    assert_eq!(page.status, 200);
    // The tests' configuration has no relay: the page says why nothing leaves.
    assert!(page.body.contains("data-testid=\"delivery-off\""));
    let item = mail_on_page(&page.body, sent);
    assert!(item.contains("data-delivery=\"sent\"") && item.contains("sent at") && !item.contains("Retry now"), "{item}");
    let item = mail_on_page(&page.body, failed);
    assert!(item.contains("data-delivery=\"failed\"") && item.contains("550 5.1.1 no such mailbox") && item.contains("Retry now"), "{item}");
    let item = mail_on_page(&page.body, retrying);
    assert!(item.contains("data-delivery=\"retrying\"") && item.contains("next try") && item.contains("451") && item.contains("Retry now"), "{item}");
    let item = mail_on_page(&page.body, queued);
    assert!(item.contains("data-delivery=\"queued\"") && !item.contains("Retry now"), "{item}");

    // "Retry now" through the server function makes the failed mail due again.
    let reply = admin.form("/api/retry_outbox_email", &format!("id={failed}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let m = get(&db, failed).await.unwrap();
    assert!(matches!(m.delivery(), Delivery::Retrying { attempts: 1, .. }), "{m:?}");
    let reply = admin.form("/api/retry_outbox_email", &format!("id={sent}")).await;
    assert_eq!(reply.status, 409, "{}", reply.body);
    // An agent reads tickets but not the outbox, and retries nothing.
    let mut agent = Client::new(&app(&db));
    agent.login("service@shopflow.test", DEMO_PASSWORD).await;
    assert_eq!(agent.form("/api/retry_outbox_email", &format!("id={retrying}")).await.status, 403);
});

// ------------------------------------------------------------------ the real SMTP transport

/// What a tiny SMTP server received in one mail transaction.
#[derive(Debug, Clone)]
struct Received {
    from: String,
    to: Vec<String>,
    data: String,
}

/// A local SMTP server that speaks just enough of the protocol for lettre, keeps what it
/// receives and refuses one recipient with 550.
async fn smtp_server(refuse: &'static str) -> (u16, Arc<Mutex<Vec<Received>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = Arc::new(Mutex::new(Vec::new()));
    let store = inbox.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read);
                let _ = write.write_all(b"220 sink.test ESMTP\r\n").await;
                let (mut from, mut to) = (String::new(), Vec::new());
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        break;
                    }
                    let command = line.trim_end().to_string();
                    let verb = command.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
                    let answer = match verb.as_str() {
                        "EHLO" | "HELO" => "250 sink.test",
                        "MAIL" => {
                            from = command.split_once(':').map(|(_, a)| a.trim().to_string()).unwrap_or_default();
                            "250 2.1.0 ok"
                        }
                        "RCPT" => {
                            let address = command.split_once(':').map(|(_, a)| a.trim().to_string()).unwrap_or_default();
                            if address.contains(refuse) {
                                "550 5.1.1 no such mailbox"
                            } else {
                                to.push(address);
                                "250 2.1.5 ok"
                            }
                        }
                        "DATA" => {
                            let _ = write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await;
                            let mut data = String::new();
                            loop {
                                line.clear();
                                if lines.read_line(&mut line).await.unwrap_or(0) == 0 || line == ".\r\n" {
                                    break;
                                }
                                data.push_str(&line);
                            }
                            store.lock().unwrap().push(Received { from: std::mem::take(&mut from), to: std::mem::take(&mut to), data });
                            "250 2.0.0 queued"
                        }
                        "RSET" => {
                            (from, to) = (String::new(), Vec::new());
                            "250 2.0.0 ok"
                        }
                        "NOOP" => "250 2.0.0 ok",
                        "QUIT" => {
                            let _ = write.write_all(b"221 2.0.0 bye\r\n").await;
                            break;
                        }
                        _ => "502 5.5.2 not implemented",
                    };
                    if write.write_all(format!("{answer}\r\n").as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, inbox)
}

on_both_backends!(the_smtp_transport_delivers_to_an_smtp_server, async |db: Db| {
    let (port, inbox) = smtp_server("nobody@").await;
    let config = SmtpConfig { url: format!("smtp://127.0.0.1:{port}"), from: SmtpConfig::DEFAULT_FROM.into() };
    let mailer = SmtpMailer::new(&config).unwrap();
    let id = queue(&db, "cathy@example.test", "[Ticket #7] We have your message").await;
    let refused = queue(&db, "nobody@example.test", "[Ticket #8] Reply").await;

    let report = deliver_due(&db, &mailer, now_millis(), 10).await.unwrap();
    assert_eq!((report.sent, report.gave_up), (1, 1), "{report:?}");
    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].from, "<no-reply@shopflow.test>");
    assert_eq!(got[0].to, vec!["<cathy@example.test>".to_string()]);
    // The message itself, decoded: subject, sender, the Chinese body intact.
    let message = mail_parser::MessageParser::default().parse(got[0].data.as_bytes()).expect("a mail message");
    assert_eq!(message.subject(), Some("[Ticket #7] We have your message"));
    assert_eq!(message.from().and_then(|f| f.first()).and_then(|a| a.address()), Some("no-reply@shopflow.test"));
    assert!(message.body_text(0).unwrap_or_default().contains("您的工单已收到。"), "{}", got[0].data);
    assert_eq!(message.message_id().map(|m| m.starts_with(&format!("outbox-{id}-"))), Some(true));
    assert!(matches!(get(&db, id).await.unwrap().delivery(), Delivery::Sent { .. }));
    // The 550 is a refusal: given up at once, with the server's answer kept.
    let m = get(&db, refused).await.unwrap();
    let Delivery::Failed { error, .. } = m.delivery() else { panic!("{m:?}") };
    assert!(error.contains("550") || error.contains("no such mailbox"), "{error}");

    // No server listening: a transient failure, tried again in a minute.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_port = closed.local_addr().unwrap().port();
    drop(closed);
    let dead = SmtpMailer::new(&SmtpConfig { url: format!("smtp://127.0.0.1:{dead_port}"), from: SmtpConfig::DEFAULT_FROM.into() }).unwrap();
    let later = queue(&db, "dora@example.test", "[Ticket #9] Reply").await;
    let report = deliver_due(&db, &dead, now_millis(), 10).await.unwrap();
    assert_eq!(report.retrying, 1, "{report:?}");
    assert!(matches!(get(&db, later).await.unwrap().delivery(), Delivery::Retrying { attempts: 1, .. }));
});
