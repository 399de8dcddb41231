//! The hub link: one state at a time ([`Link`]), from the token's check through negotiate and the
//! socket to the backoff, and what a refused token or operator stops.

use super::{now, random, window, Inner};
use crate::api::{Api, ApiError};
use crate::model;
use crate::socket;
use crate::state::{Conn, Extensions, Msg};
use crate::tasks::{self, Started, Task};
use crate::token::{self, TokenProblem};
use futures::channel::mpsc::{unbounded, UnboundedSender};
use futures::future::{select, Either};
use gloo_timers::callback::Interval;
use gloo_timers::future::TimeoutFuture;
use std::rc::{Rc, Weak};
use web_sys::{ErrorEvent, ErrorEventInit};

/// The open link's clock: pings, the server's silence, typing that has run out.
const TICK_MS: u32 = 2_000;
/// A negotiate that has not answered by then is given up and retried on the backoff: a server that
/// accepts connections but never answers (paused, half-open) would otherwise hold the panel forever.
const NEGOTIATE_MS: u32 = 10_000;

/// The hub connection, one state at a time. Each state owns what runs in it: replacing the state
/// drops the task (closing its socket and aborting its request) and the ticker.
pub(super) enum Link {
    /// Not connecting: a token the server refuses, or never started.
    Idle,
    /// Waiting out the backoff before the next attempt.
    Waiting { _retry: Task },
    /// Negotiating, then opening the socket.
    Connecting { _attempt: Task },
    /// The socket is up: records for it go through `out`.
    Open {
        _task: Task,
        out: UnboundedSender<String>,
        _tick: Interval,
    },
}

impl Inner {
    /// Replaces the link, dropping what the old one ran. The old value is dropped outside the
    /// borrow: its socket's close may call back into the panel.
    pub(super) fn set_link(&self, link: Link) {
        self.generation.set(self.generation.get() + 1);
        let old = self.link.replace(link);
        drop(old);
    }

    /// Skips the backoff wait if a retry is pending.
    pub(super) fn wake(self: &Rc<Self>) {
        if matches!(*self.link.borrow(), Link::Waiting { .. }) {
            self.start();
        }
    }

    /// Checks the token, then connects.
    pub(super) fn start(self: &Rc<Self>) {
        self.begin(token::inspect(
            &self.config.borrow().api.token,
            now() / 1000,
        ));
    }

    /// Connects with what the token's check found.
    pub(super) fn begin(self: &Rc<Self>, checked: Result<token::Claims, TokenProblem>) {
        match checked {
            Err(problem) => self.fail_token(problem),
            Ok(claims) => {
                if self.state.borrow().me != claims.operator {
                    self.dispatch(Msg::Identity(claims.operator));
                }
                let api = self.config.borrow().api.clone();
                let weak = Rc::downgrade(self);
                let negotiate = tasks::start(api.negotiate());
                self.set_link(Link::Connecting {
                    _attempt: Task::spawn(Box::pin(connect(weak, api, negotiate))),
                });
                // The first list page goes out beside the negotiate (the core asks only when no
                // list is loaded or on its way); the handshake reconciles it with live events.
                self.dispatch(Msg::Starting);
            }
        }
    }

    pub(super) fn schedule_reconnect(self: &Rc<Self>) {
        if !self.state.borrow().conn.retries() {
            return self.set_link(Link::Idle);
        }
        let delay = self.backoff.borrow_mut().next_delay(now(), random());
        let weak = Rc::downgrade(self);
        let retry = Task::spawn(Box::pin(async move {
            TimeoutFuture::new(delay as u32).await;
            if let Some(p) = weak.upgrade() {
                p.start();
            }
        }));
        self.set_link(Link::Waiting { _retry: retry });
    }

