//! Demo data: one account for every built-in role and a few suggestions in every state,
//! created through the same services (and so the same checks and audit) as real use.

use super::Db;
use crate::accounts::service::{ensure_staff, load_actor};
use crate::domain::{AppError, AppResult, Role};
use crate::catalog::{service as catalog, ProductInput, SkuInput};
use crate::improvement::service as improvement;
use crate::inventory::transfers::TransferLineInput;
use crate::inventory::{service as inventory, LineInspection, ReceiptLineInput, WarehouseInput};
use std::collections::HashMap;

/// The password of every demo account (printed in the README).
pub const DEMO_PASSWORD: &str = "shopflow-demo";

/// The demo accounts: (email, name, role).
pub const DEMO_USERS: &[(&str, &str, Role)] = &[
    ("admin@shopflow.test", "Ada Admin", Role::Admin),
    ("pm@shopflow.test", "Pei Ming (product manager)", Role::ProductManager),
    ("specialist@shopflow.test", "Sun Li (product specialist)", Role::ProductSpecialist),
    ("orders@shopflow.test", "Olga Order (order clerk)", Role::OrderClerk),
    ("warehouse@shopflow.test", "Wang Wei (warehouse)", Role::WarehouseStaff),
    ("logistics@shopflow.test", "Liu Yang (logistics)", Role::LogisticsCoordinator),
    ("service@shopflow.test", "Chen Jing (customer service)", Role::ServiceAgent),
    ("senior@shopflow.test", "Zhao Min (senior customer service)", Role::SeniorServiceAgent),
    ("marketing@shopflow.test", "Maya Market (marketing)", Role::Marketing),
    ("finance@shopflow.test", "Fang Hua (finance)", Role::Finance),
    ("ops@shopflow.test", "Otto Ops (operations manager)", Role::OperationsManager),
    ("customer@shopflow.test", "Cathy Customer", Role::Customer),
];

fn fields(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub async fn seed(db: &Db) -> AppResult<()> {
    let mut ids = HashMap::new();
    for (email, name, role) in DEMO_USERS {
        ids.insert(*role, ensure_staff(db, email, name, DEMO_PASSWORD, &[*role]).await?);
    }
    seed_catalog(db, &ids).await?;
    seed_orders(db, &ids).await?;
    seed_tickets(db, &ids).await?;
    let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM suggestions").fetch_one(db.pool()).await?;
    if existing > 0 {
        return Ok(());
    }
    let actor = |role: Role| {
        let id = ids[&role];
        async move { load_actor(db, id).await?.ok_or(AppError::NotFound) }
    };
    let warehouse = actor(Role::WarehouseStaff).await?;
    let service = actor(Role::ServiceAgent).await?;
    let specialist = actor(Role::ProductSpecialist).await?;
    let ops = actor(Role::OperationsManager).await?;

    let submit = |title: &'static str, dept: &'static str, step: &'static str, problem: &'static str, proposal: &'static str| {
        fields(&[("title", title), ("department", dept), ("step", step), ("problem", problem), ("proposal", proposal)])
    };
    improvement::submit(db, &warehouse, &submit(
        "Print pick lists sorted by shelf",
        "warehouse",
        "Picking",
        "Pick lists come in order-line order, so pickers walk the same aisle several times per order.",
        "Sort each pick list by shelf location and print the aisle on every line.",
    )).await?;
    let rejected = improvement::submit(db, &service, &submit(
        "Auto-close tickets after 24 hours",
        "service",
        "Ticket follow-up",
        "Tickets wait for a customer answer that never comes and clutter the queue.",
        "Close every ticket automatically 24 hours after the last agent reply.",
    )).await?;
    improvement::act(db, &ops, rejected.id, rejected.version, "reject", &fields(&[(
        "reason",
        "24 hours is too short over weekends; propose a reminder first, then close after 5 days.",
    )])).await?;
    let accepted = improvement::submit(db, &specialist, &submit(
        "Checklist for listing photos",
        "product",
        "Listing review",
        "About one listing in five is returned by review because photos miss the back view or the label.",
        "Add a photo checklist (front, back, label, scale) to the listing form.",
    )).await?;
    let t = improvement::act(db, &ops, accepted.id, accepted.version, "accept", &fields(&[("comment", "Cheap and clearly useful.")])).await?;
    let t = improvement::act(db, &ops, t.id, t.version, "assign", &fields(&[("owner", &ids[&Role::ProductManager].to_string())])).await?;
    improvement::act(db, &ops, t.id, t.version, "implement", &fields(&[(
        "note",
        "Checklist added to the listing SOP on 2026-11-20; reviewers check it first.",
    )])).await?;
    Ok(())
}

