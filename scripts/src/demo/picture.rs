//! The demo's pictures: each account's portfolio scenario P&L as a spot × vol heatmap with the
//! worst scenario marked, and a timeline of the crash — drawn as a PNG (the `png` crate) and
//! as a self-contained HTML report (inline SVG, the PNG embedded). Drawing is off-chain
//! display only, so it uses floating point.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use keel_risk::model::portfolio::{Scenario, VolShock};
use serde::Serialize;

use super::DemoReport;

/// One account's scenario P&L on its worst underlying.
#[derive(Clone, Debug, Serialize)]
pub struct Heatmap {
    /// The account's name.
    pub name: String,
    /// The underlying (its index in the vault's list).
    pub underlying: usize,
    /// Spot multipliers, ascending (columns).
    pub spots: Vec<f64>,
    /// Vol moves (rows): down, none, up, then the skew shocks when present.
    pub vols: Vec<String>,
    /// `cells[row][column]`: the scenario's P&L in USD (None: no such scenario).
    pub cells: Vec<Vec<Option<f64>>>,
    /// The worst scenario's cell, if the worst case is a scenario.
    pub worst: Option<(usize, usize)>,
}

impl Heatmap {
    /// Lays out `pnl` (one per scenario of `scenarios`, in order) on the spot × vol grid.
    pub fn new(name: &str, underlying: usize, scenarios: &[Scenario], pnl: &[f64]) -> Heatmap {
        let mut spots: Vec<f64> = scenarios.iter().map(|s| wad(s.spot_shock.raw())).collect();
        spots.sort_by(|a, b| a.total_cmp(b));
        spots.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
        let order = [
            VolShock::Down,
            VolShock::None,
            VolShock::Up,
            VolShock::Linear,
            VolShock::Abs,
        ];
        let rows: Vec<VolShock> = order
            .into_iter()
            .filter(|v| scenarios.iter().any(|s| s.vol_shock == *v))
            .collect();
        let mut cells = vec![vec![None; spots.len()]; rows.len()];
        let mut worst: Option<((usize, usize), f64)> = None;
        for (s, &p) in scenarios.iter().zip(pnl) {
            let Some(row) = rows.iter().position(|v| *v == s.vol_shock) else {
                continue;
            };
            let x = wad(s.spot_shock.raw());
            let Some(col) = spots.iter().position(|v| (v - x).abs() < 1e-12) else {
                continue;
            };
            cells[row][col] = Some(p);
            if worst.is_none_or(|(_, w)| p < w) {
                worst = Some(((row, col), p));
            }
        }
        Heatmap {
            name: name.to_string(),
            underlying,
            spots,
            vols: rows
                .iter()
                .map(|v| format!("{v:?}").to_lowercase())
                .collect(),
            cells,
            worst: worst.map(|(cell, _)| cell),
        }
    }

    fn scale(&self) -> f64 {
        self.cells
            .iter()
            .flatten()
            .flatten()
            .fold(1.0f64, |m, v| m.max(v.abs()))
    }
}

/// One moment of the crash: ETH's price and every account's value, USD.
#[derive(Clone, Debug, Serialize)]
pub struct Moment {
    pub label: String,
    pub eth: f64,
    pub insurance: f64,
    pub values: Vec<f64>,
}

/// A raw wad as a float (display only).
pub fn wad(raw: i128) -> f64 {
    raw as f64 / 1e18
}

/// Red for losses, green for gains, white at zero.
fn colour(v: f64, scale: f64) -> [u8; 3] {
    let t = (v / scale).clamp(-1.0, 1.0);
    let fade = |c: f64| (255.0 * (1.0 - c) + c * 0.0) as u8;
    if t < 0.0 {
        let k = -t;
        [255 - (k * 40.0) as u8, fade(k * 0.85), fade(k * 0.85)]
    } else {
        let k = t;
        [fade(k * 0.75), 255 - (k * 60.0) as u8, fade(k * 0.75)]
    }
}

const CELL: usize = 18;
const GAP: usize = 24;