    /// The negotiate answered: the attempt's task becomes the open link's, with a ticker and the
    /// queue the socket writes from. Returns the link's number, or `None` if the attempt was replaced.
    fn opened(self: &Rc<Self>, out: UnboundedSender<String>) -> Option<u64> {
        let attempt = match self.link.replace(Link::Idle) {
            Link::Connecting { _attempt } => _attempt,
            other => {
                self.link.replace(other);
                return None;
            }
        };
        let weak = Rc::downgrade(self);
        let tick = Interval::new(TICK_MS, move || {
            if let Some(p) = weak.upgrade() {
                p.dispatch(Msg::Tick { now: now() });
            }
        });
        self.link.replace(Link::Open {
            _task: attempt,
            out,
            _tick: tick,
        });
        // The handshake is queued at once; the socket writes it when it opens.
        self.dispatch(Msg::SocketOpened { now: now() });
        Some(self.generation.get())
    }

    pub(super) fn fail_token(self: &Rc<Self>, problem: TokenProblem) {
        // The list and the negotiate go out together, so both may be refused: report it once.
        if matches!(self.state.borrow().conn, Conn::Expired | Conn::Invalid) {
            return;
        }
        let (code, message) = match problem {
            TokenProblem::Expired => ("token_expired", "token expired"),
            TokenProblem::Invalid => ("token_invalid", "Invalid token"),
        };
        self.set_link(Link::Idle);
        self.dispatch(Msg::TokenFailed(problem));
        let error = self.refuse(code, message);
        // The provider's troubleshooting page looks for this on window.
        let init = ErrorEventInit::new();
        init.set_message(message);
        init.set_error(&error);
        if let Ok(e) = ErrorEvent::new_with_event_init_dict("error", &init) {
            let _ = window().dispatch_event(&e);
        }
    }

    /// The server refused this operator (403): only a new token helps, so retries stop.
    pub(super) fn fail_refused(self: &Rc<Self>) {
        if self.state.borrow().conn == Conn::Refused {
            return; // the list's 403 beside the negotiate's
        }
        self.set_link(Link::Idle);
        self.dispatch(Msg::Refused);
        self.refuse("operator_refused", "Operator refused by the server");
    }
}

/// One connection, as one flow: negotiate (given up after [`NEGOTIATE_MS`]), learn the server's
/// extensions, open the socket, then hand over frames until it closes. Whatever fails goes back to
/// the backoff, except a token the server refuses.
async fn connect(
    weak: Weak<Inner>,
    api: Api,
    negotiate: Started<Result<model::Negotiated, ApiError>>,
) {
    let negotiated = {
        match select(negotiate, TimeoutFuture::new(NEGOTIATE_MS)).await {
            Either::Left((answer, _)) => Some(answer),
            // The losing negotiate is dropped here, which aborts its request.
            Either::Right(_) => None,
        }
    };
    let id = {
        let Some(p) = weak.upgrade() else { return };
        let negotiated = match negotiated {
            Some(Ok(n)) if n.id().is_some() => n,
            Some(Err(ApiError::Unauthorized)) => return p.fail_token(TokenProblem::Expired),
            Some(Err(ApiError::Forbidden)) => return p.fail_refused(),
            _ => return p.schedule_reconnect(),
        };
        p.dispatch(Msg::Negotiated(Extensions::from_names(
            &negotiated.extensions,
        )));
        negotiated.id().unwrap_or_default().to_owned()
    };
    let (out, queued) = unbounded();
    let Some(mine) = weak.upgrade().and_then(|p| p.opened(out)) else {
        return;
    };
    // Frames and the end count only while this is still the panel's link.
    let current = move || weak.upgrade().filter(|p| p.generation.get() == mine);
    let frames = current.clone();
    let url = socket::url(&api.hub, &id, &api.token);
    socket::run(&url, queued, move |text| {
        if let Some(p) = frames() {
            p.dispatch(Msg::Frame { text, now: now() });
        }
    })
    .await;
    if let Some(p) = current() {
        p.dispatch(Msg::SocketClosed);
        p.schedule_reconnect();
    }
}
