//! How wide a line of text will be, without a browser: the drawings place every label before
//! the page shows it, so that no label overlaps another or runs off the picture.
//!
//! The drawings ask for Verdana or DejaVu Sans (its free twin, on every Linux desktop), whose
//! advance widths are below, in 1/2048 of an em. Other fonts of the same family are narrower,
//! so an estimate made with these widths is safe: text drawn in them only gets more room.

/// Advance widths of printable ASCII (32 to 126), DejaVu Sans, units of 1/2048 em.
const ADVANCES: [u16; 95] = [
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690, // ' ' to '/'
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, // '0' to '9'
    690, 690, 1716, 1716, 1716, 1087, 2048, // ':' to '@'
    1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767, // 'A' to 'M'
    1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, // 'N' to 'Z'
    799, 690, 799, 1716, 1024, 1024, // '[' to '`'
    1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569, 1995, // 'a' to 'm'
    1298, 1253, 1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, // 'n' to 'z'
    1303, 690, 1303, 1716, // '{' to '~'
];

/// Arrows, crosses and other symbols: wider than most letters.
const SYMBOL: u16 = 1716;

/// Bold text is about a tenth wider.
const BOLD_PERCENT: u32 = 110;

/// Width of `text` at `size` units per em, in the same units, rounded up.
pub fn width(text: &str, size: u32, bold: bool) -> u32 {
    let units: u32 = text
        .chars()
        .map(|c| {
            let code = c as u32;
            if (32..127).contains(&code) { u32::from(ADVANCES[(code - 32) as usize]) } else { u32::from(SYMBOL) }
        })
        .sum();
    let percent = if bold { BOLD_PERCENT } else { 100 };
    (units * size * percent).div_ceil(2048 * 100)
}

/// Breaks `text` into lines no wider than `max` at `size`, between words; a word too long for
/// a line of its own is cut with "…". At most `lines` lines; the last one ends in "…" when
/// text is left over.
pub fn wrap(text: &str, size: u32, bold: bool, max: u32, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        let candidate = if current.is_empty() { word.to_owned() } else { format!("{current} {word}") };
        if width(&candidate, size, bold) <= max {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current = if width(word, size, bold) <= max { word.to_owned() } else { fit(word, size, bold, max) };
    }
    if !current.is_empty() {
        out.push(current);
    }
    if out.len() > lines {
        out.truncate(lines);
        if let Some(last) = out.last_mut() {
            *last = fit(&format!("{last} …"), size, bold, max);
            if !last.ends_with('…') {
                last.push('…');
            }
        }
    }
    out
}

/// `text` cut to fit in `max`, ending in "…" when cut.
pub fn fit(text: &str, size: u32, bold: bool, max: u32) -> String {
    if width(text, size, bold) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        let mut next = out.clone();
        next.push(c);
        next.push('…');
        if width(&next, size, bold) > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_grow_with_size_text_and_weight() {
        assert_eq!(width("", 12, false), 0);
        let digits = width("198.51.100.10", 12, false);
        assert!((80..=90).contains(&digits), "{digits}");
        assert!(width("198.51.100.10", 24, false) >= 2 * digits - 1);
        assert!(width("FTP helper", 12, true) > width("FTP helper", 12, false));
        assert!(width("→", 12, false) > width("i", 12, false));
    }

    #[test]
    fn wrapping_keeps_every_line_within_the_width() {
        let text = "a new connection from outside that nobody inside asked for, dropped by forward policy drop";
        let lines = wrap(text, 12, false, 200, 5);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|line| width(line, 12, false) <= 200), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        let cut = wrap(text, 12, false, 200, 2);
        assert_eq!(cut.len(), 2);
        assert!(cut[1].ends_with('…') && width(&cut[1], 12, false) <= 200);
        let long = wrap("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 12, false, 60, 1);
        assert!(long[0].ends_with('…') && width(&long[0], 12, false) <= 60);
    }
}
