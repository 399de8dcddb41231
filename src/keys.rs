//! The keyboard shortcuts as data: one table gives what each key does, when it may fire and the
//! sheet's line for it. The view listens inside its shadow root, so no key reaches this table
//! unless focus is in the panel; the host page's keys stay the host's.

/// What a shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Sheet,
    /// Closes the shortcut sheet, else the saved replies, else the panel.
    Escape,
    Search,
    Filter,
    Sort,
    Next,
    NextChat,
    PrevChat,
    Close,
    Pause,
    Reopen,
    Latest,
    Copy,
    Attach,
    Write,
    /// Back to the list (narrow screens).
    Back,
    /// Dismiss the notice line.
    Dismiss,
    /// Send the open chat's failed messages again.
    Retry,
    /// The desktop-notification button.
    Notify,
    /// Listed in the sheet only: the list's, the composer's and the saved replies' own keys are
    /// handled where they act.
    Listed,
}

/// When a shortcut may fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    /// Focus in the panel but not in a text field: typed characters are never taken.
    Panel,
    /// Also while typing: the moves made for answering a queue from the composer.
    Typing,
    /// Never matched here (see [`Cmd::Listed`]).
    Listed,
}

pub struct Shortcut {
    /// As `aria-keyshortcuts` writes them: modifiers, then the key, joined by `+`. A letter is
    /// matched by its physical key (`KeyboardEvent.code`), so layouts and macOS's Option characters
    /// do not change it; `?` and `/` by the character, wherever the layout puts it.
    pub keys: &'static str,
    pub cmd: Cmd,
    /// The sheet's description (an i18n key).
    pub label: &'static str,
    /// The sheet's section, an index into [`GROUPS`].
    pub group: u8,
    when: When,
}

/// The sheet's section headings (i18n keys).
pub const GROUPS: [&str; 3] = ["keys.general", "list.label", "composer.label"];

const fn k(keys: &'static str, cmd: Cmd, label: &'static str, group: u8, when: When) -> Shortcut {
    Shortcut {
        keys,
        cmd,
        label,
        group,
        when,
    }
}

use Cmd::*;
use When::{Listed as L, Panel as P, Typing as T};

/// Every shortcut, in the sheet's order. Rows with the same label are one line of the sheet.
pub const TABLE: &[Shortcut] = &[
    k("?", Sheet, "keys.sheet", 0, P),
    k("Control+/", Sheet, "keys.sheet", 0, P),
    k("Escape", Escape, "keys.escape", 0, T),
    k("Alt+S", Search, "search.label", 0, P),
    k("Alt+F", Filter, "keys.filter", 0, P),
    k("Alt+O", Sort, "keys.sort", 0, P),
    k("Alt+D", Dismiss, "dismiss", 0, P),
    k("Alt+E", Notify, "keys.notify", 0, P),
    k("ArrowUp", Listed, "keys.move", 1, L),
    k("ArrowDown", Listed, "keys.move", 1, L),
    k("Enter", Listed, "keys.open", 1, L),
    k("Alt+N", Next, "next", 1, T),
    k("Alt+ArrowDown", NextChat, "keys.down", 1, P),
    k("Alt+ArrowUp", PrevChat, "keys.up", 1, P),
    k("Alt+C", Close, "keys.close", 1, T),
    k("Alt+P", Pause, "keys.pause", 1, T),
    k("Alt+R", Reopen, "keys.reopen", 1, P),
    k("Alt+L", Latest, "keys.latest", 1, P),
    k("Alt+H", Copy, "phone.copy", 1, P),
    k("Alt+B", Back, "back", 1, P),
    k("Alt+T", Retry, "keys.retry", 1, P),
    k("Alt+M", Write, "keys.write", 2, P),
    k("Alt+A", Attach, "attach", 2, P),
    k("Enter", Listed, "send", 2, L),
    k("Shift+Enter", Listed, "keys.newline", 2, L),
    k("/", Listed, "keys.replies", 2, L),
    k("ArrowUp", Listed, "keys.pick", 2, L),
    k("ArrowDown", Listed, "keys.pick", 2, L),
    k("Enter", Listed, "keys.pick", 2, L),
    k("Tab", Listed, "keys.pick", 2, L),
];

