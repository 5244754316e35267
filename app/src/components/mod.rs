//! Small pieces every admin page shares: notices, the stock bar, buttons, formatting, and the
//! admin header ([`header`]).

pub mod header;

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::contract::errors::HttpStatus;
use crate::contract::sale::SaleStatus;

/// A timestamp as admins read it, always in UTC so every admin sees the same text.
pub fn when(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Claimed share in whole percent, rounded down (100 only when sold out).
pub fn percent_claimed(amount: i32, remaining: i32) -> i64 {
    let amount = i64::from(amount.max(1));
    (amount - i64::from(remaining)) * 100 / amount
}

/// A failure told to the admin without internals; the server answers the page with `status`.
#[component]
pub fn ErrorNotice(#[prop(into)] message: String, status: u16) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
    view! {
        <p role="alert" class="rounded-md border border-red-200 bg-red-50 p-4 text-red-800">
            {message}
        </p>
    }
}

/// What a page shows while its data loads.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="text-slate-600">"Loading…"</p> }
}

/// The one loading pattern of the pages: [`Loading`] while `resource` loads, then `then` of its
/// value; on failure an alert that `what` (e.g. "The coupons") could not be loaded, and on the
/// server render the failure's status (`503` when the database is busy, `500` when broken).
#[component]
pub fn Loaded<T, E, F, V>(
    resource: Resource<Result<T, E>>,
    what: &'static str,
    then: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    E: HttpStatus + Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense fallback=Loading>
            {move || {
                resource
                    .get()
                    .map(|result| match result {
                        Ok(value) => then(value).into_any(),
                        Err(error) => {
                            let message = format!("{what} could not be loaded. Try again in a moment.");
                            view! { <ErrorNotice message status=error.status() /> }.into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

/// Stock as a progress bar of claimed units, live when its inputs are signals (the dashboard).
#[component]
pub fn StockBar(
    #[prop(into)] amount: Signal<i32>,
    #[prop(into)] remaining: Signal<i32>,
    #[prop(into)] label: String,
) -> impl IntoView {
    let claimed = move || amount.get() - remaining.get();
    let percent = move || percent_claimed(amount.get(), remaining.get());
    let text = move || format!("{} of {} claimed ({}%)", claimed(), amount.get(), percent());
    // The bar itself moves by fractions of a percent, so a big stock visibly drains.
    let width = move || {
        let share = 100.0 * f64::from(claimed()) / f64::from(amount.get().max(1));
        format!("{share:.2}%")
    };
    view! {
        <div
            role="progressbar"
            aria-label=label
            aria-valuemin="0"
            aria-valuemax=amount
            aria-valuenow=claimed
            aria-valuetext=text
            class="h-3 w-full overflow-hidden rounded-full bg-slate-200"
        >
            <div class="h-full rounded-full bg-indigo-600 transition-all" style:width=width></div>
        </div>
    }
}

/// A sale's status as a coloured word (`data-testid="sale-status"`).
#[component]
pub fn StatusBadge(#[prop(into)] status: Signal<SaleStatus>) -> impl IntoView {
    let class = move || {
        let colour = match status.get() {
            SaleStatus::Live => "bg-emerald-100 text-emerald-900",
            SaleStatus::Scheduled => "bg-sky-100 text-sky-900",
            SaleStatus::Paused => "bg-amber-100 text-amber-900",
            SaleStatus::Ended | SaleStatus::SoldOut => "bg-slate-200 text-slate-800",
        };
        format!("rounded-full px-2.5 py-0.5 text-sm font-semibold {colour}")
    };
    view! {
        <span data-testid="sale-status" class=class>
            {move || status.get().label()}
        </span>
    }
}

/// Classes of the main action button.
pub const PRIMARY_BUTTON: &str = "inline-flex items-center justify-center rounded-md bg-indigo-700 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 focus-visible:ring-offset-2";
/// Classes of secondary buttons and button-like links.
pub const SECONDARY_BUTTON: &str = "inline-flex items-center justify-center rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-800 shadow-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 focus-visible:ring-offset-2";
/// Classes of text inputs.
pub const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-400 bg-white px-3 py-2 text-base text-slate-900 shadow-sm focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-600 aria-[invalid=true]:border-red-600";
/// Classes of inline text links.
pub const LINK: &str = "rounded font-medium text-indigo-700 underline-offset-2 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::url::coupon_href;

    #[test]
    fn percent_and_links() {
        assert_eq!(percent_claimed(3, 3), 0);
        assert_eq!(percent_claimed(3, 1), 66);
        assert_eq!(percent_claimed(3, 0), 100);
        assert_eq!(percent_claimed(i32::MAX, 0), 100);
        assert_eq!(coupon_href("🎉 a/b"), "/coupons/%F0%9F%8E%89%20a%2Fb");
    }
}
