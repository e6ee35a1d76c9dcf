//! The browser app: a thin, typed Yew layer over [`crate::classroom`]. Compiled for wasm32.
//!
//! It owns no simulation logic. [`App`] holds the classroom in a reducer, asks
//! [`crate::picture`] for what to draw, and lays the page out from the parts in `components`:
//! plain functions that return markup, and components for the transcript, the ladder, the
//! settings form, and the Files dialog and the questions panel (which have hooks of their
//! own), each with typed arguments and an `on_action` callback that carries an [`Action`].
//! What stays generated markup (the topology picture, the device tables) is built natively
//! with maud and put in place as one node per panel; the transcript and the ladder are keyed
//! lists, so a step adds lines without rebuilding the earlier ones, and the settings form
//! keeps its nodes across steps.
//!
//! The few things only a browser can do live here: the keyboard (a clicker's keys), the
//! playback timer, full screen for presenter mode, focus after a dialog closes, the Share
//! dialog's link selected as it opens, the lesson menu kept on the lesson shown, the phone
//! layout, and reading the visitor's wish for reduced motion.

mod components;
mod files;
#[cfg(feature = "assessment")]
mod scorm;
mod state;
mod storage;

use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::timers::callback::Interval;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::classroom::{Action, Classroom, Dialog, TICK_MS, Tab, countdowns, quiz_truth};
use crate::messages::page::{panels, playback as words, topology as picture_words};
use crate::picture::topology::{self, Orientation, Style};
use crate::picture::{ladder, tables, transcript};
use crate::sim::caption;
use crate::sim::scene;
use components::{FilesProps, LowerView, SettingsProps};
use files::Export;
use state::PageState;

/// Below this width the page stacks its panels and the picture stands upright.
const NARROW: f64 = 700.0;

/// Mounts the app on the page body, in place of the page's "Loading" note.
pub fn start() {
    if let Some(loading) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id("loading"))
    {
        loading.remove();
    }
    yew::Renderer::<App>::new().render();
}

/// True when the visitor asked for less motion.
fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|window| window.match_media("(prefers-reduced-motion: reduce)").ok().flatten())
        .is_some_and(|query| query.matches())
}

fn narrow_window() -> bool {
    web_sys::window()
        .and_then(|window| window.inner_width().ok())
        .and_then(|width| width.as_f64())
        .is_some_and(|width| width < NARROW)
}

/// The page's address fragment (`#v=1&lesson=active-nat…`), without the `#`.
fn location_fragment() -> String {
    web_sys::window()
        .and_then(|window| window.location().hash().ok())
        .map(|hash| hash.trim_start_matches('#').to_owned())
        .unwrap_or_default()
}

/// The full address of a link: this page's address with the link as its fragment. A page
/// opened from disk (the single file, `file://`) has no address another computer can open: its
/// links point to the hosted copy named at build time (`FTPSIM_HOSTED_URL`, in a `<meta>` of
/// the page), and without one there is no link, and the dialog says why.
fn page_address(link: &str) -> Result<String, String> {
    let Some(window) = web_sys::window() else {
        return Ok(format!("#{link}"));
    };
    let location = window.location();
    if location.protocol().ok().as_deref() == Some("file:") {
        let hosted = window
            .document()
            .and_then(|document| document.query_selector("meta[name=ftpsim-hosted-url]").ok().flatten())
            .and_then(|meta| meta.get_attribute("content"))
            .filter(|address| !address.trim().is_empty());
        return match hosted {
            Some(address) => Ok(format!("{}#{link}", address.split('#').next().unwrap_or_default())),
            None => Err(crate::messages::page::share::NEEDS_HOSTED_COPY.to_owned()),
        };
    }
    let base =
        (|| Some(format!("{}{}{}", location.origin().ok()?, location.pathname().ok()?, location.search().ok()?)))()
            .unwrap_or_default();
    Ok(format!("{base}#{link}"))
}