fn sku(code: &str, attributes: &str, price: &str, cost: &str, reorder_point: &str) -> SkuInput {
    SkuInput {
        code: code.into(),
        attributes: attributes.into(),
        price: price.into(),
        cost: cost.into(),
        reorder_point: reorder_point.into(),
    }
}

/// Warehouses, a category tree, products in every listing state, and stock received through
/// inspected receipts (one SKU below its reorder point, so the alert inbox has an entry).
async fn seed_catalog(db: &Db, ids: &HashMap<Role, i64>) -> AppResult<()> {
    let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM products").fetch_one(db.pool()).await?;
    if existing > 0 {
        return Ok(());
    }
    let load = |role: Role| {
        let id = ids[&role];
        async move { load_actor(db, id).await?.ok_or(AppError::NotFound) }
    };
    let ops = load(Role::OperationsManager).await?;
    let pm = load(Role::ProductManager).await?;
    let specialist = load(Role::ProductSpecialist).await?;
    let warehouse = load(Role::WarehouseStaff).await?;

    let sh = inventory::create_warehouse(db, &ops, &WarehouseInput {
        code: "SH".into(),
        name: "Shanghai central".into(),
        address: "88 Jiangchang Road, Jing'an, Shanghai".into(),
    })
    .await?;
    let gz = inventory::create_warehouse(db, &ops, &WarehouseInput {
        code: "GZ".into(),
        name: "Guangzhou south".into(),
        address: "12 Huangpu Port Avenue, Guangzhou".into(),
    })
    .await?;

    let tea = catalog::create_category(db, &pm, "Tea 茶叶", None).await?;
    let green = catalog::create_category(db, &pm, "Green tea 绿茶", Some(tea)).await?;
    let black = catalog::create_category(db, &pm, "Black tea 红茶", Some(tea)).await?;
    let ware = catalog::create_category(db, &pm, "Teaware 茶具", None).await?;
    let cups = catalog::create_category(db, &pm, "Cups 茶杯", Some(ware)).await?;

    let product = |title: &str, description: &str, category: i64, tags: &str, skus: Vec<SkuInput>| ProductInput {
        title: title.into(),
        description: description.into(),
        category_id: Some(category),
        tags: tags.into(),
        estimated_stock: "200".into(),
        skus,
    };
    let listed = [
        product(
            "West Lake Longjing green tea 西湖龙井",
            "Pre-Qingming spring harvest from Hangzhou, pan-fired by hand. 明前春茶，手工炒制，豆香浓郁。",
            green,
            "green tea, 龙井, gift",
            vec![sku("LJ-100G", "100 g tin", "128.00", "61.00", "20"), sku("LJ-250G", "250 g gift box", "298.00", "140.00", "10")],
        ),
        product(
            "Keemun black tea 祁门红茶",
            "Classic Anhui black tea with a honeyed, floral aroma. 安徽祁门，蜜香花香。",
            black,
            "black tea, 红茶",
            vec![sku("QM-200G", "200 g bag", "86.00", "38.00", "15")],
        ),
        product(
            "Celadon tea cup 青瓷茶杯",
            "Longquan celadon, 80 ml, hand-thrown. 龙泉青瓷手工茶杯，容量 80 毫升。",
            cups,
            "teaware, 茶杯, gift",
            vec![sku("CUP-CEL-80", "80 ml", "45.00", "18.00", "30")],
        ),
    ];
    for p in &listed {
        let t = catalog::create(db, &specialist, p).await?;
        let t = catalog::act(db, &specialist, t.id, t.version, "submit", &HashMap::new()).await?;
        catalog::act(db, &pm, t.id, t.version, "approve", &fields(&[("comment", "Checked against the listing checklist.")])).await?;
    }
    let in_review = catalog::create(db, &specialist, &product(
        "Tieguanyin oolong 安溪铁观音",
        "Lightly roasted oolong from Anxi, Fujian. 福建安溪，轻焙火。",
        tea,
        "oolong, 乌龙",
        vec![sku("TGY-250G", "250 g", "158.00", "72.00", "10")],
    ))
    .await?;
    catalog::act(db, &specialist, in_review.id, in_review.version, "submit", &HashMap::new()).await?;
    let returned = catalog::create(db, &specialist, &product(
        "Glass teapot 玻璃茶壶",
        "Heat-resistant borosilicate glass.",
        ware,
        "teaware",
        vec![sku("POT-GL-600", "600 ml", "69.00", "75.00", "5")],
    ))
    .await?;
    let t = catalog::act(db, &specialist, returned.id, returned.version, "submit", &HashMap::new()).await?;
    catalog::act(db, &pm, t.id, t.version, "return", &fields(&[(
        "reasons",
        "1. The price is below cost (69 < 75): check the supplier price. 2. Add the capacity and the Chinese description.",
    )]))
    .await?;
    catalog::create(db, &specialist, &product(
        "Dian Hong golden bud 滇红金芽",
        "Yunnan black tea of golden buds.",
        black,
        "black tea",
        vec![sku("DH-GOLD-100", "100 g", "118.00", "52.00", "10")],
    ))
    .await?;

    // Stock arrives through the inbound procedure, like in real use.
    let receive = |wh: i64, supplier: &'static str, reference: &'static str, lines: Vec<(&'static str, i64, i64)>| {
        let warehouse = warehouse.clone();
        async move {
            let input: Vec<ReceiptLineInput> =
                lines.iter().map(|(c, q, _)| ReceiptLineInput { sku: c.to_string(), expected: q.to_string() }).collect();
            let t = inventory::register_receipt(db, &warehouse, wh, &fields(&[("supplier", supplier), ("reference", reference)]), &input).await?;
            let detail = inventory::receipt_detail(db, &warehouse, t.id).await?;
            let inspections: Vec<LineInspection> = detail
                .receipt
                .lines
                .iter()
                .zip(&lines)
                .map(|(l, (_, q, rejected))| LineInspection {
                    line_id: l.id,
                    received: q.to_string(),
                    accepted: (q - rejected).to_string(),
                    rejected: rejected.to_string(),
                    defect_reason: if *rejected > 0 { "crushed packaging".into() } else { String::new() },
                })
                .collect();
            let t = inventory::act_on_receipt(db, &warehouse, t.id, t.version, "inspect", &HashMap::new(), &inspections).await?;
            inventory::act_on_receipt(db, &warehouse, t.id, t.version, "post", &HashMap::new(), &[]).await?;
            Ok::<_, AppError>(())
        }
    };
    receive(sh, "Hangzhou Longjing Tea Co-op", "PO-2026-1101", vec![("LJ-100G", 60, 2), ("LJ-250G", 20, 0), ("QM-200G", 40, 0)]).await?;
    receive(gz, "Longquan Kiln Works", "PO-2026-1102", vec![("CUP-CEL-80", 24, 1), ("LJ-100G", 30, 0)]).await?;
    // One more delivery waits for inspection.
    let pending: Vec<ReceiptLineInput> = vec![ReceiptLineInput { sku: "QM-200G".into(), expected: "50".into() }];
    inventory::register_receipt(db, &warehouse, gz, &fields(&[("supplier", "Qimen Tea Factory"), ("reference", "PO-2026-1120")]), &pending).await?;
    // Guangzhou asks Shanghai for tea, and Shanghai has a count of its gift boxes under way.
    let transfer = vec![TransferLineInput { sku: "QM-200G".into(), quantity: "12".into() }];
    let note = fields(&[("note", "Guangzhou runs out of Keemun before the next delivery")]);
    crate::inventory::operations::request_transfer(db, &warehouse, sh, gz, &note, &transfer).await?;
    crate::inventory::operations::start_count(db, &warehouse, sh, &fields(&[("note", "Monthly count of gift boxes")]), &["LJ-250G".into()]).await?;
    Ok(())
}

