//! Orders: the customer's cart and checkout, payment, and the fulfilment workflow from a placed
//! order to a completed one. The declaration below is the handbook's order procedure; the
//! shared types are what the portal and the order desk exchange with the server.

pub mod address_pages;
pub mod addresses;
#[cfg(feature = "ssr")]
pub mod address_service;
pub mod api;
#[cfg(feature = "ssr")]
pub mod carrier;
pub mod desk_pages;
pub mod exception_pages;
#[cfg(feature = "ssr")]
pub mod exception_service;
pub mod exceptions;
#[cfg(feature = "ssr")]
pub mod lane;
#[cfg(feature = "ssr")]
pub mod notices;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod payment;
pub mod return_pages;
#[cfg(feature = "ssr")]
pub mod return_service;
pub mod returns;
#[cfg(feature = "ssr")]
pub mod review_service;
pub mod reviews;
#[cfg(feature = "ssr")]
pub mod service;
pub mod shipments;
#[cfg(feature = "ssr")]
pub mod shipment_service;
pub mod shipment_pages;

use crate::catalog::parse_quantity;
use crate::domain::{required_text, AppError, AppResult, Permission, Role};
use crate::engine::{Action, AuditEvent, Field, FieldKind, SlaStatus, State, Text, Workflow, STAY};
use crate::logistics::Name;
use serde::{Deserialize, Serialize};

pub const PLACED: State = State { id: "placed", name: Text::new("Awaiting payment", "待付款"), terminal: false };
pub const PAID: State = State { id: "paid", name: Text::new("Paid, to confirm", "已付款待确认"), terminal: false };
pub const CONFIRMED: State = State { id: "confirmed", name: Text::new("Confirmed", "已确认"), terminal: false };
pub const ALLOCATED: State = State { id: "allocated", name: Text::new("Allocated to warehouse", "已分配仓库"), terminal: false };
pub const PICKING: State = State { id: "picking", name: Text::new("Picking", "拣货中"), terminal: false };
pub const PACKED: State = State { id: "packed", name: Text::new("Packed", "已打包"), terminal: false };
pub const SHIPPED: State = State { id: "shipped", name: Text::new("Shipped", "已发货"), terminal: false };
pub const DELIVERED: State = State { id: "delivered", name: Text::new("Delivered", "已签收"), terminal: false };
pub const COMPLETED: State = State { id: "completed", name: Text::new("Completed", "已完成"), terminal: false };
pub const REVIEW_REQUESTED: State = State { id: "review_requested", name: Text::new("Review requested", "已邀请评价"), terminal: true };
pub const CANCELLED: State = State { id: "cancelled", name: Text::new("Cancelled", "已取消"), terminal: true };

const REASON: Field = Field { name: "reason", label: Text::new("Reason", "原因"), kind: FieldKind::LongText, required: true, max_chars: 500 };
const NOTE: Field = Field { name: "note", label: Text::new("Note", "备注"), kind: FieldKind::LongText, required: false, max_chars: 500 };

