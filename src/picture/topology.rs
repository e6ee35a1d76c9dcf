//! The topology picture: the five places, the connections between the hosts, the packets on
//! the wires and a callout for what the current event did, laid out so that no text overlaps
//! another and none runs off the picture.
//!
//! Layout first, drawing second. [`layout`] places every shape and every label in the
//! drawing's own units, measuring text with [`super::text`]; [`Drawing::svg`] writes the
//! result as SVG with maud (which escapes every text). Native tests read the placed text boxes
//! and check that none overlap, at every lesson's every key moment, in each style.
//!
//! The picture is cut into bands, top to bottom, so the kinds of text never meet:
//!
//! ```text
//!   connections   one row per connection: label above its line, "seen from the other end" below
//!   packet labels up to two rows, each label tied to its packet by a thin line
//!   wire + icons  the five places and the packets travelling on the wire
//!   node text     name, addresses, switches (badges), one column per place
//!   callout       what the current event did, in a box under the place that did it
//! ```
//!
//! On a phone the picture stands upright ([`Orientation::Tall`]): the places are stacked, the
//! wire runs down the left, packet labels sit in the gaps between places, and the connections
//! are listed under the callout.

use maud::{Markup, Render, html};

use super::text::{fit, width, wrap};
use crate::messages::page::topology as say;
use crate::messages::places;
use crate::net::packet::{Channel, PacketKind};
use crate::sim::scene::{Callout, CalloutKind, ConnectionView, NodeView, PacketStatus, PacketView, Scene};
use crate::sim::trace::NodeId;

/// Which way the picture runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Orientation {
    /// The places side by side, left (client) to right (server).
    #[default]
    Wide,
    /// The places stacked, client at the top: for phones.
    Tall,
}

/// How large the type is, for how large the picture will be shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Type {
    /// The page's own picture.
    #[default]
    Normal,
    /// A projector: the picture fills the screen's width, and badges and labels are ≥ 18 px at
    /// 1280 × 720.
    Presenter,
    /// One of the two side-by-side panes, drawn at about two thirds of the page's width.
    Pane,
}

/// How the picture is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    /// Milliseconds a packet takes to hop; 0 draws it where it stands, without motion.
    pub hop_ms: u32,
    pub size: Type,
    pub orientation: Orientation,
}

/// Type sizes, in the drawing's units, and how many rows the flexible bands keep.
#[derive(Clone, Copy, Debug)]
struct Sizes {
    name: u32,
    text: u32,
    badge: u32,
    label: u32,
    callout: u32,
    /// Rows for packet labels above the wire.
    label_rows: usize,
    /// Lines a callout may use.
    callout_lines: i32,
}

impl Sizes {
    fn of(style: Style) -> Sizes {
        match (style.size, style.orientation) {
            // At 1280 px the presenter picture is about 1260 px wide: 15 units ≈ 19 px. Large
            // type keeps the bands tighter, so picture and caption fit a 720-pixel screen.
            (Type::Presenter, Orientation::Wide) => {
                Sizes { name: 18, text: 15, badge: 15, label: 15, callout: 15, label_rows: 1, callout_lines: 2 }
            }
            // A pane is about two thirds of the page's picture: 17 units ≈ 11 px at 1366.
            (Type::Pane, Orientation::Wide) => {
                Sizes { name: 20, text: 17, badge: 17, label: 17, callout: 17, label_rows: 1, callout_lines: 2 }
            }
            (Type::Normal, Orientation::Wide) => {
                Sizes { name: 15, text: 13, badge: 12, label: 13, callout: 13, label_rows: 2, callout_lines: 3 }
            }
            (_, Orientation::Tall) => {
                Sizes { name: 17, text: 15, badge: 14, label: 14, callout: 15, label_rows: 2, callout_lines: 3 }
            }
        }
    }
}

/// How far text is placed from its neighbours and from the picture's edge.
const GAP: i32 = 6;
/// Half the width an icon takes on the wire; packets stop this far from a place.
const ICON: i32 = 46;

/// How a text is anchored at its x.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// The space a text takes, in the drawing's units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextBox {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
    pub text: String,
}

impl TextBox {
    /// True when the two boxes share any area.
    pub fn overlaps(&self, other: &TextBox) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }
}

/// One shape of the drawing.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Shape {
    Line {
        x1: i32,
        y1: i32,
        x2: i32,
        y2: i32,
        class: &'static str,
    },
    Circle {
        cx: i32,
        cy: i32,
        r: i32,
        class: &'static str,
    },
    Rect {
        x: i32,
        y: i32,
        w: i32,
        h: i32,
        rx: i32,
        class: &'static str,
    },
    Path {
        d: String,
        class: &'static str,
    },
    Text {
        x: i32,
        y: i32,
        size: u32,
        bold: bool,
        anchor: Anchor,
        class: &'static str,
        text: String,
    },
    /// A badge: a label and its state in bold, in one line.
    Badge {
        x: i32,
        y: i32,
        size: u32,
        label: String,
        state: &'static str,
    },
    Group {
        class: String,
        data: Data,
        style: Option<String>,
        title: Option<String>,
        shapes: Vec<Shape>,
    },
}