/// The QR code of a link, or why there is none.
fn qr_code(link: &Result<AttrValue, AttrValue>) -> Result<AttrValue, AttrValue> {
    let link = link.as_ref().map_err(Clone::clone)?;
    crate::picture::qr::svg(link, crate::messages::page::share::QR_LABEL)
        .map(AttrValue::from)
        .map_err(|error| AttrValue::from(error.to_string()))
}

/// Writes the link of what is on screen into the address: a new history entry when the
/// network changed (so Back returns to the previous lesson or settings), the same entry when
/// only the step or the view did.
fn write_location(link: &str, previous: Option<&str>) {
    let network = |link: &str| -> String {
        link.split('&')
            .filter(|part| !part.starts_with("step=") && !part.starts_with("by="))
            .collect::<Vec<_>>()
            .join("&")
    };
    let Some(history) = web_sys::window().and_then(|window| window.history().ok()) else {
        return;
    };
    let url = format!("#{link}");
    // The first write only tidies the address the page was opened with.
    let _ = if previous.is_some_and(|previous| network(link) != network(previous)) {
        history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
    } else {
        history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
    };
}

/// The action a key stands for: what a presentation clicker sends, and the usual keys.
fn key_action(event: &web_sys::KeyboardEvent) -> Option<Action> {
    if event.alt_key() || event.ctrl_key() || event.meta_key() {
        return None;
    }
    let target = event.target().and_then(|target| target.dyn_into::<web_sys::Element>().ok());
    let tag = target.as_ref().map(|element| element.tag_name().to_ascii_lowercase()).unwrap_or_default();
    // Fields that use the arrow keys themselves; a checkbox does not, so a clicker still steps
    // after a teacher ticks one.
    let kind = target.as_ref().and_then(|element| element.get_attribute("type")).unwrap_or_default();
    let in_field = matches!(tag.as_str(), "select" | "textarea") || (tag == "input" && kind != "checkbox");
    match event.key().as_str() {
        // Page Up / Page Down come from clickers and work everywhere.
        "PageDown" => Some(Action::StepForward),
        "PageUp" => Some(Action::StepBack),
        "Escape" => Some(Action::Escape),
        _ if in_field => None,
        // On a focused button, Space and Enter press the button instead.
        " " | "Spacebar" if tag != "button" => Some(Action::TogglePlay),
        "ArrowRight" => Some(Action::StepForward),
        "ArrowLeft" => Some(Action::StepBack),
        "Home" => Some(Action::Restart),
        "End" => Some(Action::End),
        _ => None,
    }
}

/// What the page's one after-render effect follows (see `App`).
#[derive(Clone, Copy, PartialEq)]
struct AfterRender {
    ticking: bool,
    print_requests: u32,
    presenter: bool,
    lesson: Option<&'static str>,
    share_open: bool,
    files_open: bool,
    stage_focus: u32,
}