/// A key press, as `KeyboardEvent` reports it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Press<'a> {
    pub key: &'a str,
    pub code: &'a str,
    pub alt: bool,
    pub ctrl: bool,
    pub shift: bool,
    pub meta: bool,
    /// On Apple systems, where Option with a letter types a character (Option+N starts "ñ",
    /// Option+C is "ç").
    pub apple: bool,
}

impl Press<'_> {
    /// Option typed (or began) a character here: not the letter's own key, and not a shortcut
    /// while the operator writes.
    fn types_text(&self) -> bool {
        let letter = self.code.strip_prefix("Key").unwrap_or("");
        self.apple
            && self.alt
            && (self.key == "Dead"
                || (self.key.chars().count() == 1 && !self.key.eq_ignore_ascii_case(letter)))
    }
}

impl Shortcut {
    /// The key names of `keys`, modifiers first.
    pub fn parts(&self) -> impl Iterator<Item = &'static str> {
        // By byte rather than `str::split`, whose searcher the wasm would carry for this alone.
        let mut rest = Some(self.keys);
        core::iter::from_fn(move || {
            let now = rest?;
            let (part, more) = crate::text::split_once(now, b'+').unwrap_or((now, ""));
            rest = (part.len() < now.len()).then_some(more);
            Some(part)
        })
    }

    fn matches(&self, p: &Press) -> bool {
        let (mut alt, mut ctrl, mut shift) = (false, false, false);
        let mut key = "";
        for part in self.parts() {
            match part {
                "Alt" => alt = true,
                "Control" => ctrl = true,
                "Shift" => shift = true,
                other => key = other,
            }
        }
        let hit = match key {
            // The character, whatever Shift it took to type it.
            "?" => p.key == "?",
            "/" => p.key == "/" || p.code == "Slash",
            k if k.len() == 1 => {
                p.code.len() == 4
                    && p.code.starts_with("Key")
                    && p.code[3..].eq_ignore_ascii_case(k)
            }
            k => p.code == k || p.key == k,
        };
        let shift_ok = key == "?" || key == "/" || p.shift == shift;
        hit && shift_ok && p.alt == alt && p.ctrl == ctrl && !p.meta
    }
}

/// What `p` does, with focus in a text field (`typing`: the composer, the search box) or elsewhere
/// in the panel.
pub fn find(p: &Press, typing: bool) -> Option<Cmd> {
    if typing && p.types_text() {
        return None;
    }
    TABLE
        .iter()
        .filter(|s| s.when == When::Typing || (s.when == When::Panel && !typing))
        .find(|s| s.matches(p))
        .map(|s| s.cmd)
}

