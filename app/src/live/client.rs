//! Browser side of the live stream: an `EventSource` with its own reconnect, which backs off
//! exponentially (0.5 s up to 10 s) and never gives up.
//!
//! The browser's built-in retry stops for good after some failures (e.g. a refused connection
//! during a server restart), so on any error the source is closed and reopened by us.

use std::{
    cell::{Cell, RefCell},
    rc::{Rc, Weak},
    time::Duration,
};

use leptos::prelude::{TimeoutHandle, set_timeout_with_handle};
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{EventSource, MessageEvent};

use crate::contract::live_types::event;

const FIRST_DELAY: Duration = Duration::from_millis(500);
const MAX_DELAY: Duration = Duration::from_secs(10);
const EVENTS: [&str; 4] = [
    event::SNAPSHOT,
    event::STOCK,
    event::CLAIMS,
    event::SOLD_OUT,
];

type Listener = Closure<dyn FnMut(MessageEvent)>;
/// Gets every event as (event name, data).
type OnEvent = Box<dyn Fn(&str, &str)>;

/// An open live stream; closes the connection and stops reconnecting when dropped.
pub struct LiveStream {
    inner: Rc<Inner>,
}

type Source = (EventSource, Vec<Listener>, Closure<dyn FnMut()>);

struct Inner {
    url: String,
    on_event: OnEvent,
    on_lost: Box<dyn Fn()>,
    source: RefCell<Option<Source>>,
    /// A closed source whose closures may still be running: dropped at the next connect.
    retired: RefCell<Option<Source>>,
    delay: Cell<Duration>,
    timer: Cell<Option<TimeoutHandle>>,
}

impl LiveStream {
    /// Connects to `url`. `on_event(name, data)` gets every event; `on_lost` runs when the
    /// connection drops (a reconnect is then scheduled).
    pub fn open(
        url: String,
        on_event: impl Fn(&str, &str) + 'static,
        on_lost: impl Fn() + 'static,
    ) -> Self {
        let inner = Rc::new(Inner {
            url,
            on_event: Box::new(on_event),
            on_lost: Box::new(on_lost),
            source: RefCell::new(None),
            retired: RefCell::new(None),
            delay: Cell::new(FIRST_DELAY),
            timer: Cell::new(None),
        });
        connect(&inner);
        Self { inner }
    }
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        if let Some(timer) = self.inner.timer.take() {
            timer.clear();
        }
        if let Some((source, _, _)) = self.inner.source.borrow_mut().take() {
            source.close();
        }
    }
}

fn connect(inner: &Rc<Inner>) {
    inner.retired.borrow_mut().take();
    let Ok(source) = EventSource::new(&inner.url) else {
        retry_later(inner);
        return;
    };
    // Closures hold a Weak: the stream owns them, so a strong reference would be a cycle.
    let listeners = EVENTS
        .iter()
        .map(|name| {
            let weak = Rc::downgrade(inner);
            let name = *name;
            let listener = Listener::new(move |ev: MessageEvent| {
                let (Some(inner), Some(data)) = (weak.upgrade(), ev.data().as_string()) else {
                    return;
                };
                if name == event::SNAPSHOT {
                    // A full state arrived: the connection is good, start backoff afresh.
                    inner.delay.set(FIRST_DELAY);
                }
                (inner.on_event)(name, &data);
            });
            let _ =
                source.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
            listener
        })
        .collect();
    let weak = Rc::downgrade(inner);
    let on_error = Closure::<dyn FnMut()>::new(move || {
        if let Some(inner) = weak.upgrade() {
            let old = inner.source.borrow_mut().take();
            if let Some((source, _, _)) = &old {
                source.close();
            }
            // This closure belongs to `old`: dropping it while it runs would be unsound.
            *inner.retired.borrow_mut() = old;
            (inner.on_lost)();
            retry_later(&inner);
        }
    });
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    *inner.source.borrow_mut() = Some((source, listeners, on_error));
}

fn retry_later(inner: &Rc<Inner>) {
    let delay = inner.delay.get();
    inner.delay.set((delay * 2).min(MAX_DELAY));
    let weak: Weak<Inner> = Rc::downgrade(inner);
    let timer = set_timeout_with_handle(
        move || {
            if let Some(inner) = weak.upgrade() {
                inner.timer.set(None);
                connect(&inner);
            }
        },
        delay,
    );
    inner.timer.set(timer.ok());
}