pub const ORDERS: Workflow = Workflow {
    id: "order",
    name: Text::new("Customer order", "客户订单"),
    purpose: Text::new(
        "Every order is paid, confirmed, picked, packed and shipped by a named role within its time limit, and the customer can follow each step. Stock is held for the order from the moment it is placed, so an order never sells what the warehouses do not have.",
        "每张订单由指定岗位在时限内完成付款确认、拣货、打包和发货，客户可以看到每一步。下单即预留库存，订单绝不超卖。",
    ),
    table: "orders",
    states: &[PLACED, PAID, CONFIRMED, ALLOCATED, PICKING, PACKED, SHIPPED, DELIVERED, COMPLETED, REVIEW_REQUESTED, CANCELLED],
    actions: &[
        Action {
            id: "place",
            label: Text::new("Place order", "提交订单"),
            from: &[],
            to: PLACED,
            permission: Permission::OrderPlace,
            owner: Role::Customer,
            sla_hours: None,
            sop: Text::new(
                "The customer checks out the cart with an address and a shipping method. The server prices every line itself and holds the stock, preferring one warehouse that has everything.",
                "客户填写收货地址、选择配送方式后提交购物车。服务器自行计价并预留库存，优先由一个仓库发全部商品。",
            ),
            form: &[],
        },
        Action {
            id: "pay",
            label: Text::new("Pay", "付款"),
            from: &[PLACED],
            to: PAID,
            permission: Permission::OrderPlace,
            owner: Role::Customer,
            sla_hours: Some(1),
            sop: Text::new(
                "The customer pays the order total. An order not paid within the payment window (30 minutes by default) is cancelled and its stock released.",
                "客户支付订单金额。超过付款时限（默认30分钟）未付款的订单自动取消并释放库存。",
            ),
            form: &[],
        },
        Action {
            id: "confirm",
            label: Text::new("Confirm order", "确认订单"),
            from: &[PAID],
            to: CONFIRMED,
            permission: Permission::OrderReview,
            owner: Role::OrderClerk,
            sla_hours: Some(4),
            sop: Text::new(
                "Paid orders are confirmed automatically. Orders above the review amount wait here for an order clerk: check the recipient, phone and address, call the customer if anything looks wrong, then confirm or cancel with the reason.",
                "已付款订单自动确认。超过审核金额的订单在此等待订单专员：核对收货人、电话和地址，如有疑问致电客户，然后确认或写明原因取消。",
            ),
            form: &[NOTE],
        },
        Action {
            id: "allocate",
            label: Text::new("Release to warehouse", "下发仓库"),
            from: &[CONFIRMED],
            to: ALLOCATED,
            permission: Permission::OrderReview,
            owner: Role::OrderClerk,
            sla_hours: Some(1),
            sop: Text::new(
                "A confirmed order goes to the warehouses that hold its stock, one parcel per warehouse. This happens automatically; do it by hand only when the order stayed confirmed.",
                "确认后的订单下发到持有库存的仓库，每个仓库一个包裹。此步自动完成；仅当订单停留在“已确认”时手动下发。",
            ),
            form: &[],
        },
        Action {
            id: "pick",
            label: Text::new("Start picking", "开始拣货"),
            from: &[ALLOCATED],
            to: PICKING,
            permission: Permission::OrderFulfil,
            owner: Role::WarehouseStaff,
            sla_hours: Some(4),
            sop: Text::new(
                "Print the pick list of your warehouse's parcel and pick each line from its shelf. Report a missing item to the order clerk at once.",
                "打印本仓包裹的拣货单，逐行从货架拣货。发现缺货立即通知订单专员。",
            ),
            form: &[],
        },
        Action {
            id: "pack",
            label: Text::new("Packed", "完成打包"),
            from: &[PICKING],
            to: PACKED,
            permission: Permission::OrderFulfil,
            owner: Role::WarehouseStaff,
            sla_hours: Some(4),
            sop: Text::new(
                "Check every picked item against the packing slip, pack it, put the slip in the parcel. Packing takes the held stock out of the warehouse.",
                "按装箱单核对所拣商品后打包，并将装箱单放入包裹。打包即扣减所预留的库存。",
            ),
            form: &[],
        },
        Action {
            id: "pack_parcel",
            label: Text::new("Parcel packed", "包裹已打包"),
            from: &[PICKING],
            to: STAY,
            permission: Permission::OrderFulfil,
            owner: Role::WarehouseStaff,
            sla_hours: Some(4),
            sop: Text::new(
                "An order split over several warehouses: each warehouse packs its own parcel when it is ready, without waiting for the others. Packing takes that parcel's held stock out of the warehouse; the order is packed when the last parcel is.",
                "订单拆分到多个仓库时：各仓库备好即打包本仓包裹，无需等待其他仓库。打包即扣减该包裹所预留的库存；最后一个包裹打包后订单即为已打包。",
            ),
            form: &[],
        },
        Action {
            id: "ship_parcel",
            label: Text::new("Ship this parcel", "发出此包裹"),
            from: &[PICKING, PACKED],
            to: STAY,
            permission: Permission::OrderShip,
            owner: Role::LogisticsCoordinator,
            sla_hours: Some(24),
            sop: Text::new(
                "A packed parcel of a split order goes to its carrier as soon as it is packed: record its carrier and tracking number; the customer sees it at once. The order is shipped when the last parcel is.",
                "拆分订单的包裹打包后即可交给承运商：登记其承运商和运单号，客户即时可见。最后一个包裹发出后订单即为已发货。",
            ),
            form: &[],
        },
        Action {
            id: "ship",
            label: Text::new("Ship", "发货"),
            from: &[PACKED],
            to: SHIPPED,
            permission: Permission::OrderShip,
            owner: Role::LogisticsCoordinator,
            sla_hours: Some(24),
            sop: Text::new(
                "Hand every parcel to a carrier and record the carrier and tracking number of each; the customer sees them at once.",
                "将每个包裹交给承运商，并逐个登记承运商和运单号；客户即时可见。",
            ),
            form: &[],
        },
        Action {
            id: "deliver",
            label: Text::new("Delivered", "确认签收"),
            from: &[SHIPPED],
            to: DELIVERED,
            permission: Permission::OrderShip,
            owner: Role::LogisticsCoordinator,
            sla_hours: Some(96),
            sop: Text::new(
                "When the carrier reports the parcels delivered, record it. A parcel late beyond four days is a shipping exception: contact the carrier.",
                "承运商报告签收后登记。超过四天未送达属于物流异常：联系承运商跟进。",
            ),
            form: &[NOTE],
        },
        Action {
            id: "complete",
            label: Text::new("Complete", "完成订单"),
            from: &[DELIVERED],
            to: COMPLETED,
            permission: Permission::OrderReview,
            owner: Role::OrderClerk,
            sla_hours: Some(48),
            sop: Text::new(
                "Close the order when it was delivered and no complaint is open; the customer is then invited to review the products.",
                "订单已签收且无未结投诉时完成订单，随后邀请客户评价商品。",
            ),
            form: &[],
        },
        Action {
            id: "request_review",
            label: Text::new("Invite a review", "邀请评价"),
            from: &[COMPLETED],
            to: REVIEW_REQUESTED,
            permission: Permission::OrderReview,
            owner: Role::OrderClerk,
            sla_hours: Some(24),
            sop: Text::new("A completed order's customer is invited to review its products (automatic).", "订单完成后自动邀请客户评价商品。"),
            form: &[],
        },
        Action {
            id: "cancel",
            label: Text::new("Cancel order", "取消订单"),
            from: &[PLACED, PAID, CONFIRMED, ALLOCATED],
            to: CANCELLED,
            permission: Permission::OrderPlace,
            owner: Role::Customer,
            sla_hours: None,
            sop: Text::new(
                "The customer may cancel until picking starts. The held stock is released and a paid amount is handed to finance for refund.",
                "拣货开始前客户可自行取消。预留库存释放，已付款项转财务退款。",
            ),
            form: &[Field { name: "reason", label: Text::new("Reason", "原因"), kind: FieldKind::LongText, required: false, max_chars: 500 }],
        },
        Action {
            id: "void",
            label: Text::new("Cancel (staff)", "取消订单（员工）"),
            from: &[PLACED, PAID, CONFIRMED, ALLOCATED, PICKING],
            to: CANCELLED,
            permission: Permission::OrderReview,
            owner: Role::OrderClerk,
            sla_hours: None,
            sop: Text::new(
                "Cancel an order that cannot be fulfilled (address unreachable, suspected fraud, stock damaged while picking), with the reason the customer will read. Stock is released; a paid amount goes to finance for refund.",
                "无法履约的订单（地址无法送达、疑似欺诈、拣货时发现货损）由员工取消，并写明客户可见的原因。库存释放，已付款项转财务退款。",
            ),
            form: &[REASON],
        },
    ],
};

