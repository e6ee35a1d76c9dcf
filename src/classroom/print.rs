//! Printing: which document the teacher asked to print. The page draws the document
//! (`picture::handout`) into a container that only the printer sees, asks the browser to print
//! it, and takes it away again when the browser says printing is over (`afterprint`). `ftpsim
//! handout` writes the same documents as pages of their own.

/// A document the page prints for the run on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Printout {
    /// The network with its settings, the ladder, the transcript, the verdict and the
    /// every-mode table.
    Handout,
    /// The same network with blanks to fill: the address after NAT, the address inside
    /// PORT/227, where it fails, which setting fixes it.
    Worksheet,
    /// The worksheet with the answers filled in.
    AnswerKey,
}

impl Printout {
    pub const ALL: [Printout; 3] = [Printout::Handout, Printout::Worksheet, Printout::AnswerKey];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classroom::{Action, Classroom, Dialog};

    #[test]
    fn a_print_asks_once_per_click_and_ends_when_the_browser_has_printed() {
        let mut classroom = Classroom::new(Some("active-nat"));
        assert_eq!((classroom.printing, classroom.print_requests), (None, 0));
        classroom.apply(Action::OpenFiles);
        classroom.apply(Action::TogglePlay);
        assert!(classroom.playback.playing);
        for (number, printout) in Printout::ALL.into_iter().enumerate() {
            assert!(classroom.apply(Action::Print(printout)));
            assert_eq!(classroom.printing, Some(printout));
            assert_eq!(classroom.print_requests, number as u32 + 1, "each click prints again");
        }
        assert!(!classroom.playback.playing, "nothing moves under a print");
        assert!(matches!(classroom.dialog, Some(Dialog::Files(_))), "the dialog stays for the next print");
        // Printing changes nothing a link or the browser keeps.
        assert_eq!(classroom.link(), Classroom::new(Some("active-nat")).link());
        assert!(classroom.apply(Action::Printed));
        assert_eq!(classroom.printing, None);
        assert_eq!(classroom.print_requests, 3);
        assert!(classroom.apply(Action::Printed), "an afterprint of a print the page did not start is harmless");
        assert_eq!(classroom.printing, None);
    }

    #[test]
    fn a_print_is_of_the_run_on_screen_even_with_changes_waiting() {
        let mut classroom = Classroom::new(Some("active-nat"));
        classroom.apply(Action::StepForward);
        classroom.apply(Action::Change(crate::sim::scenario::Change::ClientAlg(true)));
        assert!(classroom.pending.is_some());
        classroom.apply(Action::Print(Printout::Worksheet));
        assert_eq!(classroom.printing, Some(Printout::Worksheet));
        assert!(classroom.pending.is_some(), "the changes keep waiting");
        assert!(!classroom.timeline.scenario().client_alg, "the run on screen is printed");
    }
}