/// The `data-` attributes a group may carry, for the page's styles and the browser tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Data {
    node: Option<&'static str>,
    connection: Option<&'static str>,
    channel: Option<String>,
    badge: Option<String>,
    callout: Option<&'static str>,
    packet: Option<String>,
}

/// A laid-out picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drawing {
    pub width: i32,
    pub height: i32,
    shapes: Vec<Shape>,
    /// Every text placed, for the overlap checks.
    pub texts: Vec<TextBox>,
}

impl Drawing {
    fn new(width: i32) -> Drawing {
        Drawing { width, height: 0, shapes: Vec::new(), texts: Vec::new() }
    }

    /// Places a text and records its box.
    fn text(
        &mut self,
        at: (i32, i32),
        size: u32,
        bold: bool,
        anchor: Anchor,
        class: &'static str,
        text: String,
    ) -> Shape {
        let (x, y) = at;
        let w = width(&text, size, bold) as i32;
        let x0 = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - w / 2,
            Anchor::End => x - w,
        };
        let size_i = size as i32;
        self.texts.push(TextBox { x0, y0: y - size_i * 4 / 5, x1: x0 + w, y1: y + size_i / 4, text: text.clone() });
        Shape::Text { x, y, size, bold, anchor, class, text }
    }

    /// The SVG element, labelled for screen readers with `label`.
    pub fn svg(&self, label: &str, class: &str) -> String {
        html! {
            svg class=(class) viewBox=(format!("0 0 {} {}", self.width, self.height)) role="img"
                aria-label=(label) preserveAspectRatio="xMidYMid meet" {
                @for shape in &self.shapes { (shape) }
            }
        }
        .into_string()
    }
}

impl Render for Shape {
    fn render(&self) -> Markup {
        match self {
            Shape::Line { x1, y1, x2, y2, class } => html! { line class=(class) x1=(x1) y1=(y1) x2=(x2) y2=(y2) {} },
            Shape::Circle { cx, cy, r, class } => html! { circle class=(class) cx=(cx) cy=(cy) r=(r) {} },
            Shape::Rect { x, y, w, h, rx, class } => {
                html! { rect class=(class) x=(x) y=(y) width=(w) height=(h) rx=(rx) {} }
            }
            Shape::Path { d, class } => html! { path class=(class) d=(d) {} },
            Shape::Text { x, y, size, bold, anchor, class, text } => html! {
                text class=(class) x=(x) y=(y) font-size=(size) font-weight=[bold.then_some("bold")]
                    text-anchor=(anchor.as_str()) { (text) }
            },
            Shape::Badge { x, y, size, label, state } => html! {
                text class="badge-text" x=(x) y=(y) font-size=(size) text-anchor="start" {
                    (label) " " tspan font-weight="bold" { (state) }
                }
            },
            Shape::Group { class, data, style, title, shapes } => html! {
                g class=(class) style=[style] data-node=[data.node] data-connection=[data.connection]
                    data-channel=[&data.channel] data-badge=[&data.badge] data-callout=[data.callout]
                    data-packet=[&data.packet] {
                    @if let Some(title) = title { title { (title) } }
                    @for shape in shapes { (shape) }
                }
            },
        }
    }
}

/// Horizontal centre of each place in the wide picture.
const XS: [i32; 5] = [100, 300, 500, 700, 900];
const WIDE: i32 = 1000;
const TALL: i32 = 400;

fn x_of(node: NodeId) -> i32 {
    XS[node.position()]
}

/// Lays out the picture of `scene` at event `position`.
pub fn layout(scene: &Scene, position: usize, style: Style) -> Drawing {
    match style.orientation {
        Orientation::Wide => wide(scene, position, style),
        Orientation::Tall => tall(scene, position, style),
    }
}

/// The words on a connection's line.
/// `control` or `data`: the class that colours a connection.
fn connection_kind(conn: &ConnectionView) -> &'static str {
    if conn.channel == Channel::Control { "control" } else { "data" }
}

/// A connection's line, ends and label, grouped with the classes and data the page styles by.
fn connection_group(conn: &ConnectionView, parts: Vec<Shape>) -> Shape {
    let kind = connection_kind(conn);
    Shape::Group {
        class: format!("connection {kind}{}", if conn.open { " open" } else { "" }),
        data: Data {
            connection: Some(kind),
            channel: Some(crate::messages::places::channel(conn.channel)),
            ..Data::default()
        },
        style: None,
        title: None,
        shapes: parts,
    }
}

fn connection_text(conn: &ConnectionView) -> String {
    say::connection(conn.channel, &conn.label, &conn.state.to_string())
}

/// A packet's short label: what it carries, or its flags.
fn packet_text(packet: &PacketView) -> String {
    packet.label.clone()
}

