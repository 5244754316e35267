//! The coupon page's "Sale" section: pause or resume, the stock in all (restock), the claim
//! window. Each is a form that posts without JavaScript and calls in the page with it.

use leptos::prelude::*;

use crate::components::{INPUT, PRIMARY_BUTTON, SECONDARY_BUTTON, when};
use crate::contract::api_types::CouponSummary;
use crate::contract::sale::FORM_INSTANT;
use crate::server_fns::sale_fns::{ReleaseClaim, SaleActionError, SetAmount, SetPaused, SetWindow};

/// The coupon page's actions; a change by any of them reloads the page's data.
#[derive(Clone, Copy)]
pub struct SaleActions {
    pub paused: ServerAction<SetPaused>,
    pub amount: ServerAction<SetAmount>,
    pub window: ServerAction<SetWindow>,
    pub release: ServerAction<ReleaseClaim>,
}

impl SaleActions {
    pub fn new() -> Self {
        Self {
            paused: ServerAction::new(),
            amount: ServerAction::new(),
            window: ServerAction::new(),
            release: ServerAction::new(),
        }
    }

    /// Grows with every completed action: a key for the page's resources.
    pub fn revision(&self) -> usize {
        self.paused.version().get()
            + self.amount.version().get()
            + self.window.version().get()
            + self.release.version().get()
    }
}

/// The refusal of an action's last call, as a sentence.
fn refusal<T>(
    value: impl Get<Value = Option<Result<T, SaleActionError>>> + Copy + Send + Sync + 'static,
) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static {
    move || value.get().and_then(Result::err).map(|e| e.to_string())
}

/// Pause/resume, restock and window forms of `coupon`.
#[component]
pub fn SaleControls(coupon: CouponSummary, actions: SaleActions) -> impl IntoView {
    let field = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|t| t.format(FORM_INSTANT).to_string())
            .unwrap_or_default()
    };
    let window_text = match (coupon.starts_at, coupon.ends_at) {
        (None, None) => "Claims are open at any time.".to_owned(),
        (Some(s), None) => format!("From {}.", when(&s)),
        (None, Some(e)) => format!("Until {}.", when(&e)),
        (Some(s), Some(e)) => format!("From {} until {}.", when(&s), when(&e)),
    };
    let (pause_label, pause_value, pause_note) = if coupon.paused {
        ("Resume sale", "false", "Paused: every claim is refused.")
    } else {
        ("Pause sale", "true", "Claims are not paused.")
    };
    let paused_error = refusal(actions.paused.value());
    let amount_error = refusal(actions.amount.value());
    let window_error = refusal(actions.window.value());
    let (name_p, name_a, name_w) = (
        coupon.name.clone(),
        coupon.name.clone(),
        coupon.name.clone(),
    );
    view! {
        <section
            aria-labelledby="sale"
            class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-6"
        >
            <h2 id="sale" class="text-lg font-semibold">"Sale"</h2>
            <div class="mt-4 grid gap-6 md:grid-cols-2">
                <div>
                    <p data-testid="pause-note" class="text-sm text-slate-700">{pause_note}</p>
                    <ActionForm action=actions.paused attr:class="mt-2">
                        <input type="hidden" name="name" value=name_p />
                        <input type="hidden" name="paused" value=pause_value />
                        <button type="submit" class=SECONDARY_BUTTON>{pause_label}</button>
                    </ActionForm>
                    <Refusal text=paused_error />
                </div>
                <div>
                    <ActionForm action=actions.amount attr:novalidate="" attr:class="flex flex-wrap items-end gap-2">
                        <input type="hidden" name="name" value=name_a />
                        <div>
                            <label for="sale-amount" class="block text-sm font-medium text-slate-800">
                                "Stock in all"
                            </label>
                            <input
                                id="sale-amount"
                                name="amount"
                                type="text"
                                inputmode="numeric"
                                autocomplete="off"
                                class=INPUT
                                value=coupon.amount
                                aria-describedby="sale-amount-help"
                            />
                        </div>
                        <button type="submit" class=SECONDARY_BUTTON>"Set stock"</button>
                    </ActionForm>
                    <p id="sale-amount-help" class="mt-1 text-sm text-slate-600">
                        {format!(
                            "Raise it to restock; lower it down to the {} units claimed.",
                            coupon.claimed(),
                        )}
                    </p>
                    <Refusal text=amount_error />
                </div>
            </div>
            <h3 class="mt-6 text-base font-semibold">"Claim window (UTC)"</h3>
            <p data-testid="window" class="mt-1 text-sm text-slate-700">{window_text}</p>
            <ActionForm action=actions.window attr:novalidate="" attr:class="mt-2 flex flex-wrap items-end gap-2">
                <input type="hidden" name="name" value=name_w />
                <div>
                    <label for="sale-starts" class="block text-sm font-medium text-slate-800">
                        "Starts"
                    </label>
                    <input id="sale-starts" name="starts_at" type="datetime-local" step="1" class=INPUT value=field(coupon.starts_at) />
                </div>
                <div>
                    <label for="sale-ends" class="block text-sm font-medium text-slate-800">
                        "Ends"
                    </label>
                    <input id="sale-ends" name="ends_at" type="datetime-local" step="1" class=INPUT value=field(coupon.ends_at) />
                </div>
                <button type="submit" class=PRIMARY_BUTTON>"Save window"</button>
            </ActionForm>
            <p class="mt-1 text-sm text-slate-600">"Leave a field empty for no bound."</p>
            <Refusal text=window_error />
        </section>
    }
}

#[component]
fn Refusal(text: impl Fn() -> Option<String> + Send + Sync + Copy + 'static) -> impl IntoView {
    view! {
        <div aria-live="polite">
            {move || {
                text()
                    .map(|message| {
                        view! { <p role="alert" class="mt-2 text-sm text-red-700">{message}</p> }
                    })
            }}
        </div>
    }
}
