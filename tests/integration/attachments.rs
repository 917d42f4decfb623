//! Attachments on both backends: a customer's photo goes with their complaint and only those
//! who may read the ticket can open it; an agent's file goes out with the reply's mail, a
//! note's stays inside; files in mail are kept; return requests take pictures only; a file
//! that is too large, someone else's, or sent twice is refused and nothing is half-written.

use crate::on_both_backends;
use crate::support::{app, demo_actor, Client};
use shopflow::attachments::{service as files, MAX_ATTACHMENT_BYTES};
use shopflow::domain::AppError;
use shopflow::server::demo::{self, DEMO_PASSWORD};
use shopflow::server::Db;
use shopflow::tickets::service::{self, TicketPolicy};
use shopflow::tickets::TicketInput;
use std::collections::HashMap;

const POLICY: TicketPolicy = TicketPolicy { reopen_days: 7 };
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR not a whole picture, but a PNG by its signature";
const BOUNDARY: &str = "attachmentboundary";

/// A multipart upload of one file, as the browser's picker sends it.
fn upload_body(name: &str, bytes: &[u8], purpose: &str) -> Vec<u8> {
    let mut body = Vec::new();
    if !purpose.is_empty() {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n{purpose}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(client: &mut Client, name: &str, bytes: &[u8], purpose: &str) -> crate::support::Reply {
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    client.send_bytes("POST", "/api/upload_attachment", Some(&ct), upload_body(name, bytes, purpose)).await
}

fn id_of(reply: &crate::support::Reply) -> i64 {
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_str::<serde_json::Value>(&reply.body).unwrap()["id"].as_i64().unwrap()
}

async fn signed_in(db: &Db, email: &str) -> Client {
    let mut c = Client::new(&app(db));
    assert_eq!(c.login(email, DEMO_PASSWORD).await.status, 200);
    c
}

/// A second registered customer, signed in on the web, and as an actor.
async fn li(db: &Db) -> (Client, shopflow::accounts::Actor) {
    let id = shopflow::accounts::service::register_customer(db, "Li Na", "li.na@example.test", "correct horse").await.unwrap();
    let mut c = Client::new(&app(db));
    assert_eq!(c.login("li.na@example.test", "correct horse").await.status, 200);
    (c, shopflow::accounts::service::load_actor(db, id).await.unwrap().unwrap())
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>(sql).fetch_one(db.pool()).await.unwrap().0
}

/// A relay that keeps what it is given.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<shopflow::outbox::sender::OutgoingMail>>);

#[async_trait::async_trait]
impl shopflow::outbox::sender::MailTransport for Recorder {
    async fn send(&self, mail: &shopflow::outbox::sender::OutgoingMail) -> Result<(), shopflow::outbox::sender::SendError> {
        self.0.lock().unwrap().push(mail.clone());
        Ok(())
    }
}

fn complaint(files: Vec<i64>) -> TicketInput {
    TicketInput {
        kind: "complaint".into(),
        subject: "Cup arrived broken".into(),
        message: "Photo attached.".into(),
        attachments: files,
        ..Default::default()
    }
}

on_both_backends!(a_customers_photo_goes_with_the_complaint_and_stays_with_its_readers, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let mut web = signed_in(&db, "customer@shopflow.test").await;

    // Refused at upload, beside the picker: empty, too large.
    let empty = upload(&mut web, "a.png", b"", "").await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    let big = upload(&mut web, "big.jpg", &vec![0xffu8; MAX_ATTACHMENT_BYTES + 1], "").await;
    assert_eq!(big.status, 422);
    assert!(big.body.contains("the file is larger than 10 MB"), "{}", big.body);
    // A return's photos must be pictures.
    let pdf_as_photo = upload(&mut web, "scan.pdf", b"%PDF-1.7 delivery note", "photo").await;
    assert!(pdf_as_photo.status == 422 && pdf_as_photo.body.contains("use a PNG, JPEG, WebP or GIF image"), "{}", pdf_as_photo.body);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM attachments").await, 0, "nothing refused was kept");

    let photo = id_of(&upload(&mut web, "C:\\fakepath\\broken cup.png", PNG, "").await);
    // Waiting to be sent: its uploader can look at it, nobody else.
    assert_eq!(web.get(&format!("/attachments/{photo}")).await.status, 200);
    let mut agent_web = signed_in(&db, "service@shopflow.test").await;
    assert_eq!(agent_web.get(&format!("/attachments/{photo}")).await.status, 403);

    // Another customer cannot send Cathy's upload; the refused ticket leaves nothing behind.
    let other = crate::orders::customer(&db, 3).await;
    let tickets_before = count(&db, "SELECT COUNT(*) FROM tickets").await;
    let e = service::open(&db, &other, &complaint(vec![photo])).await.unwrap_err();
    assert_eq!(e.field_message("attachments").as_deref(), Some("a file is no longer there; attach it again"));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tickets").await, tickets_before);
    // Six files are too many, before anything is written.
    let e = service::open(&db, &cathy, &complaint(vec![photo, 1001, 1002, 1003, 1004, 1005])).await.unwrap_err();
    assert_eq!(e.field_message("attachments").as_deref(), Some("at most 5 files per message"));

    let id = service::open(&db, &cathy, &complaint(vec![photo])).await.unwrap().id;
    let mine = service::my_ticket(&db, &cathy, POLICY, id).await.unwrap();
    let sent = &mine.messages[0].attachments;
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].file_name.as_str(), sent[0].content_type.as_str()), ("broken cup.png", "image/png"));
    // Sent once; it cannot go with a second message.
    let e = service::customer_write(&db, &cathy, POLICY, id, "Again", &[photo]).await.unwrap_err();
    assert!(e.field_message("attachments").is_some());

    // The customer and the desk open it; the picture is served as what its bytes are.
    let got = web.get(&format!("/attachments/{photo}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.bytes, PNG);
    assert_eq!(got.headers["content-type"], "image/png");
    assert_eq!(got.headers["x-content-type-options"], "nosniff");
    assert!(got.headers["content-disposition"].to_str().unwrap().starts_with("inline; filename=\"broken cup.png\""));
    assert_eq!(agent_web.get(&format!("/attachments/{photo}")).await.status, 200);
    // Another customer, staff without the desk, and a visitor do not.
    let mut other_web = Client::new(&app(&db));
    assert_eq!(other_web.get(&format!("/attachments/{photo}")).await.status, 401);
    let mut finance = signed_in(&db, "finance@shopflow.test").await;
    assert_eq!(finance.get(&format!("/attachments/{photo}")).await.status, 403);
    let (mut li, _) = li(&db).await;
    assert_eq!(li.get(&format!("/attachments/{photo}")).await.status, 404);
});

