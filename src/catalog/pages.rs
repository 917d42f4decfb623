//! Pages of products: the staff list and review queue, the product form, one product with
//! its listing steps and timeline, the category tree, and the customer catalog.

use super::api::{
    catalog_tags, get_catalog_product, get_product, list_categories, list_price_approvals, list_products, product_pricing,
    search_catalog, ActOnPriceApproval, ActOnProduct, CancelPromo, ChangePrice, CreateCategory, CreateProduct, RenameCategory,
    SchedulePromo, UpdateProduct,
};
use super::{CatalogQuery, CatalogSort, Category, ProductInput, ProductRow, SkuInput, LISTING};
use crate::components::{
    error_text, loading, resource, route_id, step_form, use_query_map, PostForm, RequirePermission, SlaBadge, StateBadge, Timeline,
};
use crate::domain::{format_time, price_label, AppError, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// A page-level failure: 404 gets the not-found page, anything else its message.
pub fn failure(e: AppError) -> AnyView {
    let i18n = use_i18n();
    match e {
        AppError::NotFound => view! { <crate::components::NotFound/> }.into_any(),
        AppError::Forbidden => view! { <crate::components::Forbidden/> }.into_any(),
        e => view! { <p class="form-error">{error_text(&e, i18n.lang())}</p> }.into_any(),
    }
}

// ---------------------------------------------------------------- staff list

#[component]
pub fn ProductList() -> impl IntoView {
    view! { <RequirePermission permission=Permission::ProductView><ListInner/></RequirePermission> }
}

#[component]
fn ListInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let state = move || query.read().get("state").unwrap_or_default();
    let q = move || query.read().get("q").unwrap_or_default();
    let items = resource(move || (state(), q()), |(s, q)| list_products(s, q));
    let can_edit = crate::components::current_user().is_some_and(|a| a.can(Permission::ProductEdit));
    let can_categories = crate::components::current_user().is_some_and(|a| a.can(Permission::CategoryManage));
    view! {
        <section class="page" data-page="products">
            <div class="page-head">
                <h1>{move || if state() == "submitted" { i18n.t("product.review_queue")() } else { i18n.t("product.list_title")() }}</h1>
                <div class="actions">
                    <a href="/products?state=submitted" class="button secondary" data-testid="review-queue">{i18n.t("product.review_queue")}</a>
                    {can_categories.then(|| view! { <a href="/categories" class="button secondary">{i18n.t("product.categories")}</a> })}
                    <a href="/sop/listing" class="button secondary">{i18n.t("improvement.sop")}</a>
                    // A plain link: the browser downloads the file, with or without the client.
                    <a href=move || format!("/products/export.csv?state={}", state()) class="button secondary" rel="external" download="products.csv" data-testid="export-csv">{i18n.t("import.export")}</a>
                    {can_edit.then(|| view! { <a href="/products/import" class="button secondary" data-testid="import-csv">{i18n.t("import.title")}</a> })}
                    {can_edit.then(|| view! { <a href="/products/new" class="button" data-testid="new-product">{i18n.t("product.new")}</a> })}
                </div>
            </div>
            <form method="get" action="/products" class="filters">
                <label>{i18n.t("field.state")}
                    <select name="state">
                        <option value="">{i18n.t("audit.all")}</option>
                        {LISTING.states.iter().map(|s| view! {
                            <option value=s.id selected=move || state() == s.id>{move || s.name.get(i18n.lang())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{i18n.t("field.search")}<input name="q" value=q() placeholder=move || i18n.t("catalog.search_placeholder")()/></label>
                <button type="submit" class="secondary">{i18n.t("common.filter")}</button>
            </form>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    match items.await {
                        Ok(list) => view! { <ProductTable items=list/> }.into_any(),
                        Err(e) => failure(e),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn ProductTable(items: Vec<ProductRow>) -> impl IntoView {
    let i18n = use_i18n();
    if items.is_empty() {
        return view! { <p class="empty">{i18n.t("product.none")}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead><tr>
                    <th>"#"</th><th>{i18n.t("field.title")}</th><th>{i18n.t("field.category")}</th><th>"SKU"</th>
                    <th class="num">{i18n.t("field.price")}</th><th>{i18n.t("field.state")}</th><th>"SLA"</th><th>{i18n.t("audit.when")}</th>
                </tr></thead>
                <tbody>
                    {items.into_iter().map(|p| view! {
                        <tr data-product=p.id>
                            <td>{p.id}</td>
                            <td><a href=format!("/products/{}", p.id)>{p.title}</a></td>
                            <td>{p.category.unwrap_or_default()}</td>
                            <td>{p.skus}</td>
                            <td class="num">{price_label(p.min_price)}</td>
                            <td><StateBadge workflow=&LISTING state=p.state/></td>
                            <td><SlaBadge sla=p.sla/></td>
                            <td>{format_time(p.updated_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

// ---------------------------------------------------------------- the form

#[component]
pub fn ProductNew() -> impl IntoView {
    view! { <RequirePermission permission=Permission::ProductEdit><NewInner/></RequirePermission> }
}

#[component]
fn NewInner() -> impl IntoView {
    let i18n = use_i18n();
    let categories = resource(|| (), |_| list_categories());
    let create = LISTING.action("create").expect("declared");
    view! {
        <section class="page" data-page="product-new">
            <h1>{i18n.t("product.new")}</h1>
            <p class="sop">{create.sop.get(i18n.lang())}</p>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match categories.await {
                        Ok(cats) => view! { <ProductForm initial=ProductInput::default() id=None version=0 categories=cats/> }.into_any(),
                        Err(e) => failure(e),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn ProductEdit() -> impl IntoView {
    view! { <RequirePermission permission=Permission::ProductEdit><EditInner id=route_id("id")/></RequirePermission> }
}

#[component]
fn EditInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let data = resource(move || id, |id| async move {
        let detail = get_product(id).await?;
        Ok::<_, AppError>((detail, list_categories().await?))
    });
    view! {
        <section class="page" data-page="product-edit">
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((d, cats)) if d.editable => view! {
                            <h1>{i18n.t("product.edit")} ": " {d.product.title.clone()}</h1>
                            {d.product.review_note.clone().map(|n| view! {
                                <div class="notice" data-testid="review-note"><strong>{i18n.t("product.review_note")}</strong><p class="prose">{n}</p></div>
                            })}
                            <ProductForm initial=d.product.input() id=Some(d.product.id) version=d.product.version categories=cats/>
                        }.into_any(),
                        Ok(_) => failure(AppError::InvalidTransition { action: "edit".into(), state: "listed".into() }),
                        Err(e) => failure(e),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Adds a SKU line: a copy of the last one, emptied and numbered after it. Plain script in
/// the page, so the form needs no client code of its own.
const ADD_SKU_ROW: &str = "var b=this.form.querySelector('tbody[data-sku-rows]'),r=b.lastElementChild,n=r.cloneNode(true),k=Number(r.getAttribute('data-sku-row'))+1;\
n.setAttribute('data-sku-row',k);n.querySelectorAll('input').forEach(function(i){i.value='';i.name=i.name.replace(/\\[skus\\]\\[\\d+\\]/,'[skus]['+k+']');});b.appendChild(n);";

/// Removes a SKU line; the last one left is emptied instead.
const REMOVE_SKU_ROW: &str = "var r=this.closest('tr');if(r.parentNode.children.length>1){r.remove();}else{r.querySelectorAll('input').forEach(function(i){i.value='';});}";

/// The product form: fixed fields and a variable list of SKU lines, posted to
/// `create_product` or `update_product` as their `input` (`input[title]`,
/// `input[skus][0][code]`), so a draft is saved whole or not at all.
#[component]
fn ProductForm(initial: ProductInput, id: Option<i64>, version: i64, categories: Vec<Category>) -> impl IntoView {
    let i18n = use_i18n();
    let (to, then) = match id {
        None => (<CreateProduct as ServerFn>::PATH, "/products/{}".to_string()),
        // `update_product` answers with the new version: the product's page is known.
        Some(id) => (<UpdateProduct as ServerFn>::PATH, format!("/products/{id}")),
    };
    let mut skus = initial.skus.clone();
    if skus.is_empty() {
        skus.push(SkuInput::default());
    }
    let sku_cell = |k: usize, name: &'static str, value: String| {
        view! { <input name=format!("input[skus][{k}][{name}]") data-name=name value=value/> }
    };
    view! {
        <div data-testid="product-form">
            <PostForm to=to.to_string() then=then class="form wide".to_string()>
                {id.map(|id| view! {
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="version" value=version/>
                })}
                <label>{i18n.t("field.title")}<input name="input[title]" maxlength="120" value=initial.title.clone()/></label>
                <label>{i18n.t("field.description")}
                    <textarea name="input[description]" rows="5" maxlength="5000">{initial.description.clone()}</textarea>
                </label>
                <div class="row">
                    <label>{i18n.t("field.category")}
                        <select name="input[category_id]">
                            <option value="">"—"</option>
                            {categories.into_iter().map(|c| view! {
                                <option value=c.id selected=initial.category_id == Some(c.id)>{"\u{a0}\u{a0}".repeat(c.depth)}{c.name}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>{i18n.t("field.tags")}<input name="input[tags]" maxlength="400" value=initial.tags.clone()/></label>
                    <label>{i18n.t("field.estimated_stock")}<input name="input[estimated_stock]" maxlength="9" value=initial.estimated_stock.clone()/></label>
                </div>
                <h2>{i18n.t("product.skus")}</h2>
                <div class="table-wrap">
                    <table class="data lines">
                        <thead><tr>
                            <th>{i18n.t("field.code")}</th><th>{i18n.t("field.attributes")}</th><th>{i18n.t("field.price")}</th>
                            <th>{i18n.t("field.cost")}</th><th>{i18n.t("field.reorder_point")}</th><th></th>
                        </tr></thead>
                        <tbody data-sku-rows="">
                            {skus.into_iter().enumerate().map(|(k, s)| view! {
                                <tr data-sku-row=k>
                                    <td>{sku_cell(k, "code", s.code)}</td>
                                    <td>{sku_cell(k, "attributes", s.attributes)}</td>
                                    <td>{sku_cell(k, "price", s.price)}</td>
                                    <td>{sku_cell(k, "cost", s.cost)}</td>
                                    <td>{sku_cell(k, "reorder_point", s.reorder_point)}</td>
                                    <td><button type="button" class="linkish" onclick=REMOVE_SKU_ROW>{i18n.t("product.remove")}</button></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <button type="button" class="secondary" data-testid="add-sku" onclick=ADD_SKU_ROW>{i18n.t("product.add_sku")}</button>
                <div class="actions">
                    <button type="submit" data-testid="save-product">{i18n.t("product.save")}</button>
                </div>
            </PostForm>
        </div>
    }
}

// ---------------------------------------------------------------- one product

#[component]
pub fn ProductPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::ProductView><DetailInner id=route_id("id")/></RequirePermission> }
}

#[component]
fn DetailInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let detail = resource(move || id, |id| async move {
        let detail = get_product(id).await?;
        Ok::<_, AppError>((detail, product_pricing(id).await?))
    });
    // A price change comes back here with `?price=changed`, to say what became of it.
    let repriced = use_query_map().with_untracked(|q| q.get("price").is_some_and(|p| p == "changed"));
    view! {
        <section class="page" data-page="product-detail">
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let (d, pricing) = match detail.await {
                        Ok(d) => d,
                        Err(e) => return failure(e),
                    };
                    let p = d.product;
                    let to = <ActOnProduct as ServerFn>::PATH;
                    let forms = d.actions.iter().filter_map(|a| LISTING.action(a))
                        .map(|a| step_form(&LISTING, a.id, to, (p.id, p.version), vec![], ()))
                        .collect_view();
                    view! {
                        <div class="page-head">
                            <h1>{format!("#{} {}", p.id, p.title)}</h1>
                            <div>
                                <StateBadge workflow=&LISTING state=p.state.clone()/> " " <SlaBadge sla=p.sla/>
                                {d.editable.then(|| view! { " " <a class="button secondary" href=format!("/products/{}/edit", p.id) data-testid="edit-product">{i18n.t("product.edit")}</a> })}
                                {(p.state == "listed").then(|| view! { " " <a class="button secondary" href=format!("/catalog/{}", p.id)>{i18n.t("product.catalog")}</a> })}
                            </div>
                        </div>
                        <div class="columns">
                            <div>
                                {p.review_note.clone().map(|n| view! {
                                    <div class="notice" data-testid="review-note"><strong>{i18n.t("product.review_note")}</strong><p class="prose">{n}</p></div>
                                })}
                                <dl class="facts">
                                    <dt>{i18n.t("field.category")}</dt><dd>{p.category.clone().unwrap_or_else(|| "—".into())}</dd>
                                    <dt>{i18n.t("field.tags")}</dt><dd>{p.tags.join(", ")}</dd>
                                    <dt>{i18n.t("field.estimated_stock")}</dt><dd>{p.estimated_stock}</dd>
                                    <dt>{i18n.t("field.submitted_by")}</dt><dd>{p.created_by.clone()} " · " {format_time(p.created_at)}</dd>
                                    <dt>{i18n.t("field.description")}</dt><dd class="prose">{p.description.clone()}</dd>
                                </dl>
                                <h2>{i18n.t("product.skus")}</h2>
                                <div class="table-wrap">
                                    <table class="data">
                                        <thead><tr>
                                            <th>{i18n.t("field.code")}</th><th>{i18n.t("field.attributes")}</th><th class="num">{i18n.t("field.price")}</th>
                                            <th class="num">{i18n.t("field.cost")}</th><th class="num">{i18n.t("field.reorder_point")}</th><th class="num">{i18n.t("field.available")}</th>
                                        </tr></thead>
                                        <tbody>
                                            {p.skus.iter().map(|s| view! {
                                                <tr data-sku=s.code.clone()>
                                                    <td><a href=format!("/stock/{}", s.id)>{s.code.clone()}</a></td>
                                                    <td>{s.attributes.clone()}</td>
                                                    <td class="num">{price_label(s.price)}</td>
                                                    <td class="num" class:alert={s.cost >= s.price}>{price_label(s.cost)}</td>
                                                    <td class="num">{s.reorder_point}</td>
                                                    <td class="num">{s.available}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <super::image_pages::ProductImages product_id=p.id images=d.images.clone() editable=d.editable/>
                                {forms}
                                <PricingPanel product_id=p.id listed={p.state == "listed"} editable=d.editable
                                    skus=p.skus.iter().map(|s| (s.id, s.code.clone(), s.price)).collect() pricing repriced/>
                            </div>
                            <aside>
                                <h2>{i18n.t("improvement.history")}</h2>
                                <Timeline workflow=&LISTING events=d.events/>
                            </aside>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

// ---------------------------------------------------------------- categories

#[component]
pub fn CategoryAdmin() -> impl IntoView {
    view! { <RequirePermission permission=Permission::CategoryManage><CategoriesInner/></RequirePermission> }
}

#[component]
fn CategoriesInner() -> impl IntoView {
    let i18n = use_i18n();
    let tree = resource(|| (), |_| list_categories());
    let rename = <RenameCategory as ServerFn>::PATH;
    let create = <CreateCategory as ServerFn>::PATH;
    view! {
        <section class="page" data-page="categories">
            <h1>{i18n.t("product.categories")}</h1>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let cats = match tree.await { Ok(c) => c, Err(e) => return failure(e) };
                    let options = cats.clone();
                    view! {
                        <div class="columns">
                            <div>
                                {cats.is_empty().then(|| view! { <p class="empty">{i18n.t("category.none")}</p> })}
                                <ul class="tree">
                                    {cats.into_iter().map(|c| { let key = c.name.clone(); view! {
                                        <li style=format!("margin-left: {}rem", c.depth * 2) data-category=key>
                                            <PostForm to=rename.to_string() class="inline".to_string()>
                                                <input type="hidden" name="id" value=c.id/>
                                                <input name="name" value=c.name.clone() maxlength="60" required aria-label=i18n.t("category.name")()/>
                                                <button type="submit" class="secondary">{i18n.t("category.rename")}</button>
                                            </PostForm>
                                        </li>
                                    }}).collect_view()}
                                </ul>
                            </div>
                            <aside>
                                <h2>{i18n.t("category.new")}</h2>
                                <PostForm to=create.to_string() class="form".to_string()>
                                    <label>{i18n.t("category.name")}<input name="name" maxlength="60" required/></label>
                                    <label>{i18n.t("category.parent")}
                                        <select name="parent">
                                            <option value="">{i18n.t("category.top")}</option>
                                            {options.into_iter().map(|c| view! { <option value=c.id>{c.path}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <button type="submit">{i18n.t("category.new")}</button>
                                </PostForm>
                            </aside>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

// ---------------------------------------------------------------- the customer catalog

/// `/catalog`: open to everyone; filters are a plain GET form, so every result page has
/// its own address and works before the page is interactive.
#[component]
pub fn Catalog() -> impl IntoView {
    let i18n = use_i18n();
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let m = query_map.read();
        let get = |k: &str| m.get(k).unwrap_or_default();
        CatalogQuery {
            q: get("q"),
            category: get("category").parse().ok(),
            tag: get("tag"),
            min_price: get("min"),
            max_price: get("max"),
            sort: CatalogSort::from_key(&get("sort")),
            page: get("page").parse().unwrap_or(1),
        }
    });
    let results = resource(move || query.get(), search_catalog);
    let facets = resource(|| (), |_| async move { Ok::<_, AppError>((list_categories().await?, catalog_tags().await?)) });
    view! {
        <section class="page" data-page="catalog">
            <h1>{i18n.t("catalog.title")}</h1>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    let (cats, tags) = facets.await.unwrap_or_default();
                    let q = query.get_untracked();
                    view! {
                        <form method="get" action="/catalog" class="filters catalog-filters" data-testid="catalog-search">
                            <input type="search" name="q" value=q.q.clone() placeholder=move || i18n.t("catalog.search_placeholder")() aria-label=move || i18n.t("field.search")()/>
                            <select name="category" aria-label=move || i18n.t("field.category")()>
                                <option value="">{i18n.t("catalog.all_categories")}</option>
                                {cats.into_iter().map(|c| view! {
                                    <option value=c.id selected=q.category == Some(c.id)>{"\u{a0}\u{a0}".repeat(c.depth)}{c.name}</option>
                                }).collect_view()}
                            </select>
                            <select name="tag" aria-label=move || i18n.t("field.tags")()>
                                <option value="">{i18n.t("catalog.all_tags")}</option>
                                {tags.into_iter().map(|t| view! { <option value=t.clone() selected=q.tag == t>{t.clone()}</option> }).collect_view()}
                            </select>
                            <input name="min" value=q.min_price.clone() size="6" placeholder=move || i18n.t("catalog.min_price")() aria-label=move || i18n.t("catalog.min_price")()/>
                            <input name="max" value=q.max_price.clone() size="6" placeholder=move || i18n.t("catalog.max_price")() aria-label=move || i18n.t("catalog.max_price")()/>
                            <select name="sort" aria-label=move || i18n.t("catalog.sort")()>
                                {[CatalogSort::Relevance, CatalogSort::Newest, CatalogSort::PriceAsc, CatalogSort::PriceDesc].into_iter().map(|s| view! {
                                    <option value=s.key() selected=q.sort == s>{i18n.t(match s {
                                        CatalogSort::Relevance => "sort.relevance",
                                        CatalogSort::Newest => "sort.newest",
                                        CatalogSort::PriceAsc => "sort.price_asc",
                                        CatalogSort::PriceDesc => "sort.price_desc",
                                    })}</option>
                                }).collect_view()}
                            </select>
                            <button type="submit">{i18n.t("field.search")}</button>
                        </form>
                    }
                })}
            </Suspense>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let page = match results.await { Ok(p) => p, Err(e) => return failure(e) };
                    let q = query.get_untracked();
                    let link = move |n: i64| {
                        let mut parts = vec![format!("page={n}")];
                        for (k, v) in [("q", q.q.clone()), ("tag", q.tag.clone()), ("min", q.min_price.clone()), ("max", q.max_price.clone()), ("sort", q.sort.key().to_string())] {
                            if !v.is_empty() { parts.push(format!("{k}={}", urlencode(&v))); }
                        }
                        if let Some(c) = q.category { parts.push(format!("category={c}")); }
                        format!("/catalog?{}", parts.join("&"))
                    };
                    if page.items.is_empty() {
                        return view! { <p class="empty" data-testid="catalog-empty">{i18n.t("catalog.none")}</p> }.into_any();
                    }
                    view! {
                        <p class="muted" data-testid="catalog-total">{page.total} {page.more.then_some("+")} " " {i18n.t("catalog.results")}</p>
                        <ul class="product-grid">
                            {page.items.into_iter().map(|p| view! {
                                <li class="product-card" data-catalog-item=p.id>
                                    {p.thumb_url.clone().map(|t| view! { <a href=format!("/catalog/{}", p.id)><img class="card-image" src=t alt="" loading="lazy"/></a> })}
                                    <a href=format!("/catalog/{}", p.id)><h3>{p.title}</h3></a>
                                    <p class="muted">{p.category.unwrap_or_default()}</p>
                                    // "from ¥86.00" in English, "¥86.00 起" in Chinese.
                                    <p class="price">{i18n.t("catalog.from")} " " {match p.promo_price.filter(|pp| *pp < p.min_price) {
                                        Some(promo) => view! { <span class="promo">{price_label(promo)}</span> " " <s class="muted">{price_label(p.min_price)}</s> }.into_any(),
                                        None => view! { {price_label(p.min_price)} }.into_any(),
                                    }} " " {i18n.t("catalog.from_after")}</p>
                                    <p class={if p.available > 0 { "stock in" } else { "stock out" }}>
                                        {if p.available > 0 { i18n.t("catalog.in_stock") } else { i18n.t("catalog.out_of_stock") }}
                                    </p>
                                    <p class="tags">{p.tags.into_iter().map(|t| view! { <span class="tag">{t}</span> " " }).collect_view()}</p>
                                </li>
                            }).collect_view()}
                        </ul>
                        <nav class="pager" aria-label="pages">
                            {(page.page > 1).then(|| view! { <a href=link(page.page - 1) rel="prev">{i18n.t("catalog.prev")}</a> })}
                            <span>{page.page} " / " {page.pages}</span>
                            {(page.page < page.pages).then(|| view! { <a href=link(page.page + 1) rel="next" data-testid="next-page">{i18n.t("catalog.next")}</a> })}
                        </nav>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

/// Percent-encodes a query value.
fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[component]
pub fn CatalogProductPage() -> impl IntoView {
    view! { <CatalogProductInner id=route_id("id")/> }
}

#[component]
fn CatalogProductInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let product = resource(move || id, get_catalog_product);
    // A SKU put in the cart comes back here with `?added=SKU`.
    let added = use_query_map().with_untracked(|q| q.get("added").unwrap_or_default());
    view! {
        <section class="page" data-page="catalog-product">
            <Suspense fallback=loading>
                {move || { let added = added.clone(); Suspend::new(async move {
                    // The reviews panel has resources of its own.
                    crate::components::after_dry_runs().await;
                    let p = match product.await { Ok(p) => p, Err(e) => return failure(e) };
                    let shopping = crate::components::current_user().is_some_and(|a| a.can(Permission::OrderPlace));
                    view! {
                        <p><a href="/catalog">"← " {i18n.t("catalog.title")}</a></p>
                        <h1>{p.title}</h1>
                        <p class="muted">{p.category.unwrap_or_default()}</p>
                        {(!p.images.is_empty()).then(|| view! {
                            <ul class="image-grid" data-testid="catalog-images">
                                {p.images.iter().map(|img| view! {
                                    <li><a href=img.url.clone() target="_blank" rel="external"><img src=img.thumb_url.clone() alt=img.file_name.clone()/></a></li>
                                }).collect_view()}
                            </ul>
                        })}
                        <p class="prose">{p.description}</p>
                        <p class="tags">{p.tags.into_iter().map(|t| view! { <a class="tag" href=format!("/catalog?tag={}", urlencode(&t))>{t.clone()}</a> " " }).collect_view()}</p>
                        <div class="table-wrap">
                            <table class="data">
                                <thead><tr><th>"SKU"</th><th>{i18n.t("field.attributes")}</th><th class="num">{i18n.t("field.price")}</th><th>{i18n.t("field.available")}</th>
                                    {shopping.then(|| view! { <th></th> })}</tr></thead>
                                <tbody>
                                    {p.skus.into_iter().map(|s| { let key = s.code.clone(); let cart_sku = s.code.clone(); let just_added = added == s.code; view! {
                                        <tr data-sku=key>
                                            <td>{s.code}</td><td>{s.attributes}</td>
                                            <td class="num">{match s.promo_price {
                                                Some(promo) => view! {
                                                    <span class="promo" data-testid="promo-price">{price_label(promo)}</span> " "
                                                    <s class="muted">{price_label(s.price)}</s>
                                                    <br/><span class="muted small">{i18n.t("catalog.until")} " " {s.promo_ends_at.map(format_time).unwrap_or_default()}</span>
                                                }.into_any(),
                                                None => view! { {price_label(s.price)} }.into_any(),
                                            }}</td>
                                            <td>{if s.in_stock { i18n.t("catalog.in_stock") } else { i18n.t("catalog.out_of_stock") }}</td>
                                            {shopping.then(|| view! { <td>{s.in_stock.then(|| add_to_cart(id, cart_sku, just_added))}</td> })}
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <crate::orders::pages::ProductReviewsPanel product_id=p.id/>
                    }.into_any()
                })}}
            </Suspense>
        </section>
    }
}

/// "Add to cart" beside one SKU of the catalog's product page; once added, the page comes
/// back with `?added=SKU` and says so beside it.
fn add_to_cart(product_id: i64, sku: String, added: bool) -> impl IntoView {
    let i18n = use_i18n();
    let to = <crate::orders::api::AddToCart as ServerFn>::PATH;
    view! {
        <PostForm to=to.to_string() then=format!("/catalog/{product_id}?added={}", urlencode(&sku)) class="add-to-cart".to_string()>
            <input type="hidden" name="sku" value=sku/>
            <input name="quantity" size="3" inputmode="numeric" aria-label="quantity" value="1"/>
            <button type="submit" class="secondary">{i18n.t("cart.add")}</button>
            {added.then(|| view! {
                <span class="ok" data-testid="added">{i18n.t("cart.added")} " · " <a href="/cart">{i18n.t("cart.view")}</a></span>
            })}
        </PostForm>
    }
}

// ---------------------------------------------------------------- prices

/// The prices of one product: change a price (applied at once or sent for approval), the
/// requests waiting, the history, and promotions. `repriced`: the page came back from a
/// price change, whose outcome it tells.
#[component]
fn PricingPanel(
    product_id: i64,
    listed: bool,
    editable: bool,
    skus: Vec<(i64, String, i64)>,
    pricing: super::ProductPricing,
    repriced: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let actor = crate::components::current_user();
    let can_change = !editable && actor.as_ref().is_some_and(|a| a.can(Permission::PriceChange));
    let can_promo = listed && actor.as_ref().is_some_and(|a| a.can(Permission::PromoSchedule));
    let p = pricing;
    let now = crate::domain::now_millis();
    let page = format!("/products/{product_id}");
    // What became of the change just made: the latest of the changes applied and the requests
    // waiting is the one.
    let outcome = repriced.then(|| {
        let applied = p.history.iter().map(|h| h.at).max().unwrap_or(0);
        match p.approvals.iter().max_by_key(|a| a.created_at) {
            Some(a) if a.created_at > applied => view! { <p class="ok" data-testid="price-outcome">{i18n.t("price.awaiting")} " #" {a.id}</p> }.into_any(),
            _ => view! { <p class="ok" data-testid="price-outcome">{i18n.t("price.applied")}</p> }.into_any(),
        }
    });
    let sku_options = move || skus.iter().map(|(id, code, price)| view! { <option value=*id>{code.clone()} " · " {price_label(*price)}</option> }).collect_view();
    let sku_options2 = sku_options.clone();
    view! {
        <section class="pricing" data-testid="pricing">
            <h2>{i18n.t("price.title")}</h2>
            {can_change.then(|| view! {
                <div data-testid="change-price">
                    <PostForm to={<ChangePrice as ServerFn>::PATH.to_string()} then=format!("{page}?price=changed") class="form step".to_string()>
                        <h3>{i18n.t("price.change")}</h3>
                        <div class="row">
                            <label>"SKU"<select name="sku_id">{sku_options()}</select></label>
                            <label>{i18n.t("price.new")}<input name="new_price" required inputmode="decimal"/></label>
                        </div>
                        <label>{i18n.t("price.reason")}<input name="reason" required maxlength="500"/></label>
                        {outcome}
                        <button type="submit">{i18n.t("price.change")}</button>
                    </PostForm>
                </div>
            })}
            {(!p.approvals.is_empty()).then(|| view! {
                <h3>{i18n.t("price.pending")}</h3>
                <ul class="plain">
                    {p.approvals.into_iter().map(|a| view! {
                        <li data-approval=a.id>{a.sku} ": " {price_label(a.old_price)} " → " <strong>{price_label(a.new_price)}</strong>
                            " · " {a.requested_by} " · " <a href="/price-approvals">{i18n.t("price.approvals")}</a></li>
                    }).collect_view()}
                </ul>
            })}
            <h3>{i18n.t("price.promos")}</h3>
            {if p.promos.is_empty() { view! { <p class="empty">{i18n.t("price.no_promos")}</p> }.into_any() } else { view! {
                <table class="data">
                    <thead><tr><th>"SKU"</th><th class="num">{i18n.t("field.price")}</th><th>{i18n.t("price.window")}</th><th>{i18n.t("price.reason")}</th><th></th></tr></thead>
                    <tbody>
                        {p.promos.into_iter().map(|pr| {
                            let active = pr.active_at(now);
                            let open = !pr.cancelled && pr.ends_at > now;
                            view! {
                                <tr data-promo=pr.id class:inactive=!open>
                                    <td>{pr.sku}</td>
                                    <td class="num">{price_label(pr.price)} " " <s class="muted">{price_label(pr.regular_price)}</s></td>
                                    <td>{format_time(pr.starts_at)} " – " {format_time(pr.ends_at)}
                                        {active.then(|| view! { " " <span class="badge state-listed">{i18n.t("price.running")}</span> })}
                                        {pr.cancelled.then(|| view! { " " <span class="badge">{i18n.t("price.cancelled")}</span> })}</td>
                                    <td>{pr.reason}</td>
                                    <td>{(open && can_promo).then(|| view! {
                                        <PostForm to={<CancelPromo as ServerFn>::PATH.to_string()} then=page.clone() class="inline".to_string()>
                                            <input type="hidden" name="id" value=pr.id/>
                                            <button type="submit" class="secondary">{i18n.t("price.cancel")}</button>
                                        </PostForm>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any() }}
            <h3>{i18n.t("price.history")}</h3>
            {if p.history.is_empty() { view! { <p class="empty">{i18n.t("price.no_history")}</p> }.into_any() } else { view! {
                <table class="data" data-testid="price-history">
                    <thead><tr><th>{i18n.t("audit.when")}</th><th>"SKU"</th><th class="num">{i18n.t("price.old")}</th><th class="num">{i18n.t("price.new")}</th><th>{i18n.t("price.reason")}</th><th>{i18n.t("audit.who")}</th></tr></thead>
                    <tbody>
                        {p.history.into_iter().map(|h| view! {
                            <tr>
                                <td>{format_time(h.at)}</td><td>{h.sku}</td>
                                <td class="num">{price_label(h.old_price)}</td><td class="num">{price_label(h.new_price)}</td>
                                <td>{h.reason}</td>
                                <td>{h.changed_by}{h.approved_by.map(|a| format!(" ✓ {a}"))}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any() }}
            {can_promo.then(|| view! {
                <div data-testid="schedule-promo">
                    <PostForm to={<SchedulePromo as ServerFn>::PATH.to_string()} then=page.clone() class="form step".to_string()>
                        <h3>{i18n.t("price.schedule")}</h3>
                        <div class="row">
                            <label>"SKU"<select name="sku_id">{sku_options2()}</select></label>
                            <label>{i18n.t("field.price")}<input name="price" required inputmode="decimal"/></label>
                            <label>{i18n.t("price.starts")}<input type="datetime-local" name="starts" required/></label>
                            <label>{i18n.t("price.ends")}<input type="datetime-local" name="ends" required/></label>
                        </div>
                        <label>{i18n.t("price.reason")}<input name="reason" required maxlength="300"/></label>
                        <p class="muted small">{i18n.t("price.utc")}</p>
                        <button type="submit">{i18n.t("price.schedule")}</button>
                    </PostForm>
                </div>
            })}
        </section>
    }
}

/// `/price-approvals`: the product manager's queue of price changes waiting for a decision.
#[component]
pub fn PriceApprovals() -> impl IntoView {
    view! { <RequirePermission permission=Permission::PriceApprove><ApprovalsInner/></RequirePermission> }
}

#[component]
fn ApprovalsInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let state = move || query.read().get("state").unwrap_or_default();
    let list = resource(state, list_price_approvals);
    let me = crate::components::current_user().map(|a| a.id).unwrap_or(0);
    let to = <ActOnPriceApproval as ServerFn>::PATH;
    let label = move |action: &str| super::PRICE_APPROVALS.action(action).map(|x| x.label.get(i18n.lang())).unwrap_or("");
    view! {
        <section class="page" data-page="price-approvals">
            <div class="page-head">
                <h1>{i18n.t("price.approvals")}</h1>
                <div class="actions">
                    <a class="button secondary" href="/price-approvals?state=approved">{super::APPROVED.name.get(i18n.lang())}</a>
                    <a class="button secondary" href="/price-approvals?state=rejected">{super::REJECTED.name.get(i18n.lang())}</a>
                    <a class="button secondary" href="/sop/price_approval">{i18n.t("improvement.sop")}</a>
                </div>
            </div>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("price.none_waiting")}</p> }.into_any();
                    }
                    view! {
                        <ul class="approvals">
                            {list.into_iter().map(|a| {
                                let pct = if a.old_price > 0 { (a.new_price - a.old_price) as f64 * 100.0 / a.old_price as f64 } else { 0.0 };
                                let why = if a.why == "below_cost" { "price.below_cost" } else { "price.beyond_limit" };
                                let pending = a.state == "requested";
                                let own = a.requested_by_id == me;
                                view! {
                                    <li class="card" data-approval=a.id>
                                        <div class="alert-head">
                                            <a href=format!("/products/{}", a.product_id)><strong>{a.sku.clone()} " · " {a.product.clone()}</strong></a>
                                            <span><StateBadge workflow=&super::PRICE_APPROVALS state=a.state.clone()/> " " <SlaBadge sla=a.sla/></span>
                                        </div>
                                        <p>{price_label(a.old_price)} " → " <strong>{price_label(a.new_price)}</strong> {format!(" ({pct:+.1} %)")}
                                            " · " {i18n.t("field.cost")} " " {price_label(a.cost)} " · " <span class="badge sla-breached">{i18n.t(why)}</span></p>
                                        <p>{a.reason.clone()} " — " <span class="muted">{a.requested_by.clone()} " · " {format_time(a.created_at)}</span></p>
                                        {a.decision_note.clone().map(|n| view! { <p class="muted">{n}</p> })}
                                        {(pending && own).then(|| view! { <p class="muted">{i18n.t("price.own_request")}</p> })}
                                        {(pending && !own).then(|| view! {
                                            <div class="row">
                                                <PostForm to=to.to_string() class="inline".to_string() step="approve".to_string()>
                                                    <input type="hidden" name="id" value=a.id/>
                                                    <input type="hidden" name="version" value=a.version/>
                                                    <input type="hidden" name="action" value="approve"/>
                                                    <input name="fields[comment]" maxlength="1000" placeholder=i18n.t("field.comment")()/>
                                                    <button type="submit">{label("approve")}</button>
                                                </PostForm>
                                                <PostForm to=to.to_string() class="inline".to_string() step="reject".to_string()>
                                                    <input type="hidden" name="id" value=a.id/>
                                                    <input type="hidden" name="version" value=a.version/>
                                                    <input type="hidden" name="action" value="reject"/>
                                                    <input name="fields[reason]" maxlength="500" required placeholder=i18n.t("price.reason")()/>
                                                    <button type="submit" class="secondary">{label("reject")}</button>
                                                </PostForm>
                                            </div>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}
