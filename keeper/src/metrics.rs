//! Prometheus metrics on `/metrics`: accounts tracked and below maintenance, auctions started,
//! bids sent, won and failed, profit and gas, RPC errors by method, scan lag.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The keeper's counters and gauges.
#[derive(Default)]
pub struct Metrics {
    values: Mutex<BTreeMap<String, (&'static str, &'static str, f64)>>,
}

impl Metrics {
    /// Sets gauge `name`.
    pub fn set(&self, name: &str, help: &'static str, value: f64) {
        self.values
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), ("gauge", help, value));
    }

    /// Adds `by` to counter `name`.
    pub fn add(&self, name: &str, help: &'static str, by: f64) {
        let mut values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        let entry = values
            .entry(name.to_string())
            .or_insert(("counter", help, 0.0));
        entry.2 += by;
    }

    /// The value of `name` (0 when never set).
    pub fn get(&self, name: &str) -> f64 {
        self.values
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .map_or(0.0, |v| v.2)
    }

    /// Prometheus's text format.
    pub fn render(&self) -> String {
        let values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        let mut described = std::collections::BTreeSet::new();
        for (name, (kind, help, value)) in values.iter() {
            let family = name.split('{').next().unwrap_or(name);
            if described.insert(family.to_string()) {
                out += &format!("# HELP {family} {help}\n# TYPE {family} {kind}\n");
            }
            out += &format!("{name} {value}\n");
        }
        out
    }
}

/// Serves `metrics` at `address` until the runtime ends.
pub async fn serve(metrics: Arc<Metrics>, address: &str) -> anyhow::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let n = socket.read(&mut request).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&request[..n]);
                let (status, body) = if head.starts_with("GET /metrics") {
                    ("200 OK", metrics.render())
                } else {
                    (
                        "404 Not Found",
                        "not found: the metrics are at /metrics\n".into(),
                    )
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_served_in_prometheus_text_format() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let metrics = Arc::new(Metrics::default());
            metrics.set(
                "keel_keeper_accounts_tracked",
                "Accounts the keeper follows",
                52.0,
            );
            metrics.add("keel_keeper_bids_won_total", "Bids the vault filled", 1.0);
            metrics.add("keel_keeper_bids_won_total", "Bids the vault filled", 2.0);
            metrics.add(
                "keel_keeper_rpc_errors_total{method=\"eth_getLogs\"}",
                "RPC calls that failed, by method",
                1.0,
            );
            let address = serve(metrics.clone(), "127.0.0.1:0").await.unwrap();
            let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
            socket
                .write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n")
                .await
                .unwrap();
            let mut response = String::new();
            socket.read_to_string(&mut response).await.unwrap();
            assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
            for line in [
                "# TYPE keel_keeper_accounts_tracked gauge",
                "keel_keeper_accounts_tracked 52",
                "# TYPE keel_keeper_bids_won_total counter",
                "keel_keeper_bids_won_total 3",
                "keel_keeper_rpc_errors_total{method=\"eth_getLogs\"} 1",
            ] {
                assert!(response.contains(line), "{line} in {response}");
            }
            assert_eq!(metrics.get("keel_keeper_bids_won_total"), 3.0);
        });
    }
}