/// How the sheet writes a key name: short names and arrows for the longer ones.
pub fn shown(part: &str) -> &str {
    match part {
        "Control" => "Ctrl",
        "Escape" => "Esc",
        "ArrowDown" => "↓",
        "ArrowUp" => "↑",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alt(code: &str) -> Press<'_> {
        Press {
            code,
            alt: true,
            ..Press::default()
        }
    }

    fn key<'a>(key: &'a str, code: &'a str) -> Press<'a> {
        Press {
            key,
            code,
            ..Press::default()
        }
    }

    #[test]
    fn the_queue_moves_fire_while_typing_the_rest_do_not() {
        for (code, cmd) in [("KeyN", Next), ("KeyC", Close), ("KeyP", Pause)] {
            assert_eq!(find(&alt(code), true), Some(cmd));
            assert_eq!(find(&alt(code), false), Some(cmd));
        }
        for (code, cmd) in [
            ("KeyS", Search),
            ("KeyF", Filter),
            ("KeyO", Sort),
            ("KeyR", Reopen),
            ("KeyL", Latest),
            ("KeyH", Copy),
            ("KeyM", Write),
            ("KeyA", Attach),
            ("KeyB", Back),
            ("KeyD", Dismiss),
            ("ArrowDown", NextChat),
            ("ArrowUp", PrevChat),
        ] {
            assert_eq!(find(&alt(code), false), Some(cmd), "{code}");
            assert_eq!(find(&alt(code), true), None, "{code} while typing");
        }
        // On a Mac, Option with a letter types: in the composer the character wins (Spanish "ñ"
        // starts with Option+N, Portuguese "ç" is Option+C); elsewhere in the panel it is the shortcut.
        let option = |key, code| Press {
            key,
            apple: true,
            ..alt(code)
        };
        assert_eq!(find(&option("Dead", "KeyN"), true), None);
        assert_eq!(find(&option("ç", "KeyC"), true), None);
        assert_eq!(find(&option("π", "KeyP"), false), Some(Pause));
        assert_eq!(find(&option("n", "KeyN"), true), Some(Next));
        // Elsewhere Alt types nothing, whatever letter the layout reports (Ukrainian: "т" on KeyN).
        let cyrillic = Press {
            key: "т",
            ..alt("KeyN")
        };
        assert_eq!(find(&cyrillic, true), Some(Next));
        // Escape closes the sheet, the list or the panel from anywhere.
        assert_eq!(find(&key("Escape", "Escape"), true), Some(Escape));
    }

    #[test]
    fn the_sheet_opens_with_question_mark_or_ctrl_slash_never_while_typing() {
        let question = Press {
            shift: true,
            ..key("?", "Slash")
        };
        assert_eq!(find(&question, false), Some(Sheet));
        assert_eq!(find(&question, true), None, "a typed ? is text");
        let ctrl_slash = Press {
            ctrl: true,
            ..key("/", "Slash")
        };
        assert_eq!(find(&ctrl_slash, false), Some(Sheet));
        assert_eq!(find(&ctrl_slash, true), None);
        // A layout with "/" elsewhere (Shift+7): the character counts.
        let german = Press {
            ctrl: true,
            shift: true,
            ..key("/", "Digit7")
        };
        assert_eq!(find(&german, false), Some(Sheet));
        // A plain "/" outside the composer is nothing (in it, the saved replies).
        assert_eq!(find(&key("/", "Slash"), false), None);
    }

    #[test]
    fn modifiers_must_be_exact_and_letters_are_physical_keys() {
        let mut p = alt("KeyN");
        p.key = "˜"; // macOS Option+N
        assert_eq!(find(&p, false), Some(Next));
        for extra in [
            Press {
                ctrl: true,
                ..alt("KeyN")
            },
            Press {
                shift: true,
                ..alt("KeyN")
            },
            Press {
                meta: true,
                ..alt("KeyN")
            },
        ] {
            assert_eq!(find(&extra, false), None, "{extra:?}");
        }
        assert_eq!(find(&key("n", "KeyN"), false), None, "no Alt");
        assert_eq!(find(&alt("KeyNN"), false), None);
        // Listed keys are handled where they act.
        assert_eq!(find(&key("Enter", "Enter"), false), None);
        assert_eq!(find(&key("ArrowDown", "ArrowDown"), false), None);
    }

    #[test]
    fn the_table_is_complete_and_consistent() {
        let actions = [
            Sheet, Escape, Search, Filter, Sort, Next, NextChat, PrevChat, Close, Pause, Reopen,
            Latest, Copy, Attach, Write, Back, Dismiss, Retry, Notify,
        ];
        for cmd in actions {
            assert!(TABLE.iter().any(|s| s.cmd == cmd), "{cmd:?} has no key");
        }
        for (i, s) in TABLE.iter().enumerate() {
            assert!((s.group as usize) < GROUPS.len());
            assert!(!s.keys.is_empty() && !s.label.is_empty());
            assert!(
                TABLE[..i].iter().all(|t| t.group <= s.group),
                "{} is out of its section",
                s.keys
            );
            // No two live shortcuts share keys: the first would hide the second.
            if s.when != When::Listed {
                assert!(
                    !TABLE[..i]
                        .iter()
                        .any(|t| t.when != When::Listed && t.keys == s.keys),
                    "{} twice",
                    s.keys
                );
            }
            // Rows of one line are next to each other.
            if let Some(j) = TABLE[..i].iter().rposition(|t| t.label == s.label) {
                assert_eq!(j + 1, i, "{} is split", s.label);
            }
        }
        let names = |i: usize| TABLE[i].parts().map(shown).collect::<Vec<_>>();
        assert_eq!(names(12), ["Alt", "↓"]);
        assert_eq!(names(1), ["Ctrl", "/"]);
    }
}
