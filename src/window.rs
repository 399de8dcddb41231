//! Which slice of a long thread is in the DOM: a bounded window over the messages in memory, moved
//! by scrolling, so a 10,000-message thread costs no more to draw than a short one.

/// The most messages the thread renders at once.
pub const CAP: usize = 150;
/// How far one scroll step moves the window.
pub const STEP: usize = 50;

/// `start..end` indices into the thread, ascending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub start: usize,
    pub end: usize,
}

impl Window {
    /// The newest `CAP` of `len` messages: where a freshly opened thread starts.
    pub fn live(len: usize) -> Window {
        Window {
            start: len.saturating_sub(CAP),
            end: len,
        }
    }

    /// Whether the window reaches the newest message.
    pub fn at_end(&self, len: usize) -> bool {
        self.end >= len
    }

    /// One message was inserted at index `at` of a thread that now has `len` messages. At the live
    /// edge the window follows it (dropping its oldest past `CAP`); an older one shifts the window.
    pub fn inserted(&mut self, at: usize, len: usize) {
        if at == self.end && self.end + 1 == len {
            self.end += 1;
        } else if at <= self.start {
            self.start += 1;
            self.end += 1;
            return;
        } else if at < self.end {
            self.end += 1;
        } else {
            return;
        }
        if self.end - self.start > CAP {
            self.start += 1;
        }
    }

    /// Reveals up to `STEP` older messages, dropping as many newer ones past `CAP`.
    pub fn up(&mut self) {
        self.start = self.start.saturating_sub(STEP);
        self.end = self.end.min(self.start + CAP);
    }

    /// Reveals up to `STEP` newer messages of `len`, dropping older ones past `CAP`.
    pub fn down(&mut self, len: usize) {
        self.end = (self.end + STEP).min(len);
        self.start = self.start.max(self.end.saturating_sub(CAP));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_window_is_the_newest_cap() {
        assert_eq!(Window::live(10), Window { start: 0, end: 10 });
        assert_eq!(
            Window::live(10_000),
            Window {
                start: 10_000 - CAP,
                end: 10_000
            }
        );
        assert!(Window::live(7).at_end(7));
    }

    #[test]
    fn new_messages_follow_the_live_edge_and_stay_capped() {
        let mut w = Window::live(CAP);
        w.inserted(CAP, CAP + 1);
        assert_eq!(
            w,
            Window {
                start: 1,
                end: CAP + 1
            }
        );
        assert!(w.at_end(CAP + 1));
    }

    #[test]
    fn scrolled_back_window_ignores_new_messages_at_the_end() {
        let mut w = Window {
            start: 100,
            end: 250,
        };
        w.inserted(1000, 1001);
        assert_eq!(
            w,
            Window {
                start: 100,
                end: 250
            }
        );
        assert!(!w.at_end(1001));
    }

    #[test]
    fn older_page_prepended_shifts_the_window() {
        let mut w = Window::live(50);
        for _ in 0..50 {
            w.inserted(0, 0); // each prepend lands before the window
        }
        assert_eq!(
            w,
            Window {
                start: 50,
                end: 100
            }
        );
        w.up();
        assert_eq!(w, Window { start: 0, end: 100 });
    }

    #[test]
    fn scrolling_up_and_down_never_exceeds_the_cap() {
        let len = 10_000;
        let mut w = Window::live(len);
        for _ in 0..20 {
            w.up();
            assert!(w.end - w.start <= CAP);
        }
        assert_eq!(w.start, len - CAP - 20 * STEP);
        for _ in 0..30 {
            w.down(len);
            assert!(w.end - w.start <= CAP);
        }
        assert_eq!(w, Window::live(len));
        let mut top = Window { start: 0, end: 10 };
        top.up();
        assert_eq!(top, Window { start: 0, end: 10 });
    }
}