on_both_backends!(an_agents_file_goes_with_the_reply_mail_and_a_notes_stays_inside, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let id = service::open(&db, &cathy, &complaint(Vec::new())).await.unwrap().id;
    let label = files::upload(&db, &agent, "return-label.pdf", b"%PDF-1.7 label".to_vec(), false).await.unwrap();
    let note_file = files::upload(&db, &agent, "warehouse.txt", b"shelf B-12".to_vec(), false).await.unwrap();
    assert_eq!(note_file.content_type, "application/octet-stream");
    let form = |k: &str, v: &str| HashMap::from([(k.to_string(), v.to_string())]);

    // A file cannot ride on a step that has no message.
    let triage: HashMap<String, String> =
        [("kind", "complaint"), ("category", "product"), ("priority", "high")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let e = service::act_with_files(&db, &agent, id, 1, "triage", &triage, &[label.id]).await.unwrap_err();
    assert_eq!(e.field_message("attachments").as_deref(), Some("this step takes no files"));
    let t = service::act(&db, &agent, id, 1, "triage", &triage).await.unwrap();
    let t = service::act(&db, &agent, id, t.version, "start", &HashMap::new()).await.unwrap();

    let t = service::act_with_files(&db, &agent, id, t.version, "note", &form("note", "Asked the warehouse"), &[note_file.id]).await.unwrap();
    service::act_with_files(&db, &agent, id, t.version, "reply", &form("message", "Here is your return label."), &[label.id]).await.unwrap();

    // The reply's mail carries the label; the note's file never reaches the customer.
    let mail = shopflow::outbox::service::about(&db, "ticket", id).await.unwrap();
    let last = mail.last().unwrap();
    assert!(last.body.starts_with("Here is your return label."));
    let carried = files::of_mail(&db, last.id).await.unwrap();
    assert_eq!(carried.len(), 1);
    assert_eq!((carried[0].0.file_name.as_str(), carried[0].1.as_slice()), ("return-label.pdf", &b"%PDF-1.7 label"[..]));
    // The sender hands the file to the relay with the mail.
    let relay = Recorder::default();
    shopflow::outbox::sender::deliver_due(&db, &relay, shopflow::domain::now_millis(), 50).await.unwrap();
    let delivered = relay.0.lock().unwrap().clone();
    let reply = delivered.iter().find(|m| m.id == last.id).expect("the reply was delivered");
    assert_eq!(reply.files, vec![("return-label.pdf".to_string(), "application/pdf".to_string(), b"%PDF-1.7 label".to_vec())]);
    assert!(delivered.iter().filter(|m| m.id != last.id).all(|m| m.files.is_empty()));
    let mine = service::my_ticket(&db, &cathy, POLICY, id).await.unwrap();
    let seen: Vec<i64> = mine.messages.iter().flat_map(|m| m.attachments.iter().map(|a| a.id)).collect();
    assert_eq!(seen, vec![label.id]);
    let desk = service::ticket(&db, &agent, POLICY, id).await.unwrap();
    let note = desk.messages.iter().find(|m| m.internal).unwrap();
    assert_eq!(note.attachments[0].id, note_file.id);
    let mut web = signed_in(&db, "customer@shopflow.test").await;
    assert_eq!(web.get(&format!("/attachments/{}", note_file.id)).await.status, 404);
    let got = web.get(&format!("/attachments/{}", label.id)).await;
    assert_eq!(got.headers["content-type"], "application/pdf");
    // Not a picture and not a PDF: a download, never rendered.
    let mut desk_web = signed_in(&db, "service@shopflow.test").await;
    let got = desk_web.get(&format!("/attachments/{}", note_file.id)).await;
    assert!(got.headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));

    // Merging moves the files with the conversation.
    let dup = service::open(&db, &cathy, &complaint(Vec::new())).await.unwrap().id;
    let photo = files::upload(&db, &cathy, "crack.png", PNG.to_vec(), false).await.unwrap();
    service::customer_write(&db, &cathy, POLICY, dup, "Another angle", &[photo.id]).await.unwrap();
    let v = service::ticket(&db, &agent, POLICY, dup).await.unwrap().ticket.version;
    service::act(&db, &agent, dup, v, "merge", &form("into", &id.to_string())).await.unwrap();
    let kept = service::my_ticket(&db, &cathy, POLICY, id).await.unwrap();
    assert!(kept.messages.iter().any(|m| m.body == "Another angle" && m.attachments.iter().any(|a| a.id == photo.id)));
});

