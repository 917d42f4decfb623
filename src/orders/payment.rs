//! Payment providers. The order flow talks to a [`PaymentProvider`]; a real gateway is one
//! more implementation. The built-in [`Simulated`] provider lets the whole flow (success,
//! decline, a provider that does not answer) run on one machine, with the test card numbers
//! payment gateways publish.

use super::ValidCard;
use std::future::Future;
use std::pin::Pin;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// The money was taken; the provider's reference of the charge.
    Succeeded { reference: String },
    /// The card was refused; the message can be shown to the customer.
    Declined { message: String },
    /// No answer in time. Nothing is known about the charge; the customer may retry.
    TimedOut,
}

impl ChargeOutcome {
    pub fn key(&self) -> &'static str {
        match self {
            ChargeOutcome::Succeeded { .. } => "succeeded",
            ChargeOutcome::Declined { .. } => "declined",
            ChargeOutcome::TimedOut => "timed_out",
        }
    }
}

pub trait PaymentProvider: Send + Sync {
    fn name(&self) -> &'static str;
    /// Charges `amount` (minor units) for order `order_id`. `attempt` is unique per try, so a
    /// provider that supports idempotent requests never charges one try twice.
    fn charge<'a>(&'a self, order_id: i64, attempt: &'a str, amount: i64, card: &'a ValidCard) -> Pin<Box<dyn Future<Output = ChargeOutcome> + Send + 'a>>;
}

/// Card numbers ending in 0002 are declined, in 0119 never answer; every other valid card
/// is charged.
pub struct Simulated;

pub const DECLINED_CARD: &str = "4000000000000002";
pub const TIMEOUT_CARD: &str = "4000000000000119";

impl PaymentProvider for Simulated {
    fn name(&self) -> &'static str {
        "simulated"
    }

    fn charge<'a>(&'a self, order_id: i64, attempt: &'a str, _amount: i64, card: &'a ValidCard) -> Pin<Box<dyn Future<Output = ChargeOutcome> + Send + 'a>> {
        Box::pin(async move {
            if card.number.ends_with("0002") {
                ChargeOutcome::Declined { message: "card declined by the issuer".into() }
            } else if card.number.ends_with("0119") {
                ChargeOutcome::TimedOut
            } else {
                ChargeOutcome::Succeeded { reference: format!("sim_{order_id}_{attempt}") }
            }
        })
    }
}

/// The provider in use. Only the simulated one ships today; a gateway would be chosen here
/// from the configuration.
pub fn provider() -> &'static dyn PaymentProvider {
    &Simulated
}
