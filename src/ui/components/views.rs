//! The views of the run: the transcript and the ladder (keyed lists of buttons that go to their
//! moment), the tabs, and the two panes of the side-by-side view. Read-only markup (the
//! topology, the device tables, the QR code) is put in place with `Html::from_html_unchecked`,
//! which redraws it when, and only when, it changes.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::on_click;
use crate::classroom::{Action, Side, Tab};
use crate::ftp::client::DataMode;
use crate::messages::page::{compare as pair, ladder as ladder_words, panels};
use crate::picture::ladder::Row;
use crate::picture::transcript::Line;

/// Keeps the current row of a scrolling list in view without scrolling the page itself.
fn keep_in_view(list: &NodeRef) {
    let Some(container) = list.cast::<web_sys::HtmlElement>() else {
        return;
    };
    let current = container.query_selector("[aria-current=\"step\"]").ok().flatten();
    let Some(row) = current.and_then(|row| row.dyn_into::<web_sys::HtmlElement>().ok()) else {
        return;
    };
    let (top, height) = (row.offset_top(), row.offset_height());
    let (scroll, view) = (container.scroll_top(), container.client_height());
    if top < scroll {
        container.set_scroll_top(top - 8);
    } else if top + height > scroll + view {
        container.set_scroll_top(top + height - view + 8);
    }
}

/// What the lower half of the page shows: the transcript beside the tabbed panel of the ladder,
/// the device tables and the console.
#[derive(Properties, PartialEq)]
pub struct LowerProps {
    pub lines: Rc<Vec<Line>>,
    pub rows: Rc<Vec<Row>>,
    pub lanes: [&'static str; 5],
    pub position: usize,
    pub tab: Tab,
    /// The device tables' markup, while their tab is shown.
    pub tables: Option<AttrValue>,
    /// The console's log, while its tab is shown.
    pub console: Option<String>,
    pub on_action: Callback<Action>,
}

/// The transcript and the tabbed panel, as one component: the long keyed lists are built again
/// only when their props change, not on every tick of the playback clock. (One component
/// rather than one per list: each component costs the download about 1 KB, BENCHMARKS.md.)
#[component]
pub fn LowerView(props: &LowerProps) -> Html {
    let transcript = use_node_ref();
    let ladder = use_node_ref();
    let last_line = props.lines.last().map(|line| line.index);
    let current_row = props.rows.iter().rev().find(|row| row.index <= props.position).map(|row| row.index);
    {
        // Both follow the position: the transcript's last line and the ladder's current row.
        let (transcript, ladder) = (transcript.clone(), ladder.clone());
        use_effect_with((props.lines.len(), current_row), move |_| {
            keep_in_view(&transcript);
            keep_in_view(&ladder);
        });
    }
    let seek = |index: usize| on_click(&props.on_action, Action::Seek(index));
    let tab = props.tab;
    html! {
        <div class="lower">
            <section class="panel transcript-panel" aria-label={panels::TRANSCRIPT}>
                <h2>{ panels::TRANSCRIPT }</h2>
                <div role="log" aria-label={panels::TRANSCRIPT} aria-live="off" class="transcript" ref={transcript}>
                    <ol>
                        { for props.lines.iter().map(|line| html! {
                            <li key={line.index} ~className={format!("line {}{}", line.kind.class(), if line.kind.is_data() { " data-lane" } else { "" })}
                                aria-current={(Some(line.index) == last_line).then_some("step")} onclick={seek(line.index)}>
                                { Html::from_html_unchecked(AttrValue::from(line.markup(true))) }
                            </li>
                        }) }
                    </ol>
                </div>
            </section>
            <section class="panel tabbed-panel">
                { lower_tabs(tab, &props.on_action) }
                // All three panels stay in the page (each tab names its panel); the others are hidden.
                <div role="tabpanel" id="panel-ladder" aria-labelledby="tab-ladder" hidden={tab != Tab::Ladder}>
                    <div class="ladder" role="group" aria-label={ladder_words::LABEL}>
                        <div class="ladder-heads" aria-hidden="true">
                            { for props.lanes.iter().map(|name| html! { <span>{ *name }</span> }) }
                        </div>
                        <ol class="ladder-rows" ref={ladder}>
                            { for props.rows.iter().map(|row| html! {
                                <li key={row.index} aria-current={(Some(row.index) == current_row).then_some("step")}
                                    onclick={seek(row.index)}>
                                    { Html::from_html_unchecked(AttrValue::from(row.markup())) }
                                </li>
                            }) }
                        </ol>
                    </div>
                </div>
                <div role="tabpanel" id="panel-tables" aria-labelledby="tab-tables" class="tables" hidden={tab != Tab::Tables}>
                    if let Some(tables) = &props.tables {
                        { Html::from_html_unchecked(tables.clone()) }
                    }
                </div>
                <div role="tabpanel" id="panel-console" aria-labelledby="tab-console" hidden={tab != Tab::Console}>
                    if let Some(log) = &props.console {
                        { super::console_panel(log.clone(), &props.on_action) }
                    }
                </div>
            </section>
        </div>
    }
}

/// The tabs of the panel that the ladder, the device tables and the console share.
fn lower_tabs(current: Tab, on_action: &Callback<Action>) -> Html {
    let tab = |which: Tab, id: &'static str, panel: &'static str, name: &'static str| {
        html! {
            <button type="button" role="tab" id={id} aria-controls={panel} aria-selected={(current == which).to_string()}
                    onclick={on_click(on_action, Action::ShowTab(which))}>{ name }</button>
        }
    };
    html! {
        <div class="tabs" role="tablist" aria-label={panels::LOWER_TABS}>
            { tab(Tab::Ladder, "tab-ladder", "panel-ladder", panels::LADDER) }
            { tab(Tab::Tables, "tab-tables", "panel-tables", panels::TABLES) }
            { tab(Tab::Console, "tab-console", "panel-console", crate::messages::console::panel::TAB) }
        </div>
    }
}