/// Two orders of the demo customer, both from Shanghai: one waiting to be picked, one shipped
/// — made through checkout, payment and the fulfilment steps like real ones. (They leave the
/// SKUs whose exact stock the tests count, LJ-100G and CUP-CEL-80, alone.)
async fn seed_orders(db: &Db, ids: &HashMap<Role, i64>) -> AppResult<()> {
    use crate::orders::{service as orders, AddressInput, CardInput, CheckoutInput, OrderPolicy, ShipmentInput};
    let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM orders").fetch_one(db.pool()).await?;
    if existing > 0 {
        return Ok(());
    }
    let load = |role: Role| {
        let id = ids[&role];
        async move { load_actor(db, id).await?.ok_or(AppError::NotFound) }
    };
    let (customer, warehouse, logistics) = (load(Role::Customer).await?, load(Role::WarehouseStaff).await?, load(Role::LogisticsCoordinator).await?);
    let policy = OrderPolicy::default();
    let card = CardInput { holder: "CATHY CUSTOMER".into(), number: "4242 4242 4242 4242".into(), expiry: "12/39".into(), cvc: "123".into() };
    let address = AddressInput { recipient: "Cathy Customer".into(), phone: "+86 138 0013 8000".into(), address: "88 Century Ave, Pudong, Shanghai".into() };
    let mut placed = Vec::new();
    for (n, lines) in [[("QM-200G", "1"), ("LJ-250G", "1")].as_slice(), [("LJ-250G", "1")].as_slice()].into_iter().enumerate() {
        for (sku, q) in lines {
            orders::set_cart_quantity(db, &customer, sku, q, true).await?;
        }
        let cart = orders::cart(db, &customer).await?;
        let method = cart.shipping.iter().find(|m| m.code == "standard").ok_or(AppError::NotFound)?;
        let input = CheckoutInput {
            idempotency_key: format!("demo-order-{n}"),
            address: address.clone(),
            shipping_method: method.code.clone(),
            expected_total: cart.goods_total + method.fee_for(cart.goods_total),
            save_address: false,
        };
        let id = orders::place_order(db, &customer, &input).await?;
        orders::pay_order(db, &customer, policy, id, &card).await?;
        placed.push(id);
    }
    let d = orders::order_detail(db, &warehouse, placed[1]).await?;
    let none = HashMap::new();
    let t = orders::act_on_order(db, &warehouse, policy, placed[1], d.order.version, "pick", &none, &[]).await?;
    let t = orders::act_on_order(db, &warehouse, policy, placed[1], t.version, "pack", &none, &[]).await?;
    let parcels: Vec<ShipmentInput> = d
        .order
        .shipments
        .iter()
        .map(|s| ShipmentInput { shipment_id: s.id, carrier: "sf".into(), tracking_number: format!("SF10{}", 20_000_000 + s.id) })
        .collect();
    orders::act_on_order(db, &logistics, policy, placed[1], t.version, "ship", &none, &parcels).await?;
    Ok(())
}