/// A class attribute from the names that apply. (Plain text rather than Yew's `classes!`, whose
/// ordered set of names costs the download about 1 KB: BENCHMARKS.md.)
fn class_list(names: &[Option<&'static str>]) -> String {
    names.iter().flatten().copied().collect::<Vec<_>>().join(" ")
}

fn focus(node: &NodeRef) {
    if let Some(element) = node.cast::<web_sys::HtmlElement>() {
        let _ = element.focus();
    }
}

#[component]
pub fn App() -> Html {
    // Read once: what the browser kept, and whether the page may write over it.
    let kept = use_memo((), |_| storage::load());
    // Inside a course (SCORM 1.2): the LMS, the progress it kept, and the learner's variant.
    #[cfg(feature = "assessment")]
    let lms = use_memo((), |_| {
        scorm::Lms::find().map(|lms| {
            let kept = lms.initialize();
            let learner = lms.learner();
            (lms, kept, learner)
        })
    });
    let state = use_reducer_eq(|| {
        let fragment = location_fragment();
        #[cfg(feature = "assessment")]
        let fragment =
            scorm::with_learner_seed(&fragment, lms.as_ref().as_ref().and_then(|(_, _, learner)| learner.as_deref()));
        let mut classroom = Classroom::start(&fragment, kept.record.clone());
        // Visitors who ask for reduced motion get steps that jump and packets that do not glide.
        classroom.animate = !prefers_reduced_motion();
        PageState::new(classroom)
    });
    // The reducer's own dispatch, the same callback on every render: components that take it
    // (LowerView) then see equal props when nothing they show has changed, and are not drawn
    // again on every tick of the playback clock.
    let on_action: Callback<Action> = state.dispatcher().to_callback();
    let stage = use_node_ref();
    // Saves a file of what is on screen, computed when it is asked for.
    let on_export: Callback<Export> = {
        let state = state.clone();
        Callback::from(move |what: Export| {
            let classroom = &state.classroom;
            match what {
                Export::Scenario => files::download(
                    "ftpsim-scenario.json",
                    "application/json",
                    crate::sim::scenario_file::write(&classroom.scenario).as_bytes(),
                ),
                Export::Transcript => files::download(
                    "ftpsim-transcript.txt",
                    "text/plain;charset=utf-8",
                    transcript::text(&classroom.timeline).as_bytes(),
                ),
                Export::Topology => {
                    let position = classroom.position();
                    let scene = scene::scene(&classroom.timeline, classroom.cursor.world(), position);
                    let style = Style { hop_ms: 0, size: topology::Type::Normal, orientation: Orientation::Wide };
                    let svg = topology::layout(&scene, position, style).svg(picture_words::LABEL, "topology");
                    files::download("ftpsim-network.svg", "image/svg+xml", files::standalone_svg(&svg).as_bytes());
                }
                Export::Ladder => {
                    let rows = ladder::rows(&classroom.timeline, classroom.position());
                    let lanes = ladder::lanes(classroom.scenario.server_nat_active());
                    let svg = ladder::svg(&rows, lanes, crate::messages::page::files::LADDER_TITLE);
                    files::download("ftpsim-ladder.svg", "image/svg+xml", svg.as_bytes());
                }
                Export::Capture(point) => files::download(
                    &format!("ftpsim-{}.pcap", point.as_str()),
                    "application/vnd.tcpdump.pcap",
                    &crate::sim::capture::pcap(&classroom.timeline, point),
                ),
            }
        })
    };
    let narrow = use_state(narrow_window);

    let classroom = &state.classroom;

    // The address follows what is on screen, and the browser keeps the link, the preferences
    // and the saved scenarios, written again whenever one of them changes (one effect for both:
    // each effect hook is code of its own in the download). `written` is the last fragment the
    // page wrote or opened, and whether the page wrote it itself; a changed address (Back,
    // Forward, a pasted link) is opened by the listeners below. Nothing is kept from inside a
    // course page (embed mode): a frame on the same site would overwrite the teacher's own last
    // session, and open the whole page in embed mode on the next visit.
    let may_write = kept.writable && !classroom.embed;
    let written = use_mut_ref(|| (location_fragment(), false));
    {
        let state = state.clone();
        let written = written.clone();
        let saved = Rc::as_ptr(&classroom.saved) as usize;
        let keys = (classroom.link().ok(), classroom.presenter, classroom.playback.speed, classroom.step_level, saved);
        use_effect_with(keys, move |(link, ..)| {
            if let Some(link) = link {
                let mut written = written.borrow_mut();
                if written.0 != *link {
                    // After opening an address, writing its tidy form replaces it.
                    write_location(link, written.1.then_some(written.0.as_str()));
                    *written = (link.clone(), true);
                }
            }
            if may_write {
                storage::save(&state.classroom.stored().write());
            }
        });
    }
    // The page's listeners, set up once: the keyboard (one listener on the document for the
    // whole page), the window's width (the phone layout follows it), and the address.
    {
        let on_action = on_action.clone();
        let narrow = narrow.clone();
        let written = written.clone();
        use_effect_with((), move |_| {
            let keyboard = web_sys::window().and_then(|window| window.document()).map(|document| {
                let on_action = on_action.clone();
                // Not passive: the keys the page handles must not also scroll it.
                EventListener::new_with_options(
                    &document,
                    "keydown",
                    EventListenerOptions::enable_prevent_default(),
                    move |event| {
                        let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                            return;
                        };
                        if let Some(action) = key_action(event) {
                            event.prevent_default();
                            on_action.emit(action);
                        }
                    },
                )
            });
            let window_listeners = web_sys::window().map(|window| {
                let resize = EventListener::new(&window, "resize", move |_| {
                    let now = narrow_window();
                    if now != *narrow {
                        narrow.set(now);
                    }
                });
                // The printed document goes away once the browser has printed it (or the teacher
                // cancelled).
                let printed = on_action.clone();
                // A changed address (Back, Forward, a pasted link) is opened.
                let on_change = move |_: &web_sys::Event| {
                    let fragment = location_fragment();
                    let mut written = written.borrow_mut();
                    if written.0 != fragment {
                        *written = (fragment.clone(), false);
                        on_action.emit(Action::OpenLink(fragment));
                    }
                };
                let again = on_change.clone();
                (
                    resize,
                    EventListener::new(&window, "hashchange", on_change),
                    EventListener::new(&window, "popstate", again),
                    EventListener::new(&window, "afterprint", move |_| printed.emit(Action::Printed)),
                )
            });
            move || drop((keyboard, window_listeners))
        });
    }

    // Inside a course (SCORM 1.2), the LMS is told how the student is doing, and the progress it
    // kept is taken back.
    #[cfg(feature = "assessment")]
    {
        let started = *use_memo((), |_| js_sys::Date::now());
        let centiseconds = move || ((js_sys::Date::now() - started) / 10.0).max(0.0) as u64;
        // The newest assessment and position (shared, not copied), for the reports below and the
        // moment the page goes away; a report is only made when one is sent.
        let latest = use_mut_ref(|| None);
        *latest.borrow_mut() =
            classroom.assessment.as_ref().map(|assessment| (Rc::clone(assessment), classroom.position()));
        {
            let lms = lms.clone();
            let on_action = on_action.clone();
            use_effect_with((), move |_| {
                if let Some((_, Some(kept), _)) = lms.as_ref() {
                    on_action.emit(Action::Resume(kept.clone()));
                }
            });
        }
        let lms = use_memo((), move |_| lms.as_ref().as_ref().map(|(lms, _, _)| lms.clone()));
        {
            let lms = lms.clone();
            let latest = latest.clone();
            let answers = classroom.assessment.as_ref().map(|assessment| assessment.attempt.records.clone());
            use_effect_with(answers, move |_| {
                if let (Some(lms), Some((assessment, position))) = (lms.as_ref(), latest.borrow().as_ref()) {
                    lms.report(&assessment.report(*position, centiseconds()));
                }
            });
        }
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "pagehide", move |_| {
                    if let (Some(lms), Some((assessment, position))) = (lms.as_ref(), latest.borrow().as_ref()) {
                        lms.finish(&assessment.report(*position, centiseconds()));
                    }
                })
            });
            move || drop(listener)
        });
    }

    // What the page does to the document after a render, each when what it follows has changed
    // (and once at the start). One effect for all of them: each effect hook is code of its own
    // in the download. In this order:
    // - the playback clock: a tick every TICK_MS while something moves;
    // - each print request asks the browser to print, once the document is in the page;
    // - presenter mode fills the screen;
    // - the lesson menu names the lesson shown (see `components::header`);
    // - the Share dialog's link is selected as the dialog opens (`components::share_dialog`);
    // - the Save & export dialog's first button takes the keyboard as the dialog opens;
    // - after a lesson is picked or a dialog closes, the keyboard returns to the stage.
    let lesson_menu = use_node_ref();
    let share_field = use_node_ref();
    let files_first = use_node_ref();
    let files_name = use_node_ref();
    {
        let now = AfterRender {
            ticking: classroom.playback.ticking(),
            print_requests: classroom.print_requests,
            presenter: classroom.presenter,
            lesson: classroom.lesson,
            share_open: matches!(classroom.dialog, Some(Dialog::Share(_))),
            files_open: matches!(classroom.dialog, Some(Dialog::Files(_))),
            stage_focus: classroom.stage_focus,
        };
        // The state last acted on, and the playback clock while it runs.
        let kept = use_mut_ref(|| (None::<AfterRender>, None::<Interval>));
        let (menu, field, first, stage) =
            (lesson_menu.clone(), share_field.clone(), files_first.clone(), stage.clone());
        let on_action = on_action.clone();
        use_effect_with(now, move |now| {
            // The borrow ends before any duty: printing may hand control to the browser, whose
            // `afterprint` dispatches an action.
            let before = {
                let mut kept = kept.borrow_mut();
                if kept.0.is_none_or(|before| before.ticking != now.ticking) {
                    kept.1 = now.ticking.then(|| Interval::new(TICK_MS, move || on_action.emit(Action::Tick)));
                }
                kept.0.replace(*now)
            };
            let changed = |field: fn(&AfterRender) -> u32| before.as_ref().map(field) != Some(field(now));
            let window = web_sys::window();
            if changed(|duties| duties.print_requests)
                && now.print_requests > 0
                && let Some(window) = &window
            {
                let _ = window.print();
            }
            if changed(|duties| duties.presenter.into())
                && let Some(document) = window.as_ref().and_then(|window| window.document())
            {
                if now.presenter {
                    if let Some(root) = document.document_element() {
                        let _ = root.request_fullscreen();
                    }
                } else if document.fullscreen_element().is_some() {
                    document.exit_fullscreen();
                }
            }
            if before.is_none_or(|before| before.lesson != now.lesson)
                && let Some(select) = menu.cast::<web_sys::HtmlSelectElement>()
            {
                select.set_value(now.lesson.unwrap_or(""));
            }
            if changed(|duties| duties.share_open.into())
                && now.share_open
                && let Some(input) = field.cast::<web_sys::HtmlInputElement>()
            {
                let _ = input.focus();
                input.select();
            }
            if changed(|duties| duties.files_open.into()) && now.files_open {
                focus(&first);
            }
            if changed(|duties| duties.stage_focus) && now.stage_focus > 0 {
                focus(&stage);
            }
        });
    }

    let hop_ms = if classroom.animate { classroom.playback.hop_ms() } else { 0 };
    let orientation = if *narrow { Orientation::Tall } else { Orientation::Wide };
    let size = if classroom.presenter { topology::Type::Presenter } else { topology::Type::Normal };
    let style = Style { hop_ms, size, orientation };
    let server_nat = classroom.scenario.server_nat_active();
    let (value, max) = classroom.scrubber();
    let time =
        classroom.timeline.events().get(classroom.position()).map(|event| event.time.to_string()).unwrap_or_default();
    let (counter, value_text) = match &classroom.compare {
        Some(_) => (words::steps(value, max), words::steps(value, max)),
        None => (words::counter(value, max, &time), words::value_text(value, max, &time)),
    };

    let (stage_view, lower_view) = match &classroom.compare {
        Some(compare) => {
            let view = |pane: &crate::classroom::Pane| {
                let position = pane.position();
                let scene = scene::scene(&pane.timeline, pane.cursor.world(), position);
                let mode = crate::messages::settings::mode(pane.mode());
                let svg = topology::layout(&scene, position, Style { hop_ms: 0, size: topology::Type::Pane, ..style })
                    .svg(&picture_words::pane_label(mode), "topology compact");
                let caption = caption::for_event(&pane.timeline, position);
                let verdict = pane.finished().then(|| {
                    let verdict = pane.timeline.verdict();
                    let text = if verdict.is_ok() {
                        crate::messages::page::verdict::COMPLETED.to_owned()
                    } else {
                        format!(
                            "{} · {}",
                            crate::messages::page::verdict::failed_at(
                                verdict.device.map(|device| device.label(server_nat))
                            ),
                            verdict.cell()
                        )
                    };
                    (verdict.is_ok(), AttrValue::from(text))
                });
                components::PaneView {
                    mode: pane.mode(),
                    svg: AttrValue::from(svg),
                    headline: AttrValue::from(caption.headline),
                    body: AttrValue::from(caption.body),
                    verdict,
                }
            };
            (components::compare_panes(view(&compare.left), view(&compare.right), &on_action), Html::default())
        }
        None => {
            let position = classroom.position();
            let world = classroom.cursor.world();
            let scene = scene::scene(&classroom.timeline, world, position);
            let svg = topology::layout(&scene, position, style).svg(picture_words::LABEL, "topology");
            let caption = classroom.caption();
            let detail = classroom
                .timeline
                .events()
                .get(position)
                .filter(|event| !matches!(event.kind, crate::sim::trace::EventKind::Verdict { .. }))
                .map_or(String::new(), |event| event.text.clone());
            let countdowns: Vec<String> = countdowns(&classroom.timeline, &classroom.cursor)
                .into_iter()
                .map(|countdown| countdown.text)
                .collect();
            let lines = Rc::new(transcript::lines(&classroom.timeline, position));
            let rows = Rc::new(ladder::rows(&classroom.timeline, position));
            let quiz_on_screen = classroom.quiz.enabled && classroom.quiz.at.is_some_and(|at| position >= at);
            #[cfg(feature = "assessment")]
            let (questions_html, picture_click) = questions_view(classroom, position, server_nat, &on_action);
            #[cfg(not(feature = "assessment"))]
            let (questions_html, picture_click): (Html, Option<Callback<MouseEvent>>) = (Html::default(), None);
            let stage_html = html! {
                <>
                    <section class="picture" tabindex="-1" ref={stage.clone()} aria-label={panels::PICTURE} onclick={picture_click}>
                        { Html::from_html_unchecked(AttrValue::from(svg)) }
                    </section>
                    { questions_html }
                    { components::caption_panel(caption, detail, countdowns, classroom.announce) }
                    if let Some(pending) = &classroom.pending {
                        { components::pending_panel(pending, &on_action) }
                    }
                    if quiz_on_screen {
                        { components::quiz_panel(classroom.quiz.answer, quiz_truth(&classroom.timeline), server_nat,
                                                 &classroom.timeline.verdict().summary, &on_action) }
                    }
                </>
            };
            let tables = (classroom.tab == Tab::Tables).then(|| AttrValue::from(tables::device_tables(world)));
            let console = (classroom.tab == Tab::Console).then(|| classroom.console_text());
            let lower = html! {
                <LowerView {lines} {rows} lanes={ladder::lanes(server_nat)} {position} tab={classroom.tab} {tables} {console}
                           on_action={on_action.clone()} />
            };
            (stage_html, lower)
        }
    };

    let address = |embed: bool| -> Result<AttrValue, AttrValue> {
        classroom
            .link_shown(embed)
            .map_err(|why| crate::messages::page::share::no_link(&why.to_string()))
            .and_then(|link| page_address(&link))
            .map(AttrValue::from)
            .map_err(AttrValue::from)
    };
    let share_link = address(classroom.embed);
    let verdict = classroom.verdict_visible().then(|| classroom.timeline.verdict());
    let looking_back =
        (classroom.verdict_visible() && classroom.position() < classroom.last()).then(|| classroom.position());
    html! {
        <main ~className={class_list(&[Some("app"), classroom.embed.then_some("embed"), classroom.presenter.then_some("presenter"),
                                   (!classroom.animate).then_some("reduced-motion"), classroom.compare.is_some().then_some("comparing"),
                                   classroom.printing.is_some().then_some("printing")])}>
            <div class="bars">
                { components::header(classroom.lesson, classroom.quiz.enabled, classroom.compare.is_some(),
                                     classroom.presenter, &lesson_menu, &on_action) }
                { components::playback_bar(classroom.playback.playing, (value, max), counter, value_text,
                                            classroom.playback.speed, classroom.step_level, &on_action) }
            </div>
            if let Some(notice) = &classroom.notice {
                { components::notice_bar(notice.text(), &on_action) }
            }
            { match classroom.dialog.clone() {
                Some(Dialog::Share(share)) => components::share_dialog(
                    &share_link,
                    share.qr.then(|| qr_code(&share_link)),
                    share.copied,
                    share.embed.then(|| address(true).and_then(|embedded| Ok(AttrValue::from(
                        crate::picture::embed::code(&embedded, &address(false)?))))),
                    &share_field,
                    &on_action,
                ),
                Some(Dialog::Files(note)) => components::files_dialog(FilesProps {
                    saved: &classroom.saved,
                    note,
                    keeps: may_write,
                    on_action: &on_action,
                    on_export: &on_export,
                    first: &files_first,
                    name: &files_name,
                }),
                None => Html::default(),
            } }
            <div class="layout">
                <div class="stage">{ stage_view }</div>
                { lower_view }
                <aside class="side">
                    <section class="panel verdict-panel" role="status" aria-label={panels::VERDICT}>
                        <h2>{ panels::VERDICT }</h2>
                        { components::verdict_panel(verdict, server_nat, classroom.timeline.is_branched(), looking_back, &on_action) }
                    </section>
                    <section class="panel settings" aria-label={panels::SETTINGS}>
                        <h2>{ panels::SETTINGS }</h2>
                        { components::settings_form(&SettingsProps { form: classroom.form_scenario(), run: &classroom.scenario,
                                                                revision: classroom.form_revision, on_action: &on_action }) }
                    </section>
                    <section class="panel comparison" aria-label={panels::EVERY_MODE}>
                        <h2>{ panels::EVERY_MODE }</h2>
                        { components::comparison_panel(&classroom.comparison, &classroom.scenario, classroom.questions_open()) }
                    </section>
                    <p class="keys">{ panels::KEYS }</p>
                    <p class="about">{ panels::about(crate::VERSION) }</p>
                </aside>
            </div>
            if let Some(printout) = classroom.printing {
                // Only the printer sees it (the print stylesheet); escaped by `picture::handout`.
                <div class="print-doc">{ Html::from_html_unchecked(AttrValue::from(print_document(classroom, printout))) }</div>
            }
        </main>
    }
}

