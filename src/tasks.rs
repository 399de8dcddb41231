//! Async tasks owned by what started them: dropping the owner aborts them, and a request made inside
//! one carries its own `AbortSignal`, since dropping a future does not cancel a fetch.

use futures::future::{AbortHandle, Abortable};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use web_sys::{AbortController, AbortSignal};

/// One spawned task; dropping it aborts the task at its next await.
pub struct Task(AbortHandle);

/// A task's work, boxed: one spawn path in the wasm rather than one per kind of future.
pub type Work = Pin<Box<dyn Future<Output = ()>>>;

impl Task {
    pub fn spawn(work: Work) -> Task {
        let (handle, registration) = AbortHandle::new_pair();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = Abortable::new(work, registration).await;
        });
        Task(handle)
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Many short tasks (requests, file reads) of one owner: each leaves the set when it ends, and
/// whatever is left is aborted when the set is dropped.
#[derive(Default)]
pub struct Tasks {
    next: Cell<u64>,
    live: Rc<RefCell<Vec<(u64, AbortHandle)>>>,
}

impl Tasks {
    pub fn spawn(&self, work: Work) {
        let id = self.next.get();
        self.next.set(id + 1);
        let (handle, registration) = AbortHandle::new_pair();
        self.live.borrow_mut().push((id, handle));
        let live = Rc::downgrade(&self.live);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = Abortable::new(work, registration).await;
            if let Some(live) = live.upgrade() {
                live.borrow_mut().retain(|(i, _)| *i != id);
            }
        });
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        for (_, handle) in self.live.borrow_mut().drain(..) {
            handle.abort();
        }
    }
}

/// A future already polled once, so what it does before its first await (a fetch leaving) happens
/// at once, not when its task first runs after the caller's synchronous work (mount builds the
/// whole panel first). Awaiting it goes on from there; dropping it drops the future.
pub enum Started<T> {
    Running(Pin<Box<dyn Future<Output = T>>>),
    Done(Option<T>),
}

pub fn start<T>(future: impl Future<Output = T> + 'static) -> Started<T> {
    let mut future: Pin<Box<dyn Future<Output = T>>> = Box::pin(future);
    // No waker is needed yet: the task that awaits it polls again and registers its own.
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => Started::Done(Some(value)),
        Poll::Pending => Started::Running(future),
    }
}

// The output is only ever moved out, never pinned.
impl<T> Unpin for Started<T> {}

impl<T> Future for Started<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.get_mut() {
            Started::Running(future) => future.as_mut().poll(cx),
            // Taken once; an await never polls a finished future again.
            Started::Done(value) => value.take().map_or(Poll::Pending, Poll::Ready),
        }
    }
}

/// An `AbortController` that aborts when dropped: held by the future that made the request, it
/// cancels the fetch when that future is dropped (its task aborted, or a timeout won the race).
pub struct AbortOnDrop(AbortController);

impl AbortOnDrop {
    pub fn new() -> Option<AbortOnDrop> {
        AbortController::new().ok().map(AbortOnDrop)
    }

    pub fn signal(&self) -> AbortSignal {
        self.0.signal()
    }
}

impl From<AbortController> for AbortOnDrop {
    fn from(controller: AbortController) -> AbortOnDrop {
        AbortOnDrop(controller)
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::channel::oneshot;

    #[test]
    fn a_started_future_runs_to_its_first_await_at_once_then_goes_on_when_awaited() {
        let stage = Rc::new(Cell::new(0));
        let (tx, rx) = oneshot::channel::<u8>();
        let seen = stage.clone();
        let mut started = start(async move {
            seen.set(1);
            let value = rx.await.unwrap_or(0);
            seen.set(2);
            value
        });
        assert_eq!(
            stage.get(),
            1,
            "ran up to its first await before anyone awaited it"
        );
        let cx = &mut Context::from_waker(Waker::noop());
        assert!(Pin::new(&mut started).poll(cx).is_pending());
        tx.send(7).unwrap();
        assert_eq!(Pin::new(&mut started).poll(cx), Poll::Ready(7));
        assert_eq!(stage.get(), 2);

        let mut done = start(async { 3 });
        assert!(matches!(done, Started::Done(Some(3))));
        assert_eq!(Pin::new(&mut done).poll(cx), Poll::Ready(3));
    }
}
