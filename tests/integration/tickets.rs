//! The service desk on both backends: a customer's complaint about an order is triaged,
//! escalated to the warehouse, answered there, resolved with the handbook's facts and rated
//! once; the customer never reads an internal note nor anyone else's ticket; every reply is
//! in the outbox; bad input and wrong steps change nothing.

use crate::on_both_backends;
use crate::support::{app, demo_actor, Client};
use serde_json::json;
use shopflow::domain::AppError;
use shopflow::server::demo::{self, DEMO_PASSWORD};
use shopflow::server::Db;
use shopflow::tickets::service::{self, TicketPolicy};
use shopflow::tickets::{QueueFilter, SurveyInput, TicketInput};
use std::collections::HashMap;

const POLICY: TicketPolicy = TicketPolicy { reopen_days: 7 };

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn complaint(order: &str) -> TicketInput {
    TicketInput {
        kind: "complaint".into(),
        subject: "Cup arrived broken".into(),
        message: "The celadon cup in my parcel was in pieces.".into(),
        order: order.into(),
        customer_email: String::new(),
        attachments: Vec::new(),
    }
}

async fn count(db: &Db, sql: &str, id: i64) -> i64 {
    sqlx::query_as::<_, (i64,)>(sql).bind(id).fetch_one(db.pool()).await.unwrap().0
}

/// The id of the demo customer's shipped order.
async fn shipped_order(db: &Db) -> i64 {
    sqlx::query_as::<_, (i64,)>("SELECT MIN(o.id) FROM orders o JOIN users u ON u.id = o.customer_id WHERE u.email = 'customer@shopflow.test' AND o.state = 'shipped'")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .0
}