fn packet_class(packet: &PacketView) -> String {
    let kind = match packet.kind {
        PacketKind::Syn => "syn",
        PacketKind::SynAck => "synack",
        PacketKind::Ack => "ack",
        PacketKind::Data => "payload",
        PacketKind::Fin => "fin",
        PacketKind::Rst => "rst",
        PacketKind::Icmp => "icmp",
    };
    let channel = if packet.channel == Channel::Control { "control" } else { "data" };
    let dropped = if matches!(packet.status, PacketStatus::Dropped { .. }) { " dropped" } else { "" };
    format!("packet {channel} {kind}{dropped}")
}

fn callout_class(kind: CalloutKind) -> &'static str {
    match kind {
        CalloutKind::Dropped | CalloutKind::Refused => "callout bad",
        CalloutKind::Rewritten | CalloutKind::Expected => "callout helper",
        CalloutKind::Translated => "callout nat",
        CalloutKind::Note => "callout note",
    }
}

/// A label placed in a row: its horizontal span.
#[derive(Clone, Copy)]
struct Span(i32, i32);

/// Puts a label of width `w` centred near `x` into the first row where it fits, keeping it
/// inside `[GAP, limit - GAP]`. Returns the row and the label's left edge.
fn place_in_rows(rows: &mut [Vec<Span>], x: i32, w: i32, limit: i32) -> Option<(usize, i32)> {
    let left = (x - w / 2).clamp(GAP, (limit - GAP - w).max(GAP));
    for (row, spans) in rows.iter_mut().enumerate() {
        if spans.iter().all(|span| left + w + GAP <= span.0 || span.1 + GAP <= left) {
            spans.push(Span(left, left + w));
            return Some((row, left));
        }
    }
    None
}

fn icon(node: NodeId, cx: i32, cy: i32) -> Shape {
    let path = |d: String| Shape::Path { d, class: "icon" };
    let shapes = match node {
        NodeId::Client => vec![
            Shape::Rect { x: cx - 30, y: cy - 24, w: 60, h: 40, rx: 4, class: "icon" },
            Shape::Rect { x: cx - 25, y: cy - 19, w: 50, h: 30, rx: 2, class: "icon screen" },
            Shape::Rect { x: cx - 14, y: cy + 18, w: 28, h: 6, rx: 2, class: "icon" },
        ],
        NodeId::HomeRouter => vec![
            Shape::Line { x1: cx - 18, y1: cy - 16, x2: cx - 24, y2: cy - 32, class: "icon" },
            Shape::Line { x1: cx + 18, y1: cy - 16, x2: cx + 24, y2: cy - 32, class: "icon" },
            Shape::Rect { x: cx - 34, y: cy - 16, w: 68, h: 32, rx: 8, class: "icon" },
            Shape::Circle { cx: cx - 16, cy, r: 3, class: "led" },
            Shape::Circle { cx: cx - 4, cy, r: 3, class: "led" },
            Shape::Circle { cx: cx + 8, cy, r: 3, class: "led" },
        ],
        NodeId::Internet => vec![path(format!(
            "M {} {} a 16 16 0 0 1 14 -20 a 22 22 0 0 1 40 -2 a 16 16 0 0 1 22 16 a 12 12 0 0 1 -4 24 h -64 a 12 12 0 0 1 -8 -18 z",
            cx - 50,
            cy + 6
        ))],
        NodeId::ServerEdge => {
            let mut bricks = vec![Shape::Rect { x: cx - 30, y: cy - 26, w: 60, h: 52, rx: 3, class: "icon wall" }];
            for row in 0..4 {
                let ry = cy - 26 + 13 * row;
                let offset = if row % 2 == 0 { 0 } else { 15 };
                bricks.push(Shape::Line { x1: cx - 30, y1: ry, x2: cx + 30, y2: ry, class: "mortar" });
                bricks.push(Shape::Line {
                    x1: cx - 15 + offset,
                    y1: ry,
                    x2: cx - 15 + offset,
                    y2: ry + 13,
                    class: "mortar",
                });
                bricks.push(Shape::Line {
                    x1: cx + 15 - offset,
                    y1: ry,
                    x2: cx + 15 - offset,
                    y2: ry + 13,
                    class: "mortar",
                });
            }
            bricks
        }
        NodeId::Server => vec![
            Shape::Rect { x: cx - 22, y: cy - 32, w: 44, h: 64, rx: 4, class: "icon" },
            Shape::Line { x1: cx - 14, y1: cy - 18, x2: cx + 14, y2: cy - 18, class: "slot" },
            Shape::Line { x1: cx - 14, y1: cy - 8, x2: cx + 14, y2: cy - 8, class: "slot" },
            Shape::Circle { cx: cx + 10, cy: cy + 20, r: 3, class: "led" },
        ],
    };
    Shape::Group { class: "icon".to_owned(), data: Data::default(), style: None, title: None, shapes }
}

