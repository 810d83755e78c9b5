//! The panic guard around reading one file.
//!
//! A panic while reading (ours or calamine's) must not take the batch down, and must not be
//! blamed on the unit: [`catch`] turns it into its text, which `ingest` reports as X01. The
//! panic hook is wrapped once so that a panic caught here prints nothing (the clerk sees the
//! X01 line instead of a Rust backtrace), while a panic anywhere else still goes to the hook
//! that was installed before (the default one prints it, and `cli::main` exits 2). "Inside the
//! reader" is a per-thread depth, so a panic on one rayon worker never silences another.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How many [`catch`] calls are running on this thread.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic caught here happened, recorded by the hook (the payload has only
    /// the message).
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`; a panic inside comes back as `Err(text)` with its message and source location.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    let _inside = Inside::enter();
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let location = LOCATION.with(|l| l.borrow_mut().take());
        describe(payload.as_ref(), location)
    })
}

/// Whether a panic on this thread now would be caught by [`catch`]. `try_with`: the hook may run
/// while the thread's locals are being torn down, and a panic inside a hook aborts.
fn inside() -> bool {
    DEPTH.try_with(|d| d.get() > 0).unwrap_or(false)
}

/// Marks this thread as inside [`catch`] until dropped (also on unwinding, so the depth can
/// never stay raised and silence a later genuine panic).
struct Inside;

impl Inside {
    fn enter() -> Inside {
        DEPTH.with(|d| d.set(d.get() + 1));
        Inside
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        let _ = DEPTH.try_with(|d| d.set(d.get().saturating_sub(1)));
    }
}

fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if inside() {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()));
                let _ = LOCATION.try_with(|l| *l.borrow_mut() = at);
                return;
            }
            previous(info);
        }));
    });
}

/// The panic's message (a `&str` or `String` payload; anything else is unnamed) and location.
fn describe(payload: &(dyn Any + Send), location: Option<String>) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "（无说明的 panic）".to_owned());
    match location {
        Some(at) => format!("panic at {at}: {message}"),
        None => format!("panic: {message}"),
    }
}

/// Debug builds only: panics when the file's display name contains the value of
/// `HUIZONG_DEBUG_PANIC_IN_READER`, so the binary tests can see a real panic inside the reader
/// end to end (X01 on stdout, nothing on stderr). Release builds have no such switch.
#[cfg(debug_assertions)]
pub fn test_trigger(display: &str) {
    if let Some(want) = std::env::var_os("HUIZONG_DEBUG_PANIC_IN_READER") {
        let want = want.to_string_lossy();
        if !want.is_empty() && display.contains(want.as_ref()) {
            panic!("HUIZONG_DEBUG_PANIC_IN_READER: forced panic for {display}");
        }
    }
}

#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn test_trigger(_display: &str) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_comes_back_as_text_with_its_location() {
        let r: Result<(), String> = catch(|| panic!("index 7 out of range"));
        let text = r.expect_err("caught");
        assert!(text.contains("index 7 out of range"), "{text}");
        assert!(text.contains("src/ingest/guard.rs:"), "{text}");
        // The depth is back to zero: a panic now would reach the previous hook.
        assert!(!inside());
        assert_eq!(catch(|| 5), Ok(5));
    }

    #[test]
    fn nested_catches_keep_the_outer_one_inside() {
        let outer = catch(|| {
            let inner: Result<(), String> = catch(|| panic!("inner"));
            assert!(inner.is_err());
            inside()
        });
        assert_eq!(outer, Ok(true));
        assert!(!inside());
    }

    #[test]
    fn string_and_other_payloads_are_described() {
        let n = 3;
        let r: Result<(), String> = catch(|| panic!("formatted {n}"));
        assert!(r.expect_err("caught").contains("formatted 3"));
        let r: Result<(), String> = catch(|| std::panic::panic_any(42_u8));
        assert!(r.expect_err("caught").contains("无说明"));
    }
}