/// Paid orders above this total wait for an order clerk instead of being confirmed at once;
/// unpaid orders are cancelled after the payment window; the simulated carrier moves a
/// parcel one stage on every `carrier_step_seconds` (0: no simulated tracking).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderPolicy {
    pub review_above: i64,
    pub payment_window_minutes: i64,
    pub carrier_step_seconds: i64,
}

impl Default for OrderPolicy {
    fn default() -> Self {
        OrderPolicy { review_above: 500_000, payment_window_minutes: 30, carrier_step_seconds: 60 }
    }
}

/// The most of one SKU a cart line may hold.
pub const MAX_LINE_QUANTITY: i64 = 999;
/// The most lines one order may have.
pub const MAX_CART_LINES: usize = 50;

pub fn parse_cart_quantity(text: &str) -> AppResult<i64> {
    let q = parse_quantity("quantity", text, MAX_LINE_QUANTITY)?;
    if q == 0 {
        return Err(AppError::invalid("quantity", "must be greater than zero"));
    }
    Ok(q)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartLine {
    pub sku: String,
    pub product_id: i64,
    pub title: String,
    pub attributes: String,
    pub quantity: i64,
    /// What one unit costs now (the running promotion if there is one).
    pub unit_price: i64,
    pub available: i64,
    /// False when the product was delisted since it was added.
    pub listed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cart {
    pub lines: Vec<CartLine>,
    pub goods_total: i64,
    /// The last address used, to fill the checkout form.
    pub last_address: Option<AddressInput>,
    /// The delivery the shop offers now, cheapest first.
    pub shipping: Vec<crate::logistics::ShippingOption>,
    /// The customer's address book, the default first.
    pub addresses: Vec<addresses::SavedAddress>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AddressInput {
    pub recipient: String,
    pub phone: String,
    pub address: String,
}

impl AddressInput {
    /// The same address trimmed, or the first field that is wrong.
    pub fn validate(&self) -> AppResult<AddressInput> {
        let recipient = required_text("recipient", &self.recipient, 60)?;
        let phone = required_text("phone", &self.phone, 30)?;
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        if digits < 6 || !phone.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
            return Err(AppError::invalid("phone", "not a phone number"));
        }
        let address = required_text("address", &self.address, 300)?;
        Ok(AddressInput { recipient, phone, address })
    }
}

/// The checkout form. `idempotency_key` is made once by the checkout page: submitting the
/// same checkout again returns the order it already made. `expected_total` is the total the
/// customer was shown; the server prices the order itself and refuses when they differ.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckoutInput {
    pub idempotency_key: String,
    pub address: AddressInput,
    pub shipping_method: String,
    pub expected_total: i64,
    /// Also keep this address in the customer's address book.
    #[serde(default)]
    pub save_address: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCheckout {
    pub idempotency_key: String,
    pub recipient: String,
    pub phone: String,
    pub address: String,
    /// The chosen shipping service's code; the server prices it from the carriers' data.
    pub method: String,
}

impl ValidCheckout {
    /// The delivery address, as the address book keeps it.
    pub fn address_input(&self) -> AddressInput {
        AddressInput { recipient: self.recipient.clone(), phone: self.phone.clone(), address: self.address.clone() }
    }
}

impl CheckoutInput {
    pub fn validate(&self) -> AppResult<ValidCheckout> {
        let key = self.idempotency_key.trim();
        if key.len() < 8 || key.len() > 64 || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(AppError::invalid("idempotency_key", "reload the checkout page and try again"));
        }
        let AddressInput { recipient, phone, address } = self.address.validate()?;
        let method = crate::logistics::parse_code("shipping_method", &self.shipping_method)
            .map_err(|_| AppError::invalid("shipping_method", "choose a shipping method"))?;
        Ok(ValidCheckout { idempotency_key: key.to_string(), recipient, phone, address, method })
    }
}

/// A card as the checkout's payment form submits it. Only the last four digits are kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardInput {
    pub holder: String,
    pub number: String,
    /// MM/YY
    pub expiry: String,
    pub cvc: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCard {
    pub holder: String,
    pub number: String,
    pub exp_month: u32,
    pub exp_year: i32,
}

impl ValidCard {
    pub fn last4(&self) -> &str {
        &self.number[self.number.len() - 4..]
    }
}

impl CardInput {
    /// Checks the number (Luhn), the expiry against `today` (year, month) and the CVC.
    pub fn validate(&self, today: (i32, u32)) -> AppResult<ValidCard> {
        let holder = required_text("holder", &self.holder, 80)?;
        let number: String = self.number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if number.len() < 12 || number.len() > 19 || !number.chars().all(|c| c.is_ascii_digit()) || !luhn(&number) {
            return Err(AppError::invalid("number", "not a valid card number"));
        }
        let (m, y) = self.expiry.trim().split_once('/').ok_or_else(|| AppError::invalid("expiry", "write the expiry as MM/YY"))?;
        let (month, year) = match (m.trim().parse::<u32>(), y.trim().parse::<i32>()) {
            (Ok(m), Ok(y)) if (1..=12).contains(&m) && (0..100).contains(&y) => (m, 2000 + y),
            _ => return Err(AppError::invalid("expiry", "write the expiry as MM/YY")),
        };
        if (year, month) < today {
            return Err(AppError::invalid("expiry", "this card has expired"));
        }
        let cvc = self.cvc.trim();
        if !(3..=4).contains(&cvc.len()) || !cvc.chars().all(|c| c.is_ascii_digit()) {
            return Err(AppError::invalid("cvc", "3 or 4 digits"));
        }
        Ok(ValidCard { holder, number, exp_month: month, exp_year: year })
    }
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    sum % 10 == 0
}

/// Where one line's units come from: `(line index, warehouse id, quantity)`.
pub type Allocation = (usize, i64, i64);

/// Why a checkout was refused: `have` units of SKU `code` left, fewer than it asks.
#[cfg(feature = "ssr")]
pub fn out_of_stock(code: &str, have: i64) -> crate::domain::AppError {
    crate::domain::AppError::Conflict(format!("{code}: not enough stock ({have} available)"))
}

/// Why a checkout was refused when its key is taken: the other submit of the same checkout,
/// at the same moment, made the order (the caller finds it by the key).
#[cfg(feature = "ssr")]
pub fn placing_already() -> crate::domain::AppError {
    crate::domain::AppError::Conflict("this checkout is being placed already".into())
}

/// The audit payload of a placed order: its total, how many lines, the shipping service.
#[cfg(feature = "ssr")]
pub fn placed_payload(total: i64, lines: usize, method: &str) -> serde_json::Value {
    serde_json::json!({ "total": crate::domain::format_money(total), "lines": lines.to_string(), "shipping_method": method })
}

/// A checkout priced from its cart as read now: `(goods, shipping fee, total)`. `shipping` is
/// the chosen service's fee and free-from amount if the shop offers it now. Refuses an empty
/// cart, a line no longer sold, a service not offered, and a total other than `expected`, the
/// one the customer saw: the server prices an order itself, whatever the request says.
pub fn price_checkout(lines: &[CartLine], shipping: Option<(i64, Option<i64>)>, expected: i64) -> AppResult<(i64, i64, i64)> {
    if lines.is_empty() {
        return Err(AppError::invalid("cart", "your cart is empty"));
    }
    if let Some(gone) = lines.iter().find(|l| !l.listed) {
        return Err(AppError::Conflict(format!("{}: no longer sold; remove it from your cart", gone.title)));
    }
    let (fee, free_from) = shipping.ok_or_else(|| AppError::invalid("shipping_method", "choose a shipping method"))?;
    let goods: i64 = lines.iter().map(|l| l.unit_price * l.quantity).sum();
    let fee = crate::logistics::shipping_fee(fee, free_from, goods);
    let total = goods + fee;
    if total != expected {
        return Err(AppError::Conflict(format!("the total is now {}; check your order and place it again", crate::domain::format_money(total))));
    }
    Ok((goods, fee, total))
}

/// Chooses warehouses for the lines `(sku id, quantity)` from the stock available
/// `(sku id, warehouse id, available)`. One warehouse that has every line is best (one
/// parcel; the one with the most of the order's stock wins). Otherwise each line takes from
/// warehouses already in use first, then from the one with the most; a line may be split.
/// Returns the SKU id that cannot be covered when stock is short.
pub fn plan_allocation(lines: &[(i64, i64)], available: &[(i64, i64, i64)]) -> Result<Vec<Allocation>, i64> {
    let avail = |sku: i64, wh: i64| available.iter().filter(|a| a.0 == sku && a.1 == wh).map(|a| a.2).sum::<i64>();
    let mut warehouses: Vec<i64> = available.iter().map(|a| a.1).collect();
    warehouses.sort_unstable();
    warehouses.dedup();
    // Demand per SKU (a SKU may appear on two lines).
    let demand = |sku: i64| lines.iter().filter(|l| l.0 == sku).map(|l| l.1).sum::<i64>();
    let whole = warehouses
        .iter()
        .filter(|wh| lines.iter().all(|l| avail(l.0, **wh) >= demand(l.0)))
        .max_by_key(|wh| (lines.iter().map(|l| avail(l.0, **wh)).sum::<i64>(), -**wh));
    if let Some(wh) = whole {
        return Ok(lines.iter().enumerate().map(|(i, l)| (i, *wh, l.1)).collect());
    }
    let mut left: Vec<(i64, i64, i64)> = available.to_vec();
    let mut used: Vec<i64> = Vec::new();
    let mut out = Vec::new();
    for (i, (sku, quantity)) in lines.iter().enumerate() {
        let mut need = *quantity;
        let mut candidates: Vec<(i64, i64)> = left.iter().filter(|a| a.0 == *sku && a.2 > 0).map(|a| (a.1, a.2)).collect();
        // Warehouses already shipping part of the order first, then the most stock.
        candidates.sort_by_key(|(wh, n)| (!used.contains(wh), -n, *wh));
        for (wh, n) in candidates {
            if need == 0 {
                break;
            }
            let take = need.min(n);
            need -= take;
            out.push((i, wh, take));
            if !used.contains(&wh) {
                used.push(wh);
            }
            if let Some(a) = left.iter_mut().find(|a| a.0 == *sku && a.1 == wh) {
                a.2 -= take;
            }
        }
        if need > 0 {
            return Err(*sku);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub id: i64,
    pub sku: String,
    pub title: String,
    pub attributes: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub line_total: i64,
}

/// One parcel: the part of the order one warehouse sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    pub id: i64,
    pub warehouse: String,
    pub warehouse_name: String,
    pub carrier: Option<String>,
    pub carrier_name: Option<Name>,
    pub tracking_number: Option<String>,
    /// When its stock left the warehouse in a box (each parcel of a split order on its own).
    pub packed_at: Option<i64>,
    /// The parcel on its carrier's own site, when the carrier has a tracking page.
    pub tracking_link: Option<String>,
    pub shipped_at: Option<i64>,
    pub delivered_at: Option<i64>,
    /// (sku, title, quantity): the pick list.
    pub items: Vec<(String, String, i64)>,
    /// What the carrier reported, oldest first.
    pub events: Vec<TrackingEvent>,
}

/// Where a parcel is, as its carrier reports it.
pub const TRACKING_STATUSES: &[(&str, Text)] = &[
    ("accepted", Text::new("Picked up", "已揽收")),
    ("in_transit", Text::new("In transit", "运输中")),
    ("out_for_delivery", Text::new("Out for delivery", "派送中")),
    ("delivered", Text::new("Delivered", "已签收")),
    ("exception", Text::new("Delivery problem", "派送异常")),
];

pub fn tracking_status_name(key: &str, lang: crate::i18n::Lang) -> String {
    TRACKING_STATUSES.iter().find(|s| s.0 == key).map(|s| s.1.get(lang).to_string()).unwrap_or_else(|| key.to_string())
}

/// One event of a parcel's journey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackingEvent {
    pub status: String,
    pub description: String,
    pub location: Option<String>,
    pub at: i64,
}

/// Tracking events as a carrier sends them to the webhook (or the tracker fetches them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackingUpdate {
    pub carrier: String,
    pub tracking_number: String,
    pub events: Vec<CarrierEvent>,
}

