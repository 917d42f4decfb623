//! The service desk tells the right people, on both backends: the customer in the app (the
//! ticket's own mail tells them by mail) of replies, questions and the resolution — never of
//! internal steps; staff of work that became theirs; the owner before a service level runs
//! out, once; and the resolution mail's one-click survey links record one answer, signed.

use crate::on_both_backends;
use crate::support::{app, demo_actor, urlencode, Client};
use shopflow::accounts::Actor;
use shopflow::domain::AppError;
use shopflow::server::demo;
use shopflow::server::Db;
use shopflow::tickets::service::{self, TicketPolicy};
use shopflow::tickets::{CalendarInput, SurveyInput, TicketInput};
use std::collections::HashMap;

const POLICY: TicketPolicy = TicketPolicy { reopen_days: 7 };

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn question() -> TicketInput {
    TicketInput { kind: "inquiry".into(), subject: "Which tea for cold brew?".into(), message: "Any advice?".into(), ..Default::default() }
}

/// The kinds of the notifications `user` got about ticket `id`, oldest first.
async fn kinds(db: &Db, user: i64, id: i64) -> Vec<String> {
    crate::support::notice_kinds(db, user, "ticket", id).await
}

/// (subject, body) of every mail to `to` about ticket `id`, oldest first.
async fn mails(db: &Db, to: &str, id: i64) -> Vec<(String, String)> {
    crate::support::mails_about(db, to, "ticket", id).await
}

async fn version(db: &Db, agent: &Actor, id: i64) -> i64 {
    service::ticket(db, agent, POLICY, id).await.unwrap().ticket.version
}

async fn act(db: &Db, who: &Actor, id: i64, action: &str, pairs: &[(&str, &str)]) {
    let v = version(db, who, id).await;
    service::act(db, who, id, v, action, &form(pairs)).await.unwrap_or_else(|e| panic!("{action}: {e:?}"));
}

const RESOLVE: &[(&str, &str)] = &[
    ("problem", "Wanted advice"),
    ("root_cause", "customer_misunderstanding"),
    ("solution", "Suggested a green tea"),
    ("customer_feedback", "Will try it"),
    ("message", "Try the Longjing, 8 g per litre, overnight."),
];

