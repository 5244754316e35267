use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::{LINK, Loaded, StockBar, percent_claimed, when};
use crate::contract::api_types::CouponSummary;
use crate::server_fns::admin_fns::find_coupon;

use super::{
    NotFound,
    claimers::Claimers,
    draw::DrawSection,
    sale::{SaleActions, SaleControls},
};

/// `/coupons/{name}`: the coupon's stock and its claimers.
#[component]
pub fn CouponPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let actions = SaleActions::new();
    let coupon = Resource::new(
        move || (name(), actions.revision()),
        |(name, _)| find_coupon(name),
    );

    let details = move |found| match found {
        Some(coupon) => view! { <CouponDetails coupon actions /> }.into_any(),
        None => view! { <NotFound /> }.into_any(),
    };
    view! {
        <p class="mb-4">
            <a class=LINK href="/">"← All coupons"</a>
        </p>
        <Loaded resource=coupon what="This coupon" then=details />
    }
}

#[component]
fn CouponDetails(coupon: CouponSummary, actions: SaleActions) -> impl IntoView {
    let claimed = coupon.amount - coupon.remaining_amount;
    let sale = coupon.clone();
    let percent = percent_claimed(coupon.amount, coupon.remaining_amount);
    let name = coupon.name.clone();
    let (drawn, draw) = (coupon.clone(), coupon.draw.clone());
    view! {
        <Title text=format!("{} · Coupons", coupon.name) />
        <h1 class="break-words text-3xl font-bold tracking-tight">{coupon.name.clone()}</h1>
        <p class="mt-1 text-sm text-slate-600">{format!("Created {}", when(&coupon.created_at))}</p>
        <section
            aria-labelledby="stock"
            class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-6"
        >
            <h2 id="stock" class="text-lg font-semibold">"Stock"</h2>
            <div class="mt-3">
                <StockBar
                    amount=coupon.amount
                    remaining=coupon.remaining_amount
                    label="Stock claimed"
                />
                <p class="mt-1 text-sm text-slate-700">{format!("{percent}% claimed")}</p>
            </div>
            <dl class="mt-4 grid grid-cols-3 gap-4 text-center">
                <Stat label="Amount" value=coupon.amount />
                <Stat label="Remaining" value=coupon.remaining_amount />
                <Stat label="Claimed" value=claimed />
            </dl>
        </section>
        <SaleControls coupon=sale actions />
        {draw.map(|draw| view! { <DrawSection coupon=drawn draw /> })}
        <section aria-labelledby="live" class="mt-6">
            <h2 id="live" class="mb-3 text-lg font-semibold">"Live"</h2>
            <crate::live::LivePanel name=name.clone() />
        </section>
        <Claimers name release=actions.release />
    }
}

#[component]
fn Stat(label: &'static str, value: i32) -> impl IntoView {
    view! {
        <div class="rounded-md bg-slate-50 p-3">
            <dt class="text-xs font-medium uppercase tracking-wide text-slate-600">{label}</dt>
            <dd class="mt-1 text-2xl font-semibold tabular-nums">{value}</dd>
        </div>
    }
}
