use leptos::prelude::*;

use crate::components::{INPUT, LINK, PRIMARY_BUTTON};
use crate::contract::url::coupon_href;
use crate::server_fns::admin_fns::{CreateCoupon, CreateCouponError};

/// The "New coupon" form. A plain form post without JavaScript (the server redirects back and
/// errors come back in the URL); an in-page call with it. Errors show next to their field.
#[component]
pub fn NewCouponForm(action: ServerAction<CreateCoupon>) -> impl IntoView {
    let value = action.value();
    let error = move || value.get().and_then(Result::err);
    let name_error = move || match error() {
        Some(CreateCouponError::Invalid { name, .. }) => name,
        Some(CreateCouponError::NameTaken) => {
            Some("A coupon with this name already exists.".to_owned())
        }
        _ => None,
    };
    let amount_error = move || match error() {
        Some(CreateCouponError::Invalid { amount, .. }) => amount,
        _ => None,
    };
    let draw_error = move || match error() {
        Some(CreateCouponError::InvalidDraw(message)) => Some(message),
        _ => None,
    };
    let failure = move || match error() {
        Some(CreateCouponError::Failed(message) | CreateCouponError::Busy(message)) => {
            Some(message)
        }
        Some(CreateCouponError::BadRequest) => {
            Some("Fill in both fields and try again.".to_owned())
        }
        _ => None,
    };
    let created = move || value.get().and_then(Result::ok);
    let form = NodeRef::<leptos::html::Form>::new();
    let name_input = NodeRef::<leptos::html::Input>::new();
    let amount_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let (Some(_), Some(form)) = (created(), form.get()) {
            form.reset();
        }
    });
    // Keyboard and screen reader users land on the first field to fix.
    Effect::new(move |_| {
        let target = if name_error().is_some() {
            name_input.get()
        } else if amount_error().is_some() {
            amount_input.get()
        } else {
            None
        };
        if let Some(input) = target {
            let _ = input.focus();
        }
    });

    view! {
        <section
            aria-labelledby="new-coupon"
            class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-6"
        >
            <h2 id="new-coupon" class="text-lg font-semibold">"New coupon"</h2>
            <ActionForm action node_ref=form attr:novalidate="" attr:class="mt-4 grid gap-4 sm:grid-cols-[1fr_12rem_auto] sm:items-start">
                <div>
                    <label for="coupon-name" class="block text-sm font-medium text-slate-800">
                        "Name"
                    </label>
                    <input
                        id="coupon-name"
                        node_ref=name_input
                        name="name"
                        type="text"
                        required
                        maxlength="255"
                        autocomplete="off"
                        class=INPUT
                        aria-invalid=move || name_error().is_some().to_string()
                        aria-describedby="coupon-name-error"
                    />
                    <p id="coupon-name-error" class="mt-1 text-sm text-red-700">
                        {name_error}
                    </p>
                </div>
                <div>
                    <label for="coupon-amount" class="block text-sm font-medium text-slate-800">
                        "Amount"
                    </label>
                    <input
                        id="coupon-amount"
                        node_ref=amount_input
                        name="amount"
                        type="text"
                        inputmode="numeric"
                        required
                        autocomplete="off"
                        class=INPUT
                        aria-invalid=move || amount_error().is_some().to_string()
                        aria-describedby="coupon-amount-error"
                    />
                    <p id="coupon-amount-error" class="mt-1 text-sm text-red-700">
                        {amount_error}
                    </p>
                </div>
                <button type="submit" class=format!("{PRIMARY_BUTTON} sm:mt-6")>
                    "Create coupon"
                </button>
                <div>
                    <label for="coupon-allocation" class="block text-sm font-medium text-slate-800">
                        "Allocation"
                    </label>
                    <select id="coupon-allocation" name="allocation" class=INPUT>
                        <option value="first_come" selected>"First come (a race)"</option>
                        <option value="draw">"Draw (entries, then a fair draw)"</option>
                    </select>
                </div>
                <div>
                    <label for="coupon-ends-at" class="block text-sm font-medium text-slate-800">
                        "Entries close (a draw, UTC)"
                    </label>
                    <input
                        id="coupon-ends-at"
                        name="ends_at"
                        type="datetime-local"
                        class=INPUT
                        aria-invalid=move || draw_error().is_some().to_string()
                        aria-describedby="coupon-ends-at-error"
                    />
                    <p id="coupon-ends-at-error" class="mt-1 text-sm text-red-700">
                        {draw_error}
                    </p>
                </div>
            </ActionForm>
            <div aria-live="polite">
                {move || {
                    created()
                        .map(|name| {
                            view! {
                                <p role="status" class="mt-2 text-sm text-green-800">
                                    "Created "
                                    <a class=LINK href=coupon_href(&name)>
                                        {name.clone()}
                                    </a>
                                    "."
                                </p>
                            }
                        })
                }}
                {move || {
                    failure()
                        .map(|message| {
                            view! { <p role="alert" class="mt-2 text-sm text-red-700">{message}</p> }
                        })
                }}
            </div>
        </section>
    }
}