/// Lays out a place's name, addresses, switches and switch details in a column of `column`
/// units starting at `(x, top)`, anchored as `anchor`. Returns the shapes and the bottom.
fn node_text(
    drawing: &mut Drawing,
    node: &NodeView,
    x: i32,
    top: i32,
    column: i32,
    anchor: Anchor,
    sizes: Sizes,
) -> (Vec<Shape>, i32) {
    let mut shapes = Vec::new();
    let mut y = top + sizes.name as i32;
    shapes.push(drawing.text(
        (x, y),
        sizes.name,
        true,
        anchor,
        "node-name",
        fit(node.label, sizes.name, true, column as u32),
    ));
    for address in &node.addresses {
        y += sizes.text as i32 * 13 / 10;
        shapes.push(drawing.text(
            (x, y),
            sizes.text,
            false,
            anchor,
            "address",
            fit(address, sizes.text, false, column as u32),
        ));
    }
    // Badges, wrapped into rows that may reach a little into the neighbouring columns, which
    // hold less text at that height.
    let column = if anchor == Anchor::Middle { column + 40 } else { column };
    let height = sizes.badge as i32 + 10;
    let pad = 7;
    let widths: Vec<i32> = node
        .badges
        .iter()
        .map(|badge| {
            let state = if badge.on { crate::messages::places::ON } else { crate::messages::places::OFF };
            (width(&format!("{} ", badge.label), sizes.badge, false) + width(state, sizes.badge, true)) as i32 + 2 * pad
        })
        .collect();
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut used = 0;
    for (index, w) in widths.iter().enumerate() {
        match rows.last_mut() {
            Some(row) if used + GAP + w <= column => {
                row.push(index);
                used += GAP + w;
            }
            _ => {
                rows.push(vec![index]);
                used = *w;
            }
        }
    }
    if !rows.is_empty() {
        y += 8;
    }
    for row in rows {
        let total: i32 = row.iter().map(|&i| widths[i]).sum::<i32>() + GAP * (row.len() as i32 - 1);
        let mut left = match anchor {
            Anchor::Middle => x - total / 2,
            Anchor::Start => x,
            Anchor::End => x - total,
        };
        for index in row {
            let badge = &node.badges[index];
            let w = widths[index];
            let state = if badge.on { crate::messages::places::ON } else { crate::messages::places::OFF };
            let class = if badge.on { "badge on" } else { "badge off" };
            let title = match badge.detail {
                Some(detail) => format!("{} {state} ({detail})", badge.label),
                None => format!("{} {state}", badge.label),
            };
            let baseline = y + height / 2 + sizes.badge as i32 * 7 / 20;
            let label = badge.label.to_owned();
            let text_w = w - 2 * pad;
            drawing.texts.push(TextBox {
                x0: left + pad,
                y0: baseline - sizes.badge as i32 * 4 / 5,
                x1: left + pad + text_w,
                y1: baseline + sizes.badge as i32 / 4,
                text: format!("{label} {state}"),
            });
            shapes.push(Shape::Group {
                class: class.to_owned(),
                data: Data { badge: Some(label.clone()), ..Data::default() },
                style: None,
                title: Some(title),
                shapes: vec![
                    Shape::Rect { x: left, y, w, h: height, rx: height / 2, class: "badge-box" },
                    Shape::Badge { x: left + pad, y: baseline, size: sizes.badge, label, state },
                ],
            });
            left += w + GAP;
        }
        y += height + 4;
    }
    if let Some(detail) = node.badges.iter().find_map(|badge| badge.detail.filter(|_| badge.on)) {
        y += sizes.text as i32;
        shapes.push(drawing.text(
            (x, y),
            sizes.text,
            false,
            anchor,
            "badge-detail",
            fit(detail, sizes.text, false, column as u32),
        ));
    }
    (shapes, y)
}

/// A callout box under (or beside) the place it is about. Returns the shapes and the bottom.
fn callout_box(
    drawing: &mut Drawing,
    callout: &Callout,
    centre: i32,
    top: i32,
    limit: i32,
    sizes: Sizes,
    max_w: u32,
) -> Vec<Shape> {
    let size = sizes.callout;
    // Measured as bold, so the first line (drawn bold) fits as well as the others.
    let lines: Vec<String> = callout
        .lines
        .iter()
        .flat_map(|line| wrap(line, size, true, max_w, 2))
        .take(sizes.callout_lines as usize)
        .collect();
    let text_w = lines.iter().map(|line| width(line, size, true) as i32).max().unwrap_or(0);
    let w = text_w + 24;
    let line_h = size as i32 * 13 / 10;
    let h = line_h * lines.len() as i32 + 14;
    let left = (centre - w / 2).clamp(GAP, (limit - GAP - w).max(GAP));
    let pointer = centre.clamp(left + 14, left + w - 14);
    let box_top = top + 9;
    let mut shapes = vec![
        Shape::Path {
            d: format!("M {} {} L {} {} L {} {} z", pointer - 9, box_top + 1, pointer, top, pointer + 9, box_top + 1),
            class: "callout-pointer",
        },
        Shape::Rect { x: left, y: box_top, w, h, rx: 8, class: "callout-box" },
    ];
    for (row, line) in lines.into_iter().enumerate() {
        let y = box_top + 7 + line_h * row as i32 + size as i32;
        shapes.push(drawing.text((left + w / 2, y), size, row == 0, Anchor::Middle, "callout-text", line));
    }
    vec![Shape::Group {
        class: callout_class(callout.kind).to_owned(),
        data: Data { callout: Some(callout_class(callout.kind).trim_start_matches("callout ")), ..Data::default() },
        style: None,
        title: None,
        shapes,
    }]
}

