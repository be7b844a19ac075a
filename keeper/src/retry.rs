//! Retrying a flaky endpoint: one loop for the keeper's start-up and its rounds.

use std::future::Future;
use std::time::Duration;

use anyhow::Result;

/// `f`, tried up to `tries` times, pausing 200 ms before the second try and twice as long
/// before each later one; `on_failure(error, attempt)` sees (and may log) every failure. The
/// last error is returned with how many tries were made.
pub async fn retry<T, F, Fut>(
    what: &str,
    tries: u32,
    mut on_failure: impl FnMut(&anyhow::Error, u32),
    mut f: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut wait = Duration::from_millis(200);
    let mut attempt = 0;
    loop {
        attempt += 1;
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                on_failure(&e, attempt);
                if attempt >= tries.max(1) {
                    return Err(e.context(format!("{what}: gave up after {attempt} tries")));
                }
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test]
    async fn tries_until_success_or_the_limit() {
        let calls = Cell::new(0);
        let failures = Cell::new(0);
        let ok = retry(
            "flaky",
            4,
            |_, _| failures.set(failures.get() + 1),
            || async {
                calls.set(calls.get() + 1);
                if calls.get() < 3 {
                    anyhow::bail!("503")
                }
                Ok(calls.get())
            },
        )
        .await
        .unwrap();
        assert_eq!((ok, failures.get()), (3, 2));

        let gave_up = retry::<(), _, _>("down", 2, |_, _| {}, || async { anyhow::bail!("503") })
            .await
            .unwrap_err();
        assert_eq!(format!("{gave_up:#}"), "down: gave up after 2 tries: 503");
    }
}