/// Two requests of the demo customer for the service desk: a question nobody has triaged yet,
/// and a complaint about the shipped order that an agent is working on.
async fn seed_tickets(db: &Db, ids: &HashMap<Role, i64>) -> AppResult<()> {
    use crate::tickets::{service as tickets, TicketInput};
    let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tickets").fetch_one(db.pool()).await?;
    if existing > 0 {
        return Ok(());
    }
    let load = |role: Role| {
        let id = ids[&role];
        async move { load_actor(db, id).await?.ok_or(AppError::NotFound) }
    };
    let (customer, agent) = (load(Role::Customer).await?, load(Role::ServiceAgent).await?);
    let (shipped,): (i64,) = sqlx::query_as("SELECT MAX(id) FROM orders WHERE customer_id = $1").bind(customer.id).fetch_one(db.pool()).await?;
    let late = TicketInput {
        kind: "complaint".into(),
        subject: "Where is my parcel?".into(),
        message: "My tea was shipped days ago and the tracking has not moved since.".into(),
        order: shipped.to_string(),
        ..Default::default()
    };
    let id = tickets::open(db, &customer, &late).await?.id;
    let form = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<HashMap<_, _>>();
    let t = tickets::act(db, &agent, id, 1, "triage", &form(&[("kind", "complaint"), ("category", "delivery"), ("priority", "high")])).await?;
    let t = tickets::act(db, &agent, id, t.version, "start", &form(&[])).await?;
    tickets::act(db, &agent, id, t.version, "reply", &form(&[("message", "Sorry for the wait. We have asked the carrier where your parcel is and will write again today.")])).await?;
    let question = TicketInput {
        kind: "inquiry".into(),
        subject: "Do you ship to Hong Kong?".into(),
        message: "I would like to send Longjing tea to my parents in Hong Kong. Is that possible?".into(),
        ..Default::default()
    };
    tickets::open(db, &customer, &question).await?;
    let senior = load(Role::SeniorServiceAgent).await?;
    for (title, body) in [
        ("Parcel late", "We are sorry your parcel is late. We have asked the carrier where it is and will write to you again within one working day with news."),
        ("Damaged goods", "We are sorry your goods arrived damaged. Please send us a photo of the item and the parcel; we will send a replacement or refund you, as you prefer."),
        ("Refund timing", "Your refund has been handed to our finance team. It reaches your card within 3 to 5 working days."),
    ] {
        tickets::save_canned_reply(db, &senior, 0, &crate::tickets::knowledge::CannedReplyInput { title: title.into(), body: body.into() }).await?;
    }
    Ok(())
}
