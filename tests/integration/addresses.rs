//! The customer's address book on both backends: the first entry and any marked one is the
//! only default; deleting the default hands it on; nobody reaches another customer's entries;
//! the book has a limit; a checkout may keep its address, once.

use crate::on_both_backends;
use crate::support::demo_actor;
use shopflow::domain::AppError;
use shopflow::orders::addresses::{AddressBookInput, MAX_ADDRESSES};
use shopflow::orders::{address_service as book, service, AddressInput, CheckoutInput};
use shopflow::server::demo;
use shopflow::server::Db;

fn entry(label: &str, street: &str, is_default: bool) -> AddressBookInput {
    AddressBookInput {
        label: label.into(),
        address: AddressInput { recipient: "Cathy Customer".into(), phone: "+86 138 0013 8000".into(), address: street.into() },
        is_default,
    }
}

on_both_backends!(an_address_book_keeps_one_default_and_stays_private, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let other = crate::orders::customer(&db, 1).await;

    let home = book::save(&db, &cathy, None, &entry("Home", "88 Century Ave, Shanghai", false)).await.unwrap();
    let office = book::save(&db, &cathy, None, &entry("Office", "1 Lujiazui Rd, Shanghai", false)).await.unwrap();
    let list = book::mine(&db, &cathy).await.unwrap();
    assert_eq!(list.iter().map(|a| (a.id, a.is_default)).collect::<Vec<_>>(), vec![(home, true), (office, false)], "the first is the default");

    book::set_default(&db, &cathy, office).await.unwrap();
    let list = book::mine(&db, &cathy).await.unwrap();
    assert_eq!(list.iter().filter(|a| a.is_default).map(|a| a.id).collect::<Vec<_>>(), vec![office]);
    assert_eq!(list[0].id, office, "the default comes first");
    book::save(&db, &cathy, Some(home), &entry("Home", "90 Century Ave, Shanghai", true)).await.unwrap();
    let list = book::mine(&db, &cathy).await.unwrap();
    assert_eq!((list[0].id, list[0].address.address.as_str()), (home, "90 Century Ave, Shanghai"));
    assert_eq!(list.iter().filter(|a| a.is_default).count(), 1);

    // Bad input changes nothing.
    let err = book::save(&db, &cathy, Some(home), &entry("Home", " ", false)).await.unwrap_err();
    assert_eq!(err.field_message("address").as_deref(), Some("required"));
    assert_eq!(book::mine(&db, &cathy).await.unwrap()[0].address.address, "90 Century Ave, Shanghai");

    // Another customer neither sees nor touches these entries.
    assert!(book::mine(&db, &other).await.unwrap().is_empty());
    assert!(matches!(book::save(&db, &other, Some(home), &entry("Mine", "Elsewhere 1", false)).await, Err(AppError::NotFound)));
    assert!(matches!(book::set_default(&db, &other, office).await, Err(AppError::NotFound)));
    assert!(matches!(book::delete(&db, &other, home).await, Err(AppError::NotFound)));
    assert_eq!(book::mine(&db, &cathy).await.unwrap().len(), 2);

    // Deleting the default hands it to the remaining entry.
    book::delete(&db, &cathy, home).await.unwrap();
    let list = book::mine(&db, &cathy).await.unwrap();
    assert_eq!(list.iter().map(|a| (a.id, a.is_default)).collect::<Vec<_>>(), vec![(office, true)]);

    // The book has a limit.
    for n in 1..MAX_ADDRESSES {
        book::save(&db, &cathy, None, &entry("", &format!("{n} Nanjing Rd"), false)).await.unwrap();
    }
    let err = book::save(&db, &cathy, None, &entry("", "One too many", false)).await.unwrap_err();
    assert!(matches!(&err, AppError::Conflict(m) if m.contains("full")), "{err:?}");
    assert_eq!(book::mine(&db, &cathy).await.unwrap().len() as i64, MAX_ADDRESSES);
});

on_both_backends!(a_checkout_keeps_its_address_once_when_asked, async |db: Db| {
    demo::seed(&db).await.unwrap();
    let cathy = demo_actor(&db, "customer@shopflow.test").await;
    let place = |key: &'static str, save_address: bool, street: &'static str| {
        let (db, cathy) = (db.clone(), cathy.clone());
        async move {
            service::set_cart_quantity(&db, &cathy, "QM-200G", "1", true).await.unwrap();
            let cart = service::cart(&db, &cathy).await.unwrap();
            let fee = cart.shipping.iter().find(|o| o.code == "standard").unwrap().fee_for(cart.goods_total);
            let input = CheckoutInput {
                idempotency_key: key.into(),
                address: AddressInput { recipient: "Cathy Customer".into(), phone: "+86 138 0013 8000".into(), address: street.into() },
                shipping_method: "standard".into(),
                expected_total: cart.goods_total + fee,
                save_address,
            };
            service::place_order(&db, &cathy, &input).await.unwrap()
        }
    };
    place("book-key-0001", false, "5 Bund, Shanghai").await;
    assert!(book::mine(&db, &cathy).await.unwrap().is_empty(), "not asked: not kept");
    place("book-key-0002", true, "5 Bund, Shanghai").await;
    place("book-key-0003", true, "5 Bund, Shanghai").await;
    let list = book::mine(&db, &cathy).await.unwrap();
    assert_eq!(list.len(), 1, "the same address is kept once");
    assert!(list[0].is_default);
    let cart = service::cart(&db, &cathy).await.unwrap();
    assert_eq!(cart.addresses.len(), 1);
    // Deleting the entry leaves the orders' addresses alone.
    book::delete(&db, &cathy, list[0].id).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM orders WHERE address = '5 Bund, Shanghai'").fetch_one(db.pool()).await.unwrap();
    assert_eq!(n, 3);
});