/// Draws every heatmap side by side (worst cell framed in black) above the timeline (ETH in
/// black, each account's value in grey, scaled to the panel) as an RGB PNG.
pub fn png(heatmaps: &[Heatmap], timeline: &[Moment]) -> Result<Vec<u8>> {
    let grid_w: usize = heatmaps
        .iter()
        .map(|h| h.spots.len() * CELL + GAP)
        .sum::<usize>()
        + GAP;
    let grid_h = heatmaps.iter().map(|h| h.vols.len()).max().unwrap_or(1) * CELL + 2 * GAP;
    let width = grid_w.max(480);
    let plot_h = 200;
    let height = grid_h + plot_h + GAP;
    let mut px = vec![255u8; width * height * 3];
    let mut put = |x: usize, y: usize, c: [u8; 3]| {
        if x < width && y < height {
            let i = (y * width + x) * 3;
            px[i..i + 3].copy_from_slice(&c);
        }
    };
    let mut left = GAP;
    for h in heatmaps {
        let scale = h.scale();
        for (r, row) in h.cells.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let fill = cell.map_or([230, 230, 230], |v| colour(v, scale));
                let framed = h.worst == Some((r, c));
                for dy in 0..CELL - 1 {
                    for dx in 0..CELL - 1 {
                        let edge = dx < 2 || dy < 2 || dx >= CELL - 3 || dy >= CELL - 3;
                        put(
                            left + c * CELL + dx,
                            GAP + r * CELL + dy,
                            if framed && edge { [0, 0, 0] } else { fill },
                        );
                    }
                }
            }
        }
        left += h.spots.len() * CELL + GAP;
    }
    // The timeline: ETH (black) and each account's value (grey), each scaled to the panel.
    let top = grid_h;
    let (x0, x1) = (GAP, width - GAP);
    let n = timeline.len().max(2) - 1;
    let series: Vec<(Vec<f64>, [u8; 3])> = std::iter::once((
        timeline.iter().map(|m| m.eth).collect::<Vec<_>>(),
        [0, 0, 0],
    ))
    .chain(
        (0..timeline.first().map_or(0, |m| m.values.len())).map(|i| {
            (
                timeline.iter().map(|m| m.values[i]).collect(),
                [150, 150, 150],
            )
        }),
    )
    .collect();
    for (values, c) in series.iter().rev() {
        let max = values.iter().fold(f64::MIN, |m, v| m.max(*v));
        let min = values.iter().fold(f64::MAX, |m, v| m.min(*v)).min(0.0);
        let span = (max - min).max(1e-9);
        let y = |v: f64| top + plot_h - ((v - min) / span * (plot_h as f64 - 1.0)) as usize;
        for i in 0..values.len().saturating_sub(1) {
            let (xa, xb) = (x0 + (x1 - x0) * i / n, x0 + (x1 - x0) * (i + 1) / n);
            let (ya, yb) = (y(values[i]) as f64, y(values[i + 1]) as f64);
            for x in xa..=xb {
                let t = (x - xa) as f64 / (xb - xa).max(1) as f64;
                let yy = (ya + (yb - ya) * t) as usize;
                put(x, yy, *c);
                put(x, yy + 1, *c);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width as u32, height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&px)?;
    }
    Ok(out)
}

/// The self-contained HTML report: the tables, each heatmap and the timeline as inline SVG
/// with labels, and the PNG embedded.
pub fn html(report: &DemoReport, heatmaps: &[Heatmap], timeline: &[Moment], png: &[u8]) -> String {
    let mut out = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>keel demo</title><style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}.maps{display:flex;flex-wrap:wrap;gap:18px}</style></head><body>",
    );
    let _ = write!(
        out,
        "<h1>keel demo</h1><p>Chain {}; Keel deployed in {} transactions ({} gas). ETH {} → {}, stETH depegged to {} ETH. {} accounts: {} survived, {} liquidated; {} auctions, {} bids in {} keeper rounds; insurance paid {} USD, losses socialised {} USD; {:.1} s.</p>",
        report.chain_id,
        report.deploy_transactions,
        report.deploy_gas,
        report.eth_before,
        report.eth_after,
        report.steth_after,
        report.accounts.len(),
        report.survived,
        report.liquidated,
        report.auctions_started,
        report.bids,
        report.keeper_rounds,
        report.insurance_paid,
        report.losses_socialised,
        report.seconds
    );
    out += "<h2>Capital efficiency (initial requirement, USD)</h2><table><tr><th>account</th><th>isolated</th><th>cross</th><th>portfolio</th><th>portfolio frees</th></tr>";
    for a in &report.accounts {
        let _ = write!(
            out,
            "<tr><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&a.name),
            a.id,
            a.isolated_requirement,
            a.cross_requirement,
            a.portfolio_requirement,
            a.portfolio_frees
        );
    }
    out += "</table><h2>The crash</h2><table><tr><th>account</th><th>value before</th><th>MM surplus after</th><th>auctioned</th><th>bids</th><th>value at end</th><th>outcome</th></tr>";
    for a in &report.accounts {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td style=\"text-align:left\">{}: {}</td></tr>",
            escape(&a.name),
            a.value_before,
            a.maintenance_surplus_after_crash,
            if a.auctioned { "yes" } else { "no" },
            a.bids,
            a.value_at_end,
            a.outcome,
            escape(&a.why)
        );
    }
    out += "</table><h2>Portfolio scenario P&amp;L before the crash (spot × vol; worst framed)</h2><div class=\"maps\">";
    for h in heatmaps {
        out += &svg_heatmap(h);
    }
    out += "</div><h2>Timeline</h2>";
    out += &svg_timeline(report, timeline);
    let _ = write!(
        out,
        "<h2>The same as a PNG</h2><img alt=\"heatmaps and timeline\" src=\"data:image/png;base64,{}\"></body></html>",
        base64(png)
    );
    out
}

