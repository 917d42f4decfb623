//! Draws a workflow declaration as an SVG flowchart: states are boxes laid out in columns by
//! their distance from the start, actions are labelled arrows. Pure string building so the
//! server renders it and the browser needs no layout code.

use super::Workflow;
use crate::i18n::Lang;
use std::collections::HashMap;
use std::fmt::Write;

const BOX_W: i32 = 150;
const BOX_H: i32 = 44;
const COL: i32 = 250;
const ROW: i32 = 90;
const PAD: i32 = 30;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Column of each state: breadth-first distance from the state the creating action enters.
fn ranks(wf: &Workflow) -> HashMap<&'static str, i32> {
    let mut rank = HashMap::new();
    let mut queue: Vec<&'static str> =
        wf.actions.iter().filter(|a| a.creates()).map(|a| a.to.id).collect();
    for s in &queue {
        rank.insert(*s, 0);
    }
    let mut i = 0;
    while i < queue.len() {
        let s = queue[i];
        let r = rank[s];
        for a in wf.actions.iter().filter(|a| !a.stays() && a.from.iter().any(|f| f.id == s)) {
            if !rank.contains_key(a.to.id) {
                rank.insert(a.to.id, r + 1);
                queue.push(a.to.id);
            }
        }
        i += 1;
    }
    rank
}

pub fn svg(wf: &Workflow, lang: Lang) -> String {
    let rank = ranks(wf);
    let mut pos: HashMap<&str, (i32, i32)> = HashMap::new();
    let mut per_col: HashMap<i32, i32> = HashMap::new();
    for s in wf.states {
        let col = rank.get(s.id).copied().unwrap_or(0);
        let row = per_col.entry(col).or_insert(0);
        pos.insert(s.id, (PAD + col * COL, PAD + 20 + *row * ROW));
        *row += 1;
    }
    // Steps that keep the state (a reply, a note) would pile up as loops on one box; they are
    // listed under the chart instead, one line per state.
    let stays: Vec<(&str, String)> = wf
        .states
        .iter()
        .filter_map(|s| {
            let names: Vec<&str> = wf.actions.iter().filter(|a| a.stays() && a.from.contains(s)).map(|a| a.label.get(lang)).collect();
            (!names.is_empty()).then(|| (s.name.get(lang), names.join(" · ")))
        })
        .collect();
    let longest = stays.iter().map(|(s, n)| s.chars().count() + n.chars().count()).max().unwrap_or(0) as i32;
    let width = (PAD * 2 + (per_col.keys().max().copied().unwrap_or(0)) * COL + BOX_W).max(PAD * 2 + longest * 7);
    let chart_height = PAD * 2 + 20 + (per_col.values().max().copied().unwrap_or(1)) * ROW;
    let height = chart_height + if stays.is_empty() { 0 } else { 24 + stays.len() as i32 * 20 };

    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="flowchart" viewBox="0 0 {width} {height}" role="img" aria-label="{}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#475569"/></marker></defs>"##,
        escape(wf.name.get(lang))
    );
    for a in wf.actions.iter().filter(|a| !a.creates() && !a.stays()) {
        for (n, f) in a.from.iter().enumerate() {
            let (fx, fy) = pos[f.id];
            let (tx, ty) = pos[a.target(f).id];
            // A step taken from several states is named on its first arrow only.
            let label = if n == 0 { escape(a.label.get(lang)) } else { String::new() };
            if a.target(f).id == f.id {
                // A step that keeps the state (e.g. reassign): a loop above the box.
                let x = fx + BOX_W / 2;
                let _ = write!(
                    out,
                    r##"<path d="M{} {fy} C{} {} {} {} {} {fy}" fill="none" stroke="#475569" marker-end="url(#arrow)"/><text x="{x}" y="{}" class="edge-label" text-anchor="middle">{label}</text>"##,
                    x - 20, x - 30, fy - 34, x + 30, fy - 34, x + 20, fy - 30
                );
                continue;
            }
            let (x1, y1) = (fx + BOX_W, fy + BOX_H / 2);
            let (x2, y2) = (tx, ty + BOX_H / 2);
            let _ = write!(
                out,
                r##"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#475569" marker-end="url(#arrow)"/><text x="{}" y="{}" class="edge-label" text-anchor="middle">{label}</text>"##,
                (x1 + x2) / 2,
                (y1 + y2) / 2 - 6
            );
        }
    }
    for s in wf.states {
        let (x, y) = pos[s.id];
        let class = if s.terminal { "node terminal" } else { "node" };
        let _ = write!(
            out,
            r##"<g class="{class}" data-state="{}"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8"/><text x="{}" y="{}" text-anchor="middle">{}</text></g>"##,
            s.id,
            x + BOX_W / 2,
            y + BOX_H / 2 + 5,
            escape(s.name.get(lang))
        );
    }
    if !stays.is_empty() {
        let _ = write!(out, r##"<text x="{PAD}" y="{chart_height}" class="edge-label stays-title">↻ {}</text>"##, if lang == Lang::Zh { "状态不变的步骤" } else { "Steps that keep the state" });
        for (n, (state, names)) in stays.iter().enumerate() {
            let _ = write!(out, r##"<text x="{PAD}" y="{}" class="edge-label stays">{}: {}</text>"##, chart_height + 20 + n as i32 * 20, escape(state), escape(names));
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::improvement::SUGGESTIONS;

    #[test]
    fn every_state_is_a_node_and_every_step_an_arrow() {
        let svg = svg(&SUGGESTIONS, Lang::En);
        for s in SUGGESTIONS.states {
            assert!(svg.contains(&format!(r#"data-state="{}""#, s.id)), "{}", s.id);
        }
        let edges: usize = SUGGESTIONS.actions.iter().map(|a| a.from.len()).sum();
        assert_eq!(svg.matches("marker-end").count(), edges);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn steps_that_keep_the_state_are_listed_not_drawn() {
        let wf = &crate::tickets::TICKETS;
        let svg = svg(wf, Lang::En);
        let edges: usize = wf.actions.iter().filter(|a| !a.stays() && !a.creates()).map(|a| a.from.len()).sum();
        assert_eq!(svg.matches("marker-end").count(), edges);
        assert!(svg.contains("In progress: Reply to the customer · Customer writes · Internal note"), "{svg}");
    }
}
