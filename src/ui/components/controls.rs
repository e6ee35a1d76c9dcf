//! Playback controls and the network toggles. Every control is a real button, checkbox or
//! select with a visible label; the accessible names are the ones teachers' tools and the
//! browser tests look for ("Step forward", "Mode", "Client NAT", …).

use yew::prelude::*;

use crate::classroom::Classroom;
use crate::ftp::client::DataMode;
use crate::sim::lessons;
use crate::sim::scenario::{IpVersion, PasvAddress, PortCheck, ServerFirewall, Transfer};
use crate::sim::trace::Level;
use crate::ui::state::{Action, SPEEDS, Setting};

fn select_value(event: &Event) -> String {
    event.target_unchecked_into::<web_sys::HtmlSelectElement>().value()
}

fn checked(event: &Event) -> bool {
    event.target_unchecked_into::<web_sys::HtmlInputElement>().checked()
}

fn on_click(dispatch: &Callback<Action>, action: Action) -> Callback<MouseEvent> {
    let dispatch = dispatch.clone();
    Callback::from(move |_| dispatch.emit(action.clone()))
}

/// Restart, step back, play or pause, step forward, jump to the end, the scrubber, speed and
/// step size.
pub fn playback(classroom: &Classroom, dispatch: &Callback<Action>) -> Html {
    let position = classroom.position();
    let last = classroom.last();
    let time = classroom.timeline.events().get(position).map(|event| event.time.to_string()).unwrap_or_default();
    let on_scrub = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: InputEvent| {
            let value = event.target_unchecked_into::<web_sys::HtmlInputElement>().value();
            if let Ok(index) = value.parse::<usize>() {
                dispatch.emit(Action::Seek(index));
            }
        })
    };
    let on_speed = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: Event| {
            if let Ok(speed) = select_value(&event).parse::<usize>() {
                dispatch.emit(Action::SetSpeed(speed));
            }
        })
    };
    let on_level = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: Event| {
            let level = match select_value(&event).as_str() {
                "packet" => Level::Packet,
                "detail" => Level::Detail,
                _ => Level::Key,
            };
            dispatch.emit(Action::SetStepLevel(level));
        })
    };
    let level_value = match classroom.step_level {
        Level::Key => "key",
        Level::Packet => "packet",
        Level::Detail => "detail",
    };
    html! {
        <div class="playback" role="group" aria-label="Playback">
            <button onclick={on_click(dispatch, Action::Restart)} aria-label="Restart" title="Back to the start (Home)">
                <span aria-hidden="true">{ "⏮" }</span><span class="button-text">{ "Restart" }</span>
            </button>
            <button onclick={on_click(dispatch, Action::StepBack)} aria-label="Step back" title="Step back (← or Page Up)">
                <span aria-hidden="true">{ "◀" }</span><span class="button-text">{ "Back" }</span>
            </button>
            <button class="primary play" onclick={on_click(dispatch, Action::TogglePlay)}
                    aria-label={if classroom.playing { "Pause" } else { "Play" }} title="Play or pause (Space)">
                <span aria-hidden="true">{ if classroom.playing { "⏸" } else { "▶" } }</span>
                <span class="button-text">{ if classroom.playing { "Pause" } else { "Play" } }</span>
            </button>
            <button onclick={on_click(dispatch, Action::StepForward)} aria-label="Step forward" title="Step forward (→ or Page Down)">
                <span class="button-text">{ "Next" }</span><span aria-hidden="true">{ "▶" }</span>
            </button>
            <button onclick={on_click(dispatch, Action::End)} aria-label="Jump to end" title="Jump to the end (End)">
                <span class="button-text">{ "End" }</span><span aria-hidden="true">{ "⏭" }</span>
            </button>
            <label class="scrubber">
                <span class="visually-hidden">{ "Timeline position" }</span>
                <input type="range" min="0" max={last.to_string()} value={position.to_string()} oninput={on_scrub}
                       aria-valuetext={format!("event {} of {}, at {time}", position + 1, last + 1)} />
            </label>
            <span class="clock" aria-hidden="true">{ format!("{} / {} · t = {time}", position + 1, last + 1) }</span>
            <label class="inline">
                { "Speed" }
                <select onchange={on_speed} aria-label="Speed">
                    { for SPEEDS.iter().enumerate().map(|(n, (name, _))| html! {
                        <option value={n.to_string()} selected={n == classroom.speed}>{ *name }</option>
                    }) }
                </select>
            </label>
            <label class="inline">
                { "Step by" }
                <select onchange={on_level} aria-label="Step by">
                    <option value="key" selected={level_value == "key"}>{ "key moments" }</option>
                    <option value="packet" selected={level_value == "packet"}>{ "packets" }</option>
                    <option value="detail" selected={level_value == "detail"}>{ "every event" }</option>
                </select>
            </label>
        </div>
    }
}

/// The Lesson menu.
pub fn lesson_picker(classroom: &Classroom, dispatch: &Callback<Action>) -> Html {
    let dispatch = dispatch.clone();
    let on_change = Callback::from(move |event: Event| {
        let id = select_value(&event);
        if !id.is_empty() {
            dispatch.emit(Action::LoadLesson(id));
        }
    });
    html! {
        <label class="lesson-picker">
            { "Lesson" }
            <select onchange={on_change} aria-label="Lesson">
                <option value="" selected={classroom.lesson.is_none()} disabled=true>{ "Your own settings" }</option>
                { for lessons::all().into_iter().map(|lesson| html! {
                    <option value={lesson.id} selected={classroom.lesson == Some(lesson.id)}>{ lesson.title }</option>
                }) }
            </select>
        </label>
    }
}