fn svg_heatmap(h: &Heatmap) -> String {
    let (cw, ch, left, top) = (34.0, 20.0, 52.0, 34.0);
    let width = left + cw * h.spots.len() as f64 + 8.0;
    let height = top + ch * h.vols.len() as f64 + 24.0;
    let scale = h.scale();
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-size=\"10\"><text x=\"0\" y=\"14\" font-size=\"13\" font-weight=\"bold\">{}</text>",
        escape(&h.name)
    );
    for (c, spot) in h.spots.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{:+.0}%</text>",
            left + cw * (c as f64 + 0.5),
            height - 8.0,
            (spot - 1.0) * 100.0
        );
    }
    for (r, vol) in h.vols.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\">vol {}</text>",
            top + ch * (r as f64 + 0.7),
            vol
        );
        for (c, cell) in h.cells[r].iter().enumerate() {
            let [red, green, blue] = cell.map_or([230, 230, 230], |v| colour(v, scale));
            let framed = h.worst == Some((r, c));
            let _ = write!(
                s,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({red},{green},{blue})\" stroke=\"{}\" stroke-width=\"{}\"><title>{}</title></rect>",
                left + cw * c as f64,
                top + ch * r as f64,
                cw - 1.0,
                ch - 1.0,
                if framed { "black" } else { "none" },
                if framed { 2 } else { 0 },
                cell.map_or("no scenario".to_string(), |v| format!("{v:.0} USD"))
            );
        }
    }
    s + "</svg>"
}

fn svg_timeline(report: &DemoReport, timeline: &[Moment]) -> String {
    let (w, h, left, top) = (900.0, 320.0, 60.0, 20.0);
    let n = timeline.len().max(2) - 1;
    let x = |i: usize| left + (w - left - 160.0) * i as f64 / n as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-size=\"11\">"
    );
    let all: Vec<f64> = timeline
        .iter()
        .flat_map(|m| m.values.iter().copied())
        .collect();
    let max = all.iter().fold(1.0f64, |m, v| m.max(*v));
    let min = all.iter().fold(0.0f64, |m, v| m.min(*v));
    let y = |v: f64| top + (h - top - 40.0) * (1.0 - (v - min) / (max - min).max(1e-9));
    for (i, m) in timeline.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{} (ETH {:.0})</text>",
            x(i),
            h - 10.0,
            escape(&m.label),
            m.eth
        );
    }
    for (k, account) in report.accounts.iter().enumerate() {
        let points: Vec<String> = timeline
            .iter()
            .enumerate()
            .map(|(i, m)| format!("{:.1},{:.1}", x(i), y(m.values[k])))
            .collect();
        let hue = (k * 47) % 360;
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"hsl({hue},60%,45%)\" stroke-width=\"2\" points=\"{}\"/><text x=\"{}\" y=\"{:.1}\" fill=\"hsl({hue},60%,35%)\">{}</text>",
            points.join(" "),
            x(timeline.len().saturating_sub(1)) + 6.0,
            y(timeline.last().map_or(0.0, |m| m.values[k])) + 4.0,
            escape(&account.name)
        );
    }
    let _ = write!(
        s,
        "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\" stroke-dasharray=\"3\"/><text x=\"0\" y=\"{:.1}\">0 USD</text></svg>",
        w - 160.0,
        y(0.0),
        y(0.0),
        y(0.0) + 4.0
    );
    s
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Writes `keel-demo.png` and `keel-demo.html` into `dir`; their paths.
pub fn write(
    dir: &Path,
    report: &DemoReport,
    heatmaps: &[Heatmap],
    timeline: &[Moment],
) -> Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("--out {}", dir.display()))?;
    let image = png(heatmaps, timeline)?;
    let png_path = dir.join("keel-demo.png");
    std::fs::write(&png_path, &image)?;
    let html_path = dir.join("keel-demo.html");
    std::fs::write(&html_path, html(report, heatmaps, timeline, &image))?;
    Ok((png_path, html_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn the_worst_scenario_is_the_framed_cell() {
        use keel_risk::fixed::Wad;
        let s = |spot: i64, vol| Scenario::new(Wad::ratio(spot, 100), vol, Wad::ONE);
        let scenarios = [
            s(80, VolShock::Up),
            s(100, VolShock::None),
            s(120, VolShock::Down),
            s(80, VolShock::None),
        ];
        let h = Heatmap::new("x", 0, &scenarios, &[-50.0, 0.0, 10.0, -70.0]);
        assert_eq!(h.spots, vec![0.8, 1.0, 1.2]);
        assert_eq!(h.vols, vec!["down", "none", "up"]);
        assert_eq!(h.cells[1][0], Some(-70.0));
        assert_eq!(h.worst, Some((1, 0)));
        assert_eq!(h.cells[0][0], None);
    }
}