on_both_backends!(a_complaint_runs_from_the_portal_to_the_survey, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let senior = demo_actor(&db, "senior@shopflow.test").await;
    let warehouse = demo_actor(&db, "warehouse@shopflow.test").await;
    let finance = demo_actor(&db, "finance@shopflow.test").await;
    let order = shipped_order(&db).await;

    let t = service::open(&db, &cathy, &complaint(&format!("#{order}"))).await.unwrap();
    assert_eq!(t.state, "new");
    let id = t.id;
    let mine = service::my_tickets(&db, &cathy).await.unwrap();
    assert_eq!((mine[0].id, mine[0].priority.as_str(), mine[0].order_id), (id, "high", Some(order)));
    // The acknowledgement is in the outbox, addressed to the customer, with the reference.
    let mail = shopflow::outbox::service::about(&db, "ticket", id).await.unwrap();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to_address, "customer@shopflow.test");
    assert!(mail[0].subject.starts_with(&format!("[Ticket #{id}]")), "{}", mail[0].subject);

    // In the agent's queue, most urgent first; found by number and by words.
    let queue = service::queue(&db, &agent, &QueueFilter::default()).await.unwrap();
    assert!(queue.iter().any(|q| q.id == id));
    let by_words = service::queue(&db, &agent, &QueueFilter { q: "BROKEN".into(), ..Default::default() }).await.unwrap();
    assert_eq!(by_words.iter().map(|q| q.id).collect::<Vec<_>>(), vec![id]);
    let by_number = service::queue(&db, &agent, &QueueFilter { q: format!("#{id}"), ..Default::default() }).await.unwrap();
    assert_eq!(by_number.len(), 1);
    let bad = service::queue(&db, &agent, &QueueFilter { state: "lost".into(), ..Default::default() }).await.unwrap_err();
    assert!(bad.field_message("state").is_some());

    // Resolving a new ticket is not a step of the procedure.
    let d = service::ticket(&db, &agent, POLICY, id).await.unwrap();
    let err = service::act(&db, &agent, id, d.ticket.version, "resolve", &form(&[])).await.unwrap_err();
    assert!(matches!(err, AppError::InvalidTransition { .. } | AppError::Invalid { .. }), "{err:?}");

    let v = service::act(&db, &agent, id, 1, "triage", &form(&[("kind", "complaint"), ("category", "delivery"), ("priority", "urgent")])).await.unwrap().version;
    let v = service::act(&db, &agent, id, v, "start", &form(&[])).await.unwrap().version;
    // A stale version is refused: someone else acted in between.
    let err = service::act(&db, &agent, id, v - 1, "note", &form(&[("note", "x")])).await.unwrap_err();
    assert_eq!(err, AppError::StaleVersion);
    let v = service::act(&db, &agent, id, v, "note", &form(&[("note", "Customer sounds upset; check the packing station.")])).await.unwrap().version;
    let v = service::act(&db, &agent, id, v, "reply", &form(&[("message", "We are sorry. We are checking with the warehouse.")])).await.unwrap().version;
    let t = service::act(&db, &agent, id, v, "escalate", &form(&[("to", "warehouse"), ("question", "Was cup CUP-CEL-80 packed with bubble wrap?")])).await.unwrap();
    assert_eq!(t.state, "in_progress", "escalating keeps the state");

    // Resolving with the warehouse's answer outstanding is refused.
    let all = form(&[
        ("problem", "Cup broken in transit"),
        ("root_cause", "picking_error"),
        ("solution", "Replacement sent"),
        ("customer_feedback", "Happy with a replacement"),
        ("message", "A new cup is on its way."),
    ]);
    let err = service::act(&db, &agent, id, t.version, "resolve", &all).await.unwrap_err();
    assert!(matches!(&err, AppError::Conflict(m) if m.contains("unanswered")), "{err:?}");

    // The warehouse sees the question; finance does not, and may not answer it.
    let tasks = service::department_tasks(&db, &warehouse).await.unwrap();
    let task = tasks.iter().find(|k| k.ticket_id == id).expect("the warehouse's question").id;
    assert!(service::department_tasks(&db, &finance).await.unwrap().iter().all(|k| k.ticket_id != id));
    assert_eq!(service::answer_task(&db, &finance, task, "No idea").await.unwrap_err(), AppError::Forbidden);
    let err = service::answer_task(&db, &warehouse, task, "  ").await.unwrap_err();
    assert!(err.field_message("answer").is_some());
    service::answer_task(&db, &warehouse, task, "Packed without wrap; station retrained.").await.unwrap();
    let err = service::answer_task(&db, &warehouse, task, "Again").await.unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "answered once");

    // Every handbook fact is required.
    let d = service::ticket(&db, &agent, POLICY, id).await.unwrap();
    assert_eq!(d.tasks[0].answer.as_deref(), Some("Packed without wrap; station retrained."));
    let mut missing = all.clone();
    missing.remove("root_cause");
    let err = service::act(&db, &agent, id, d.ticket.version, "resolve", &missing).await.unwrap_err();
    assert!(err.field_message("root_cause").is_some(), "{err:?}");
    let t = service::act(&db, &agent, id, d.ticket.version, "resolve", &all).await.unwrap();
    assert_eq!(t.state, "resolved");

    // The customer reads the replies and the solution — not the note, nor the warehouse's answer.
    let mine = service::my_ticket(&db, &cathy, POLICY, id).await.unwrap();
    let bodies: Vec<&str> = mine.messages.iter().map(|m| m.body.as_str()).collect();
    assert!(bodies.contains(&"A new cup is on its way.") && bodies.contains(&"We are sorry. We are checking with the warehouse."), "{bodies:?}");
    assert!(mine.messages.iter().all(|m| !m.internal && !m.body.contains("upset") && !m.body.contains("retrained")));
    assert!(mine.messages.iter().filter(|m| !m.from_customer).all(|m| m.author == "Shopflow"));
    assert!(mine.tasks.is_empty() && mine.root_cause.is_none() && mine.events.is_empty());
    assert_eq!(mine.solution.as_deref(), Some("Replacement sent"));
    assert!(mine.actions.contains(&"survey".to_string()));
    // Replies and the resolution went out to the customer by mail too (staff's notices of the
    // ticket go to staff).
    let to_customer = shopflow::outbox::service::about(&db, "ticket", id).await.unwrap();
    assert_eq!(to_customer.iter().filter(|m| m.to_address == "customer@shopflow.test").count(), 3);

    // Another customer cannot read it, write on it, or rate it.
    let other = crate::orders::customer(&db, 1).await;
    assert_eq!(service::my_ticket(&db, &other, POLICY, id).await.unwrap_err(), AppError::NotFound);
    assert_eq!(service::customer_write(&db, &other, POLICY, id, "hello", &[]).await.unwrap_err(), AppError::NotFound);
    let survey = |score: &str| SurveyInput { ticket_id: id, score: score.into(), comment: "Quick and kind".into() };
    assert_eq!(service::answer_survey(&db, &other, &survey("1")).await.unwrap_err(), AppError::NotFound);
    // Nor can another customer's order be attached to a ticket.
    let err = service::open(&db, &other, &complaint(&order.to_string())).await.unwrap_err();
    assert!(err.field_message("order").is_some());

    // The survey is answered once.
    assert!(service::answer_survey(&db, &cathy, &survey("9")).await.unwrap_err().field_message("score").is_some());
    service::answer_survey(&db, &cathy, &survey("5")).await.unwrap();
    let err = service::answer_survey(&db, &cathy, &survey("1")).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    let d = service::ticket(&db, &agent, POLICY, id).await.unwrap();
    assert_eq!(d.survey.as_ref().and_then(|s| s.score), Some(5));
    assert_eq!(d.root_cause.as_deref(), Some("picking_error"));

    // The dashboard counts it: the root cause points at the warehouse, the score is in.
    let dash = service::dashboard(&db, 30).await.unwrap();
    assert!(dash.root_causes.iter().any(|c| c == &("picking_error".to_string(), 1, Some("warehouse".to_string()))), "{:?}", dash.root_causes);
    assert_eq!(dash.satisfaction.iter().map(|s| (s.1, s.2)).collect::<Vec<_>>(), vec![(500, 1)]);
    assert_eq!(dash.resolution.count, 1);
    assert!(dash.first_response_on_time.0 >= 1 && dash.first_response_on_time.0 <= dash.first_response_on_time.1);
    assert!(!dash.products.is_empty(), "the complained-about order's products");
    // The demo's two open tickets, neither an hour old.
    let open: Vec<i64> = dash.backlog.iter().map(|b| b.1.iter().sum()).collect();
    assert_eq!(open.iter().sum::<i64>(), 2, "{:?}", dash.backlog);

    // A reply within the window reopens the ticket with its owner.
    let t = service::customer_write(&db, &cathy, POLICY, id, "The new cup is chipped too.", &[]).await.unwrap();
    assert_eq!(t.state, "in_progress");
    let d = service::ticket(&db, &agent, POLICY, id).await.unwrap();
    assert_eq!(d.ticket.assignee_id, Some(agent.id));

    // Escalating to a senior agent hands them the ticket.
    let t = service::act(&db, &agent, id, d.ticket.version, "escalate", &form(&[("to", "senior"), ("question", "Second breakage: compensation?")])).await.unwrap();
    let d = service::ticket(&db, &senior, POLICY, id).await.unwrap();
    assert_eq!((d.ticket.assignee_id, d.ticket.version), (Some(senior.id), t.version));

    // Every step is in the trail, with its actor.
    let actions: Vec<&str> = d.events.iter().map(|e| e.action.as_str()).collect();
    for a in ["open", "triage", "start", "note", "reply", "escalate", "department_answer", "resolve", "survey", "reopen"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
});