on_both_backends!(files_in_mail_are_kept_and_oversized_ones_are_named, async |db: Db| {
    use shopflow::tickets::email::ingest;
    demo::seed(&db).await.unwrap();
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let big = "A".repeat(MAX_ATTACHMENT_BYTES / 3 * 4 + 400);
    let raw = format!(
        "From: stranger@example.com\r\nTo: service@shopflow.test\r\nSubject: Damaged parcel\r\nMessage-ID: <files@example>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe box was crushed, see the photo.\r\n\
--b1\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"box.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
--b1\r\nContent-Type: video/mp4\r\nContent-Disposition: attachment; filename=\"unboxing.mp4\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{big}\r\n\
--b1--\r\n",
        base64_of(PNG)
    );
    let o = ingest(&db, POLICY, raw.as_bytes()).await.unwrap();
    let d = service::ticket(&db, &agent, POLICY, o.ticket_id).await.unwrap();
    let first = &d.messages[0];
    assert!(first.body.starts_with("[The attachment \"unboxing.mp4\" was larger than 10 MB and was not kept.]"), "{}", first.body);
    assert!(first.body.contains("The box was crushed"));
    assert_eq!(first.attachments.len(), 1);
    assert_eq!((first.attachments[0].file_name.as_str(), first.attachments[0].content_type.as_str()), ("box.png", "image/png"));
    let mut web = signed_in(&db, "service@shopflow.test").await;
    assert_eq!(web.get(&format!("/attachments/{}", first.attachments[0].id)).await.bytes, PNG);
});