/// The handout, worksheet or answer key of the run on screen. The lesson's title and intro only
/// while the settings are the lesson's own.
fn print_document(classroom: &Classroom, printout: crate::classroom::Printout) -> String {
    let lesson = classroom.lesson.and_then(|id| crate::sim::lessons::find_unchanged(id, &classroom.scenario));
    crate::picture::handout::document(&classroom.timeline, &classroom.comparison, lesson.as_ref(), printout)
}

/// The questions panel of an assessment, and a click on the picture that answers "which
/// device?" while that question waits (the device's `data-node` in the drawing).
#[cfg(feature = "assessment")]
fn questions_view(
    classroom: &Classroom,
    position: usize,
    server_nat: bool,
    on_action: &Callback<Action>,
) -> (Html, Option<Callback<MouseEvent>>) {
    use crate::assess::questions::{Ask, Response};
    use crate::sim::trace::NodeId;
    let Some(assessment) = &classroom.assessment else { return (Html::default(), None) };
    let changes: Vec<(&'static str, &'static str, String)> = crate::assess::facts::single_changes(&classroom.scenario)
        .into_iter()
        .map(|(fix, _)| (fix.key, fix.token, crate::messages::page::handout::fix(fix.setting, fix.value)))
        .collect();
    let device_question = assessment
        .attempt
        .due(position)
        .into_iter()
        .find(|index| assessment.attempt.questions[*index].ask == Ask::WhichDevice);
    let picture_click = device_question.map(|index| {
        let on_action = on_action.clone();
        Callback::from(move |event: MouseEvent| {
            let node = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                .and_then(|element| element.closest("[data-node]").ok().flatten())
                .and_then(|element| element.get_attribute("data-node"))
                .and_then(|name| NodeId::ALL.into_iter().find(|node| node.as_str() == name));
            if let Some(node) = node {
                on_action.emit(Action::Respond(index, Response::Device(node)));
            }
        })
    });
    let panel = html! {
        <components::QuestionsPanel assessment={Rc::clone(assessment)} {position} {server_nat}
                                    changes={Rc::new(changes)} on_action={on_action.clone()} />
    };
    (panel, picture_click)
}