/// One side of the side-by-side view, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct PaneView {
    pub mode: DataMode,
    pub svg: AttrValue,
    pub headline: AttrValue,
    pub body: AttrValue,
    /// The verdict's line, once the run has ended.
    pub verdict: Option<(bool, AttrValue)>,
}

/// The two panes of the side-by-side view, each with its menu of data modes.
pub fn compare_panes(left: PaneView, right: PaneView, on_action: &Callback<Action>) -> Html {
    let pane = |side: Side, view: PaneView| {
        let (name, menu, id) = match side {
            Side::Left => (pair::LEFT, pair::LEFT_MODE, "pane-left"),
            Side::Right => (pair::RIGHT, pair::RIGHT_MODE, "pane-right"),
        };
        let on_action = on_action.clone();
        let onchange = Callback::from(move |event: Event| {
            let index = event.target_unchecked_into::<web_sys::HtmlSelectElement>().selected_index();
            if let Some(mode) = usize::try_from(index).ok().and_then(|index| DataMode::ALL.get(index)) {
                on_action.emit(Action::SetPaneMode(side, *mode));
            }
        });
        let mode = crate::messages::settings::mode(view.mode);
        let (verdict_class, verdict) = match view.verdict {
            Some((true, text)) => ("ok", text),
            Some((false, text)) => ("fail", text),
            None => ("pending", AttrValue::from(pair::IN_PROGRESS)),
        };
        html! {
            <section class="pane" aria-label={pair::pane(name, mode)}>
                <div class="pane-head">
                    <label class="field" for={id}>{ menu }
                        <select id={id} {onchange}>
                            { for DataMode::ALL.iter().map(|option| html! {
                                <option selected={*option == view.mode}>{ crate::messages::settings::mode(*option) }</option>
                            }) }
                        </select>
                    </label>
                    <p ~className={format!("pane-verdict {verdict_class}")} role="status" aria-label={format!("{name} verdict")}>
                        { verdict }
                    </p>
                </div>
                { Html::from_html_unchecked(view.svg) }
                <div class="pane-caption">
                    <p class="headline">{ view.headline }</p>
                    <p class="body">{ view.body }</p>
                </div>
            </section>
        }
    };
    html! {
        <div class="compare">
            { pane(Side::Left, left) }
            { pane(Side::Right, right) }
        </div>
    }
}