fn base64_of(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

on_both_backends!(a_return_request_takes_pictures_only_and_keeps_them_with_the_case, async |db: Db| {
    use shopflow::orders::return_service as returns;
    use shopflow::orders::returns::{ReturnLineInput, ReturnRequest};
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let id = crate::orders::shipped_order(&db, "key-photo-01", "SF900000123").await;
    crate::orders::deliver(&db, id).await;
    let line = shopflow::orders::service::my_order(&db, &cathy, id).await.unwrap().order.lines[0].id;
    let ask = |photos: Vec<i64>| ReturnRequest {
        order_id: id,
        kind: "return".into(),
        reason: "damaged".into(),
        description: "The bag was torn".into(),
        lines: vec![ReturnLineInput { order_line_id: line, quantity: "1".into() }],
        photos,
        ticket_id: None,
    };
    let scan = files::upload(&db, &cathy, "note.pdf", b"%PDF-1.4".to_vec(), false).await.unwrap();
    let e = returns::request(&db, &cathy, &ask(vec![scan.id])).await.unwrap_err();
    assert_eq!(e.field_message("attachments").as_deref(), Some("use a PNG, JPEG, WebP or GIF image"));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM return_cases").await, 0, "the refused request wrote nothing");
    let photo = files::upload(&db, &cathy, "torn.png", PNG.to_vec(), true).await.unwrap();
    let case = returns::request(&db, &cathy, &ask(vec![photo.id])).await.unwrap().id;
    let d = returns::detail(&db, &agent, case).await.unwrap();
    assert_eq!(d.case.photos.iter().map(|p| p.id).collect::<Vec<_>>(), vec![photo.id]);
    assert_eq!(returns::of_order(&db, id).await.unwrap()[0].photos.len(), 1);
    let mut web = signed_in(&db, "customer@shopflow.test").await;
    assert_eq!(web.get(&format!("/attachments/{}", photo.id)).await.status, 200);
    let (mut li, _) = li(&db).await;
    assert_eq!(li.get(&format!("/attachments/{}", photo.id)).await.status, 404);
    let mut warehouse = signed_in(&db, "warehouse@shopflow.test").await;
    assert_eq!(warehouse.get(&format!("/attachments/{}", photo.id)).await.status, 200);
});

on_both_backends!(unsent_uploads_are_limited_discarded_and_swept, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let (_, li) = li(&db).await;
    let a = files::upload(&db, &cathy, "a.png", PNG.to_vec(), false).await.unwrap();
    // Only its owner removes it, and only before it is sent.
    assert_eq!(files::discard(&db, &li, a.id).await.unwrap_err(), AppError::NotFound);
    files::discard(&db, &cathy, a.id).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM attachments").await, 0);
    for n in 0..shopflow::attachments::MAX_PENDING {
        files::upload(&db, &cathy, &format!("{n}.png"), PNG.to_vec(), false).await.unwrap();
    }
    let e = files::upload(&db, &cathy, "one-more.png", PNG.to_vec(), false).await.unwrap_err();
    assert!(e.field_message("file").unwrap().starts_with("too many files are waiting"));
    // A day later, what was never sent is gone; what was sent stays.
    let sent = service::open(&db, &li, &complaint(vec![files::upload(&db, &li, "b.png", PNG.to_vec(), false).await.unwrap().id])).await.unwrap();
    sqlx::query("UPDATE attachments SET created_at = created_at - $1").bind(shopflow::attachments::PENDING_MS + 1).execute(db.writer()).await.unwrap();
    assert_eq!(files::sweep(&db).await.unwrap(), shopflow::attachments::MAX_PENDING as u64);
    assert_eq!(service::my_ticket(&db, &li, POLICY, sent.id).await.unwrap().messages[0].attachments.len(), 1);
});