on_both_backends!(each_ticket_step_tells_the_people_it_concerns_and_nobody_else, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let senior = demo_actor(&db, "senior@shopflow.test").await;
    let warehouse = demo_actor(&db, "warehouse@shopflow.test").await;
    let finance = demo_actor(&db, "finance@shopflow.test").await;
    let id = service::open(&db, &cathy, &question()).await.unwrap().id;

    // Triaged to someone else: they hear of it; the agent who triaged does not.
    let senior_id = senior.id.to_string();
    act(&db, &agent, id, "triage", &[("kind", "inquiry"), ("category", "product"), ("priority", "normal"), ("assignee", &senior_id)]).await;
    assert_eq!(kinds(&db, senior.id, id).await, ["ticket.assigned"]);
    assert!(kinds(&db, agent.id, id).await.is_empty());
    // Assigned back: now the agent hears, not the senior who did it.
    act(&db, &senior, id, "assign", &[("assignee", &agent.id.to_string())]).await;
    assert_eq!(kinds(&db, agent.id, id).await, ["ticket.assigned"]);
    assert_eq!(kinds(&db, senior.id, id).await, ["ticket.assigned"]);
    // Assigning to oneself tells nobody.
    act(&db, &agent, id, "assign", &[("assignee", &agent.id.to_string())]).await;
    assert_eq!(kinds(&db, agent.id, id).await, ["ticket.assigned"]);

    // The customer writes: the owner hears; the customer is not told of her own message.
    service::customer_write(&db, &cathy, POLICY, id, "Also, which temperature?", &[]).await.unwrap();
    assert_eq!(kinds(&db, agent.id, id).await, ["ticket.assigned", "ticket.customer_wrote"]);
    assert!(kinds(&db, cathy.id, id).await.is_empty());

    // A reply and a question reach her in the app; a note and an escalation do not.
    act(&db, &agent, id, "start", &[]).await;
    act(&db, &agent, id, "reply", &[("message", "Looking into it.")]).await;
    act(&db, &agent, id, "note", &[("note", "She asked twice already.")]).await;
    act(&db, &agent, id, "escalate", &[("to", "warehouse"), ("question", "Do we have Longjing in stock?")]).await;
    // The department's members hear of the question; another department and the asker do not.
    assert_eq!(kinds(&db, warehouse.id, id).await, ["ticket.task_asked"]);
    assert!(kinds(&db, finance.id, id).await.is_empty());
    assert_eq!(kinds(&db, agent.id, id).await.len(), 2);
    // The department answers: the agent who asked hears.
    let task = service::department_tasks(&db, &warehouse).await.unwrap().into_iter().find(|t| t.ticket_id == id).unwrap().id;
    service::answer_task(&db, &warehouse, task, "Yes, 40 tins.").await.unwrap();
    assert_eq!(kinds(&db, agent.id, id).await.last().map(String::as_str), Some("ticket.task_answered"));
    assert_eq!(kinds(&db, warehouse.id, id).await, ["ticket.task_asked"], "nobody is told of their own step");

    act(&db, &agent, id, "ask", &[("message", "Loose leaf or bags?")]).await;
    service::customer_write(&db, &cathy, POLICY, id, "Loose leaf.", &[]).await.unwrap();
    assert_eq!(kinds(&db, agent.id, id).await.last().map(String::as_str), Some("ticket.customer_answered"));

    // Escalated to a senior agent, who becomes the owner and hears of it with the question.
    act(&db, &agent, id, "escalate", &[("to", "senior"), ("question", "She wants a discount.")]).await;
    assert_eq!(kinds(&db, senior.id, id).await, ["ticket.assigned", "ticket.escalated"]);
    act(&db, &senior, id, "resolve", RESOLVE).await;

    // The customer heard of the reply, the question and the resolution with the survey —
    // nothing internal — in the app only: her mail is the ticket's own, no second copy.
    assert_eq!(kinds(&db, cathy.id, id).await, ["ticket.replied", "ticket.asked", "ticket.resolved_survey"]);
    let to_cathy = mails(&db, "customer@shopflow.test", id).await;
    assert_eq!(to_cathy.len(), 4, "acknowledgement, reply, question, resolution: {to_cathy:?}");
    assert!(to_cathy.iter().all(|(subject, _)| subject.starts_with(&format!("[Ticket #{id}]"))), "{to_cathy:?}");
    assert!(to_cathy.iter().all(|(_, body)| !body.contains("Longjing in stock") && !body.contains("twice already") && !body.contains("discount")));
    // Links in mail are absolute.
    assert!(to_cathy[0].1.contains(&format!("http://127.0.0.1:3000/my/tickets/{id}")), "{}", to_cathy[0].1);
    // Staff notices are mailed to staff, with an absolute link to the desk's page.
    let to_senior = mails(&db, "senior@shopflow.test", id).await;
    assert!(to_senior.iter().any(|(_, body)| body.contains(&format!("http://127.0.0.1:3000/tickets/{id}"))), "{to_senior:?}");

    // Reopened by her reply: the owner (the senior now) hears.
    service::customer_write(&db, &cathy, POLICY, id, "It was bitter.", &[]).await.unwrap();
    assert_eq!(kinds(&db, senior.id, id).await.last().map(String::as_str), Some("ticket.customer_reopened"));
    // Resolved again: no second survey, so no invitation.
    act(&db, &senior, id, "resolve", RESOLVE).await;
    assert_eq!(kinds(&db, cathy.id, id).await.last().map(String::as_str), Some("ticket.resolved"));

    // Rendered in the reader's language, with the department's name.
    let (params,): (String,) = sqlx::query_as("SELECT params FROM notifications WHERE user_id = $1 AND kind = 'ticket.task_asked' AND entity_id = $2")
        .bind(warehouse.id)
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    let params: shopflow::notifications::Params = serde_json::from_str(&params).unwrap();
    let zh = shopflow::notifications::render("ticket.task_asked", &params, shopflow::i18n::Lang::Zh);
    assert!(zh.contains("仓储部") && zh.contains(&format!("#{id}")), "{zh}");
});