/// `id` is the carrier's own id of the event: a repeated delivery of it is recorded once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarrierEvent {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub location: Option<String>,
    /// Milliseconds since the epoch, UTC.
    pub at: i64,
}

impl CarrierEvent {
    pub fn validate(&self) -> AppResult<()> {
        if self.id.trim().is_empty() || self.id.len() > 100 {
            return Err(AppError::invalid("id", "required, at most 100 characters"));
        }
        if !TRACKING_STATUSES.iter().any(|s| s.0 == self.status) {
            return Err(AppError::invalid("status", "unknown tracking status"));
        }
        if self.description.chars().count() > 300 || self.location.as_ref().is_some_and(|l| l.chars().count() > 100) {
            return Err(AppError::invalid("description", "too long"));
        }
        // Between 2000 and 2100: a carrier's clock, not garbage.
        if !(946_684_800_000..4_102_444_800_000).contains(&self.at) {
            return Err(AppError::invalid("at", "not a time"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub id: i64,
    pub customer: String,
    pub state: String,
    pub version: i64,
    pub total: i64,
    pub lines: i64,
    pub units: i64,
    pub created_at: i64,
    pub sla: SlaStatus,
    /// A paid order waiting for a clerk (above the review amount, or not confirmed).
    pub needs_review: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub outcome: String,
    pub amount: i64,
    pub card_last4: Option<String>,
    pub message: Option<String>,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: i64,
    pub customer_id: i64,
    pub customer: String,
    pub recipient: String,
    pub phone: String,
    pub address: String,
    pub shipping_method: String,
    pub shipping_service: Name,
    /// The carrier of the chosen service, suggested when the parcels are shipped.
    pub planned_carrier: Option<String>,
    pub goods_total: i64,
    pub shipping_fee: i64,
    pub total: i64,
    pub paid_at: Option<i64>,
    pub cancel_reason: Option<String>,
    pub state: String,
    pub version: i64,
    pub created_at: i64,
    pub sla: SlaStatus,
    pub lines: Vec<OrderLine>,
    pub shipments: Vec<Shipment>,
    pub payments: Vec<Payment>,
    /// Amounts handed to finance for refund: (amount, reason, state).
    pub refunds: Vec<(i64, String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderDetail {
    pub order: Order,
    pub exceptions: Vec<exceptions::ShippingException>,
    pub returns: Vec<returns::ReturnCase>,
    /// The order lines already reviewed (customers review each line once).
    pub reviewed_lines: Vec<i64>,
    pub events: Vec<AuditEvent>,
    /// The steps this user may take now.
    pub actions: Vec<String>,
    /// The carriers a parcel may be handed to (for whoever may ship it): (code, name).
    pub carriers: Vec<(String, Name)>,
}

/// What one parcel was handed over with, in the `ship` step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShipmentInput {
    pub shipment_id: i64,
    pub carrier: String,
    pub tracking_number: String,
}

/// A carrier's tracking number: letters, digits and dashes, at most 40.
pub fn parse_tracking_number(field: &str, text: &str) -> AppResult<String> {
    let tracking = required_text(field, text, 40)?;
    if !tracking.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(AppError::invalid(field, "letters, digits and dashes only"));
    }
    Ok(tracking)
}

impl ShipmentInput {
    pub fn validate(&self, parcel_no: usize) -> AppResult<(String, String)> {
        let at = |e: AppError| e.at_line("shipments", parcel_no);
        // Whether the shop works with this carrier is the service's question (it is data).
        let carrier = crate::logistics::parse_code("carrier", &self.carrier).map_err(|_| at(AppError::invalid("carrier", "choose a carrier")))?;
        let tracking = parse_tracking_number("tracking_number", &self.tracking_number).map_err(at)?;
        Ok((carrier, tracking))
    }
}

pub use crate::domain::BulkResult;

#[cfg(test)]
mod tests {
    use super::*;

    fn line(title: &str, quantity: i64, unit_price: i64, listed: bool) -> CartLine {
        CartLine { sku: title.to_uppercase(), product_id: 1, title: title.into(), attributes: String::new(), quantity, unit_price, available: 0, listed }
    }

    #[test]
    fn a_checkout_is_priced_by_the_server_and_refused_when_anything_changed() {
        let cart = [line("cup", 2, 1_500, true), line("tea", 1, 4_000, true)];
        // 70.00 of goods: the fee is charged below the free-from amount, not from it.
        assert_eq!(price_checkout(&cart, Some((1_000, Some(10_000))), 8_000).unwrap(), (7_000, 1_000, 8_000));
        assert_eq!(price_checkout(&cart, Some((1_000, Some(7_000))), 7_000).unwrap(), (7_000, 0, 7_000));
        assert_eq!(price_checkout(&cart, Some((1_000, None)), 8_000).unwrap(), (7_000, 1_000, 8_000));
        let refused = |lines: &[CartLine], shipping, expected| price_checkout(lines, shipping, expected).unwrap_err().to_string();
        assert!(refused(&[], Some((1_000, None)), 0).contains("your cart is empty"));
        assert!(refused(&[line("cup", 1, 1_500, true), line("vase", 1, 9_000, false)], Some((0, None)), 10_500).contains("vase: no longer sold"));
        assert!(refused(&cart, None, 7_000).contains("choose a shipping method"));
        // A forged or stale total is refused with the total as it is now.
        assert!(refused(&cart, Some((1_000, None)), 1).contains("the total is now"));
    }

    #[test]
    fn the_declaration_is_consistent() {
        ORDERS.check().unwrap();
    }

    #[test]
    fn customers_cannot_cancel_once_picking_started() {
        let cancel = ORDERS.action("cancel").unwrap();
        assert!(!cancel.from.contains(&PICKING) && !cancel.from.contains(&PACKED) && !cancel.from.contains(&SHIPPED));
        assert!(ORDERS.action("void").unwrap().from.contains(&PICKING));
    }

    #[test]
    fn one_warehouse_with_everything_is_preferred() {
        // SKU 1 x2, SKU 2 x1; warehouse 10 has both, 20 has more of SKU 1 only.
        let plan = plan_allocation(&[(1, 2), (2, 1)], &[(1, 10, 5), (2, 10, 1), (1, 20, 50)]).unwrap();
        assert_eq!(plan, vec![(0, 10, 2), (1, 10, 1)]);
    }

    #[test]
    fn otherwise_lines_split_preferring_warehouses_in_use() {
        // Nobody has both: SKU 1 only in 10 and 20, SKU 2 only in 20.
        let plan = plan_allocation(&[(2, 1), (1, 4)], &[(1, 10, 9), (1, 20, 3), (2, 20, 1)]).unwrap();
        // SKU 2 opens warehouse 20; SKU 1 takes its 3 there first and 1 from 10.
        assert_eq!(plan, vec![(0, 20, 1), (1, 20, 3), (1, 10, 1)]);
        assert_eq!(plan_allocation(&[(1, 13)], &[(1, 10, 9), (1, 20, 3)]), Err(1));
        assert_eq!(plan_allocation(&[(1, 1)], &[]), Err(1));
    }

    #[test]
    fn a_sku_on_two_lines_counts_its_whole_demand() {
        let plan = plan_allocation(&[(1, 2), (1, 2)], &[(1, 10, 3), (1, 20, 4)]).unwrap();
        assert_eq!(plan.iter().map(|a| a.2).sum::<i64>(), 4);
        assert!(plan.iter().all(|a| a.1 == 20));
    }

    #[test]
    fn checkout_input_is_checked() {
        let ok = CheckoutInput {
            idempotency_key: "abc-12345".into(),
            address: AddressInput { recipient: "Li Lei".into(), phone: "+86 138 0000 0000".into(), address: "1 Nanjing Rd, Shanghai".into() },
            shipping_method: "standard".into(),
            expected_total: 0,
            save_address: false,
        };
        assert_eq!(ok.validate().unwrap().method, "standard");
        let with = |f: &dyn Fn(&mut CheckoutInput)| {
            let mut c = ok.clone();
            f(&mut c);
            c.validate().unwrap_err()
        };
        assert_eq!(with(&|c| c.address.phone = "call me".into()).field_message("phone").as_deref(), Some("not a phone number"));
        assert!(with(&|c| c.address.address = " ".into()).field_message("address").is_some());
        assert!(with(&|c| c.shipping_method = "tele port".into()).field_message("shipping_method").is_some());
        assert!(with(&|c| c.shipping_method = String::new()).field_message("shipping_method").is_some());
        assert!(with(&|c| c.idempotency_key = "x".into()).field_message("idempotency_key").is_some());
    }

    #[test]
    fn cards_are_checked_by_luhn_expiry_and_cvc() {
        let card = |n: &str, e: &str, c: &str| CardInput { holder: "LI LEI".into(), number: n.into(), expiry: e.into(), cvc: c.into() };
        let today = (2026, 11);
        assert_eq!(card("4242 4242 4242 4242", "12/30", "123").validate(today).unwrap().last4(), "4242");
        assert!(card("4242 4242 4242 4241", "12/30", "123").validate(today).unwrap_err().field_message("number").is_some());
        assert_eq!(card("4242424242424242", "10/26", "123").validate(today).unwrap_err().field_message("expiry").as_deref(), Some("this card has expired"));
        assert!(card("4242424242424242", "11/26", "123").validate(today).is_ok());
        assert!(card("4242424242424242", "13/30", "123").validate(today).is_err());
        assert!(card("4242424242424242", "12/30", "12a").validate(today).unwrap_err().field_message("cvc").is_some());
    }

    #[test]
    fn cart_quantities_are_bounded() {
        assert_eq!(parse_cart_quantity("3").unwrap(), 3);
        assert!(parse_cart_quantity("0").is_err());
        assert!(parse_cart_quantity("1000000000").is_err());
        assert!(parse_cart_quantity("-1").is_err());
    }
}
