//! The code a teacher pastes into a course page (an LMS page, a blog, a school site) to show the
//! simulator inside it: an `<iframe>` of a link in embed mode (`embed=on`: the stage and its
//! controls without the page's own chrome), and under it a link that opens the same thing as
//! the whole page. Written with maud, so the addresses are escaped.

use maud::html;

use crate::messages::page::share as say;

/// The height that shows the playback bar, the picture, its caption and the verdict without a
/// scroll bar on a course page's usual width (about 700–1000 px).
const HEIGHT: u32 = 640;

/// The code for a course page: `embedded` is the link in embed mode, `whole` the same link
/// without it.
pub fn code(embedded: &str, whole: &str) -> String {
    html! {
        iframe src=(embedded) title=(say::EMBED_TITLE) width="100%" height=(HEIGHT) style="border:0;max-width:1100px" loading="lazy" {}
        p { a href=(whole) target="_blank" { (say::OPEN_WHOLE) } }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_addresses_are_attributes_not_markup() {
        let code = code(
            "https://school.example/ftp/ftpsim.html#v=1&lesson=active-nat&embed=on",
            "https://school.example/ftp/ftpsim.html#v=1&lesson=\"><script>",
        );
        assert_eq!(
            code,
            format!(
                "<iframe src=\"https://school.example/ftp/ftpsim.html#v=1&amp;lesson=active-nat&amp;embed=on\" \
                 title=\"{}\" width=\"100%\" height=\"640\" style=\"border:0;max-width:1100px\" loading=\"lazy\"></iframe>\
                 <p><a href=\"https://school.example/ftp/ftpsim.html#v=1&amp;lesson=&quot;&gt;&lt;script&gt;\" \
                 target=\"_blank\">{}</a></p>",
                say::EMBED_TITLE,
                say::OPEN_WHOLE
            )
        );
    }
}