/// A packet on the wire between `start` and `end` (the hop's ends), with its label at `label`.
#[allow(clippy::too_many_arguments)]
fn packet_shape(
    packet: &PacketView,
    start: (i32, i32),
    end: (i32, i32),
    animate: Option<u32>,
    label: Option<(i32, i32, String)>,
    sizes: Sizes,
    leader_to: (i32, i32),
) -> Shape {
    let control = packet.channel == Channel::Control;
    let dropped = matches!(packet.status, PacketStatus::Dropped { .. });
    // Shapes inside the group are relative to the packet; the group moves.
    let mut shapes = vec![if control {
        Shape::Circle { cx: 0, cy: 0, r: 8, class: "dot" }
    } else {
        Shape::Rect { x: -8, y: -8, w: 16, h: 16, rx: 2, class: "dot" }
    }];
    if dropped {
        shapes.push(Shape::Text {
            x: 0,
            y: 5,
            size: 13,
            bold: true,
            anchor: Anchor::Middle,
            class: "cross",
            text: "✕".to_owned(),
        });
    }
    if let Some((lx, ly, text)) = label {
        shapes.push(Shape::Line { x1: leader_to.0 - end.0, y1: leader_to.1 - end.1, x2: 0, y2: -9, class: "leader" });
        shapes.push(Shape::Text {
            x: lx - end.0,
            y: ly - end.1,
            size: sizes.label,
            bold: false,
            anchor: Anchor::Start,
            class: "packet-label",
            text,
        });
    }
    let style = match animate {
        Some(ms) => format!(
            "--x0:{}px;--y0:{}px;--x1:{}px;--y1:{}px;animation-duration:{ms}ms;transform:translate({}px,{}px)",
            start.0, start.1, end.0, end.1, end.0, end.1
        ),
        None => format!("transform:translate({}px,{}px)", end.0, end.1),
    };
    let class = format!("{}{}", packet_class(packet), if animate.is_some() { " moving" } else { "" });
    Shape::Group {
        class,
        data: Data { packet: Some(packet.label.clone()), ..Data::default() },
        style: Some(style),
        title: Some(packet.label.clone()),
        shapes,
    }
}