on_both_backends!(an_imminent_breach_warns_the_owner_once_and_a_breach_alerts_the_seniors, async |db: Db| {
    use shopflow::alerts::service::list;
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let senior = demo_actor(&db, "senior@shopflow.test").await;
    let always = CalendarInput { time_zone: "+00:00".into(), opens: "00:00".into(), closes: "24:00".into(), workdays: vec![true; 7], holidays: String::new() };
    service::save_calendar(&db, &senior, &always).await.unwrap();
    let shift = |id: i64, minutes: i64| {
        let db = db.clone();
        async move {
            sqlx::query("UPDATE audit_events SET at = at - $1 WHERE entity = 'ticket' AND entity_id = $2").bind(minutes * 60_000).bind(id).execute(db.writer()).await.unwrap();
            // Moving the trail moves the deadline derived from it: recomputed by the next sweep.
            sqlx::query("UPDATE tickets SET sla_due_at = 0 WHERE id = $1").bind(id).execute(db.writer()).await.unwrap();
        }
    };
    let alerted = |actor: Actor, id: i64| {
        let db = db.clone();
        async move { list(&db, &actor, &Default::default()).await.unwrap().iter().any(|a| a.kind == "ticket_sla" && a.link == format!("/tickets/{id}")) }
    };

    // An urgent ticket the agent owns (one hour to answer), 45 minutes old: 15 minutes left.
    let id = service::open(&db, &cathy, &question()).await.unwrap().id;
    act(&db, &agent, id, "triage", &[("kind", "inquiry"), ("category", "product"), ("priority", "urgent")]).await;
    shift(id, 45).await;
    assert!(service::sweep_sla(&db).await.unwrap() >= 1);
    assert_eq!(kinds(&db, agent.id, id).await, ["ticket.sla_soon"]);
    // Every minute's sweep, on any instance: still one warning.
    service::sweep_sla(&db).await.unwrap();
    service::sweep_sla(&db).await.unwrap();
    assert_eq!(kinds(&db, agent.id, id).await, ["ticket.sla_soon"]);
    // In person, not as an alert to every agent; nobody else is told.
    assert!(!alerted(agent.clone(), id).await);
    assert!(kinds(&db, senior.id, id).await.is_empty() && kinds(&db, cathy.id, id).await.is_empty());

    // Run out: the senior agents are alerted; the owner is not warned again.
    shift(id, 30).await;
    service::sweep_sla(&db).await.unwrap();
    assert!(alerted(senior.clone(), id).await);
    assert!(!alerted(agent.clone(), id).await, "the breach is the supervisors'");
    assert_eq!(kinds(&db, agent.id, id).await, ["ticket.sla_soon"]);
    // Answered: the alert goes away.
    act(&db, &agent, id, "start", &[]).await;
    act(&db, &agent, id, "reply", &[("message", "Here is my answer.")]).await;
    service::sweep_sla(&db).await.unwrap();
    assert!(!alerted(senior.clone(), id).await);

    // A ticket nobody owns yet alerts the agents before it runs out, and that alert goes when
    // it is overtaken by the breach.
    let unowned = service::open(&db, &cathy, &question()).await.unwrap().id;
    let due = service::ticket(&db, &agent, POLICY, unowned).await.unwrap().clocks.unwrap().next_due().unwrap();
    shift(unowned, (due - shopflow::domain::now_millis()) / 60_000 - 20).await;
    service::sweep_sla(&db).await.unwrap();
    assert!(alerted(agent.clone(), unowned).await);
    assert!(kinds(&db, agent.id, unowned).await.is_empty());
    shift(unowned, 30).await;
    service::sweep_sla(&db).await.unwrap();
    assert!(!alerted(agent.clone(), unowned).await && alerted(senior.clone(), unowned).await);
});