on_both_backends!(waiting_on_the_customer_and_the_reopen_window, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let inquiry = TicketInput { kind: "inquiry".into(), subject: "Gift wrap?".into(), message: "Can you gift-wrap?".into(), ..Default::default() };
    let id = service::open(&db, &cathy, &inquiry).await.unwrap().id;
    let v = service::act(&db, &agent, id, 1, "triage", &form(&[("kind", "inquiry"), ("category", "other"), ("priority", "low")])).await.unwrap().version;
    let v = service::act(&db, &agent, id, v, "start", &form(&[])).await.unwrap().version;
    let t = service::act(&db, &agent, id, v, "ask", &form(&[("message", "Which order is it for?")])).await.unwrap();
    assert_eq!(t.state, "waiting");
    // The clock stops while waiting on the customer.
    let d = service::ticket(&db, &agent, POLICY, id).await.unwrap();
    assert_eq!(d.ticket.sla, shopflow::engine::SlaStatus::None);
    assert!(d.first_response_at.is_some());
    // An empty message is refused and changes nothing.
    let err = service::customer_write(&db, &cathy, POLICY, id, "   ", &[]).await.unwrap_err();
    assert!(err.field_message("message").is_some());
    let t = service::customer_write(&db, &cathy, POLICY, id, "My next one.", &[]).await.unwrap();
    assert_eq!(t.state, "in_progress");
    let all = form(&[("problem", "Wants gift wrap"), ("root_cause", "other"), ("solution", "Note added"), ("customer_feedback", "Fine"), ("message", "Done.")]);
    let t = service::act(&db, &agent, id, t.version, "resolve", &all).await.unwrap();
    // Past the window the ticket closes by itself, and a reply no longer reopens it.
    sqlx::query("UPDATE tickets SET state_since = state_since - $1 WHERE id = $2").bind(8 * 24 * 3_600_000_i64).bind(id).execute(db.writer()).await.unwrap();
    assert_eq!(service::close_resolved(&db, POLICY).await.unwrap(), 1);
    assert_eq!(service::close_resolved(&db, POLICY).await.unwrap(), 0, "idempotent");
    let err = service::customer_write(&db, &cathy, POLICY, id, "One more thing", &[]).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = $1 AND body = 'One more thing'", id).await, 0);
    assert!(t.version > 1);
});

on_both_backends!(phone_calls_merges_and_assignments, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let warehouse = demo_actor(&db, "warehouse@shopflow.test").await;
    let call = |email: &str| TicketInput { kind: "inquiry".into(), subject: "Called about delivery".into(), message: "When will it arrive?".into(), customer_email: email.into(), ..Default::default() };
    let err = service::open(&db, &agent, &call("nobody@example.test")).await.unwrap_err();
    assert!(err.field_message("customer_email").is_some());
    // Staff are not customers.
    assert!(service::open(&db, &agent, &call("orders@shopflow.test")).await.is_err());
    let first = service::open(&db, &agent, &call(" Customer@Shopflow.test ")).await.unwrap().id;
    let second = service::open(&db, &cathy, &complaint("")).await.unwrap().id;
    let d = service::ticket(&db, &agent, POLICY, first).await.unwrap();
    assert_eq!((d.ticket.channel.as_str(), d.ticket.customer_id, d.ticket.assignee_id), ("phone", Some(cathy.id), Some(agent.id)));
    // A warehouse clerk is no ticket owner.
    let err = service::act(&db, &agent, first, d.ticket.version, "assign", &form(&[("assignee", &warehouse.id.to_string())])).await.unwrap_err();
    assert!(err.field_message("assignee").is_some());
    // The agent logs the customer's next call on the ticket.
    service::customer_write(&db, &agent, POLICY, first, "Called again, still waiting.", &[]).await.unwrap();
    // Merging into itself or a missing ticket is refused; into the customer's other ticket works.
    let v = service::ticket(&db, &agent, POLICY, first).await.unwrap().ticket.version;
    let err = service::act(&db, &agent, first, v, "merge", &form(&[("into", &first.to_string())])).await.unwrap_err();
    assert!(err.field_message("into").is_some());
    let t = service::act(&db, &agent, first, v, "merge", &form(&[("into", &format!("#{second}"))])).await.unwrap();
    assert_eq!(t.state, "closed");
    let kept = service::ticket(&db, &agent, POLICY, second).await.unwrap();
    assert!(kept.messages.iter().any(|m| m.body == "Called again, still waiting." && m.from_customer && m.channel == "phone"));
    assert!(kept.events.iter().any(|e| e.action == "merged_in"));
    let merged = service::my_ticket(&db, &cathy, POLICY, first).await.unwrap();
    assert_eq!(merged.merged_into, Some(second));
});