fn wide(scene: &Scene, position: usize, style: Style) -> Drawing {
    let sizes = Sizes::of(style);
    let mut drawing = Drawing::new(WIDE);
    let mut shapes = Vec::new();
    let label_h = sizes.label as i32 * 13 / 10;

    // Band: connections. Room for two is kept even when fewer exist, so the picture does not
    // jump as connections open and close; the line for "seen from the other end" only where
    // NAT can make the two ends see different addresses.
    let nat =
        scene.nodes.iter().any(|node| node.badges.iter().any(|badge| badge.on && badge.label == places::BADGE_NAT));
    let mut y = GAP;
    let rows = scene.connections.len().max(2);
    let mut connection_shapes = Vec::new();
    let data_rows: Vec<&ConnectionView> = scene.connections.iter().collect();
    for conn in &data_rows {
        let (x1, x2) = (x_of(conn.from), x_of(conn.to));
        let (left, right) = (x1.min(x2), x1.max(x2));
        let text = fit(&connection_text(conn), sizes.label, false, (WIDE - 2 * GAP) as u32);
        let w = width(&text, sizes.label, false) as i32;
        let centre = ((left + right) / 2).clamp(GAP + w / 2, WIDE - GAP - w / 2);
        let baseline = y + sizes.label as i32;
        let line_y = baseline + 8;
        let mut parts =
            vec![drawing.text((centre, baseline), sizes.label, false, Anchor::Middle, "connection-label", text)];
        parts.push(Shape::Line { x1: left, y1: line_y, x2: right, y2: line_y, class: "connection-line" });
        parts.push(Shape::Circle { cx: x1, cy: line_y, r: 5, class: "end" });
        if matches!(conn.to, NodeId::Client | NodeId::Server) {
            parts.push(Shape::Circle { cx: x2, cy: line_y, r: 5, class: "end" });
        } else {
            parts.push(Shape::Text {
                x: x2,
                y: line_y + 5,
                size: 14,
                bold: true,
                anchor: Anchor::Middle,
                class: "blocked",
                text: "✕".to_owned(),
            });
        }
        if let Some(far) = &conn.far_label {
            let text = fit(&say::seen_from_other_end(far), sizes.label, false, (WIDE - 2 * GAP) as u32);
            let w = width(&text, sizes.label, false) as i32;
            let centre = ((left + right) / 2).clamp(GAP + w / 2, WIDE - GAP - w / 2);
            parts.push(drawing.text(
                (centre, line_y + 6 + sizes.label as i32),
                sizes.label,
                false,
                Anchor::Middle,
                "far-label",
                text,
            ));
        }
        connection_shapes.push(connection_group(conn, parts));
        y = line_y + 6 + label_h + GAP;
    }
    let row_h = sizes.label as i32 + 8 + if nat { 6 + label_h } else { 6 } + GAP;
    y = GAP + row_h * rows as i32;
    shapes.extend(connection_shapes);

    // Band: packet labels.
    let labels_top = y;
    let label_rows = sizes.label_rows as i32;
    y += label_h * label_rows + 10;
    let wire_y = y + 36;

    // Wires and places.
    for pair in XS.windows(2) {
        shapes.push(Shape::Line {
            x1: pair[0] + ICON - 8,
            y1: wire_y,
            x2: pair[1] - ICON + 8,
            y2: wire_y,
            class: "wire",
        });
    }
    let text_top = wire_y + 40;
    let mut bottom = text_top;
    let mut node_shapes = Vec::new();
    for node in &scene.nodes {
        let cx = x_of(node.id);
        let current = scene.current == Some(node.id);
        let mut parts = Vec::new();
        if current {
            parts.push(Shape::Circle { cx, cy: wire_y, r: 50, class: "halo" });
        }
        parts.push(icon(node.id, cx, wire_y));
        let (text, end) = node_text(&mut drawing, node, cx, text_top, 200 - 2 * GAP, Anchor::Middle, sizes);
        parts.extend(text);
        bottom = bottom.max(end);
        node_shapes.push(Shape::Group {
            class: format!("node{}", if current { " current" } else { "" }),
            data: Data { node: Some(node.id.as_str()), ..Data::default() },
            style: None,
            title: None,
            shapes: parts,
        });
    }
    shapes.extend(node_shapes);

    // Packets, with their labels in the label band.
    let mut rows_used: Vec<Vec<Span>> = vec![Vec::new(); label_rows as usize];
    for packet in ordered(&scene.packets) {
        let (start, end) = wide_hop(packet, wire_y);
        let text = fit(&packet_text(packet), sizes.label, false, 300);
        let w = width(&text, sizes.label, false) as i32;
        let label = place_in_rows(&mut rows_used, end.0, w, WIDE).map(|(row, left)| {
            let baseline = labels_top + label_h * (row as i32 + 1);
            drawing.texts.push(TextBox {
                x0: left,
                y0: baseline - sizes.label as i32 * 4 / 5,
                x1: left + w,
                y1: baseline + sizes.label as i32 / 4,
                text: text.clone(),
            });
            (left, baseline, text)
        });
        let leader_to = label
            .as_ref()
            .map_or(end, |(left, baseline, _)| ((*left + w / 2).clamp(end.0 - 40, end.0 + 40), baseline + 4));
        let animate = (style.hop_ms > 0 && packet.since == position && packet.status == PacketStatus::InFlight)
            .then_some(style.hop_ms);
        shapes.push(packet_shape(packet, start, end, animate, label, sizes, leader_to));
    }

    // Band: the callout.
    let callout_top = bottom + 10;
    let callout_h = 9 + 14 + sizes.callout as i32 * 13 / 10 * sizes.callout_lines;
    for callout in &scene.callouts {
        let max_w = if style.size == Type::Normal { 620 } else { 760 };
        shapes.extend(callout_box(&mut drawing, callout, x_of(callout.at), callout_top, WIDE, sizes, max_w));
    }
    drawing.height = callout_top + callout_h + GAP;
    drawing.shapes = shapes;
    drawing
}

/// The packets in the order their labels are placed: the order they were sent.
fn ordered(packets: &[PacketView]) -> impl Iterator<Item = &PacketView> {
    packets.iter()
}

/// Where a packet's hop starts and ends in the wide picture. A packet in flight ends just
/// before the place it travels to; a stopped one stands just before the device that stopped it.
fn wide_hop(packet: &PacketView, wire_y: i32) -> ((i32, i32), (i32, i32)) {
    let y = wire_y + if packet.channel == Channel::Control { -8 } else { 8 };
    match packet.status {
        PacketStatus::InFlight => {
            let (from, to) = (x_of(packet.from), x_of(packet.to));
            let dir = (to - from).signum();
            ((from + dir * ICON, y), (to - dir * ICON, y))
        }
        PacketStatus::Dropped { .. } => {
            let at = x_of(packet.from);
            let dir = (at - x_of(packet.approach)).signum();
            let x = if dir == 0 { at } else { at - dir * ICON };
            ((x, y), (x, y))
        }
    }
}