/// The five survey links of the resolution mail to `to` about ticket `id`, as paths.
async fn survey_links(db: &Db, to: &str, id: i64) -> Vec<String> {
    let mail = mails(db, to, id).await;
    let body = &mail.iter().find(|(_, b)| b.contains("/survey/")).expect("the resolution mail has survey links").1;
    body.split_whitespace().filter_map(|w| w.strip_prefix("http://127.0.0.1:3000")).filter(|p| p.starts_with("/survey/")).map(str::to_string).collect()
}

async fn survey_row(db: &Db, id: i64) -> (Option<i64>, Option<String>, Option<i64>) {
    sqlx::query_as("SELECT score, comment, answered_at FROM ticket_surveys WHERE ticket_id = $1").bind(id).fetch_one(db.pool()).await.unwrap()
}

on_both_backends!(a_survey_link_records_one_answer_and_only_its_own, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let id = service::open(&db, &cathy, &question()).await.unwrap().id;
    act(&db, &agent, id, "triage", &[("kind", "inquiry"), ("category", "product"), ("priority", "normal")]).await;
    act(&db, &agent, id, "start", &[]).await;
    act(&db, &agent, id, "resolve", RESOLVE).await;
    let links = survey_links(&db, "customer@shopflow.test", id).await;
    assert_eq!(links.len(), 5, "{links:?}");
    assert!(links.iter().enumerate().all(|(n, l)| l.starts_with(&format!("/survey/{id}-{}-", n + 1))), "{links:?}");

    // Signed out (a mail client): opening a link shows the score and records nothing, twice.
    let app = app(&db);
    let mut browser = Client::new(&app);
    for _ in 0..2 {
        let page = browser.get(&links[3]).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("★★★★☆") && page.body.contains("name=\"comment\"") && page.body.contains("Which tea for cold brew?"), "{}", page.body);
    }
    assert_eq!(survey_row(&db, id).await, (None, None, None));

    // A tampered link — another score, another ticket, a changed signature — is refused.
    let tampered = [
        links[3].replacen(&format!("{id}-4-"), &format!("{id}-5-"), 1),
        links[3].replacen(&format!("/survey/{id}-"), &format!("/survey/{}-", id + 1), 1),
        {
            let last = links[3].chars().last().unwrap();
            format!("{}{}", &links[3][..links[3].len() - 1], if last == '0' { '1' } else { '0' })
        },
        "/survey/garbage".to_string(),
    ];
    for bad in &tampered {
        assert_ne!(bad, &links[3]);
        let page = browser.get(bad).await;
        assert_eq!(page.status, 404, "{bad}");
        assert!(page.body.contains("not valid"), "{}", page.body);
        assert_eq!(browser.form(bad, "comment=hacked").await.status, 404, "{bad}");
    }
    assert_eq!(survey_row(&db, id).await, (None, None, None));

    // Posting the page records the link's score with the comment, once, as nobody's step.
    let done = browser.form(&links[3], &format!("comment={}", urlencode("Quick & kind <3"))).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Thank you"), "{}", done.body);
    let (score, comment, answered) = survey_row(&db, id).await;
    assert_eq!((score, comment.as_deref(), answered.is_some()), (Some(4), Some("Quick & kind <3"), true));
    let (actor, payload): (Option<i64>, String) =
        sqlx::query_as("SELECT actor_id, payload FROM audit_events WHERE entity = 'ticket' AND entity_id = $1 AND action = 'survey'").bind(id).fetch_one(db.pool()).await.unwrap();
    assert!(actor.is_none() && payload.contains("\"4\"") && payload.contains("mail"), "{payload}");

    // A second answer — another link, the same one, or the portal — is refused; nothing changes.
    let again = browser.form(&links[0], "comment=changed+my+mind").await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("answered this survey already"), "{}", again.body);
    assert_eq!(browser.form(&links[3], "").await.status, 409);
    let page = browser.get(&links[1]).await;
    assert!(page.status == 200 && page.body.contains("answered this survey already") && !page.body.contains("name=\"comment\""), "{}", page.body);
    let err = service::answer_survey(&db, &cathy, &SurveyInput { ticket_id: id, score: "1".into(), comment: String::new() }).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    assert_eq!(survey_row(&db, id).await.0, Some(4));

    // A rightly signed link to a ticket without a survey is not found either.
    let other = service::open(&db, &cathy, &question()).await.unwrap().id;
    let (secret,): (String,) = sqlx::query_as("SELECT value FROM app_secrets WHERE name = 'mail_links'").fetch_one(db.pool()).await.unwrap();
    let path = format!("/survey/{}", shopflow::tickets::survey_link::token(&secret, other, 5));
    assert_eq!(browser.get(&path).await.status, 404);
    assert_eq!(browser.form(&path, "").await.status, 404);
});