on_both_backends!(tickets_over_http_keep_customers_apart, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let app = app(&db);
    let mut cathy = Client::new(&app);
    assert_eq!(cathy.login("customer@shopflow.test", DEMO_PASSWORD).await.status, 200);
    let r = cathy.json("/api/open_ticket", json!({"input": {"kind": "inquiry", "subject": "Hello", "message": ""}})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("message"), "{}", r.body);
    let r = cathy.json("/api/open_ticket", json!({"input": {"kind": "inquiry", "subject": "Hello", "message": "Is the tea organic?"}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id: i64 = r.body.trim().parse().unwrap();
    let mut agent = Client::new(&app);
    agent.login("service@shopflow.test", DEMO_PASSWORD).await;
    let r = agent.json("/api/act_on_ticket", json!({"id": id, "version": 1, "action": "note", "fields": {"note": "secret note"}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The customer's page has no internal note; the desk's has.
    let mine = cathy.form("/api/get_my_ticket", &format!("id={id}")).await;
    assert_eq!(mine.status, 200);
    assert!(!mine.body.contains("secret note"));
    assert!(agent.form("/api/get_ticket", &format!("id={id}")).await.body.contains("secret note"));
    // Customers do not reach the desk's functions; another customer's ticket is "not found".
    assert_eq!(cathy.form("/api/get_ticket", &format!("id={id}")).await.status, 403);
    let mut other = Client::new(&app);
    let r = other.form("/api/register", "name=Olga&email=olga%40example.test&password=olga-password-1").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(other.form("/api/get_my_ticket", &format!("id={id}")).await.status, 404);
    assert_eq!(other.json("/api/write_on_ticket", json!({"id": id, "message": "hi"})).await.status, 404);
    // The pages follow the same rules.
    assert_eq!(cathy.get(&format!("/my/tickets/{id}")).await.status, 200);
    assert_eq!(cathy.get(&format!("/tickets/{id}")).await.status, 403);
    let page = agent.get(&format!("/tickets/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("secret note"));
});

on_both_backends!(service_levels_count_business_hours_and_alert, async |db: Db| {
    use shopflow::engine::SlaStatus;
    use shopflow::tickets::sla::Clock;
    use shopflow::tickets::CalendarInput;
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let senior = demo_actor(&db, "senior@shopflow.test").await;
    // Around the clock: business time is wall time, so the test does not depend on the hour.
    let always = CalendarInput { time_zone: "+00:00".into(), opens: "00:00".into(), closes: "24:00".into(), workdays: vec![true; 7], holidays: String::new() };
    service::save_calendar(&db, &senior, &always).await.unwrap();
    let bad = CalendarInput { workdays: vec![false; 7], ..always.clone() };
    assert!(service::save_calendar(&db, &senior, &bad).await.unwrap_err().field_message("workdays").is_some());

    let id = service::open(&db, &cathy, &complaint("")).await.unwrap().id;
    let v = service::act(&db, &agent, id, 1, "triage", &form(&[("kind", "complaint"), ("category", "product"), ("priority", "urgent")])).await.unwrap().version;
    let d = service::ticket(&db, &agent, POLICY, id).await.unwrap();
    let opened = d.events[0].at;
    let clocks = d.clocks.unwrap();
    // Urgent: an answer within one hour.
    assert_eq!(clocks.first_response, Clock::Running { due_at: opened + 3_600_000 });
    assert_eq!(d.ticket.sla, SlaStatus::OnTime { due_at: opened + 3_600_000 });

    // Changing the calendar recomputes the clock: open one hour a day only.
    let short = CalendarInput { opens: "09:00".into(), closes: "10:00".into(), ..always.clone() };
    service::save_calendar(&db, &senior, &short).await.unwrap();
    let due = service::ticket(&db, &agent, POLICY, id).await.unwrap().clocks.unwrap().first_response.due_at().unwrap();
    assert!(due > opened + 3_600_000, "fewer hours, later due");
    service::save_calendar(&db, &senior, &always).await.unwrap();

    // Two hours pass unanswered: the queue shows it late, and senior agents are alerted.
    sqlx::query("UPDATE audit_events SET at = at - $1 WHERE entity = 'ticket' AND entity_id = $2").bind(2 * 3_600_000_i64).bind(id).execute(db.writer()).await.unwrap();
    sqlx::query("UPDATE tickets SET sla_due_at = 0 WHERE id = $1").bind(id).execute(db.writer()).await.unwrap();
    let queue = service::queue(&db, &agent, &QueueFilter { q: id.to_string(), ..Default::default() }).await.unwrap();
    assert!(matches!(queue[0].sla, SlaStatus::Breached { .. }), "{:?}", queue[0].sla);
    assert!(service::sweep_sla(&db).await.unwrap() >= 1);
    let alerts = |actor| {
        let db = db.clone();
        async move { shopflow::alerts::service::list(&db, &actor, &Default::default()).await.unwrap() }
    };
    let seen = alerts(senior.clone()).await;
    assert!(seen.iter().any(|a| a.kind == "ticket_sla" && a.link == format!("/tickets/{id}")), "{seen:?}");
    assert!(alerts(agent.clone()).await.iter().all(|a| a.link != format!("/tickets/{id}")), "the late alert is the supervisors'");

    // Answered (late): the first response is recorded as missed, the alert goes away.
    service::act(&db, &agent, id, v, "start", &form(&[])).await.unwrap();
    let v = service::ticket(&db, &agent, POLICY, id).await.unwrap().ticket.version;
    service::act(&db, &agent, id, v, "reply", &form(&[("message", "Looking into it.")])).await.unwrap();
    let clocks = service::ticket(&db, &agent, POLICY, id).await.unwrap().clocks.unwrap();
    assert!(matches!(clocks.first_response, Clock::Breached { used_ms } if used_ms >= 2 * 3_600_000));
    service::sweep_sla(&db).await.unwrap();
    assert!(alerts(senior.clone()).await.iter().all(|a| a.link != format!("/tickets/{id}")));

    // A late ticket that leaves the open states (here: merged) takes its alert with it.
    let dup = service::open(&db, &cathy, &complaint("")).await.unwrap().id;
    sqlx::query("UPDATE audit_events SET at = at - $1 WHERE entity = 'ticket' AND entity_id = $2").bind(5 * 3_600_000_i64).bind(dup).execute(db.writer()).await.unwrap();
    sqlx::query("UPDATE tickets SET sla_due_at = 0 WHERE id = $1").bind(dup).execute(db.writer()).await.unwrap();
    service::sweep_sla(&db).await.unwrap();
    assert!(alerts(senior.clone()).await.iter().any(|a| a.link == format!("/tickets/{dup}")));
    service::act(&db, &agent, dup, 1, "merge", &form(&[("into", &id.to_string())])).await.unwrap();
    service::sweep_sla(&db).await.unwrap();
    assert!(alerts(senior.clone()).await.iter().all(|a| a.link != format!("/tickets/{dup}")));
});

fn mail(from: &str, subject: &str, id: &str, body: &str) -> Vec<u8> {
    format!("From: {from}\r\nTo: service@shopflow.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").into_bytes()
}

on_both_backends!(mail_opens_tickets_and_replies_only_from_their_contact, async |db: Db| {
    use shopflow::tickets::email::ingest;
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    // A registered customer's mail opens a ticket of theirs, on the email channel.
    let o = ingest(&db, POLICY, &mail("Cathy <Customer@shopflow.test>", "Tea for my parents", "m1@example", "Can you gift-wrap two tins?")).await.unwrap();
    assert!(o.created && !o.duplicate);
    let d = service::ticket(&db, &agent, POLICY, o.ticket_id).await.unwrap();
    assert_eq!((d.ticket.customer_id, d.ticket.channel.as_str(), d.ticket.subject.as_str()), (Some(cathy.id), "email", "Tea for my parents"));
    // Delivered twice: recorded once.
    let again = ingest(&db, POLICY, &mail("customer@shopflow.test", "Tea for my parents", "m1@example", "Can you gift-wrap two tins?")).await.unwrap();
    assert_eq!((again.ticket_id, again.duplicate), (o.ticket_id, true));
    // Her reply quoting the reference lands on the ticket, without the quoted text.
    let subject = format!("Re: [Ticket #{}] Tea for my parents", o.ticket_id);
    let r = ingest(&db, POLICY, &mail("customer@shopflow.test", &subject, "m2@example", "Yes, red paper please.\r\n\r\nOn Mon, Shopflow wrote:\r\n> Which paper?")).await.unwrap();
    assert_eq!((r.ticket_id, r.created), (o.ticket_id, false));
    let mine = service::my_ticket(&db, &cathy, POLICY, o.ticket_id).await.unwrap();
    assert_eq!(mine.messages.last().map(|m| (m.body.as_str(), m.channel.as_str())), Some(("Yes, red paper please.", "email")));

    // Someone else quoting her ticket's number gets a ticket of their own instead.
    let before = mine.messages.len();
    let stranger = ingest(&db, POLICY, &mail("mallory@example.net", &subject, "m3@example", "Refund me instead.")).await.unwrap();
    assert!(stranger.created && stranger.ticket_id != o.ticket_id);
    assert_eq!(service::my_ticket(&db, &cathy, POLICY, o.ticket_id).await.unwrap().messages.len(), before);
    let theirs = service::ticket(&db, &agent, POLICY, stranger.ticket_id).await.unwrap();
    assert_eq!((theirs.ticket.customer_id, theirs.history.email.as_str()), (None, "mallory@example.net"));
    assert_eq!(theirs.messages[0].author, "mallory@example.net");
    // The unknown sender's own replies do land on their ticket (the system takes the step).
    let their_subject = format!("RE: [Ticket #{}] hello", stranger.ticket_id);
    let r = ingest(&db, POLICY, &mail("Mallory@Example.net", &their_subject, "m4@example", "Any news?")).await.unwrap();
    assert_eq!((r.ticket_id, r.created), (stranger.ticket_id, false));
    // Agents' replies go to the contact address through the outbox.
    let v = service::act(&db, &agent, stranger.ticket_id, theirs.ticket.version + 1, "triage", &form(&[("kind", "inquiry"), ("category", "other"), ("priority", "low")])).await.unwrap().version;
    service::act(&db, &agent, stranger.ticket_id, v, "reply", &form(&[("message", "Which order is it about?")])).await.unwrap();
    let out = shopflow::outbox::service::about(&db, "ticket", stranger.ticket_id).await.unwrap();
    assert!(out.iter().all(|m| m.to_address == "mallory@example.net") && out.len() == 2, "{out:?}");
    // Two senders without accounts are not "the same customer": no merging across them, and
    // no orders to link.
    let eve = ingest(&db, POLICY, &mail("eve@example.net", "Hi", "m6@example", "Hello?")).await.unwrap().ticket_id;
    let v = service::ticket(&db, &agent, POLICY, stranger.ticket_id).await.unwrap().ticket.version;
    let err = service::act(&db, &agent, stranger.ticket_id, v, "merge", &form(&[("into", &eve.to_string())])).await.unwrap_err();
    assert!(err.field_message("into").is_some(), "{err:?}");
    let err = service::act(&db, &agent, eve, 1, "triage", &form(&[("kind", "inquiry"), ("category", "other"), ("priority", "low"), ("order", "1")])).await.unwrap_err();
    assert!(err.field_message("order").is_some(), "{err:?}");

    // Malformed mail: a clear error, nothing written.
    let tickets = count(&db, "SELECT COUNT(*) FROM tickets WHERE id > $1", 0).await;
    let err = ingest(&db, POLICY, b"this is not an email").await.unwrap_err();
    assert!(err.field_message("email").is_some(), "{err:?}");
    let err = ingest(&db, POLICY, &mail("customer@shopflow.test", "Empty", "m5@example", "")).await.unwrap_err();
    assert!(err.field_message("email").is_some(), "{err:?}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tickets WHERE id > $1", 0).await, tickets);
});

async fn post_mail(app: &axum::Router, body: &str, signature: Option<String>) -> (u16, String) {
    let mut req = axum::http::Request::builder().method("POST").uri("/webhooks/email").header("content-type", "message/rfc822");
    if let Some(s) = signature {
        req = req.header("x-shopflow-signature", s);
    }
    let res = tower::ServiceExt::oneshot(app.clone(), req.body(axum::body::Body::from(body.to_string())).unwrap()).await.unwrap();
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).to_string())
}

on_both_backends!(the_mail_webhook_is_signed, async |db: Db| {
    use shopflow::server::webhook::signature;
    demo::seed(&db).await.unwrap();
    let app = crate::support::app_configured(&db, |c| c.email_webhook_secret = Some("mail-secret".into()));
    let body = String::from_utf8(mail("customer@shopflow.test", "Hello", "w1@example", "Is the shop open on Sunday?")).unwrap();
    assert_eq!(post_mail(&app, &body, None).await.0, 401);
    assert_eq!(post_mail(&app, &body, Some("sha256=00".into())).await.0, 401);
    let sign = |b: &str| Some(signature("mail-secret", b.as_bytes()));
    let (status, reply) = post_mail(&app, &body, sign(&body)).await;
    assert_eq!(status, 200, "{reply}");
    assert!(reply.contains("\"created\":true"), "{reply}");
    let junk = "not a mail at all";
    assert_eq!(post_mail(&app, junk, sign(junk)).await.0, 422);
    // Without a secret the webhook is off.
    assert_eq!(post_mail(&app_off(&db), &body, sign(&body)).await.0, 503);
});

fn app_off(db: &Db) -> axum::Router {
    crate::support::app(db)
}

on_both_backends!(the_knowledge_base_answers_from_replies_and_sops, async |db: Db| {
    use shopflow::tickets::knowledge::CannedReplyInput;
    demo::seed(&db).await.unwrap();
    let senior = demo_actor(&db, "senior@shopflow.test").await;
    let hits = service::search_knowledge(&db, "damaged", shopflow::i18n::Lang::En).await.unwrap();
    // The demo's canned reply first, then SOP steps (returns and shipping exceptions).
    assert_eq!(hits.first().map(|h| (h.kind.as_str(), h.title.as_str())), Some(("reply", "Damaged goods")));
    assert!(hits.iter().any(|h| h.kind == "sop" && h.link == "/sop/shipping_exception"), "{hits:?}");
    let id = service::save_canned_reply(&db, &senior, 0, &CannedReplyInput { title: "Gift wrap".into(), body: "We gift-wrap 100% of orders on request.".into() }).await.unwrap();
    // LIKE wildcards in the query are taken literally.
    let pct = service::search_knowledge(&db, "100%", shopflow::i18n::Lang::En).await.unwrap();
    assert_eq!(pct.iter().filter(|h| h.kind == "reply").count(), 1);
    assert!(service::search_knowledge(&db, "_", shopflow::i18n::Lang::En).await.unwrap().iter().all(|h| h.kind != "reply"));
    let err = service::save_canned_reply(&db, &senior, id, &CannedReplyInput { title: "Gift wrap".into(), body: " ".into() }).await.unwrap_err();
    assert!(err.field_message("body").is_some());
    assert_eq!(service::save_canned_reply(&db, &senior, 999_999, &CannedReplyInput { title: "x".into(), body: "y".into() }).await.unwrap_err(), AppError::NotFound);
    service::delete_canned_reply(&db, &senior, id).await.unwrap();
    assert_eq!(service::canned_replies(&db).await.unwrap().len(), 3);
});

on_both_backends!(an_agent_files_a_return_from_the_customers_ticket, async |db: Db| {
    use shopflow::orders::return_service as returns;
    use shopflow::orders::returns::{ReturnLineInput, ReturnRequest};
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let warehouse = demo_actor(&db, "warehouse@shopflow.test").await;
    let order = crate::orders::shipped_order(&db, "key-tkt-ret1", "SF900000321").await;
    let id = service::open(&db, &cathy, &complaint(&format!("#{order}"))).await.unwrap().id;
    let line = shopflow::orders::service::my_order(&db, &cathy, order).await.unwrap().order.lines[0].id;
    let ask = |ticket: Option<i64>| ReturnRequest {
        order_id: order,
        kind: "exchange".into(),
        reason: "damaged".into(),
        description: "On the phone: one bag arrived torn".into(),
        lines: vec![ReturnLineInput { order_line_id: line, quantity: "1".into() }],
        photos: Vec::new(),
        ticket_id: ticket,
    };
    // Not before the parcel arrived.
    assert!(matches!(returns::request(&db, &agent, &ask(Some(id))).await, Err(AppError::Conflict(_))));
    crate::orders::deliver(&db, order).await;
    // Only from a ticket, and only from an open ticket about this very order.
    assert!(returns::request(&db, &agent, &ask(None)).await.unwrap_err().field_message("ticket").is_some());
    let unrelated = service::open(&db, &cathy, &complaint("")).await.unwrap().id;
    assert!(returns::request(&db, &agent, &ask(Some(unrelated))).await.unwrap_err().field_message("ticket").is_some());
    // Staff who do not handle tickets cannot file returns.
    assert_eq!(returns::request(&db, &warehouse, &ask(Some(id))).await.unwrap_err(), AppError::Forbidden);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM return_cases WHERE order_id = $1", order).await, 0);

    let case = returns::request(&db, &agent, &ask(Some(id))).await.unwrap().id;
    let d = returns::detail(&db, &agent, case).await.unwrap();
    assert_eq!((d.case.customer.as_str(), d.case.state.as_str(), d.case.kind.as_str()), ("Cathy Customer", "requested", "exchange"));
    assert_eq!(d.events[0].action, "file_for_customer");
    assert_eq!(d.events[0].actor_id, Some(agent.id));
    // The customer sees the case on her order; the desk sees it noted on the ticket.
    assert_eq!(returns::of_order(&db, order).await.unwrap().len(), 1);
    let desk = service::ticket(&db, &agent, POLICY, id).await.unwrap();
    assert!(desk.messages.iter().any(|m| m.internal && m.body.starts_with(&format!("Return #{case} filed"))));
    assert!(desk.events.iter().any(|e| e.action == "return_filed"));
    // The other reviewers hear of it as of any request; the agent who filed it does not.
    let told: Vec<(i64,)> = sqlx::query_as("SELECT user_id FROM notifications WHERE kind = 'return.requested' AND entity_id = $1").bind(case).fetch_all(db.pool()).await.unwrap();
    assert!(!told.is_empty() && told.iter().all(|t| t.0 != agent.id), "{told:?}");
    let mine = service::my_ticket(&db, &cathy, POLICY, id).await.unwrap();
    assert!(mine.messages.iter().all(|m| !m.body.contains("Return #")));
});

on_both_backends!(an_agent_reports_a_shipping_exception_from_the_customers_ticket, async |db: Db| {
    use shopflow::orders::exception_service as exceptions;
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let warehouse = demo_actor(&db, "warehouse@shopflow.test").await;
    let logistics = demo_actor(&db, "logistics@shopflow.test").await;
    let order = crate::orders::shipped_order(&db, "key-tkt-exc1", "SF900000421").await;
    let parcel = shopflow::orders::service::order_detail(&db, &logistics, order).await.unwrap().order.shipments[0].id;
    let id = service::open(&db, &cathy, &complaint(&format!("#{order}"))).await.unwrap().id;
    let told = "We have asked the carrier where your parcel is and will write again today.";
    let report = form(&[("kind", "delay"), ("description", "On the phone: no tracking news for five days"), ("customer_note", told)]);
    let notes = "SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = $1 AND internal = 1";

    // Only those who handle tickets: not the customer, the warehouse, nor logistics (who
    // report on the order's page).
    for who in [&cathy, &warehouse, &logistics] {
        let err = exceptions::report_for_customer(&db, who, id, order, parcel, &report).await.unwrap_err();
        assert_eq!(err, AppError::Forbidden, "{}", who.email);
    }
    // Only from an open ticket about this very order, on a shipped parcel of that order.
    let no_order = service::open(&db, &cathy, &complaint("")).await.unwrap().id;
    assert!(exceptions::report_for_customer(&db, &agent, no_order, order, parcel, &report).await.unwrap_err().field_message("ticket").is_some());
    let other = crate::orders::shipped_order(&db, "key-tkt-exc2", "SF900000422").await;
    let other_parcel = shopflow::orders::service::order_detail(&db, &logistics, other).await.unwrap().order.shipments[0].id;
    assert!(exceptions::report_for_customer(&db, &agent, id, order, other_parcel, &report).await.unwrap_err().field_message("shipment").is_some());
    assert!(exceptions::report_for_customer(&db, &agent, id, other, other_parcel, &report).await.unwrap_err().field_message("ticket").is_some());
    assert_eq!(exceptions::report_for_customer(&db, &agent, 999_999, order, parcel, &report).await.unwrap_err(), AppError::NotFound);
    // The declared form is checked like logistics' own.
    let odd = form(&[("kind", "meteor"), ("description", "x"), ("customer_note", "y")]);
    assert!(exceptions::report_for_customer(&db, &agent, id, order, parcel, &odd).await.unwrap_err().field_message("kind").is_some());
    let untold = form(&[("kind", "delay"), ("description", "x")]);
    assert!(exceptions::report_for_customer(&db, &agent, id, order, parcel, &untold).await.unwrap_err().field_message("customer_note").is_some());
    assert_eq!(count(&db, "SELECT COUNT(*) FROM shipping_exceptions WHERE order_id = $1", order).await, 0, "refused reports write nothing");
    assert_eq!(count(&db, notes, id).await, 0, "nor note anything on the ticket");

    let t = exceptions::report_for_customer(&db, &agent, id, order, parcel, &report).await.unwrap();
    assert_eq!(t.state, "reported");
    // Logistics sees it on the order with the ticket it came from, and takes it from there.
    let seen = exceptions::of_order(&db, &logistics, order, true).await.unwrap();
    assert_eq!(seen.len(), 1);
    let e = &seen[0];
    assert_eq!((e.id, e.shipment_id, e.ticket_id, e.kind.as_str()), (t.id, parcel, Some(id), "delay"));
    assert_eq!((e.events[0].action.as_str(), e.events[0].actor_id), ("report_for_customer", Some(agent.id)));
    assert_eq!(e.actions, vec!["investigate"]);
    assert!(exceptions::list(&db, "").await.unwrap().iter().any(|x| x.id == t.id), "in logistics' open list");
    // The agent takes no step on it.
    assert!(exceptions::of_order(&db, &agent, order, true).await.unwrap()[0].actions.is_empty());
    // Logistics hears which ticket it came from; the customer reads what they are told.
    assert_eq!(crate::support::notice_kinds(&db, logistics.id, "shipping_exception", t.id).await, vec!["exception.reported_for_customer"]);
    assert_eq!(crate::support::notice_kinds(&db, cathy.id, "shipping_exception", t.id).await, vec!["exception.reported"]);
    assert!(crate::support::notice_kinds(&db, agent.id, "shipping_exception", t.id).await.is_empty(), "the reporter knows");
    let staff_notice = shopflow::notifications::service::inbox(&db, &logistics).await.unwrap().items.into_iter().find(|n| n.entity_id == t.id).unwrap();
    assert!(staff_notice.text(shopflow::i18n::Lang::En).contains(&format!("ticket #{id}")), "{}", staff_notice.text(shopflow::i18n::Lang::En));
    let mine = shopflow::orders::service::my_order(&db, &cathy, order).await.unwrap().exceptions;
    assert_eq!((mine[0].customer_note.as_str(), mine[0].ticket_id, mine[0].description.as_str()), (told, None, ""));

    // The ticket notes it inside and lists it with its state; the customer reads no note.
    let desk = service::ticket(&db, &agent, POLICY, id).await.unwrap();
    assert!(desk.messages.iter().any(|m| m.internal && m.body.starts_with(&format!("Shipping exception #{} reported", t.id))));
    assert!(desk.events.iter().any(|e| e.action == "exception_reported" && e.payload.contains(&t.id.to_string())));
    assert_eq!(desk.exceptions, vec![(t.id, order, "delay".to_string(), "reported".to_string())]);
    let theirs = service::my_ticket(&db, &cathy, POLICY, id).await.unwrap();
    assert!(theirs.messages.iter().all(|m| !m.body.contains("Shipping exception")) && theirs.exceptions.is_empty());
    exceptions::act(&db, &logistics, t.id, t.version, "investigate", &form(&[("note", "Claim SF-C-9 opened")])).await.unwrap();
    assert_eq!(service::ticket(&db, &agent, POLICY, id).await.unwrap().exceptions[0].3, "investigating");

    // Not from a closed ticket about the order.
    let closed = service::open(&db, &cathy, &complaint(&format!("#{order}"))).await.unwrap().id;
    let v = service::act(&db, &agent, closed, 1, "triage", &form(&[("kind", "complaint"), ("category", "delivery"), ("priority", "high")])).await.unwrap().version;
    let v = service::act(&db, &agent, closed, v, "start", &form(&[])).await.unwrap().version;
    let all = form(&[("problem", "Late parcel"), ("root_cause", "late_delivery"), ("solution", "Parcel arrived"), ("customer_feedback", "Fine"), ("message", "It arrived.")]);
    let v = service::act(&db, &agent, closed, v, "resolve", &all).await.unwrap().version;
    service::act(&db, &agent, closed, v, "close", &form(&[])).await.unwrap();
    assert!(exceptions::report_for_customer(&db, &agent, closed, order, parcel, &report).await.unwrap_err().field_message("ticket").is_some());

    // Merged into the customer's other ticket, the exception follows the conversation.
    let kept = service::open(&db, &cathy, &complaint(&format!("#{order}"))).await.unwrap().id;
    let v = service::ticket(&db, &agent, POLICY, id).await.unwrap().ticket.version;
    service::act(&db, &agent, id, v, "merge", &form(&[("into", &kept.to_string())])).await.unwrap();
    assert_eq!(service::ticket(&db, &agent, POLICY, kept).await.unwrap().exceptions[0].0, t.id);
    assert_eq!(exceptions::of_order(&db, &logistics, order, true).await.unwrap()[0].ticket_id, Some(kept));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM shipping_exceptions WHERE order_id = $1", order).await, 1);
});