fn tall(scene: &Scene, position: usize, style: Style) -> Drawing {
    let sizes = Sizes::of(style);
    let mut drawing = Drawing::new(TALL);
    let mut shapes = Vec::new();
    let wire_x = 60;
    let text_x = 112;
    let column = TALL - text_x - GAP;
    let label_h = sizes.label as i32 * 13 / 10;
    let gap_h = label_h * 2 + 24;

    // Places, top to bottom, with a gap between them for the packets and their labels.
    let mut centres = [0; 5];
    let mut y = GAP + 36;
    let mut node_shapes = Vec::new();
    let mut gaps = Vec::new();
    for node in &scene.nodes {
        let current = scene.current == Some(node.id);
        let mut parts = Vec::new();
        let (text, end) = node_text(&mut drawing, node, text_x, y - 30, column, Anchor::Start, sizes);
        let cy = y;
        centres[node.id.position()] = cy;
        if current {
            parts.push(Shape::Circle { cx: wire_x, cy, r: 46, class: "halo" });
        }
        parts.push(icon(node.id, wire_x, cy));
        parts.extend(text);
        node_shapes.push(Shape::Group {
            class: format!("node{}", if current { " current" } else { "" }),
            data: Data { node: Some(node.id.as_str()), ..Data::default() },
            style: None,
            title: None,
            shapes: parts,
        });
        let block_bottom = end.max(cy + 36);
        gaps.push(block_bottom);
        y = block_bottom + gap_h + 36;
    }
    for pair in centres.windows(2) {
        shapes.push(Shape::Line { x1: wire_x, y1: pair[0] + 40, x2: wire_x, y2: pair[1] - 40, class: "wire" });
    }
    shapes.extend(node_shapes);
    let y_of = |node: NodeId| centres[node.position()];

    // Packets on the vertical wire; labels in the gap below the place they stand before.
    let mut rows_by_gap: Vec<Vec<Vec<Span>>> = vec![vec![Vec::new(); 2]; 5];
    for packet in ordered(&scene.packets) {
        let x = wire_x + if packet.channel == Channel::Control { -8 } else { 8 };
        let (start, end, gap) = match packet.status {
            PacketStatus::InFlight => {
                let (from, to) = (y_of(packet.from), y_of(packet.to));
                let dir = (to - from).signum();
                (
                    (x, from + dir * 44),
                    (x, to - dir * 44),
                    if dir > 0 { packet.from.position() } else { packet.to.position() },
                )
            }
            PacketStatus::Dropped { .. } => {
                let at = y_of(packet.from);
                let dir = (at - y_of(packet.approach)).signum();
                let py = if dir == 0 { at } else { at - dir * 44 };
                let gap = if dir > 0 { packet.from.position().saturating_sub(1) } else { packet.from.position() };
                ((x, py), (x, py), gap)
            }
        };
        let text = fit(&packet_text(packet), sizes.label, false, (TALL - wire_x - 20 - GAP) as u32);
        let w = width(&text, sizes.label, false) as i32;
        let gap_top = gaps.get(gap).copied().unwrap_or(0);
        let label = rows_by_gap.get_mut(gap).and_then(|rows| {
            // Labels start right of the wire, in the gap's two rows.
            rows.iter_mut().enumerate().find_map(|(row, spans)| {
                let left = wire_x + 20;
                spans.is_empty().then(|| {
                    spans.push(Span(left, left + w));
                    (row, left)
                })
            })
        });
        let label = label.map(|(row, left)| {
            let baseline = gap_top + 8 + label_h * (row as i32 + 1);
            drawing.texts.push(TextBox {
                x0: left,
                y0: baseline - sizes.label as i32 * 4 / 5,
                x1: left + w,
                y1: baseline + sizes.label as i32 / 4,
                text: text.clone(),
            });
            (left, baseline, text)
        });
        let leader_to =
            label.as_ref().map_or(end, |(left, baseline, _)| (*left - 4, *baseline - sizes.label as i32 / 3));
        let animate = (style.hop_ms > 0 && packet.since == position && packet.status == PacketStatus::InFlight)
            .then_some(style.hop_ms);
        shapes.push(packet_shape(packet, start, end, animate, label, sizes, leader_to));
    }
    y -= gap_h;

    // The callout, then the connections as a list.
    for callout in &scene.callouts {
        let at = y_of(callout.at);
        let _ = at;
        shapes.extend(callout_box(&mut drawing, callout, TALL / 2, y, TALL, sizes, (TALL - 40) as u32));
        y += 9 + 14 + sizes.callout as i32 * 13 / 10 * sizes.callout_lines + GAP;
    }
    for conn in &scene.connections {
        let mut parts = Vec::new();
        for line in wrap(&connection_text(conn), sizes.label, false, (TALL - 2 * GAP - 20) as u32, 2) {
            y += label_h;
            parts.push(drawing.text((GAP + 20, y), sizes.label, false, Anchor::Start, "connection-label", line));
        }
        parts.insert(
            0,
            Shape::Line {
                x1: GAP,
                y1: y - label_h / 2 - 2,
                x2: GAP + 14,
                y2: y - label_h / 2 - 2,
                class: "connection-line",
            },
        );
        shapes.push(connection_group(conn, parts));
        y += GAP;
    }
    drawing.height = y + GAP * 2;
    drawing.shapes = shapes;
    drawing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scene;
    use crate::sim::timeline::Timeline;
    use crate::sim::trace::Level;

    fn overlaps(drawing: &Drawing) -> Vec<String> {
        let mut found = Vec::new();
        for (i, a) in drawing.texts.iter().enumerate() {
            if a.x0 < 0 || a.x1 > drawing.width || a.y0 < 0 || a.y1 > drawing.height {
                found.push(format!("{:?} runs off the {}×{} picture", a, drawing.width, drawing.height));
            }
            for b in &drawing.texts[i + 1..] {
                if a.overlaps(b) {
                    found.push(format!("{a:?} overlaps {b:?}"));
                }
            }
        }
        found
    }

    #[test]
    fn no_text_overlaps_or_runs_off_at_any_key_moment_of_any_lesson_in_any_style() {
        let styles = [
            Style { hop_ms: 0, size: Type::Normal, orientation: Orientation::Wide },
            Style { hop_ms: 0, size: Type::Presenter, orientation: Orientation::Wide },
            Style { hop_ms: 0, size: Type::Pane, orientation: Orientation::Wide },
            Style { hop_ms: 0, size: Type::Normal, orientation: Orientation::Tall },
        ];
        for lesson in crate::sim::lessons::all() {
            let timeline = Timeline::run(&lesson.scenario).expect("valid");
            for event in timeline.events().iter().filter(|event| event.level == Level::Key) {
                let world = timeline.world_at(event.index);
                let scene = scene::scene(&timeline, &world, event.index);
                for style in styles {
                    let drawing = layout(&scene, event.index, style);
                    let found = overlaps(&drawing);
                    assert!(
                        found.is_empty(),
                        "{} at event {} in {style:?}:\n{}",
                        lesson.id,
                        event.index,
                        found.join("\n")
                    );
                }
            }
        }
    }

    #[test]
    fn the_picture_shows_the_places_the_connections_and_the_dropped_packet() {
        let scenario = crate::sim::scenario::Scenario {
            mode: crate::ftp::client::DataMode::Port,
            client_nat: false,
            ..Default::default()
        };
        let timeline = Timeline::run(&scenario).expect("valid");
        let drop = timeline
            .events()
            .iter()
            .position(|event| matches!(event.kind, crate::sim::trace::EventKind::PacketDropped { .. }))
            .expect("a drop");
        let world = timeline.world_at(drop);
        let svg = layout(&scene::scene(&timeline, &world, drop), drop, Style { hop_ms: 250, ..Style::default() })
            .svg("Network", "topology");
        for place in ["client", "home-router", "internet", "server-edge", "server"] {
            assert!(svg.contains(&format!(r#"data-node="{place}""#)), "{place}");
        }
        assert!(svg.contains(r#"data-connection="control""#));
        assert!(svg.contains(r#"data-channel="data connection 1""#));
        assert!(svg.contains("packet data syn dropped"));
        assert!(svg.contains(r#"data-callout="bad""#));
        assert!(svg.contains("nobody inside asked for"));
        assert_eq!(svg.matches("<svg").count(), 1);
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn text_is_escaped_by_construction() {
        let mut drawing = Drawing::new(100);
        let shape = drawing.text((0, 10), 12, false, Anchor::Start, "t", "<script>&\"".to_owned());
        drawing.shapes.push(shape);
        let svg = drawing.svg("a \"label\" <b>", "x");
        assert!(svg.contains("&lt;script&gt;&amp;&quot;"));
        assert!(svg.contains("a &quot;label&quot; &lt;b&gt;"));
        assert!(!svg.contains("<script>"));
    }

    #[test]
    fn a_packet_that_just_left_moves_and_the_others_stand_still() {
        let timeline = Timeline::run(&crate::sim::scenario::Scenario::default()).expect("valid");
        let sent = timeline
            .events()
            .iter()
            .position(|event| matches!(event.kind, crate::sim::trace::EventKind::PacketSent { .. }))
            .expect("a packet");
        let world = timeline.world_at(sent);
        let scene = scene::scene(&timeline, &world, sent);
        let moving = layout(&scene, sent, Style { hop_ms: 150, ..Style::default() }).svg("n", "t");
        assert!(moving.contains("moving") && moving.contains("animation-duration:150ms"));
        let still = layout(&scene, sent, Style::default()).svg("n", "t");
        assert!(!still.contains("moving"), "no motion when asked for none");
    }
}