on_both_backends!(the_sla_sweep_reads_only_tickets_near_a_deadline, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let agent = demo_actor(&db, "service@shopflow.test").await;
    let senior = demo_actor(&db, "senior@shopflow.test").await;
    let always = CalendarInput { time_zone: "+00:00".into(), opens: "00:00".into(), closes: "24:00".into(), workdays: vec![true; 7], holidays: String::new() };
    service::save_calendar(&db, &senior, &always).await.unwrap();
    let stored = |id: i64| {
        let db = db.clone();
        async move { sqlx::query_as::<_, (Option<i64>,)>("SELECT sla_due_at FROM tickets WHERE id = $1").bind(id).fetch_one(db.pool()).await.unwrap().0 }
    };
    let id = service::open(&db, &cathy, &question()).await.unwrap().id;
    assert_eq!(stored(id).await, Some(0), "a step leaves the deadline to the sweep");
    service::sweep_sla(&db).await.unwrap();
    let due = service::ticket(&db, &agent, POLICY, id).await.unwrap().clocks.unwrap().next_due();
    assert!(due.is_some());
    assert_eq!(stored(id).await, due, "the sweep keeps the deadline it computed");
    // Far from its deadline, the ticket is not read again: a deadline set far off by hand is
    // left as it is until a step of the ticket asks for it to be recomputed.
    sqlx::query("UPDATE tickets SET sla_due_at = $1 WHERE id = $2").bind(i64::MAX / 2).bind(id).execute(db.writer()).await.unwrap();
    service::sweep_sla(&db).await.unwrap();
    assert_eq!(stored(id).await, Some(i64::MAX / 2));
    act(&db, &agent, id, "triage", &[("kind", "inquiry"), ("category", "product"), ("priority", "urgent")]).await;
    assert_eq!(stored(id).await, Some(0));
    service::sweep_sla(&db).await.unwrap();
    let urgent = service::ticket(&db, &agent, POLICY, id).await.unwrap().clocks.unwrap().next_due();
    assert_eq!(stored(id).await, urgent);
    assert!(urgent < due, "urgent: sooner");
    // A calendar change asks for every open ticket's deadline again.
    service::save_calendar(&db, &senior, &always).await.unwrap();
    assert_eq!(stored(id).await, Some(0));
    // Waiting on the customer stops the clocks: no deadline to watch.
    act(&db, &agent, id, "start", &[]).await;
    act(&db, &agent, id, "ask", &[("message", "Which size did you order?")]).await;
    service::sweep_sla(&db).await.unwrap();
    assert_eq!(stored(id).await, None);
    // Back in progress, then resolved: out of the sweep's index at once, without a sweep.
    sqlx::query("UPDATE tickets SET sla_due_at = 0 WHERE id = $1").bind(id).execute(db.writer()).await.unwrap();
    act(&db, &agent, id, "resolve", RESOLVE).await;
    assert_eq!(stored(id).await, None);
});
