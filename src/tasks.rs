//! Async tasks owned by what started them: dropping the owner aborts them, and a request made inside
//! one carries its own `AbortSignal`, since dropping a future does not cancel a fetch.

use futures::future::{AbortHandle, Abortable};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
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

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