fn mode_options(selected: DataMode) -> Html {
    html! {
        <>
            { for DataMode::ALL.iter().map(|mode| html! {
                <option value={mode.as_str()} selected={*mode == selected}>{ mode.label() }</option>
            }) }
        </>
    }
}

/// Parses a mode option value.
pub fn parse_mode(value: &str) -> Option<DataMode> {
    DataMode::ALL.into_iter().find(|mode| mode.as_str() == value)
}

/// Every network toggle.
pub fn settings_panel(classroom: &Classroom, dispatch: &Callback<Action>) -> Html {
    let scenario = &classroom.scenario;
    let change = |make: fn(&Event) -> Option<Setting>| {
        let dispatch = dispatch.clone();
        Callback::from(move |event: Event| {
            if let Some(setting) = make(&event) {
                dispatch.emit(Action::Change(setting));
            }
        })
    };
    let checkbox = |label: &'static str, help: &'static str, value: bool, make: fn(bool) -> Setting| {
        let dispatch = dispatch.clone();
        let onchange = Callback::from(move |event: Event| dispatch.emit(Action::Change(make(checked(&event)))));
        html! {
            <label class="toggle" title={help}>
                <input type="checkbox" checked={value} onchange={onchange} />
                <span>{ label }</span>
            </label>
        }
    };
    let v6 = scenario.ip == IpVersion::V6;
    let on_port = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<web_sys::HtmlInputElement>().value();
            dispatch.emit(Action::Change(Setting::ControlPort(value)));
        })
    };
    html! {
        <section class="panel settings" aria-label="Network settings">
            <h2>{ "Settings" }</h2>
            <div class="settings-grid">
                <label class="field">
                    { "Mode" }
                    <select aria-label="Mode" onchange={change(|event| parse_mode(&select_value(event)).map(Setting::Mode))}>
                        { mode_options(scenario.mode) }
                    </select>
                </label>
                <label class="field">
                    { "Operation" }
                    <select aria-label="Operation" onchange={change(|event| {
                        let command = Transfer::ALL.into_iter().find(|command| command.as_str() == select_value(event))?;
                        Some(Setting::Operation(command))
                    })}>
                        { for Transfer::ALL.iter().map(|command| html! {
                            <option value={command.as_str()} selected={*command == scenario.command}>{ command.verb() }</option>
                        }) }
                    </select>
                </label>
                <fieldset>
                    <legend>{ "Home router" }</legend>
                    { checkbox("Client firewall", "A stateful firewall on the home router refuses new connections from outside", scenario.client_firewall, Setting::ClientFirewall) }
                    { checkbox("Client NAT", "The home router shares one public address (IPv4 only)", scenario.client_nat, Setting::ClientNat) }
                    { checkbox("FTP helper (ALG)", "The home router reads PORT/EPRT and lets the announced connection in", scenario.client_alg, Setting::ClientAlg) }
                </fieldset>
                <fieldset>
                    <legend>{ "Server side" }</legend>
                    <label class="field">
                        { "Server firewall" }
                        <select aria-label="Server firewall" onchange={change(|event| {
                            let firewall = ServerFirewall::ALL.into_iter().find(|firewall| firewall.as_str() == select_value(event))?;
                            Some(Setting::ServerFirewall(firewall))
                        })}>
                            <option value="off" selected={scenario.server_firewall == ServerFirewall::Off}>{ "Off" }</option>
                            <option value="passive-range" selected={scenario.server_firewall == ServerFirewall::PassiveRange}>{ "Passive range open" }</option>
                            <option value="control-only" selected={scenario.server_firewall == ServerFirewall::ControlOnly}>{ "Control port only" }</option>
                        </select>
                    </label>
                    { checkbox("Server FTP helper", "The server's firewall or router reads 227/229 replies", scenario.server_alg, Setting::ServerAlg) }
                    { checkbox("Server behind NAT", "The server has a private address behind its own router (IPv4 only)", scenario.server_nat, Setting::ServerNat) }
                    <label class="field">
                        { "Address in 227" }
                        <select aria-label="Address in 227" onchange={change(|event| Some(Setting::PasvAddress(
                            if select_value(event) == "public" { PasvAddress::Public } else { PasvAddress::Private })))}>
                            <option value="private" selected={scenario.pasv_address == PasvAddress::Private}>{ "Server's own" }</option>
                            <option value="public" selected={scenario.pasv_address == PasvAddress::Public}>{ "Public (pasv_address)" }</option>
                        </select>
                    </label>
                    { checkbox("Server checks PORT address", "vsftpd port_promiscuous=NO: refuse PORT to any address but the client's", scenario.port_check == PortCheck::Strict,
                        |on| Setting::PortCheck(if on { PortCheck::Strict } else { PortCheck::Off })) }
                    { checkbox("Server supports EPSV", "Old servers answer EPSV with 500", scenario.server_epsv, Setting::ServerEpsv) }
                </fieldset>
                <fieldset>
                    <legend>{ "Client and network" }</legend>
                    { checkbox("Client trusts the 227 address", "Classic behaviour; curl since 7.74 and ftplib reuse the control connection's address instead", scenario.trust_pasv_address, Setting::TrustPasvAddress) }
                    <label class="field">
                        { "Control port" }
                        <input type="number" min="1" max="65535" value={scenario.control_port.to_string()} onchange={on_port} aria-label="Control port" />
                    </label>
                    <label class="field">
                        { "IP version" }
                        <select aria-label="IP version" onchange={change(|event| Some(Setting::Ip(if select_value(event) == "v6" { IpVersion::V6 } else { IpVersion::V4 })))}>
                            <option value="v4" selected={!v6}>{ "IPv4" }</option>
                            <option value="v6" selected={v6}>{ "IPv6" }</option>
                        </select>
                    </label>
                </fieldset>
            </div>
        </section>
    }
}
